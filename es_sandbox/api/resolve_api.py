"""`_resolve/index` (7.9+) and `_resolve/cluster` (8.13+; without an expression from 8.18)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import resolve
from ..readers import time_param
from ..rest import RestRequest
from ..version import Version

if TYPE_CHECKING:
    from ..cluster import Cluster

_INDICES_OPTIONS = ("ignore_unavailable", "allow_no_indices", "expand_wildcards", "ignore_throttled")
_CLUSTER_INFO_ONLY_SINCE = Version.parse("8.18.0")


def register(cluster: "Cluster") -> None:
    resolve.register_transport_actions(cluster)
    route = cluster.router.route

    if cluster.version >= resolve.RESOLVE_INDEX_SINCE:
        @route("GET", "/_resolve/index/{name}", params=_INDICES_OPTIONS)
        def resolve_index(request: RestRequest) -> Any:
            name = request.path_params["name"]
            cluster.security.authorize_indices(request.principal, resolve.RESOLVE_INDEX_ACTION,
                                               [p for p in name.split(",") if ":" not in p])
            return resolve.resolve_index(cluster, name, request.param("expand_wildcards") or "open",
                                         request.bool_param("ignore_unavailable"))

    if cluster.version < resolve.RESOLVE_CLUSTER_SINCE:
        return
    since_818 = cluster.version >= _CLUSTER_INFO_ONLY_SINCE
    params = (*_INDICES_OPTIONS, *(("timeout",) if since_818 else ()))

    @route("GET", "/_resolve/cluster/{name}", params=params)
    def resolve_cluster(request: RestRequest) -> Any:
        name = request.path_params["name"]
        cluster.security.authorize_indices(request.principal, resolve.RESOLVE_CLUSTER_ACTION,
                                           [p for p in name.split(",") if ":" not in p])
        return resolve.resolve_cluster(cluster, name, _timeout(request))

    if since_818:
        @route("GET", "/_resolve/cluster", params=params)
        def resolve_all_clusters(request: RestRequest) -> Any:
            cluster.security.authorize_indices(request.principal, resolve.RESOLVE_CLUSTER_ACTION, [])
            return resolve.resolve_cluster(cluster, None, _timeout(request))


def _timeout(request: RestRequest) -> float | None:
    value = request.param("timeout")
    return time_param(value, "timeout") / 1000 if value else None
