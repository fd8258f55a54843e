"""Licensing: `GET/PUT/DELETE _license`, `POST _license/start_trial`, `GET _license/trial_status`,
`POST _license/start_basic`, `GET _license/basic_status`, `GET _xpack` and `GET _xpack/usage`.

Each `/_license...` path also answers as `/_xpack/license...` before 8.0 (deprecated on 7.x; see
xpack_paths). Answers follow Elasticsearch's RestPostStartTrialLicense / PostStartBasicResponse: without
`acknowledge=true` nothing changes and the acknowledgement messages come back (200); a trial already
used answers 403 "Operation failed: Trial was already activated."; a basic licence asked for again
answers 403 "Operation failed: Current license is basic.". A practice cluster cannot verify a signed
licence, so PUT _license reports every licence as invalid.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .. import errors, licensing, xpack_paths
from ..ccr import autofollow
from ..rest import RestRequest, RestResponse

if TYPE_CHECKING:
    from ..cluster import Cluster

_MASTER = ("master_timeout", "timeout")
_TRIAL_TYPES = ("gold", "platinum", "enterprise", "trial")


def _xpack_info(cluster: "Cluster", request: RestRequest) -> dict[str, Any]:
    record = licensing.current(cluster)
    categories = (request.param("categories") or "build,license,features").split(",")
    for category in categories:
        if category not in ("build", "license", "features", "_all"):
            raise errors.illegal_argument(f"Unknown info category [{category}]")
    wanted = {"build", "license", "features"} if "_all" in categories else set(categories)
    out: dict[str, Any] = {}
    if "build" in wanted:
        out["build"] = {"hash": cluster.version.build_hash, "date": cluster.version.build_info()["build_date"]}
    if "license" in wanted:
        lic = {"uid": record["uid"], "type": record["type"], "mode": record["type"], "status": licensing.status(record)}
        if record.get("expiry_date_in_millis") is not None:
            lic["expiry_date_in_millis"] = record["expiry_date_in_millis"]
        out["license"] = lic
    if "features" in wanted:
        out["features"] = {
            name: {"available": licensing.available(record, name),
                   "enabled": cluster.config.security if name == "security" else True}
            for name in sorted(licensing.FEATURES)
        }
    if request.bool_param("human", True):
        out["tagline"] = "You know, for X"
    return out


def _xpack_usage(cluster: "Cluster") -> dict[str, Any]:
    record = licensing.current(cluster)
    followers = [i for i in cluster.indices.values() if i.is_follower]
    ccr: dict[str, Any] = {
        "available": licensing.available(record, "ccr"),
        "enabled": True,
        "follower_indices_count": len(followers),
        "auto_follow_patterns_count": len(cluster.store.all(autofollow.KIND)),
    }
    if followers:
        ccr["last_follow_time_in_millis"] = min(
            max(0, int(time.time() * 1000) - int(i.setting("index.creation_date") or 0)) for i in followers)
    return {
        "security": {"available": licensing.available(record, "security"), "enabled": cluster.config.security},
        "ccr": ccr,
    }


def register(cluster: "Cluster") -> None:
    auth = cluster.security

    def route(methods, path, params=None, xpack_alias=True):
        def register_handler(handler):
            xpack_paths.add(cluster, methods, path, handler, params, xpack_alias)
            return handler

        return register_handler

    # accept_enterprise came with the enterprise licence type in 7.x; 6.x knows only `local`.
    @route("GET", "/_license", params=("local", "accept_enterprise") if cluster.version.major >= 7 else ("local",))
    def get_license(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:monitor/xpack/license/get")
        request.bool_param("local")
        request.bool_param("accept_enterprise")
        return {"license": licensing.license_json(cluster, licensing.current(cluster))}

    @route(("PUT", "POST"), "/_license", params=("acknowledge", *_MASTER))
    def put_license(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:admin/xpack/license/put")
        if not request.has_body:
            raise errors.illegal_argument("The license must be provided in the request body")
        body = request.json()
        if not isinstance(body, dict) or not ({"license", "licenses"} & set(body)):
            raise errors.EsError(400, "parse_exception", "failed to parse licenses expected a license object")
        request.bool_param("acknowledge")
        return {"acknowledged": True, "license_status": "invalid"}

    @route("DELETE", "/_license", params=_MASTER)
    def delete_license(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:admin/xpack/license/delete")
        licensing.install(cluster, "basic")
        return {"acknowledged": True}

    @route("POST", "/_license/start_trial", params=("acknowledge", "type", *_MASTER))
    def start_trial(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:admin/xpack/license/start_trial")
        kind = request.param("type", "trial") or "trial"
        acknowledged = request.bool_param("acknowledge")
        if kind not in _TRIAL_TYPES:
            raise errors.illegal_argument(
                f"Cannot start trial of type [{kind}]. Valid trial types are [{', '.join(_TRIAL_TYPES)}].")
        if not acknowledged:
            return {"acknowledged": False, "trial_was_started": False,
                    "error_message": "Operation failed: Needs acknowledgement.",
                    "acknowledge": {"message": licensing.TRIAL_ACK_HEADER, **licensing.TRIAL_ACK_MESSAGES}}
        if licensing.current(cluster)["trial_used"]:
            return RestResponse(403, {"acknowledged": True, "trial_was_started": False,
                                      "error_message": "Operation failed: Trial was already activated."})
        licensing.install(cluster, kind)
        return {"acknowledged": True, "trial_was_started": True, "type": kind}

    @route("GET", "/_license/trial_status", params=())
    def trial_status(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:admin/xpack/license/trial_status")
        return {"eligible_to_start_trial": not licensing.current(cluster)["trial_used"]}

    @route("POST", "/_license/start_basic", params=("acknowledge", *_MASTER))
    def start_basic(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:admin/xpack/license/start_basic")
        acknowledged = request.bool_param("acknowledge")
        record = licensing.current(cluster)
        if record["type"] == "basic":
            return RestResponse(403, {"acknowledged": True, "basic_was_started": False,
                                      "error_message": "Operation failed: Current license is basic."})
        if not acknowledged:
            return {"acknowledged": False, "basic_was_started": False,
                    "error_message": "Operation failed: Needs acknowledgement.",
                    "acknowledge": {"message": licensing.BASIC_ACK_HEADER, **licensing.basic_ack_messages()}}
        licensing.install(cluster, "basic")
        return {"acknowledged": True, "basic_was_started": True}

    @route("GET", "/_license/basic_status", params=())
    def basic_status(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:admin/xpack/license/basic_status")
        return {"eligible_to_start_basic": licensing.current(cluster)["type"] != "basic"}

    @route("GET", "/_xpack", params=("categories", "accept_enterprise"), xpack_alias=False)
    def xpack(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:monitor/xpack/info")
        request.bool_param("accept_enterprise")
        return _xpack_info(cluster, request)

    @route("GET", "/_xpack/usage", params=("master_timeout",), xpack_alias=False)
    def usage(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:monitor/xpack/usage")
        return _xpack_usage(cluster)
