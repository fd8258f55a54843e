"""`GET/PUT _cluster/settings` and `GET _remote/info`.

Updating remote settings (re)connects the changed remotes before the answer, as Elasticsearch's
cluster-state applier does (up to 10s each); `_remote/info` shows the connections as they are.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .. import cluster_settings, remote_clusters
from ..rest import RestRequest, RestResponse

if TYPE_CHECKING:
    from ..cluster import Cluster

TRANSIENT_DEPRECATION = (
    "[transient settings removal] Updating cluster settings through transient settings is deprecated. Some Elastic "
    "products may make use of transient settings and those should not be changed. Any custom use of transient "
    "settings should be replaced by persistent settings."
)


def _warning_header(cluster: "Cluster", messages: list[str]) -> dict[str, str]:
    if not messages:
        return {}
    prefix = f"299 Elasticsearch-{cluster.version}-{cluster.version.build_hash}"
    quoted = ['"' + m.replace("\\", "\\\\").replace('"', '\\"') + '"' for m in messages]
    return {"Warning": ", ".join(f"{prefix} {q}" for q in quoted)}


def register(cluster: "Cluster") -> None:
    remotes = remote_clusters.register(cluster)
    route = cluster.router.route
    update_lock = threading.Lock()  # one settings update at a time, as on the elected master

    @route("GET", "/_cluster/settings", params=("flat_settings", "include_defaults", "master_timeout", "local"))
    def get_settings(request: RestRequest):
        cluster.security.authorize_cluster(request.principal, "cluster:monitor/settings")
        flat = request.bool_param("flat_settings")
        include_defaults = request.bool_param("include_defaults")
        request.bool_param("local")
        current = cluster.cluster_settings()
        body = {
            "persistent": cluster_settings.render(current["persistent"], flat),
            "transient": cluster_settings.render(current["transient"], flat),
        }
        if include_defaults:
            body["defaults"] = cluster_settings.render(
                cluster_settings.defaults(cluster.config.name, current["persistent"], current["transient"], cluster.version),
                flat,
            )
        return body

    @route("PUT", "/_cluster/settings", params=("flat_settings", "timeout", "master_timeout"))
    def put_settings(request: RestRequest):
        cluster.security.authorize_cluster(request.principal, "cluster:admin/settings/update")
        flat = request.bool_param("flat_settings")
        source = request.json(required=True)
        source = source if isinstance(source, dict) else {}
        # 7.16 deprecated transient settings and undid it before release (#80570); 8.x warns.
        warnings = [TRANSIENT_DEPRECATION] if source.get("transient") and cluster.version.major >= 8 else []
        with update_lock:
            current = cluster.cluster_settings()
            outcome = cluster_settings.update(
                current["persistent"], current["transient"], source.get("persistent"), source.get("transient"),
                cluster.version,
            )
            # Saving notifies the remote cluster service, which reconnects changed remotes.
            cluster.save_cluster_settings(outcome.persistent, outcome.transient)
        warnings += [
            f"[{key}] setting was deprecated in Elasticsearch and will be removed in a future release."
            for key in outcome.deprecated_keys()
        ]
        body = {
            "acknowledged": True,
            "persistent": cluster_settings.render(outcome.persistent_updates, flat),
            "transient": cluster_settings.render(outcome.transient_updates, flat),
        }
        return RestResponse(200, body, headers=_warning_header(cluster, warnings))

    @route("GET", "/_remote/info", params=())
    def remote_info(request: RestRequest):
        cluster.security.authorize_cluster(request.principal, "cluster:monitor/remote/info")
        return remotes.info()
