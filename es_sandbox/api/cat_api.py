"""The _cat APIs the practice clusters serve: `_cat` (listing), nodes, indices, shards, count, health,
recovery and aliases, rendered by the cat table engine (cat_table.py) with Elasticsearch 8's columns."""

from __future__ import annotations

import fnmatch
import os
import time
from typing import TYPE_CHECKING

from .. import cat_columns as cols
from .. import errors, node_metrics, recovery_states, shard_routing, shard_stats
from ..cat_table import COMMON_PARAMS, ByteSize, Duration, Table, respond
from ..humanize import iso_millis
from ..rest import RestRequest, RestResponse
from ..version import Version

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..index import Index

_RESOLVE = ("expand_wildcards", "ignore_unavailable", "allow_no_indices")
_ROLE_LETTERS = {"data": "d", "data_cold": "c", "data_content": "s", "data_frozen": "f", "data_hot": "h",
                 "data_warm": "w", "ingest": "i", "master": "m", "ml": "l", "remote_cluster_client": "r",
                 "transform": "t", "voting_only": "v"}
_DATASET_SINCE = Version.parse("8.7.0")
_UNASSIGNED_PRIMARY_SINCE = Version.parse("8.16.0")


def _resolve(cluster: "Cluster", request: RestRequest, default_expand: str) -> list["Index"]:
    return cluster.resolve(
        request.path_params.get("index"),
        expand_wildcards=request.param("expand_wildcards", default_expand) or default_expand,
        ignore_unavailable=request.bool_param("ignore_unavailable"),
        allow_no_indices=request.bool_param("allow_no_indices", True),
    )


def nodes_table(cluster: "Cluster", full_id: bool) -> Table:
    table = Table(cols.node_columns())
    config = cluster.config
    master = shard_routing.master_node(config)
    numbers = shard_stats.per_node(cluster)
    disk = node_metrics.disk(config.data_dir)
    ram_total, ram_free = node_metrics.memory()
    load = node_metrics.load_average()
    heap = node_metrics.heap_used()
    fds, fd_max = node_metrics.open_file_descriptors(), node_metrics.max_file_descriptors()
    http = config.http_url.removeprefix("http://")
    for node in config.nodes:
        used = disk.total - disk.available
        table.add_row(
            node.id if full_id else node.id[:4], os.getpid(), node.transport_host, node.transport_port, http,
            str(cluster.version), "default", "tar", cluster.version.build_hash,
            node_metrics.JVM_VERSION,
            ByteSize(disk.total), ByteSize(used), ByteSize(disk.available),
            f"{100.0 * used / disk.total:.2f}" if disk.total else "100.00",
            ByteSize(heap), node_metrics.percent(heap, node_metrics.HEAP_MAX), ByteSize(node_metrics.HEAP_MAX),
            ByteSize(ram_total - ram_free), node_metrics.percent(ram_total - ram_free, ram_total), ByteSize(ram_total),
            fds, node_metrics.percent(fds, fd_max), fd_max,
            str(node_metrics.cpu_percent()),
            *[None if v < 0 else f"{v:.2f}" for v in load],
            Duration(node_metrics.uptime_millis(cluster.started_at)),
            "".join(sorted(_ROLE_LETTERS.get(r, "") for r in node.roles)) or "-",
            "*" if node.id == master.id else "-",
            node.name,
            *cols.stat_values(numbers[node.id], cols.node_stat_names()),
        )
    return table


def indices_table(cluster: "Cluster", indices: list["Index"], health_filter: str | None) -> Table:
    table = Table(cols.index_columns(cluster.version >= _DATASET_SINCE))
    stat_names = [name for name, *_ in cols.STATS]
    for index in indices:
        health = shard_routing.index_health(cluster.config, index)
        if health_filter is not None and health["status"] != health_filter:
            continue
        numbers = shard_stats.measure(index) if index.is_open else None
        primaries = shard_stats.total(numbers) if numbers is not None else None
        active_copies = health["active_shards"] // max(1, index.number_of_shards)
        store = ByteSize(primaries.store_bytes * active_copies) if primaries else None
        created = int(index.setting("index.creation_date") or 0)
        row = [
            health["status"], "open" if index.is_open else "close", index.name, index.uuid,
            index.number_of_shards, index.number_of_replicas,
            primaries.docs if primaries else None, primaries.deleted if primaries else None,
            created, iso_millis(created),
            store, ByteSize(primaries.store_bytes) if primaries else None,
        ]
        if cluster.version >= _DATASET_SINCE:
            row.append(store)
        totals = cols.stat_values(_scaled(primaries, active_copies), stat_names)
        for total_value, primary_value in zip(totals, cols.stat_values(primaries, stat_names)):
            row += [total_value, primary_value]
        table.add_row(*row)
    return table


