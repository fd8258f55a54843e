"""The migration plan 00_preflight ends with: what each later notebook will do, for these parameters."""

from __future__ import annotations

from .leader_prep import LeaderPrepPlan
from .parameters import MigrationParameters

COLUMNS = ("step", "what it will do", "on")


def migration_plan(params: MigrationParameters, prep: LeaderPrepPlan, seeds: list[str],
                   local_cluster_name: str) -> list[tuple[str, str, str]]:
    confirm = confirmation_name(params, local_cluster_name)
    alias = params.remote_alias
    targets = prep.follow_targets
    rows = [("01_prepare_leader", a.summary, f"remote: {a.leader}") for a in prep.actions]
    rows.append(("02_connect_remote", f"add remote {alias} with seeds {', '.join(seeds) or '(none found)'}; "
                 "check it connects", "local: cluster settings"))
    for pair in params.indices:
        leader = targets.get(pair.leader, pair.leader)
        rows.append(("03_follow", f"follow {alias}:{leader} as {pair.follower}; wait for the initial copy and "
                     "for it to catch up", f"local: {pair.follower}"))
    if params.auto_follow:
        af = params.auto_follow
        rows.append(("03_follow", f"auto-follow pattern {af.name}: new indices matching "
                     f"{', '.join(af.leader_index_patterns)} as {af.follow_index_pattern}", "local: auto-follow"))
    names = ", ".join(d.get("name", "?") for d in params.canary_documents)
    rows.append(("04_verify", f"write canary documents ({names}), measure replication latency, compare counts, "
                 "checkpoints, mappings and content", "both"))
    for pair in params.indices:
        leader = targets.get(pair.leader, pair.leader)
        rows.append(("05_cutover", f"block writes on {leader}; wait for {pair.follower} to reach it; pause, close, "
                     f"unfollow, open {pair.follower} (confirm: {confirm})",
                     f"remote: {leader}; local: {pair.follower}"))
    rows.append(("06_rollback_or_cleanup", f"cleanup: remove the followers' retention leases and remote {alias}; "
                 "or rollback", "both"))
    return rows


def confirmation_name(params: MigrationParameters, local_cluster_name: str) -> str:
    """What `confirm` must equal for a destructive step: the follower with one pair, else the local cluster."""
    return params.indices[0].follower if len(params.indices) == 1 else local_cluster_name
