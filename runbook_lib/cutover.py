"""Step 5: promote the followers, with the leaders' writes blocked for as short a time as possible.

The order is what makes it lose nothing: block writes on the leader (an index setting, which CCR
does not copy, so the follower stays writable once promoted); wait until the follower's global
checkpoint equals the leader's own max seq no (every operation is there); check counts and
checkpoints while nothing moves; then pause, close, unfollow and open the follower, and write a
probe document to prove it takes writes. Writes are unavailable from the block to that probe.

Each function is one cell of `05_cutover` and re-reads the live state before it acts, so a cell
can be run again, or after a restarted kernel, and does only what is left to do. The `Cutover`
object carries the timings from cell to cell.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from . import alias_ops, ccr_ops, index_ops, parity
from .errors import ClusterRequestError, UnsafeState
from .index_parameters import IndexPair
from .plan import confirmation_name
from .step import Step
from .verify import pairs
from .waits import wait_until

PROBE_PREFIX = "ccr-runbooks-probe"
_RETRY_ON = ("unavailable_shards_exception", "no_shard_available_action_exception", "cluster_block_exception")


@dataclass(frozen=True)
class Timing:
    name: str
    follower: str
    started: float  # time.monotonic()
    seconds: float
    detail: str = ""


@dataclass
class Cutover:
    step: Step
    timings: list[Timing] = field(default_factory=list)
    blocked_at: dict[str, float] = field(default_factory=dict)  # follower -> when its leader's block was sent
    writable_at: dict[str, float] = field(default_factory=dict)  # follower -> when the probe was acknowledged

    @contextmanager
    def timed(self, name: str, pair: IndexPair) -> Iterator[list[str]]:
        """Time the block it wraps; what it appends to the yielded list becomes the timing's detail."""
        detail: list[str] = []
        started = time.monotonic()
        try:
            yield detail
        finally:
            self.timings.append(Timing(name, pair.follower, started, time.monotonic() - started, "; ".join(detail)))

    def downtime(self, follower: str) -> float | None:
        if follower in self.blocked_at and follower in self.writable_at:
            return self.writable_at[follower] - self.blocked_at[follower]
        return None


def _confirm(step: Step, action: str) -> None:
    """Every acting cell asks again, so no cell can be run on its own to skip the confirmation."""
    if not step.params.dry_run:
        step.params.require_confirmation(confirmation_name(step.params, step.local.identity.cluster_name), action)


def follower_state(step: Step, pair: IndexPair) -> str:
    """`following`, `paused`, `promoted` (a plain index now) or `missing`, read from the cluster now."""
    if index_ops.index_state(step.local, pair.follower) is None:
        return "missing"
    info = ccr_ops.follower_info(step.local, pair.follower)
    if info is None:
        return "promoted"
    return "following" if info.get("status") == "active" else "paused"


def begin_cutover(step: Step) -> Cutover:
    """Show what will be promoted and check it can be: every follower follows its very leader."""
    alias = step.params.remote_alias
    for pair in pairs(step):
        state = follower_state(step, pair)
        leader_uuid = index_ops.index_uuid(step.remote, pair.leader)
        step.checks.expect(f"{pair.leader} exists on the remote cluster", "an index", leader_uuid or "missing",
                           ok=leader_uuid is not None, advice="check `indices` in the parameters")
        step.checks.expect(f"{pair.follower} can be promoted", "following (or already promoted)", state,
                           ok=state in ("following", "promoted"),
                           advice="resume a paused follower (06_rollback_or_cleanup) or create it (03_follow) first")
        if state == "following":
            recorded = ccr_ops.recorded_leader_uuid(step.local, pair.follower)
            info = ccr_ops.follower_info(step.local, pair.follower) or {}
            step.checks.expect(f"{pair.follower} follows {alias}:{pair.leader} ({leader_uuid})",
                               f"{alias}:{pair.leader} {leader_uuid}",
                               f"{info.get('remote_cluster')}:{info.get('leader_index')} "
                               f"{recorded or '(uuid not readable)'}",
                               ok=info.get("remote_cluster") == alias and info.get("leader_index") == pair.leader
                               and recorded in (None, leader_uuid),
                               advice="the follower follows another index: fix `indices` or re-create the follower")
    step.checks.raise_on_failure()
    if step.params.dry_run:
        step.checks.info("confirmation", "not needed for a dry run: every request below is shown, none is sent")
    else:
        _confirm(step, f"promoting {', '.join(p.follower for p in pairs(step))}")
        step.checks.info("confirmation", f"confirm = {step.params.confirm!r}")
    return Cutover(step)


