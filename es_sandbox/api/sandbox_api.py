"""Controls of the practice clusters themselves, under `/_sandbox/` (not Elasticsearch APIs):
faults on the link to another cluster, for rehearsals and tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import errors
from ..rest import RestRequest

if TYPE_CHECKING:
    from ..cluster import Cluster


def register(cluster: "Cluster") -> None:
    route = cluster.router.route

    @route("GET", "/_sandbox/faults", params=())
    def faults(request: RestRequest):
        return {"faults": dict(cluster.transport.faults)}

    @route("PUT", "/_sandbox/faults/{peer}", params=())
    def cut(request: RestRequest):
        cluster.security.authorize_cluster(request.principal, "cluster:admin/sandbox/faults")
        mode = (request.json() or {}).get("mode", "refuse")
        if mode not in ("refuse", "blackhole"):
            raise errors.illegal_argument(f"mode must be [refuse] or [blackhole], got [{mode}]")
        cluster.transport.faults[request.path_params["peer"]] = mode
        cluster.notify("link_cut", request.path_params["peer"])
        return {"acknowledged": True, "peer": request.path_params["peer"], "mode": mode}

    @route("DELETE", "/_sandbox/faults/{peer}", params=())
    def heal(request: RestRequest):
        cluster.security.authorize_cluster(request.principal, "cluster:admin/sandbox/faults")
        cluster.transport.faults.pop(request.path_params["peer"], None)
        cluster.notify("link_healed", request.path_params["peer"])
        return {"acknowledged": True, "peer": request.path_params["peer"]}
