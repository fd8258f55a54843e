"""Cross-cluster replication operations, each idempotent and each reading live state first.

Every function takes connected `Cluster` objects and returns an `OpResult`: `changed=False` with the
reason when the state was already right, so a notebook cell can be re-run safely. Followers are
identified by the uuid of the index they follow, not only its name: a leader deleted and re-created
under the same name is a different index, and following it again needs a new follower.
Destructive operations (unfollow) re-read their preconditions immediately before acting.

Index and remote-cluster operations live in `index_ops` and `remote_clusters`; they are re-exported
here so that notebooks import every operation from one place.
"""

from __future__ import annotations

from typing import Any, Mapping

from .connection import Cluster
from .errors import UnsafeState
from .index_ops import close_index, index_state, index_uuid, open_index, set_write_block
from .index_parameters import AutoFollowPattern
from .op_result import OpResult, send, unchanged
from .remote_clusters import ensure_remote, remote_info, remote_settings, remove_remote, restore_remote

__all__ = [
    "OpResult", "close_index", "delete_auto_follow", "ensure_auto_follow", "ensure_remote", "follow", "follow_body",
    "follow_stats", "follower_info", "forget_follower", "index_state", "index_uuid", "open_index", "pause",
    "recorded_leader_uuid", "remote_info", "remote_settings", "remove_remote", "restore_remote", "resume", "retention_leases", "set_write_block",
    "unfollow",
]


def follower_info(local: Cluster, follower: str) -> dict[str, Any] | None:
    """`follower_indices[0]` of `<follower>/_ccr/info`; None when the index is missing or not a follower."""
    answer = local.request("GET", f"/{follower}/_ccr/info", ignore=(404,))
    for entry in (answer.body or {}).get("follower_indices", []) if answer.status == 200 else ():
        if entry.get("follower_index") == follower:
            return dict(entry)
    return None


def follow_stats(local: Cluster, follower: str) -> dict[str, Any] | None:
    """`indices[0]` of `<follower>/_ccr/stats`; None when it has no follow task (missing, paused, plain)."""
    answer = local.request("GET", f"/{follower}/_ccr/stats", ignore=(404,))
    for entry in (answer.body or {}).get("indices", []) if answer.status == 200 else ():
        if entry.get("index") == follower:
            return dict(entry)
    return None


def recorded_leader_uuid(local: Cluster, follower: str) -> str | None:
    """The leader uuid the follower was created from (its `ccr` index metadata), when readable."""
    answer = local.request("GET", f"/_cluster/state/metadata/{follower}", ignore=(400, 404))
    index = ((answer.body or {}).get("metadata", {}).get("indices", {}) or {}).get(follower, {})
    return (index.get("ccr") or {}).get("leader_index_uuid")


def follow(local: Cluster, leader: str, follower: str, alias: str, settings: Mapping[str, Any], *,
           leader_uuid: str | None = None) -> OpResult:
    """`PUT <follower>/_ccr/follow`; no-op when `follower` already follows `alias:leader`.

    With `leader_uuid` (read from the remote), an existing follower must also have been created
    from that very leader index. The call returns before the initial copy is done (the default
    `wait_for_active_shards` is 0): wait for it with the follower's `_recovery` and `_ccr/stats`.
    """
    state = index_state(local, follower)
    if state is not None:
        info = follower_info(local, follower)
        if info is None or info.get("remote_cluster") != alias or info.get("leader_index") != leader:
            what = "a plain index" if info is None else f"a follower of {info.get('remote_cluster')}:{info.get('leader_index')}"
            raise UnsafeState(f"follow {alias}:{leader} as {follower}",
                              f"{follower} ({state.uuid}) already exists on the local cluster as {what}",
                              "choose another follower name in the parameters, or delete that index if it is "
                              "not needed")
        recorded = recorded_leader_uuid(local, follower)
        if leader_uuid and recorded and recorded != leader_uuid:
            raise UnsafeState(f"follow {alias}:{leader} as {follower}",
                              f"{follower} was created from leader uuid {recorded}, but {leader} is now {leader_uuid} "
                              "(the leader was re-created)",
                              "recreate the follower: pause, close and delete it, then follow again")
        matched = f"leader uuid {recorded}" if recorded else "leader name (its uuid is not readable here)"
        return unchanged("follow", f"{follower} ({state.uuid}) already follows {alias}:{leader}, "
                                   f"status {info.get('status')}; matched by {matched}")
    return send(local, "follow", "PUT", f"/{follower}/_ccr/follow",
                f"created {follower} following {alias}:{leader}; the initial copy runs in the background",
                body=follow_body(leader, alias, settings))