def _scaled(n: shard_stats.ShardNumbers | None, copies: int) -> shard_stats.ShardNumbers | None:
    if n is None:
        return None
    return shard_stats.total([n] * copies)


def shards_table(cluster: "Cluster", indices: list["Index"]) -> Table:
    table = Table(cols.SHARDS)
    now = int(time.time() * 1000)
    for index in indices:
        numbers = shard_stats.measure(index) if index.is_open else None
        for copy in shard_routing.copies(cluster.config, index):
            n = numbers[copy.shard] if numbers is not None and copy.active else None
            created = int(index.setting("index.creation_date") or 0)
            unassigned = copy.state != "STARTED"
            recovery = shard_routing.recovery_of(index, copy.shard)
            source = (recovery["type"] if copy.primary else "PEER").lower() if unassigned else None
            path = f"{cluster.config.data_dir}/indices/{index.uuid}/{copy.shard}" if copy.node else None
            table.add_row(
                index.name, copy.shard, "p" if copy.primary else "r", copy.state,
                n.docs if n else None, ByteSize(n.store_bytes) if n else None, ByteSize(n.store_bytes) if n else None,
                copy.node.transport_host if copy.node else None, copy.node.id if copy.node else None,
                copy.node.name if copy.node else None, None,
                copy.unassigned_reason if unassigned else None,
                iso_millis(created) if unassigned else None,
                Duration(max(0, now - created)) if unassigned else None, None, source,
                n.max_seq_no if n else None, n.global_checkpoint if n else None, n.global_checkpoint if n else None,
                path, path,
            )
    return table


def health_table(cluster: "Cluster") -> Table:
    with_unassigned_primary = cluster.version >= _UNASSIGNED_PRIMARY_SINCE
    columns = cols.HEALTH + ([cols.HEALTH_UNASSIGNED_PRIMARY] if with_unassigned_primary else []) + cols.HEALTH_TAIL
    table = Table(columns, with_timestamp=True)
    h = shard_routing.cluster_health(cluster, list(cluster.indices.values()))
    row = [cluster.config.name, h["status"], h["number_of_nodes"], h["number_of_data_nodes"], h["active_shards"],
           h["active_primary_shards"], h["relocating_shards"], h["initializing_shards"], h["unassigned_shards"]]
    if with_unassigned_primary:
        row.append(h["unassigned_primary_shards"])
    table.add_row(*row, 0, "-", f"{h['active_shards_percent']:.1f}%")
    return table


def recovery_table(cluster: "Cluster", indices: list["Index"], active_only: bool) -> Table:
    table = Table(cols.RECOVERY)
    for index in indices:
        for s in recovery_states.states(cluster, index):
            if active_only and s.done:
                continue
            table.add_row(
                index.name, s.shard, iso_millis(s.start_ms), s.start_ms, iso_millis(s.stop_ms), s.stop_ms,
                Duration(s.time_ms), s.type.lower(), s.stage.lower(),
                s.source_node.transport_host if s.source_node else "n/a", s.source_node.name if s.source_node else "n/a",
                s.target_node.transport_host, s.target_node.name,
                s.source.get("repository", "n/a") if s.type == "SNAPSHOT" else "n/a",
                s.source.get("snapshot", "n/a") if s.type == "SNAPSHOT" else "n/a",
                s.files_total, s.files_recovered, s.files_percent(), s.files_total,
                ByteSize(s.bytes_total), ByteSize(s.bytes_recovered), s.bytes_percent(), ByteSize(s.bytes_total),
                s.translog_total, s.translog_recovered, s.translog_percent(),
            )
    return table


