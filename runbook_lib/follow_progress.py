"""Following a leader through its initial copy until the follower has caught up (03_follow).

`PUT <follower>/_ccr/follow` returns before the initial copy (a restore from the remote, visible in
`_recovery`) is done; following starts after it. Meanwhile `_ccr/info` shows the follower as paused
and `_ccr/stats` has nothing: that is the copy, not a failure. A follower is caught up when every
shard's `follower_global_checkpoint` reaches the leader's own global checkpoint, read from the
leader's `_stats` (not the follower's view of it, which goes stale when the leader is idle) at the
start of the wait, so the wait ends even while the leader keeps taking writes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .ccr_ops import follow_stats, follower_info
from .connection import Cluster
from .index_ops import index_state
from .waits import Poll, WaitResult, wait_until

# Phases in which waiting is over; the others ("missing", "copying", "starting", "catching up") go on.
FINAL = ("caught up", "failed", "paused")


@dataclass
class FollowerProgress:
    follower: str
    phase: str
    detail: str = ""
    copy_percent: float | None = None
    lag_ops: int | None = None
    done_ops: int = 0
    fatal: str | None = None
    shards: list[dict[str, Any]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.follower}: {self.phase}" + (f" ({self.detail})" if self.detail else "")


def leader_checkpoints(remote: Cluster, leader: str) -> dict[int, int]:
    """Shard -> global checkpoint of the leader's primary, from the leader's own shard stats."""
    body = remote.request("GET", f"/{leader}/_stats", params={"level": "shards"}).body or {}
    out = {}
    for shard, copies in (body.get("indices", {}).get(leader, {}).get("shards", {}) or {}).items():
        for copy in copies:
            if (copy.get("routing") or {}).get("primary"):
                out[int(shard)] = int((copy.get("seq_no") or {}).get("global_checkpoint", -1))
    return out


def copy_progress(local: Cluster, follower: str) -> tuple[bool, float | None]:
    """(initial copy still running, its percentage) from the follower's active recoveries."""
    answer = local.request("GET", f"/{follower}/_recovery", params={"active_only": "true"}, ignore=(404,))
    shards = ((answer.body or {}).get(follower) or {}).get("shards", []) if answer.status == 200 else []
    running = [s for s in shards if s.get("stage") != "DONE"]
    if not running:
        return False, None
    percents = []
    for shard in running:
        text = str(((shard.get("index") or {}).get("size") or {}).get("percent", "0%")).rstrip("%")
        try:
            percents.append(float(text))
        except ValueError:
            percents.append(0.0)
    return True, sum(percents) / len(percents)


def progress(local: Cluster, follower: str, targets: dict[int, int]) -> FollowerProgress:
    """Where one follower is, measured against the leader checkpoints `targets`."""
    if index_state(local, follower) is None:
        return FollowerProgress(follower, "missing", "the follower index does not exist (yet)")
    copying, percent = copy_progress(local, follower)
    if copying:
        return FollowerProgress(follower, "copying", f"initial copy {percent:.0f}%", copy_percent=percent)
    info = follower_info(local, follower)
    if info is None:
        return FollowerProgress(follower, "failed", "the index exists but is not a follower index",
                                fatal="not a follower")
    stats = follow_stats(local, follower)
    if info.get("status") != "active" or stats is None:
        return FollowerProgress(follower, "starting", "copy done; following not started yet")
    shards = stats.get("shards", [])
    fatal = next((s["fatal_exception"] for s in shards if s.get("fatal_exception")), None)
    if fatal:
        reason = fatal.get("reason", fatal) if isinstance(fatal, dict) else fatal
        return FollowerProgress(follower, "failed", str(reason), fatal=str(reason), shards=shards)
    by_shard = {int(s.get("shard_id", -1)): int(s.get("follower_global_checkpoint", -1)) for s in shards}
    lag = sum(max(0, target - by_shard.get(shard, -1)) for shard, target in targets.items())
    done = sum(min(by_shard.get(shard, -1), target) + 1 for shard, target in targets.items())
    phase = "caught up" if lag == 0 else "catching up"
    return FollowerProgress(follower, phase, f"{lag} operation(s) behind", lag_ops=lag, done_ops=done, shards=shards)


def wait_for_followers(local: Cluster, remote: Cluster, pairs: list[tuple[str, str]], timeout_s: float,
                       paused_grace_s: float = 30.0, interval_s: float = 1.0,
                       clock: Callable[[], float] = time.monotonic) -> tuple[WaitResult, dict[str, FollowerProgress]]:
    """Wait until each (leader, follower) is caught up, failed, or paused for longer than `paused_grace_s`."""
    targets = {follower: leader_checkpoints(remote, leader) for leader, follower in pairs}
    total = sum(t + 1 for shards in targets.values() for t in shards.values())
    latest: dict[str, FollowerProgress] = {}
    starting_since: dict[str, float] = {}

    def poll() -> Poll:
        for _, follower in pairs:
            p = progress(local, follower, targets[follower])
            if p.phase == "starting":
                since = starting_since.setdefault(follower, clock())
                if clock() - since > paused_grace_s:
                    p = FollowerProgress(follower, "paused", f"paused for more than {paused_grace_s:g} s after the copy")
            else:
                starting_since.pop(follower, None)
            latest[follower] = p
        state = "; ".join(str(p) for p in latest.values())
        return Poll(all(p.phase in FINAL for p in latest.values()), state, sum(p.done_ops for p in latest.values()))

    result = wait_until(poll, timeout_s, interval_s, f"{len(pairs)} follower(s) to catch up",
                        progress_total=max(total, 1),
                        advice="the initial copy of a large index takes time: run this cell again to keep waiting")
    return result, latest


def advice_for(p: FollowerProgress) -> str:
    if p.phase == "failed":
        return (f"the follow task stopped for good ({p.fatal}): recreate the follower — pause, close and delete "
                f"{p.follower}, then run 03_follow again")
    if p.phase == "paused":
        return f"resume it (POST {p.follower}/_ccr/resume_follow), or read GET {p.follower}/_ccr/stats for errors"
    return "wait longer: run the cell again"
