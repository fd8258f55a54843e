"""`GET [{index}/]_stats[/{metric}]` (level cluster, indices or shards) and `GET [{index}/]_recovery`.

Index statistics come from shard_stats (documents, store, indexing from the history; counters the
practice cluster does not keep are zero). With `level=shards` every started copy reports its
`routing`, `commit`, `seq_no`, `retention_leases` (the peer-recovery leases of each copy plus the
shard's stored leases, e.g. CCR's) and `shard_path`.

`_recovery` reads each index's `recovery` metadata dict. Its shape (index.recovery; the CCR helper
fills it for a follower while the initial copy runs; plain indices report EMPTY_STORE / DONE):

    {
      "type": "EMPTY_STORE" | "SNAPSHOT" | "EXISTING_STORE",   # default EMPTY_STORE
      "stage": "INIT" | "INDEX" | "VERIFY_INDEX" | "TRANSLOG" | "FINALIZE" | "DONE",   # default DONE
      "start_time_ms": epoch millis,   # default: index creation date
      "stop_time_ms": epoch millis,    # when DONE (default: start_time_ms)
      "source": {"repository": "_ccr_<alias>", "snapshot": "_latest_", "version": "<leader version>",
                 "index": "<leader index>", "restoreUUID": "<uuid>"},            # SNAPSHOT only
      "files_total": n, "files_recovered": n, "bytes_total": n, "bytes_recovered": n,
      "translog_ops": n, "translog_ops_recovered": n,   # progress while running; once DONE all is recovered
      "shards": {"<shard id>": {...the same keys, overriding the index-level values for that shard...}},
    }

A shard whose stage is not DONE has an INITIALIZING primary and UNASSIGNED replicas (health
yellow); the CCR helper sets stage DONE (and stop_time_ms) when the copy completes, then persists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors, recovery_states, shard_routing, shard_stats
from ..humanize import Fields
from ..rest import RestRequest
from ..suggest import unrecognized

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..index import Index

_RESOLVE = ("expand_wildcards", "ignore_unavailable", "allow_no_indices", "ignore_throttled")
_STATS_PARAMS = (*_RESOLVE, "completion_fields", "fielddata_fields", "fields", "forbid_closed_indices", "groups",
                 "include_segment_file_sizes", "include_unloaded_segments", "level")
_RECOVERY_PARAMS = (*_RESOLVE, "active_only", "detailed")


def _indices(cluster: "Cluster", request: RestRequest) -> list["Index"]:
    chosen = cluster.resolve(
        request.path_params.get("index"),
        expand_wildcards=request.param("expand_wildcards", "open") or "open",
        ignore_unavailable=request.bool_param("ignore_unavailable"),
        allow_no_indices=request.bool_param("allow_no_indices", True),
    )
    request.bool_param("ignore_throttled")
    if request.bool_param("forbid_closed_indices", True):
        for index in chosen:
            index.check_open()
    return [i for i in chosen if i.is_open]


def _metrics(request: RestRequest) -> set[str]:
    spec = request.path_params.get("metric")
    if spec is None:
        return set(shard_stats.METRICS)
    names = set(spec.split(","))
    if "_all" in names:
        if len(names) > 1:
            raise errors.illegal_argument(
                f"request [{request.path}] contains _all and individual metrics [{spec}]")
        return set(shard_stats.METRICS)
    invalid = names - set(shard_stats.METRICS)
    if invalid:
        raise errors.illegal_argument(unrecognized(request.path, invalid, shard_stats.METRICS, "metric"))
    return names


def _shard_entry(cluster: "Cluster", copy: shard_routing.ShardCopy, n: shard_stats.ShardNumbers,
                 metrics: set[str], human: bool) -> dict[str, Any]:
    index = copy.index
    shard = index.shards[copy.shard]
    path = f"{cluster.config.data_dir}/indices/{index.uuid}/{copy.shard}"
    leases = [{"id": f"peer_recovery/{c.node.id}", "retaining_seq_no": shard.global_checkpoint + 1,
               "timestamp": int(index.setting("index.creation_date") or 0), "source": "peer recovery"}
              for c in shard_routing.copies(cluster.config, index) if c.shard == copy.shard and c.node is not None]
    leases += [lease.as_json() for lease in shard.leases.values()]
    return {
        "routing": {"state": copy.state, "primary": copy.primary, "node": copy.node.id if copy.node else None,
                    "relocating_node": None},
        **shard_stats.common_stats(n, metrics, human),
        "commit": {
            "id": f"{index.uuid[:16]}{copy.shard:06d}==",
            "generation": shard.max_seq_no + 3,
            "user_data": {
                "local_checkpoint": str(shard.global_checkpoint), "max_seq_no": str(shard.max_seq_no),
                "max_unsafe_auto_id_timestamp": "-1", "min_retained_seq_no": str(index.retained_from(shard)),
                "es_version": str(cluster.version), "history_uuid": index.uuid, "translog_uuid": index.uuid[::-1],
            },
            "num_docs": n.docs,
        },
        "seq_no": {"max_seq_no": shard.max_seq_no, "local_checkpoint": shard.global_checkpoint,
                   "global_checkpoint": shard.global_checkpoint},
        "retention_leases": {"primary_term": 1, "version": len(leases), "leases": leases},
        "shard_path": {"state_path": path, "data_path": path, "is_custom_data_path": False},
    }


def render_stats(cluster: "Cluster", indices: list["Index"], metrics: set[str], level: str, human: bool) -> dict[str, Any]:
    all_primaries, all_total, per_index = shard_stats.ShardNumbers(), shard_stats.ShardNumbers(), {}
    total_copies = active_copies = 0
    for index in indices:
        numbers = shard_stats.measure(index)
        copies = shard_routing.copies(cluster.config, index)
        total_copies += len(copies)
        started = [c for c in copies if c.active]
        active_copies += len(started)
        primaries = shard_stats.total(numbers[c.shard] for c in started if c.primary)
        total = shard_stats.total(numbers[c.shard] for c in started)
        all_primaries, all_total = all_primaries.add(primaries), all_total.add(total)
        entry: dict[str, Any] = {
            "uuid": index.uuid,
            "health": shard_routing.index_health(cluster.config, index)["status"],
            "status": "open",
            "primaries": shard_stats.common_stats(primaries, metrics, human),
            "total": shard_stats.common_stats(total, metrics, human),
        }
        if level == "shards":
            entry["shards"] = {}
            for c in started:
                entry["shards"].setdefault(str(c.shard), []).append(_shard_entry(cluster, c, numbers[c.shard], metrics, human))
        per_index[index.name] = entry
    out: dict[str, Any] = {
        "_shards": {"total": total_copies, "successful": active_copies, "failed": 0},
        "_all": {"primaries": shard_stats.common_stats(all_primaries, metrics, human),
                 "total": shard_stats.common_stats(all_total, metrics, human)},
    }
    if level in ("indices", "shards"):
        out["indices"] = per_index
    return out


def _node_json(node) -> dict[str, Any]:
    return {"id": node.id, "host": node.transport_host, "transport_address": node.transport_address,
            "ip": node.transport_host, "name": node.name}


def render_recovery(state: recovery_states.RecoveryState, detailed: bool, human: bool) -> dict[str, Any]:
    f = Fields(human).put("id", state.shard).put("type", state.type).put("stage", state.stage).put("primary", state.primary)
    f.timestamp("start_time_in_millis", "start_time", state.start_ms)
    if state.stop_ms:
        f.timestamp("stop_time_in_millis", "stop_time", state.stop_ms)
    f.millis("total_time_in_millis", "total_time", state.time_ms)
    f.put("source", _node_json(state.source_node) if state.type == "PEER" else state.source)
    f.put("target", _node_json(state.target_node))
    size = (Fields(human).bytes("total_in_bytes", "total", state.bytes_total).bytes("reused_in_bytes", "reused", 0)
            .bytes("recovered_in_bytes", "recovered", state.bytes_recovered)
            .bytes("recovered_from_snapshot_in_bytes", "recovered_from_snapshot",
                   state.bytes_recovered if state.type == "SNAPSHOT" else 0)
            .put("percent", state.bytes_percent()).out)
    files: dict[str, Any] = {"total": state.files_total, "reused": 0, "recovered": state.files_recovered,
                             "percent": state.files_percent()}
    if detailed:
        files["details"] = []
    index = Fields(human).put("size", size).put("files", files).millis("total_time_in_millis", "total_time", state.time_ms)
    index.millis("source_throttle_time_in_millis", "source_throttle_time", 0)
    index.millis("target_throttle_time_in_millis", "target_throttle_time", 0)
    f.put("index", index.out)
    f.put("translog", Fields(human).put("recovered", state.translog_recovered).put("total", state.translog_total)
          .put("percent", state.translog_percent()).put("total_on_start", state.translog_total)
          .millis("total_time_in_millis", "total_time", 0).out)
    f.put("verify_index", Fields(human).millis("check_index_time_in_millis", "check_index_time", 0)
          .millis("total_time_in_millis", "total_time", 0).out)
    return f.out


def register(cluster: "Cluster") -> None:
    route = cluster.router.route
    auth = cluster.security

    @route("GET", "/_stats", params=_STATS_PARAMS)
    @route("GET", "/_stats/{metric}", params=_STATS_PARAMS)
    @route("GET", "/{index}/_stats", params=_STATS_PARAMS)
    @route("GET", "/{index}/_stats/{metric}", params=_STATS_PARAMS)
    def stats(request: RestRequest):
        metrics = _metrics(request)
        level = request.param("level", "indices") or "indices"
        if level not in ("cluster", "indices", "shards"):
            raise errors.illegal_argument(
                f"level parameter must be one of [cluster] or [indices] or [shards] but was [{level}]")
        indices = _indices(cluster, request)
        auth.authorize_indices(request.principal, "indices:monitor/stats", [i.name for i in indices])
        for name in ("include_segment_file_sizes", "include_unloaded_segments"):
            request.bool_param(name)
        return render_stats(cluster, indices, metrics, level, request.bool_param("human"))

    @route("GET", "/_recovery", params=_RECOVERY_PARAMS)
    @route("GET", "/{index}/_recovery", params=_RECOVERY_PARAMS)
    def recovery(request: RestRequest):
        indices = _indices(cluster, request)
        auth.authorize_indices(request.principal, "indices:monitor/recovery", [i.name for i in indices])
        active_only, detailed = request.bool_param("active_only"), request.bool_param("detailed")
        human = request.bool_param("human")
        out: dict[str, Any] = {}
        for index in indices:
            shards = [render_recovery(s, detailed, human) for s in recovery_states.states(cluster, index)
                      if not (active_only and s.done)]
            if shards:
                out[index.name] = {"shards": shards}
        return out
