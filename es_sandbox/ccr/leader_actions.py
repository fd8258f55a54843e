"""Transport actions a leader's cluster serves to its followers.

Failures travel in-band (`{"_failure": fragment, "_status": n}`) so that a follower rebuilds the
exact exception (metadata, causes) whatever the transport layer keeps of remote errors.
"""

from __future__ import annotations

import functools
import itertools
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from .. import licensing
from ..errors import EsError, index_closed, resource_not_found
from ..shard_store import OP_DELETE, OP_INDEX
from . import leases

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..index import Index

LICENSE = "internal:admin/ccr/license"
CLUSTER_STATE = "internal:admin/ccr/cluster_state"
RESTORE_START = "internal:admin/ccr/restore/session/put"
RESTORE_CHUNK = "internal:admin/ccr/restore/file_chunk/get"
SHARD_CHANGES = "indices:data/read/xpack/ccr/shard_changes"
ADD_LEASE = "indices:admin/seq_no/add_retention_lease"
RENEW_LEASE = "indices:admin/seq_no/renew_retention_lease"
REMOVE_LEASE = "indices:admin/seq_no/remove_retention_lease"

_V7_0_0 = 7_00_00_99
_PRIVATE_SETTINGS = ("index.uuid", "index.creation_date", "index.version.created", "index.provided_name")


class LeaderState:
    """What a leader tracks across requests: the metadata version auto-followers poll for."""

    def __init__(self, cluster: "Cluster") -> None:
        self.cluster = cluster
        self.metadata_version = 1 + len(cluster.indices)
        self._lock = threading.Lock()
        cluster.listeners.append(self._changed)

    def _changed(self, event: str, payload: Any) -> None:
        with self._lock:
            self.metadata_version += 1


def register(cluster: "Cluster") -> None:
    state = LeaderState(cluster)
    actions: dict[str, Callable[..., dict[str, Any]]] = {
        LICENSE: license_info,
        CLUSTER_STATE: functools.partial(cluster_state, state),
        RESTORE_START: restore_start,
        RESTORE_CHUNK: restore_chunk,
        SHARD_CHANGES: shard_changes,
        ADD_LEASE: functools.partial(_lease, leases.add),
        RENEW_LEASE: functools.partial(_lease, leases.renew),
        REMOVE_LEASE: functools.partial(_lease, leases.remove),
    }
    for name, handler in actions.items():
        cluster.transport.register(name, _in_band(cluster, handler))  # type: ignore[attr-defined]


