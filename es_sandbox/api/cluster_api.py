"""`GET _cluster/health[/{index}]` (with the `wait_for_*` conditions) and `GET _cluster/state`.

Health waits like Elasticsearch: until every condition holds or `timeout` (30s) passes, then answers
200, or 408 with `timed_out: true`. Naming an index that does not exist is a condition too: the
answer is red and, once the timeout passes, 408.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from .. import cluster_state, errors, shard_routing
from ..humanize import Fields
from ..rest import RestRequest, RestResponse
from ..units import parse_time_millis
from ..version import Version

if TYPE_CHECKING:
    from ..cluster import Cluster

_HEALTH_PARAMS = ("expand_wildcards", "level", "local", "master_timeout", "timeout", "wait_for_active_shards",
                  "wait_for_events", "wait_for_nodes", "wait_for_no_initializing_shards",
                  "wait_for_no_relocating_shards", "wait_for_status")
_STATE_PARAMS = ("allow_no_indices", "expand_wildcards", "flat_settings", "ignore_unavailable", "local",
                 "master_timeout", "wait_for_metadata_version", "wait_for_timeout")
_PRIORITIES = ("immediate", "urgent", "high", "normal", "low", "languid")
_STATUS_RANK = {"green": 0, "yellow": 1, "red": 2}
_UNASSIGNED_PRIMARY_SINCE = Version.parse("8.16.0")


def _nodes_condition(spec: str) -> Any:
    match = re.fullmatch(r"(>=|<=|>|<|ge\(|le\(|gt\(|lt\()?\s*(\d+)\)?", spec.strip())
    if not match:
        raise errors.illegal_argument(f"failed to parse wait_for_nodes [{spec}]")
    op, n = (match.group(1) or "").rstrip("("), int(match.group(2))
    checks = {"": n.__eq__, ">=": n.__le__, "ge": n.__le__, "<=": n.__ge__, "le": n.__ge__,
              ">": n.__lt__, "gt": n.__lt__, "<": n.__gt__, "lt": n.__gt__}
    return checks[op]


class HealthRequest:
    """The parsed conditions of one health request."""

    def __init__(self, request: RestRequest) -> None:
        level = request.param("level", "cluster") or "cluster"
        if level not in ("cluster", "indices", "shards"):
            raise errors.illegal_argument(
                f"No enum constant org.elasticsearch.action.admin.cluster.health.ClusterHealthRequest.Level.{level.upper()}")
        self.level = level
        self.expression = request.path_params.get("index")
        self.expand = request.param("expand_wildcards", "all") or "all"
        self.timeout_ms = parse_time_millis(request.param("timeout", "30s") or "30s", "timeout")
        parse_time_millis(request.param("master_timeout", "30s") or "30s", "master_timeout")
        request.bool_param("local")
        status = request.param("wait_for_status")
        if status is not None and status not in _STATUS_RANK:
            raise errors.illegal_argument(f"unknown cluster health status [{status}]")
        self.wait_status = status
        events = request.param("wait_for_events")
        if events is not None and events.lower() not in _PRIORITIES:
            raise errors.illegal_argument(f"No priority for [{events}]")
        nodes = request.param("wait_for_nodes")
        self.wait_nodes = _nodes_condition(nodes) if nodes else None
        self.no_initializing = request.bool_param("wait_for_no_initializing_shards")
        self.no_relocating = request.bool_param("wait_for_no_relocating_shards")
        active = request.param("wait_for_active_shards")
        self.wait_active: str | None = None if active in (None, "", "0") else active
        if self.wait_active not in (None, "all") and not self.wait_active.isdigit():
            raise errors.illegal_argument(f"Failed to parse value [{self.wait_active}] for wait_for_active_shards")


def evaluate(cluster: "Cluster", req: HealthRequest) -> tuple[dict[str, Any], bool]:
    """The health numbers now, and whether every condition of the request holds."""
    missing = False
    if req.expression:
        try:
            indices = cluster.resolve(req.expression, expand_wildcards=req.expand, allow_no_indices=True)
        except errors.EsError:
            indices, missing = [], True
    else:
        indices = list(cluster.indices.values())
    health = shard_routing.cluster_health(cluster, indices)
    if missing:
        health["status"] = "red"
    met = not missing
    if req.wait_status is not None:
        met &= _STATUS_RANK[health["status"]] <= _STATUS_RANK[req.wait_status]
    if req.wait_nodes is not None:
        met &= req.wait_nodes(health["number_of_nodes"])
    if req.no_initializing:
        met &= health["initializing_shards"] == 0
    if req.wait_active == "all":
        met &= health["active_shards"] == health["active_shards"] + health["initializing_shards"] + health["unassigned_shards"]
    elif req.wait_active is not None:
        met &= health["active_shards"] >= int(req.wait_active)
    return health, met


def render_health(cluster: "Cluster", health: dict[str, Any], timed_out: bool, level: str, human: bool) -> dict[str, Any]:
    f = Fields(human).put("cluster_name", cluster.config.name).put("status", health["status"]).put("timed_out", timed_out)
    for key in ("number_of_nodes", "number_of_data_nodes", "active_primary_shards", "active_shards",
                "relocating_shards", "initializing_shards", "unassigned_shards"):
        f.put(key, health[key])
    if cluster.version >= _UNASSIGNED_PRIMARY_SINCE:
        f.put("unassigned_primary_shards", health["unassigned_primary_shards"])
    f.put("delayed_unassigned_shards", 0).put("number_of_pending_tasks", 0).put("number_of_in_flight_fetch", 0)
    f.millis("task_max_waiting_in_queue_millis", "task_max_waiting_in_queue", 0)
    if human:
        f.put("active_shards_percent", f"{health['active_shards_percent']:.1f}%")
    f.put("active_shards_percent_as_number", health["active_shards_percent"])
    out = f.out
    if level in ("indices", "shards"):
        out["indices"] = {name: _index_entry(cluster, h, level) for name, h in health["indices"].items()}
    return out


def _index_entry(cluster: "Cluster", h: dict[str, Any], level: str) -> dict[str, Any]:
    with_unassigned_primary = cluster.version >= _UNASSIGNED_PRIMARY_SINCE
    out = {k: v for k, v in h.items() if k != "shards" and (with_unassigned_primary or k != "unassigned_primary_shards")}
    if level == "shards":
        out["shards"] = {
            str(sid): {k: v for k, v in s.items() if with_unassigned_primary or k != "unassigned_primary_shards"}
            for sid, s in h["shards"].items()
        }
    return out


def register(cluster: "Cluster") -> None:
    route = cluster.router.route
    auth = cluster.security
    version = cluster_state.StateVersion(cluster)

    @route("GET", "/_cluster/health", params=_HEALTH_PARAMS)
    @route("GET", "/_cluster/health/{index}", params=_HEALTH_PARAMS)
    def health(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:monitor/health")
        req = HealthRequest(request)
        deadline = time.monotonic() + req.timeout_ms / 1000
        snapshot, met = evaluate(cluster, req)
        while not met and time.monotonic() < deadline and not cluster.stopping.is_set():
            cluster.stopping.wait(min(0.1, max(0.0, deadline - time.monotonic())))
            snapshot, met = evaluate(cluster, req)
        human = request.bool_param("human")
        body = render_health(cluster, snapshot, not met, req.level, human)
        return RestResponse(200 if met else 408, body)

    @route("GET", "/_cluster/state", params=_STATE_PARAMS)
    @route("GET", "/_cluster/state/{metric}", params=_STATE_PARAMS)
    @route("GET", "/_cluster/state/{metric}/{indices}", params=_STATE_PARAMS)
    def state(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:monitor/state")
        requested = (request.path_params.get("metric") or "_all").split(",")
        metrics = set(cluster_state.METRICS) if "_all" in requested else set(requested) & set(cluster_state.METRICS)
        expression = request.path_params.get("indices")
        if expression and expression != "_all":
            indices = cluster.resolve(
                expression,
                expand_wildcards=request.param("expand_wildcards", "open") or "open",
                ignore_unavailable=request.bool_param("ignore_unavailable", True),
                allow_no_indices=request.bool_param("allow_no_indices", True),
            )
        else:
            indices = sorted(cluster.indices.values(), key=lambda i: i.name)
        request.bool_param("local")
        parse_time_millis(request.param("master_timeout", "30s") or "30s", "master_timeout")
        return cluster_state.render(cluster, metrics, indices, request.bool_param("flat_settings"), version)
