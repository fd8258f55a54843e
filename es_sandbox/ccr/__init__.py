"""Cross-cluster replication between practice clusters, as Elasticsearch 8.x's CCR plugin does it.

The follower (local) cluster does the work: `follow` creates the follower index and copies the
leader's documents (remote recovery, `recovery`), `shard_follow` then replays the leader's operations
by sequence number, `autofollow` creates followers for new leader indices, and `followers` keeps the
set of running followers. The leader (remote) cluster only answers transport actions
(`leader_actions`) and keeps the followers' retention leases (`leases`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..cluster import Cluster
    from .autofollow import Patterns
    from .autofollow_coordinator import AutoFollowCoordinator
    from .followers import Followers


@dataclass
class Ccr:
    """A cluster's CCR services, as `cluster.services["ccr"]`."""

    followers: "Followers"
    patterns: "Patterns"
    coordinator: "AutoFollowCoordinator"


def install(cluster: "Cluster") -> Ccr:
    """Serves the leader's transport actions and prepares the follower side, whose background work
    (shard follow tasks, recoveries, lease renewal, auto-follow) starts with the process."""
    from . import leader_actions  # noqa: PLC0415 - keep `import es_sandbox.ccr` light
    from .autofollow import Patterns
    from .autofollow_coordinator import AutoFollowCoordinator
    from .followers import Followers

    leader_actions.register(cluster)
    followers = Followers(cluster)
    patterns = Patterns(cluster)
    ccr = Ccr(followers, patterns, AutoFollowCoordinator(cluster, patterns, followers))
    cluster.services["ccr"] = ccr

    def start() -> None:
        followers.start()
        ccr.coordinator.start()

    cluster.__dict__.setdefault("starters", []).append(start)
    return ccr