def _in_band(cluster: "Cluster", handler: Callable[..., dict[str, Any]]) -> Callable[[dict, dict], dict]:
    def serve(body: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
        try:
            return handler(cluster, body)
        except EsError as exc:
            return {"_failure": exc.fragment(), "_status": exc.status}

    return serve


def _index(cluster: "Cluster", body: dict[str, Any]) -> "Index":
    index = cluster.index_by_uuid(body["index_uuid"])
    if index is None:
        name = body.get("index", body["index_uuid"])
        raise EsError(404, "index_not_found_exception", f"no such index [{name}]", index_uuid=body["index_uuid"], index=name)
    return index


# --- metadata -------------------------------------------------------------------------------


def license_info(cluster: "Cluster", body: dict[str, Any]) -> dict[str, Any]:
    """What RemoteClusterLicenseChecker reads of the leader's licence (XPackInfo)."""
    record = licensing.current(cluster)
    return {"mode": record["type"], "status": licensing.status(record), "allows_ccr": licensing.available(record, "ccr")}


def index_metadata(index: "Index", full: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": index.name,
        "uuid": index.uuid,
        "state": index.state,
        "number_of_shards": index.number_of_shards,
        "soft_deletes": _soft_deletes(index),
        "creation_date": int(index.setting("index.creation_date") or 0),
        "mapping_version": index.mappings.version,
        "settings_version": index.settings_version,
        "aliases_version": index.aliases_version,
        "shards": [{"shard": s.shard_id, "global_checkpoint": s.global_checkpoint, "max_seq_no": s.max_seq_no}
                   for s in index.shards],
    }
    if full:
        meta["settings"] = {k: v for k, v in index.settings.items() if k not in _PRIVATE_SETTINGS}
        meta["mappings"] = index.mappings.to_body()
        meta["mapping_type"] = index.mappings.type_name  # a 6.x index's one type; None when typeless
        meta["aliases"] = index.aliases
    return meta


def _soft_deletes(index: "Index") -> bool:
    """INDEX_SOFT_DELETES_SETTING: explicit, else on for indices created on 7.0 or later."""
    explicit = index.settings.get("index.soft_deletes.enabled")
    if explicit is not None:
        return explicit == "true"
    return int(index.settings.get("index.version.created", _V7_0_0)) >= _V7_0_0


def cluster_state(state: LeaderState, cluster: "Cluster", body: dict[str, Any]) -> dict[str, Any]:
    """One index in full (`index`), or every index in brief (auto-follow)."""
    out: dict[str, Any] = {
        "cluster_name": cluster.config.name,
        "cluster_uuid": cluster.config.cluster_uuid,
        "version": str(cluster.version),
        "metadata_version": state.metadata_version,
    }
    name = body.get("index")
    if name is None:
        out["indices"] = [index_metadata(i, full=False) for i in list(cluster.indices.values())]
        return out
    index = cluster.indices.get(name)
    out["indices"] = [index_metadata(index, full=True)] if index is not None else []
    if index is None and name in cluster.alias_names():
        out["abstraction"] = "ALIAS"
    return out


# --- remote recovery ------------------------------------------------------------------------


def restore_start(cluster: "Cluster", body: dict[str, Any]) -> dict[str, Any]:
    """The point each shard is copied at (its global checkpoint) and what the copy holds."""
    index = _index(cluster, body)
    if not index.is_open:
        raise index_closed(index.name, index.uuid)
    shards = []
    for shard in index.shards:
        at = shard.global_checkpoint
        shards.append({"shard": shard.shard_id, "snapshot_seq_no": at, "docs": index.store.visible_count(shard.shard_id, at)})
    total_docs = sum(s["docs"] for s in shards) or 1
    size = index.store.size_in_bytes()
    for entry in shards:
        entry["size_in_bytes"] = size * entry["docs"] // total_docs
    return {"shards": shards, "version": str(cluster.version), "metadata": index_metadata(index, full=True)}


def restore_chunk(cluster: "Cluster", body: dict[str, Any]) -> dict[str, Any]:
    """Documents visible at the copy point, in seq_no order after `after_seq_no`."""
    index = _index(cluster, body)
    limit = int(body["max_docs"])
    found = itertools.islice(
        index.store.visible_docs(int(body["shard"]), int(body["snapshot_seq_no"]), int(body["after_seq_no"]), batch=limit,
                                 raw=True), limit
    )
    docs = [[op.seq_no, op.doc_id, op.source, op.version, op.primary_term, op.routing] for op in found]
    return {"docs": docs, "done": len(docs) < limit}


# --- following --------------------------------------------------------------------------------


def shard_changes(cluster: "Cluster", body: dict[str, Any]) -> dict[str, Any]:
    """ShardChangesAction: operations from `from_seq_no` up to the global checkpoint, long-polling
    up to `poll_timeout_ms` when there is nothing new yet."""
    started = time.monotonic()
    index = _index(cluster, body)
    if not index.is_open:
        raise index_closed(index.name, index.uuid)
    shard = index.shards[int(body["shard"])]
    from_seq_no = int(body["from_seq_no"])
    deadline = started + int(body["poll_timeout_ms"]) / 1000
    with shard.changed:
        while shard.global_checkpoint < from_seq_no and not cluster.stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            shard.changed.wait(min(remaining, 1.0))
    checkpoint = shard.global_checkpoint
    ops: list[list[Any]] = []
    size = 0
    if from_seq_no <= checkpoint:
        ops, size = _operations(cluster, index, shard.shard_id, from_seq_no,
                                min(checkpoint, from_seq_no + int(body["max_operation_count"]) - 1), int(body["max_batch_size"]))
    return {
        "ops": ops,
        "bytes": size,
        "global_checkpoint": checkpoint,
        "max_seq_no": shard.max_seq_no,
        "mapping_version": index.mappings.version,
        "settings_version": index.settings_version,
        "aliases_version": index.aliases_version,
        "took_in_millis": int((time.monotonic() - started) * 1000),
    }


def _operations(cluster: "Cluster", index: "Index", shard: int, from_seq_no: int, to_seq_no: int,
                max_bytes: int) -> tuple[list[list[Any]], int]:
    """The full range or a size-bounded prefix of it; a hole means the history is gone."""
    held = index.store.changes(shard, from_seq_no, to_seq_no, raw=True)  # sources pass through as stored JSON text
    out: list[list[Any]] = []
    size = 0
    expected = from_seq_no
    for op in held:
        if op.seq_no != expected:
            raise _history_gone(cluster, index, shard, from_seq_no, to_seq_no,
                                f"expected seqno [{expected}]; found [{_describe(op)}]")
        out.append([op.seq_no, op.op, op.doc_id, op.source, op.version, op.primary_term, op.routing])
        size += _estimate(op)
        expected += 1
        if size > max_bytes:
            return out, size
    if expected <= to_seq_no:
        raise _history_gone(cluster, index, shard, from_seq_no, to_seq_no, f"prematurely terminated last_seen_seqno [{expected - 1}]")
    return out, size


def _estimate(op: Any) -> int:
    """Translog.Operation.estimateSize: ids count twice (UTF-16), plus the source and three longs."""
    source = len(op.source) if op.source is not None else 0  # the stored JSON text
    return 2 * len(op.doc_id or "") + source + 24


def _describe(op: Any) -> str:
    if op.op == OP_INDEX:
        return (f"Index{{id='{op.doc_id}', seqNo={op.seq_no}, primaryTerm={op.primary_term}, version={op.version}, "
                "autoGeneratedIdTimestamp=-1}")
    if op.op == OP_DELETE:
        return f"Delete{{id='{op.doc_id}', seqNo={op.seq_no}, primaryTerm={op.primary_term}, version={op.version}}}"
    return f"NoOp{{seqNo={op.seq_no}, primaryTerm={op.primary_term}, reason=''}}"


def _history_gone(cluster: "Cluster", index: "Index", shard: int, from_seq_no: int, to_seq_no: int, detail: str) -> EsError:
    missing = f"Not all operations between from_seqno [{from_seq_no}] and to_seqno [{to_seq_no}] found; {detail}"
    requested = [str(from_seq_no), str(to_seq_no)]
    if cluster.version.major < 8:
        cause = EsError(500, "illegal_state_exception", missing)
        return EsError(404, "resource_not_found_exception",
                       "Operations are no longer available for replicating. Maybe increase the retention setting "
                       "[index.soft_deletes.retention.operations]?", caused_by=cause, requested_operations_missing=requested)
    error = resource_not_found(
        f"Operations are no longer available for replicating. Existing retention leases [{leases.describe(cluster, index, shard)}]; "
        "maybe increase the retention lease period setting [index.soft_deletes.retention_lease.period]?"
    )
    error.metadata["requested_operations_missing"] = requested
    error.caused_by = EsError(500, "missing_history_operations_exception", missing)
    return error


def _lease(operation: Callable[..., None], cluster: "Cluster", body: dict[str, Any]) -> dict[str, Any]:
    index = _index(cluster, body)
    args = [index, int(body["shard"]), body["id"]]
    if "retaining_seq_no" in body:
        args.append(int(body["retaining_seq_no"]))
    operation(*args)
    return {}
