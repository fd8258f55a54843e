"""`GET /` and `HEAD /`: who the cluster is, as the official clients read it before anything else."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..cluster import Cluster


def register(cluster: "Cluster") -> None:
    @cluster.router.route("GET", "/", params=())
    def root(request):
        master = next(n for n in cluster.config.nodes if "master" in n.roles)
        return {
            "name": master.name,
            "cluster_name": cluster.config.name,
            "cluster_uuid": cluster.config.cluster_uuid,
            "version": cluster.version.build_info(),
            "tagline": "You Know, for Search",
        }
