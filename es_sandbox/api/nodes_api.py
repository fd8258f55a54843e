"""`GET _nodes[/{node_id}][/{metric}]` and `GET _nodes[/{node_id}]/stats[/{metric}[/{index_metric}]]`.

As in Elasticsearch, a single path segment after `_nodes` is read as metrics when every value is a
known metric, and as node ids otherwise; unknown metrics in a metric position are refused with
"request [...] contains unrecognized metric".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import errors, node_info, shard_stats
from ..rest import RestRequest
from ..suggest import unrecognized

if TYPE_CHECKING:
    from ..cluster import Cluster

_INFO_PARAMS = ("flat_settings", "timeout", "master_timeout")
_STATS_PARAMS = ("completion_fields", "fielddata_fields", "fields", "groups", "level", "types", "timeout",
                 "include_segment_file_sizes", "include_unloaded_segments")


def _metrics(request: RestRequest, value: str | None, known: tuple[str, ...], detail: str = "metric") -> set[str]:
    if value is None:
        return set(known)
    names = set(value.split(","))
    invalid = names - set(known) - {"_all"}
    if invalid:
        raise errors.illegal_argument(unrecognized(request.path, invalid, known, detail))
    if "_all" in names:
        if len(names) > 1:
            raise errors.illegal_argument(
                f"request [{request.path}] contains _all and individual metrics [{','.join(sorted(names))}]")
        return set(known)
    return names


def _envelope(cluster: "Cluster", count: int, nodes: dict) -> dict:
    return {"_nodes": {"total": count, "successful": count, "failed": 0}, "cluster_name": cluster.config.name,
            "nodes": nodes}


def register(cluster: "Cluster") -> None:
    route = cluster.router.route
    auth = cluster.security

    @route("GET", "/_nodes", params=_INFO_PARAMS)
    @route("GET", "/_nodes/{node_id}", params=_INFO_PARAMS)
    @route("GET", "/_nodes/{node_id}/{metric}", params=_INFO_PARAMS)
    def nodes_info(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:monitor/nodes/info")
        node_spec, metric_spec = request.path_params.get("node_id"), request.path_params.get("metric")
        if node_spec is not None and metric_spec is None and set(node_spec.split(",")) <= {*node_info.INFO_METRICS, "_all"}:
            node_spec, metric_spec = None, node_spec
        metrics = _metrics(request, metric_spec, node_info.INFO_METRICS)
        request.bool_param("flat_settings")
        human = request.bool_param("human")
        chosen = node_info.selected(cluster, node_spec)
        return _envelope(cluster, len(chosen), {n.id: node_info.info(cluster, n, metrics, human) for n in chosen})

    @route("GET", "/_nodes/stats", params=_STATS_PARAMS)
    @route("GET", "/_nodes/stats/{metric}", params=_STATS_PARAMS)
    @route("GET", "/_nodes/stats/{metric}/{index_metric}", params=_STATS_PARAMS)
    @route("GET", "/_nodes/{node_id}/stats", params=_STATS_PARAMS)
    @route("GET", "/_nodes/{node_id}/stats/{metric}", params=_STATS_PARAMS)
    @route("GET", "/_nodes/{node_id}/stats/{metric}/{index_metric}", params=_STATS_PARAMS)
    def nodes_stats(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:monitor/nodes/stats")
        metrics = _metrics(request, request.path_params.get("metric"), node_info.STATS_METRICS)
        index_spec = request.path_params.get("index_metric")
        if index_spec is not None and "indices" not in metrics:
            raise errors.illegal_argument(
                f"request [{request.path}] contains index metrics [{index_spec}] but indices stats not requested")
        index_metrics = _metrics(request, index_spec, tuple(shard_stats.METRICS), "index metric")
        level = request.param("level", "node") or "node"
        if level not in ("node", "indices", "shards"):
            raise errors.illegal_argument(f"level parameter must be one of [node] or [indices] or [shards] but was [{level}]")
        human = request.bool_param("human")
        per_node = shard_stats.per_node(cluster)
        chosen = node_info.selected(cluster, request.path_params.get("node_id"))
        return _envelope(cluster, len(chosen), {
            n.id: node_info.stats(cluster, n, metrics, per_node[n.id], index_metrics, human) for n in chosen
        })