def block_leader_writes(cut: Cutover) -> None:
    step = cut.step
    _confirm(step, "blocking writes on the leaders")
    for pair in pairs(step):
        state = follower_state(step, pair)  # re-read: blocking a leader nobody follows only stops its writers
        if state not in ("following", "promoted"):
            raise UnsafeState(f"block writes on {pair.leader}", f"{pair.follower} is {state}",
                              "resume or create the follower first; the leader was not blocked")
        with cut.timed("block leader writes", pair) as detail:
            started = time.monotonic()
            result = ccr_ops.set_write_block(step.remote, pair.leader, True)
            detail.append(result.detail)
        if result.changed and not step.params.dry_run:
            cut.blocked_at[pair.follower] = started
        if not step.params.dry_run:
            step.checks.expect(f"{pair.leader}: writes blocked", True,
                               index_ops.write_blocked(step.remote, pair.leader),
                               advice="the block did not take: look at the request above, then run this cell again")


def _gap(step: Step, pair: IndexPair) -> dict[int, int]:
    """Per shard, the operations the leader holds that the follower has not made durable yet."""
    rows = parity.shard_parity(parity.shard_seq_nos(step.remote, pair.leader),
                               parity.shard_seq_nos(step.local, pair.follower))
    return {r.shard: r.leader_max_seq_no - r.follower_global_checkpoint for r in rows
            if r.follower_global_checkpoint < r.leader_max_seq_no}


def wait_caught_up(cut: Cutover) -> None:
    """Wait until each follower's global checkpoint equals its blocked leader's own max seq no."""
    step = cut.step
    for pair in pairs(step):
        if step.params.dry_run:
            step.checks.info(f"{pair.follower}: catch-up", "not awaited in a dry run (the leader is not blocked)")
            continue

        def caught_up() -> tuple[bool, str]:
            stats = ccr_ops.follow_stats(step.local, pair.follower) or {}
            fatal = [s["fatal_exception"].get("reason") for s in stats.get("shards", []) if s.get("fatal_exception")]
            if fatal:
                raise UnsafeState(f"promote {pair.follower}", f"its follow task failed: {fatal[0]}",
                                  "lift the leader's block (06_rollback_or_cleanup) and re-create the follower")
            gap = _gap(step, pair)
            return not gap, f"operations behind per shard: {gap}" if gap else "caught up"

        with cut.timed("wait for the follower to catch up", pair):
            waited = wait_until(caught_up, step.params.catch_up_timeout_s, interval_s=0.05,
                                describe=f"{pair.follower} to hold every operation of the blocked {pair.leader}",
                                advice="the follower is not catching up: lift the leader's block (06) and investigate")
        step.checks.expect(f"{pair.follower}: global checkpoint equals the leader's max seq no", "0 operations behind",
                           "0 operations behind", ok=True)
        step.checks.info(f"{pair.follower}: catch-up after the block", f"{waited.elapsed_s:.2f} s")


def check_frozen_parity(cut: Cutover) -> None:
    """Counts and checkpoints, fast, while nothing can change them."""
    step = cut.step
    for pair in pairs(step):
        if step.params.dry_run:
            continue
        if follower_state(step, pair) == "promoted":
            step.checks.info(f"{pair.follower}: counts and checkpoints", "already promoted (by an earlier run): "
                             "its own writes since make these differ; the content comparison below still applies")
            continue
        with cut.timed("check counts and checkpoints", pair):
            parity.refresh(step.local, pair.follower)
            parity.refresh(step.remote, pair.leader)
            counts = parity.doc_count(step.remote, pair.leader), parity.doc_count(step.local, pair.follower)
            leader_seq = {n: s.max_seq_no for n, s in parity.shard_seq_nos(step.remote, pair.leader).items()}
            follower_seq = {n: s.max_seq_no for n, s in parity.shard_seq_nos(step.local, pair.follower).items()}
        step.checks.expect(f"{pair.follower}: document count equals the blocked leader's", counts[0], counts[1],
                           advice="do not promote: lift the block (06_rollback_or_cleanup) and run 04_verify")
        step.checks.expect(f"{pair.follower}: max seq no per shard equals the blocked leader's", leader_seq,
                           follower_seq,
                           advice="do not promote: lift the block (06_rollback_or_cleanup) and run 04_verify")
    step.checks.raise_on_failure()


