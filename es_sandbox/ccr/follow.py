"""PUT /<follower>/_ccr/follow: the checks of TransportPutFollowAction, in its order, then the
follower's creation as a restore from the `_ccr_<alias>` repository.

The follower gets the leader's settings and mappings (the request's settings override the settings
CCR does not replicate) and the private `index.xpack.ccr.following_index` setting; the copy runs in
the background (`recovery`), and following starts when it is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import index_settings, licensing
from ..errors import illegal_argument
from ..version import Version
from . import errors as ccr_errors
from . import parameters, recovery, replicated
from .parameters import FollowParameters
from .remote import Leader

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..index import Index

PARSER = "indices:admin/xpack/ccr/put_follow"
_REQUEST_FIELDS = {"remote_cluster": "string", "leader_index": "string", "data_stream_name": "string", "settings": "object"}


@dataclass
class PutFollowRequest:
    follower_index: str
    remote_cluster: str
    leader_index: str
    settings: dict[str, str]
    params: FollowParameters


def parse_request(follower_index: str, body: Any, raw: bytes | None) -> PutFollowRequest:
    params, fields = parameters.parse(PARSER, body, raw, _REQUEST_FIELDS)
    data_stream = fields.get("data_stream_name")
    parameters.validate(
        params,
        "remote_cluster is missing" if fields.get("remote_cluster") is None else "",
        "leader_index is missing" if fields.get("leader_index") is None else "",
        "data stream name must contain text if present" if data_stream is not None and not data_stream.strip() else "",
    )
    return PutFollowRequest(follower_index, fields["remote_cluster"], fields["leader_index"],
                            replicated.flatten_plain(fields.get("settings")), params)


def parse_wait_for_active_shards(value: str | None) -> int | str:
    """ActiveShardCount.parseString; the default (and `default`) means none for put-follow."""
    if value is None or value == "default":
        return 0
    if value == "all":
        return "all"
    try:
        count = int(value)
    except ValueError:
        raise illegal_argument(f"cannot parse ActiveShardCount[{value}]") from None
    if count < 0:
        raise illegal_argument("shard count cannot be a negative value")
    return count


def ccr_allowed(cluster: "Cluster") -> bool:
    """CCR_FEATURE.check: an active platinum, enterprise or trial licence."""
    return licensing.available(licensing.current(cluster), "ccr")


def check_local_license(cluster: "Cluster") -> None:
    if not ccr_allowed(cluster):
        raise ccr_errors.license_non_compliant()


def create_follower(cluster: "Cluster", request: PutFollowRequest) -> "Index":
    """Validates against the leader and creates the follower index, ready for its initial copy."""
    check_local_license(cluster)
    leader = Leader(cluster, request.remote_cluster)
    state, meta = leader.leader_index(request.leader_index)
    if not meta["soft_deletes"]:
        raise illegal_argument(f"leader index [{request.leader_index}] does not have soft deletes enabled")
    replicated.check_overrides(request.settings, cluster.config.flavour, "follower index")
    alias = request.remote_cluster
    if Version.parse(state["version"]) > cluster.version:
        raise ccr_errors.leader_newer(alias, state["version"], cluster.version)
    existing = cluster.indices.get(request.follower_index)
    if existing is not None:
        _check_restorable_over(existing, meta, alias)
    private, overrides = _creation_settings(cluster, meta["settings"], request.settings)
    ccr_meta = {
        "remote_cluster": alias,
        "leader_index": meta["name"],
        "leader_index_uuid": meta["uuid"],
        "leader_cluster_name": state["cluster_name"],
        "leader_cluster_uuid": state["cluster_uuid"],
        "status": "recovering",
        "parameters": request.params.to_stored(),
    }
    with cluster.lock:
        if existing is not None:
            cluster.delete_index(existing)
        # A 6.x follower keeps the leader's type name; from 7.0 the same mapping is stored typeless.
        mapping_type = meta.get("mapping_type") if cluster.version.has_mapping_types else None
        follower = cluster.create_index(request.follower_index, overrides, meta["mappings"], dict(meta["aliases"]),
                                        private=private, ccr=ccr_meta, mapping_type=mapping_type)
        follower.recovery = recovery.initial_state(alias, meta["name"], state["version"])
        follower.persist()
    return follower


def _check_restorable_over(existing: "Index", leader_meta: dict[str, Any], alias: str) -> None:
    """RestoreService.validateExistingClosedIndex: only a closed index of the same shard count."""
    if existing.is_open:
        raise ccr_errors.snapshot_restore(
            alias, f"cannot restore index [{existing.name}] because an open index with same name already exists in the "
                   "cluster. Either close or delete the existing index or restore the index under a different name by "
                   "providing a rename pattern and replacement name")
    if existing.number_of_shards != leader_meta["number_of_shards"]:
        raise ccr_errors.snapshot_restore(
            alias, f"cannot restore index [{existing.name}] with [{existing.number_of_shards}] shards from a snapshot of "
                   f"index [{leader_meta['name']}] with [{leader_meta['number_of_shards']}] shards")


def _creation_settings(cluster: "Cluster", leader_settings: dict[str, str],
                       request_settings: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """(settings taken as the leader has them, request overrides validated like any new setting)."""
    overrides = index_settings.flatten(request_settings)  # the restore adds the `index.` prefix
    private = {k: v for k, v in leader_settings.items() if k not in overrides}
    private[replicated.FOLLOWING_INDEX] = "true"
    index_settings.validate_new(overrides, cluster.config.flavour)
    return private, overrides


def shards_acked(follower: "Index", wait_for: int | str) -> bool:
    """Whether `wait_for` copies of each shard can be active: a primary and, with two data nodes,
    at most one replica."""
    copies = 1 + min(follower.number_of_replicas, 1)
    wanted = 1 + follower.number_of_replicas if wait_for == "all" else wait_for
    return wanted <= copies