def follow_body(leader: str, alias: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    return {"remote_cluster": alias, "leader_index": leader, **dict(settings)}


def _follower(local: Cluster, follower: str, action: str) -> dict[str, Any] | None:
    """The follower's `_ccr/info` entry; raise when the index does not exist at all."""
    if index_state(local, follower) is None:
        raise UnsafeState(f"{action} {follower}", f"index [{follower}] does not exist on the local cluster",
                          "check the follower name in the parameters, and that 03_follow ran")
    return follower_info(local, follower)


def pause(local: Cluster, follower: str) -> OpResult:
    info = _follower(local, follower, "pause")
    if info is None:
        return unchanged("pause", f"{follower} is not a follower index (already unfollowed): nothing follows")
    if info.get("status") == "paused":
        return unchanged("pause", f"{follower} is already paused")
    return send(local, "pause", "POST", f"/{follower}/_ccr/pause_follow", f"paused {follower}")


def resume(local: Cluster, follower: str, settings: Mapping[str, Any] | None = None) -> OpResult:
    info = _follower(local, follower, "resume")
    if info is None:
        raise UnsafeState(f"resume {follower}", f"{follower} is not a follower index any more (it was unfollowed)",
                          "a promoted index cannot follow again: re-create the follower with 03_follow")
    if info.get("status") == "active":
        return unchanged("resume", f"{follower} is already following {info.get('remote_cluster')}:"
                                   f"{info.get('leader_index')}")
    return send(local, "resume", "POST", f"/{follower}/_ccr/resume_follow", f"resumed {follower}",
                body=dict(settings) if settings else None)


def unfollow(local: Cluster, follower: str) -> OpResult:
    """Turn a paused, closed follower into a plain index. Irreversible: re-reads state just before."""
    state = index_state(local, follower)
    if state is None:
        raise UnsafeState(f"unfollow {follower}", f"index [{follower}] does not exist on the local cluster",
                          "check the follower name in the parameters")
    info = follower_info(local, follower)
    if info is None:
        return unchanged("unfollow", f"{follower} ({state.uuid}) is already a plain index")
    problems = []
    if info.get("status") != "paused":
        problems.append("it is still following (pause it first)")
    if not state.closed:
        problems.append("it is open (close it first)")
    if problems and not local.dry_run:
        raise UnsafeState(f"unfollow {follower}", f"{follower} ({state.uuid}): " + " and ".join(problems),
                          "run the pause and close cells first, then unfollow")
    # In a dry run the pause and close before it were shown, not sent: show the unfollow too.
    return send(local, "unfollow", "POST", f"/{follower}/_ccr/unfollow",
                f"{follower} ({state.uuid}) is now a plain index; it no longer follows "
                f"{info.get('remote_cluster')}:{info.get('leader_index')}")


def auto_follow_pattern(local: Cluster, name: str) -> dict[str, Any] | None:
    answer = local.request("GET", f"/_ccr/auto_follow/{name}", ignore=(404,))
    for entry in (answer.body or {}).get("patterns", []) if answer.status == 200 else ():
        if entry.get("name") == name:
            return dict(entry.get("pattern") or {})
    return None


def ensure_auto_follow(local: Cluster, pattern: AutoFollowPattern, alias: str,
                       settings: Mapping[str, Any]) -> OpResult:
    """Create or update the auto-follow pattern; it follows only leader indices created after it."""
    body: dict[str, Any] = {"remote_cluster": alias,
                            "leader_index_patterns": list(pattern.leader_index_patterns),
                            "follow_index_pattern": pattern.follow_index_pattern, **dict(settings)}
    if pattern.leader_index_exclusion_patterns:
        body["leader_index_exclusion_patterns"] = list(pattern.leader_index_exclusion_patterns)
    current = auto_follow_pattern(local, pattern.name)
    if current is not None and all(current.get(k) == v for k, v in body.items()):
        return unchanged("auto-follow", f"pattern {pattern.name} already exists as wanted "
                                        f"(active: {current.get('active', True)})")
    return send(local, "auto-follow", "PUT", f"/_ccr/auto_follow/{pattern.name}",
                f"{'updated' if current else 'created'} auto-follow pattern {pattern.name}", body=body)


def delete_auto_follow(local: Cluster, name: str) -> OpResult:
    if auto_follow_pattern(local, name) is None:
        return unchanged("delete auto-follow", f"there is no auto-follow pattern {name}")
    return send(local, "delete auto-follow", "DELETE", f"/_ccr/auto_follow/{name}",
                f"deleted auto-follow pattern {name}; indices it created keep following")


def retention_leases(remote: Cluster, leader: str) -> list[dict[str, Any]]:
    """Every retention lease on the leader's primary shards: shard, id, retaining_seq_no, source."""
    answer = remote.request("GET", f"/{leader}/_stats", params={"level": "shards"})
    shards = (answer.body or {}).get("indices", {}).get(leader, {}).get("shards", {})
    leases = []
    for shard_id, copies in sorted(shards.items(), key=lambda item: int(item[0])):
        for copy in copies:
            if not (copy.get("routing") or {}).get("primary"):
                continue  # replicas hold copies of the primary's leases
            for lease in (copy.get("retention_leases") or {}).get("leases", []):
                leases.append({"shard": int(shard_id), **lease})
    return leases


def ccr_lease_prefix(follower_cluster_name: str, follower_index: str, follower_index_uuid: str,
                     alias: str, leader: str) -> str:
    """The start of the lease id a follower takes on its leader (CcrRetentionLeases.retentionLeaseId)."""
    return f"{follower_cluster_name}/{follower_index}/{follower_index_uuid}-following-{alias}/{leader}/"


def forget_follower(remote: Cluster, leader: str, follower_cluster_name: str, follower_index: str,
                    follower_index_uuid: str, alias: str) -> OpResult:
    """Remove the follower's retention leases from the leader (`POST <leader>/_ccr/forget_follower`).

    Only for a follower that no longer follows: an active follower would take its leases again.
    """
    prefix = ccr_lease_prefix(follower_cluster_name, follower_index, follower_index_uuid, alias, leader)
    held = [lease for lease in retention_leases(remote, leader) if str(lease.get("id", "")).startswith(prefix)]
    if not held:
        return unchanged("forget follower", f"{leader} holds no retention lease for {follower_index} "
                                            f"({follower_index_uuid})")
    body = {"follower_cluster": follower_cluster_name, "follower_index": follower_index,
            "follower_index_uuid": follower_index_uuid, "leader_remote_cluster": alias}
    return send(remote, "forget follower", "POST", f"/{leader}/_ccr/forget_follower",
                f"removed {len(held)} retention lease(s) of {follower_index} from {leader}", body=body)