def promote(cut: Cutover) -> None:
    """Pause, close, unfollow, open: the follower becomes a plain index. Unfollow cannot be undone."""
    step = cut.step
    _confirm(step, "unfollowing (promoting) the followers")
    for pair in pairs(step):
        if step.params.dry_run:
            _show_promotion(step, pair)
            continue
        if follower_state(step, pair) != "promoted":
            _still_safe_to_promote(step, pair)
            for name, operation in (("pause", ccr_ops.pause), ("close", ccr_ops.close_index),
                                    ("unfollow", ccr_ops.unfollow)):
                with cut.timed(name, pair) as detail:
                    detail.append(operation(step.local, pair.follower).detail)
        with cut.timed("open", pair) as detail:
            detail.append(ccr_ops.open_index(step.local, pair.follower).detail)
        state = index_ops.index_state(step.local, pair.follower)
        step.checks.expect(f"{pair.follower}: a plain, open index", "promoted, open",
                           f"{follower_state(step, pair)}, {'closed' if state and state.closed else 'open'}",
                           ok=follower_state(step, pair) == "promoted" and state is not None and not state.closed,
                           advice="run this cell again: each operation is done only if still needed")


def _still_safe_to_promote(step: Step, pair: IndexPair) -> None:
    """Re-read just before the irreversible part: the leader is still blocked and nothing is missing."""
    if not index_ops.write_blocked(step.remote, pair.leader):
        raise UnsafeState(f"promote {pair.follower}", f"{pair.leader} is not write-blocked (any more)",
                          "run the block cell again, then the catch-up cell, then this one")
    gap = _gap(step, pair)
    if gap:
        raise UnsafeState(f"promote {pair.follower}", f"it lacks operations of {pair.leader}: {gap} per shard",
                          "run the catch-up cell again, then this one")


def _show_promotion(step: Step, pair: IndexPair) -> None:
    """A dry run's promotion: the exact requests, since the real ones depend on states a dry run never
    reaches (unfollow needs a paused, closed follower)."""
    f = pair.follower
    for method, path, params in (("POST", f"/{f}/_ccr/pause_follow", None), ("POST", f"/{f}/_close", None),
                                 ("POST", f"/{f}/_ccr/unfollow", None),
                                 ("POST", f"/{f}/_open", {"wait_for_active_shards": 1})):
        step.local.request(method, path, params=params, changes=True)


def probe_id(run_id: str) -> str:
    return f"{PROBE_PREFIX}-{run_id}"


def probe_writes(cut: Cutover) -> None:
    """Write a probe document to each promoted index (then delete it): writes are possible again."""
    step = cut.step
    doc, doc_id = dict(step.params.canary_documents[0]), probe_id(step.run_id)
    for pair in pairs(step):
        path = index_ops.document_path(step.local, pair.follower, doc_id)  # outside the timing: a request on 6.x
        with cut.timed("probe write", pair) as detail:
            status = _write_probe(step, path, doc)
            acknowledged = time.monotonic()
            detail.append(f"PUT {path.lstrip('/')} -> {status}")
        if step.params.dry_run:
            step.local.request("DELETE", path, changes=True)
            continue
        cut.writable_at.setdefault(pair.follower, acknowledged)
        step.local.request("DELETE", path, changes=True)
        step.checks.expect(f"{pair.follower}: takes writes", "a write acknowledged (201 or 200)", status,
                           ok=status in (200, 201))
        seconds = cut.downtime(pair.follower)
        step.checks.info(f"{pair.follower}: writes unavailable (write downtime)",
                         "unknown: the leader was blocked before this kernel started" if seconds is None else
                         f"{seconds:.2f} s, from the write block on {pair.leader} to the first write "
                         f"acknowledged by {pair.follower}")


def _write_probe(step: Step, path: str, doc: dict) -> int:
    """Index the probe, retrying while the reopened shards are still starting."""
    deadline = time.monotonic() + step.params.follow_timeout_s
    while True:
        try:
            return step.local.request("PUT", path, body=doc, changes=True).status
        except ClusterRequestError as exc:
            if exc.error_type not in _RETRY_ON or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def move_aliases(cut: Cutover) -> None:
    """Move each alias the parameters name to its promoted index, as the write index."""
    step = cut.step
    named = [(pair, alias) for pair in pairs(step) for alias in pair.aliases]
    if not named:
        step.checks.info("aliases", "none named in the parameters (`indices[].aliases`): nothing to move")
    for pair, alias in named:
        _confirm(step, f"moving alias {alias}")
        with cut.timed(f"move alias {alias}", pair) as detail:
            detail.append(alias_ops.move_alias(step.local, alias, pair.follower).detail)
        if not step.params.dry_run:
            step.checks.expect(f"alias {alias} points at {pair.follower} as its write index", {pair.follower: True},
                               alias_ops.alias_indices(step.local, alias))
