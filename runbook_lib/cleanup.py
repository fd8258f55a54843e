"""After the migration (06_rollback_or_cleanup): where each pair is, rollback, and cleanup.

Unfollow is the point of no return. Before it, rolling back lifts the leader's write block and
resumes following. After it, the promoted index is a plain index: rolling back points writers at
the leader again and re-creates the follower, and writes made to the promoted index are lost.
Cleanup, after a successful migration, removes the follower's retention leases from the leader and
the remote-cluster settings from the local cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .ccr_ops import (ccr_lease_prefix, follow, follow_body, follower_info, forget_follower, open_index,
                      resume, retention_leases, set_write_block)
from .connection import Cluster
from .errors import UnsafeState
from .index_ops import index_state, write_blocked
from .op_result import OpResult, send
from .remote_clusters import remove_remote


@dataclass(frozen=True)
class PairState:
    leader: str
    follower: str
    follower_uuid: str | None
    phase: str  # "missing", "following", "paused" or "promoted"
    follower_closed: bool
    leader_blocked: bool

    @property
    def before_unfollow(self) -> bool:
        return self.phase in ("following", "paused")


def pair_state(local: Cluster, remote: Cluster, leader: str, follower: str) -> PairState:
    state = index_state(local, follower)
    blocked = index_state(remote, leader) is not None and write_blocked(remote, leader)
    if state is None:
        return PairState(leader, follower, None, "missing", False, blocked)
    info = follower_info(local, follower)
    phase = "promoted" if info is None else ("following" if info.get("status") == "active" else "paused")
    return PairState(leader, follower, state.uuid, phase, state.closed, blocked)


def rollback_before_unfollow(local: Cluster, remote: Cluster, pair: PairState,
                             settings: Mapping[str, Any] | None = None) -> list[OpResult]:
    """Writers go on using the leader: lift its write block, reopen the follower, resume following."""
    return [set_write_block(remote, pair.leader, False), open_index(local, pair.follower),
            resume(local, pair.follower, settings or None)]


def rollback_after_unfollow(local: Cluster, remote: Cluster, pair: PairState, alias: str,
                            settings: Mapping[str, Any], leader_uuid: str | None) -> list[OpResult]:
    """Lift the leader's block, delete the promoted index (its writes are lost) and follow again."""
    current = index_state(local, pair.follower)
    promoted = current is not None and follower_info(local, pair.follower) is None
    if promoted and current.uuid != pair.follower_uuid:
        raise UnsafeState(f"delete {pair.follower}", f"its uuid is now {current.uuid}, not {pair.follower_uuid} "
                          "as read before", "read the state again (run the cells from the top)")
    results = [set_write_block(remote, pair.leader, False)]
    if promoted:
        results.append(send(local, "delete promoted index", "DELETE", f"/{pair.follower}",
                            f"deleted {pair.follower} ({current.uuid}); writes made to it are gone"))
        if local.dry_run:  # the index is still there: show the follow request without reading state
            results.append(send(local, "follow", "PUT", f"/{pair.follower}/_ccr/follow", "",
                                body=follow_body(pair.leader, alias, settings)))
            return results
    results.append(follow(local, pair.leader, pair.follower, alias, settings, leader_uuid=leader_uuid))
    return results


def follower_leases(remote: Cluster, leader: str, local_cluster_name: str, follower: str, follower_uuid: str,
                    alias: str) -> list[dict[str, Any]]:
    prefix = ccr_lease_prefix(local_cluster_name, follower, follower_uuid, alias, leader)
    return [lease for lease in retention_leases(remote, leader) if str(lease.get("id", "")).startswith(prefix)]


def cleanup_pair(remote: Cluster, pair: PairState, local_cluster_name: str, alias: str) -> OpResult:
    if pair.phase != "promoted" or not pair.follower_uuid:
        raise UnsafeState(f"clean up after {pair.follower}", f"{pair.follower} is {pair.phase}",
                          "run 05_cutover first, or set action to rollback")
    return forget_follower(remote, pair.leader, local_cluster_name, pair.follower, pair.follower_uuid, alias)


def followers_of(local: Cluster, alias: str) -> list[str]:
    """Follower indices on the local cluster that still follow a leader through `alias`."""
    body = local.request("GET", "/_all/_ccr/info", ignore=(404,)).body or {}
    return sorted(f["follower_index"] for f in body.get("follower_indices", []) if f.get("remote_cluster") == alias)


def auto_follow_patterns_of(local: Cluster, alias: str) -> list[str]:
    body = local.request("GET", "/_ccr/auto_follow", ignore=(404,)).body or {}
    return sorted(p["name"] for p in body.get("patterns", []) if (p.get("pattern") or {}).get("remote_cluster") == alias)


def cleanup_remote(local: Cluster, alias: str) -> OpResult:
    """Remove the remote-cluster settings, once nothing follows through the alias any more."""
    users = followers_of(local, alias) + [f"auto-follow pattern {p}" for p in auto_follow_patterns_of(local, alias)]
    if users:
        raise UnsafeState(f"remove remote {alias}", f"still used by {', '.join(users)}",
                          "promote (05_cutover) or roll back those followers, and delete the auto-follow pattern first")
    return remove_remote(local, alias)

