"""Cross-cluster replication endpoints (`_ccr`): follow, pause, resume, unfollow, info, stats,
forget-follower and auto-follow patterns. The work is done by `es_sandbox.ccr`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import ccr as ccr_package
from ..ccr import follow, leases, parameters
from ..ccr.xcontent import parse_object
from ..errors import EsError, index_closed
from ..rest import RestRequest

if TYPE_CHECKING:
    from ..cluster import Cluster

_MASTER = ("master_timeout",)
_ACK = {"acknowledged": True}
_FORGET_FIELDS = {"follower_cluster": "string", "follower_index": "string", "follower_index_uuid": "string",
                  "leader_remote_cluster": "string"}


def _body(request: RestRequest, required: bool) -> tuple[Any, bytes | None]:
    """(parsed body or None, raw bytes for error locations); contentOrSourceParamParser's refusal."""
    if not request.has_body:
        if required:
            raise EsError(400, "parse_exception", "request body or source parameter is required")
        return None, None
    raw = request.body or request.params["source"].encode()
    return request.json(), raw


def register(cluster: "Cluster") -> None:
    route = cluster.router.route
    auth = cluster.security
    ccr = ccr_package.install(cluster)
    followers, patterns = ccr.followers, ccr.patterns

    # --- followers ------------------------------------------------------------------------------

    @route("PUT", "/{index}/_ccr/follow", params=("wait_for_active_shards", *_MASTER))
    def put_follow(request: RestRequest):
        name = request.path_params["index"]
        body, raw = _body(request, required=True)
        wait_for = follow.parse_wait_for_active_shards(request.param("wait_for_active_shards"))
        parsed = follow.parse_request(name, body, raw)
        auth.authorize_indices(request.principal, "indices:admin/xpack/ccr/put_follow", [name])
        return followers.put_follow(parsed, wait_for)

    @route("POST", "/{index}/_ccr/pause_follow", params=_MASTER)
    def pause_follow(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:admin/xpack/ccr/pause_follow")
        followers.pause(request.path_params["index"])
        return _ACK

    @route("POST", "/{index}/_ccr/resume_follow", params=_MASTER)
    def resume_follow(request: RestRequest):
        body, raw = _body(request, required=False)
        params = parameters.FollowParameters()
        if body is not None:
            params, _ = parameters.parse("cluster:admin/xpack/ccr/resume_follow", body, raw)
        parameters.validate(params)
        auth.authorize_cluster(request.principal, "cluster:admin/xpack/ccr/resume_follow")
        followers.resume(request.path_params["index"], params)
        return _ACK

    @route("POST", "/{index}/_ccr/unfollow", params=_MASTER)
    def unfollow(request: RestRequest):
        auth.authorize_indices(request.principal, "indices:admin/xpack/ccr/unfollow", [request.path_params["index"]])
        followers.unfollow(request.path_params["index"])
        return _ACK

    @route("GET", "/{index}/_ccr/info", params=_MASTER)
    def follow_info(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:monitor/ccr/follow_info")
        return followers.info(request.path_params["index"])

    @route("GET", "/{index}/_ccr/stats", params=("timeout",))
    def follow_stats(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:monitor/ccr/follow_stats")
        follow.check_local_license(cluster)
        names = [n for n in request.path_params["index"].split(",") if n]
        return followers.stats(None if names in (["_all"], ["*"]) else names, request.bool_param("human"))

    @route("GET", "/_ccr/stats", params=("timeout", *_MASTER))
    def ccr_stats(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:monitor/ccr/stats")
        follow.check_local_license(cluster)
        return {"auto_follow_stats": ccr.coordinator.stats(), "follow_stats": followers.stats(None, request.bool_param("human"))}

    # --- on the leader's cluster ----------------------------------------------------------------

    @route("POST", "/{index}/_ccr/forget_follower", params=("timeout",))
    def forget_follower(request: RestRequest):
        name = request.path_params["index"]
        body, raw = _body(request, required=True)
        fields = parse_object("indices:admin/xpack/ccr/forget_follower", body, raw, _FORGET_FIELDS)
        if any(fields.get(key) is None for key in _FORGET_FIELDS):
            raise EsError(500, "null_pointer_exception", None)  # the request's constructor requires every field
        index = cluster.resolve(name, allow_no_indices=False)[0]
        auth.authorize_indices(request.principal, "indices:admin/xpack/ccr/forget_follower", [index.name])
        if not index.is_open:
            raise index_closed(index.name, index.uuid)
        return leases.forget_follower(index, fields, index.name)

    # --- auto-follow patterns -------------------------------------------------------------------

    @route("PUT", "/_ccr/auto_follow/{name}", params=_MASTER)
    def put_pattern(request: RestRequest):
        body, raw = _body(request, required=True)
        auth.authorize_cluster(request.principal, "cluster:admin/xpack/ccr/auto_follow_pattern/put")
        patterns.put(request.path_params["name"], body, raw)
        return _ACK

    @route("GET", "/_ccr/auto_follow", params=_MASTER)
    @route("GET", "/_ccr/auto_follow/{name}", params=_MASTER)
    def get_patterns(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:admin/xpack/ccr/auto_follow_pattern/get")
        return patterns.render(request.path_params.get("name"))

    @route("DELETE", "/_ccr/auto_follow/{name}", params=_MASTER)
    def delete_pattern(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:admin/xpack/ccr/auto_follow_pattern/delete")
        patterns.delete(request.path_params["name"])
        return _ACK

    @route("POST", "/_ccr/auto_follow/{name}/pause", params=_MASTER)
    def pause_pattern(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:admin/xpack/ccr/auto_follow_pattern/activate")
        patterns.activate(request.path_params["name"], False)
        return _ACK

    @route("POST", "/_ccr/auto_follow/{name}/resume", params=_MASTER)
    def resume_pattern(request: RestRequest):
        auth.authorize_cluster(request.principal, "cluster:admin/xpack/ccr/auto_follow_pattern/activate")
        patterns.activate(request.path_params["name"], True)
        return _ACK

