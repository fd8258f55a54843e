"""The cutover's evidence: the promoted indices against their frozen leaders, and the timings.

With the leader write-blocked and the follower promoted, every document is compared (no
checkpoint is needed: neither side should change). This runs before applications are pointed at
the local cluster; once they write to the promoted index, differences are what they wrote.
"""

from __future__ import annotations

from typing import Any

from . import content_compare, parity, plots
from .content_compare import ContentReport
from .cutover import Cutover, follower_state
from .tables import show_table
from .verify import content_checks, pairs, scan_progress

_AFTER_SWITCH = ("if applications already write to the promoted index, their writes are these differences; "
                 "otherwise do not switch them: keep the leader blocked and compare the named documents on both "
                 "clusters (06_rollback_or_cleanup explains what a rollback loses)")


def compare_content(cut: Cutover, *, page_size: int = content_compare.PAGE_SIZE) -> list[ContentReport]:
    step = cut.step
    reports = []
    for pair in pairs(step):
        if step.params.dry_run:
            step.checks.info(f"{pair.follower}: content against the blocked leader", "not compared in a dry run")
            continue
        state = follower_state(step, pair)
        with cut.timed("compare content", pair) as detail, \
                scan_progress(f"{pair.leader} vs {pair.follower}") as progress:
            report = content_compare.compare_content(step.remote, step.local, pair.leader, pair.follower, live=False,
                                                     page_size=page_size,
                                                     settle_timeout_s=step.params.latency_timeout_s, progress=progress)
            detail.append(report.summary())
        print(f"{pair.follower}: {report.summary()}")
        reports.append(report)
        content_checks(step, report, live=False, advice=_AFTER_SWITCH)
        own = _own_operations(step, pair.leader, pair.follower)
        step.checks.info(f"{pair.follower}: operations of its own since promotion",
                         f"{own} (the probe's write and delete count 2 per run)" if state == "promoted" else own)
    return reports


def _own_operations(step: Any, leader: str, follower: str) -> int:
    """Operations the promoted index holds beyond the leader's history, summed over shards."""
    mine = parity.shard_seq_nos(step.remote, leader)
    theirs = parity.shard_seq_nos(step.local, follower)
    return sum(max(0, s.max_seq_no - (mine[n].max_seq_no if n in mine else -1)) for n, s in theirs.items())


def report(cut: Cutover) -> dict[str, Any]:
    """Each step's duration and each index's write downtime, as a table, a timeline and one record."""
    step = cut.step
    if step.params.dry_run or not cut.timings:
        step.checks.info("cutover timings", "not measured in a dry run" if step.params.dry_run else
                         "nothing was timed in this kernel (run the notebook from the top)")
        return {}
    origin = min([*cut.blocked_at.values(), *(t.started for t in cut.timings)])
    show_table("Cutover steps", ["step", "index", "started (s after the first)", "duration", "what it did"],
               [[t.name, t.follower, f"{t.started - origin:.3f}", f"{t.seconds * 1000:.0f} ms", t.detail]
                for t in cut.timings])
    downtime = {p.follower: cut.downtime(p.follower) for p in pairs(step)}
    summary = {
        "steps": [{"step": t.name, "index": t.follower, "seconds": round(t.seconds, 3)} for t in cut.timings],
        "write_downtime_s": {f: None if s is None else round(s, 3) for f, s in downtime.items()},
    }
    step.checks.info("cutover step durations", {f"{t.name} ({t.follower})": f"{t.seconds:.3f} s" for t in cut.timings})
    step.checks.info("write downtime (writes unavailable, block to first write on the promoted index)",
                     {f: "unknown" if s is None else f"{s:.2f} s" for f, s in downtime.items()})
    known = [(cut.blocked_at[f] - origin, cut.writable_at[f] - origin) for f, s in downtime.items() if s is not None]
    window = (min(a for a, _ in known), max(b for _, b in known)) if known else None
    steps = [(f"{t.name} ({t.follower})" if len(downtime) > 1 else t.name, t.started - origin, t.seconds)
             for t in cut.timings]
    plots.show_figure(plots.timeline_figure(steps, window), "Cutover timeline",
                      "; ".join(f"{f}: writes unavailable {'unknown' if s is None else f'{s:.2f} s'}"
                                for f, s in downtime.items()))
    return summary