def aliases_table(cluster: "Cluster", names: str | None) -> Table:
    table = Table(cols.ALIASES)
    patterns = names.split(",") if names else ["*"]
    for index in sorted(cluster.indices.values(), key=lambda i: i.name):
        for alias, spec in sorted(index.aliases.items()):
            if not any(fnmatch.fnmatchcase(alias, p) for p in patterns):
                continue
            routing = spec.get("routing")
            table.add_row(
                alias, index.name, "*" if spec.get("filter") else "-",
                spec.get("index_routing", routing) or "-", spec.get("search_routing", routing) or "-",
                "-" if spec.get("is_write_index") is None else spec["is_write_index"],
            )
    return table


def register(cluster: "Cluster") -> None:
    route = cluster.router.route
    auth = cluster.security

    @route("GET", "/_cat", params=())
    def root(request: RestRequest):
        return RestResponse(200, cols.CAT_ROOT)

    @route("GET", "/_cat/nodes", params=(*COMMON_PARAMS, "full_id", "include_unloaded_segments"))
    def nodes(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:monitor/nodes/stats")
        request.bool_param("include_unloaded_segments")
        return respond(nodes_table(cluster, request.bool_param("full_id")), request)

    @route("GET", "/_cat/indices", params=(*COMMON_PARAMS, *_RESOLVE, "health", "include_unloaded_segments"))
    @route("GET", "/_cat/indices/{index}", params=(*COMMON_PARAMS, *_RESOLVE, "health", "include_unloaded_segments"))
    def indices(request: RestRequest):
        health = request.param("health")
        if health is not None and health not in ("green", "yellow", "red"):
            raise errors.illegal_argument(f"unknown cluster health status [{health}]")
        chosen = _resolve(cluster, request, "open,closed")
        auth.authorize_indices(request.principal, "indices:monitor/settings/get", [i.name for i in chosen])
        return respond(indices_table(cluster, chosen, health), request)

    @route("GET", "/_cat/shards", params=COMMON_PARAMS)
    @route("GET", "/_cat/shards/{index}", params=COMMON_PARAMS)
    def shards(request: RestRequest):
        chosen = _resolve(cluster, request, "open,closed")
        auth.authorize_indices(request.principal, "indices:monitor/stats", [i.name for i in chosen])
        return respond(shards_table(cluster, chosen), request)

    @route("GET", "/_cat/count", params=COMMON_PARAMS)
    @route("GET", "/_cat/count/{index}", params=COMMON_PARAMS)
    def count(request: RestRequest):
        chosen = _resolve(cluster, request, "open")
        auth.authorize_indices(request.principal, "indices:data/read/search", [i.name for i in chosen])
        table = Table(cols.COUNT, with_timestamp=True)
        table.add_row(sum(shard_stats.total(shard_stats.measure(i)).docs for i in chosen if i.is_open))
        return respond(table, request)

    @route("GET", "/_cat/health", params=COMMON_PARAMS)
    def health(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:monitor/health")
        return respond(health_table(cluster), request)

    @route("GET", "/_cat/recovery", params=(*COMMON_PARAMS, *_RESOLVE, "active_only", "detailed"))
    @route("GET", "/_cat/recovery/{index}", params=(*COMMON_PARAMS, *_RESOLVE, "active_only", "detailed"))
    def recovery(request: RestRequest):
        chosen = _resolve(cluster, request, "open")
        auth.authorize_indices(request.principal, "indices:monitor/recovery", [i.name for i in chosen])
        request.bool_param("detailed")
        return respond(recovery_table(cluster, chosen, request.bool_param("active_only")), request)

    @route("GET", "/_cat/aliases", params=(*COMMON_PARAMS, "expand_wildcards"))
    @route("GET", "/_cat/aliases/{name}", params=(*COMMON_PARAMS, "expand_wildcards"))
    def aliases(request: RestRequest):
        auth.authorize_indices(request.principal, "indices:admin/aliases/get", sorted(cluster.alias_names()))
        request.param("expand_wildcards")
        return respond(aliases_table(cluster, request.path_params.get("name")), request)
