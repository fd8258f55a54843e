"""Cutover under load: each step's duration, the write downtime, and whether any write was lost.

A fresh practice pair; for each run, a leader of N sample documents followed and caught up, then an
application writing 500 documents/s to the leader (bulks of 10) until the block. The cutover is
`runbook_lib.cutover` itself, cell by cell as 05_cutover runs it, without a notebook around it:
block, catch up, counts and checkpoints, pause, close, unfollow, open, probe, full content check.
- write downtime: from sending the block to the promoted index acknowledging its first write (the
  runbook's figure; target under 2 s on the practice clusters), and the gap the application saw
  (its first rejected write until it saw the promoted index open and no longer following);
- lost: acknowledged writes missing from the promoted index (must be 0).

Run: `python -m bench.cutover_bench [--docs N] [--rate R] [--runs N]`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import time

from bench.practice import practice_clusters

def one_cutover(client, local_client, leader: str, docs: int, rate: float, warmup_s: float) -> dict:
    from runbook_lib import cutover, cutover_report
    from runbook_lib.app_writer import AppWriter
    from runbook_lib.ccr_ops import ensure_remote, follow
    from runbook_lib.demo import follower_promoted
    from runbook_lib.demo_summary import lost_writes
    from runbook_lib.follow_progress import wait_for_followers
    from runbook_lib.nodes import default_seeds, node_addresses
    from runbook_lib.sample_data import load_sample_index
    from runbook_lib.step import begin

    follower = f"{leader}_follow"
    step = begin("05_cutover", overrides={"indices": [{"leader": leader, "follower": follower}], "confirm": follower})
    step.connect()
    load_sample_index(client, leader, docs, chunk_size=5000, progress=lambda line: None)
    alias = step.params.remote_alias
    ensure_remote(step.local, alias, default_seeds(node_addresses(step.remote)))
    follow(step.local, leader, follower, alias, {})
    wait_for_followers(step.local, step.remote, [(leader, follower)], 600, interval_s=0.2)
    writer = AppWriter(client, leader, rate=rate, batch=10, promoted=lambda: follower_promoted(local_client, follower))
    writer.start()
    time.sleep(warmup_s)  # the leader takes writes at the full rate before the block
    try:
        cut = cutover.begin_cutover(step)
        for cell in (cutover.block_leader_writes, cutover.wait_caught_up, cutover.check_frozen_parity,
                     cutover.promote, cutover.probe_writes):
            cell(cut)
        reports = cutover_report.compare_content(cut)
        cutover_report.report(cut)
    finally:
        stats = writer.stop()
    outage = stats.cutover_outage
    return {
        "steps_ms": {t.name: round(t.seconds * 1000) for t in cut.timings},
        "write_downtime_s": round(cut.downtime(follower), 3),
        "application_outage_s": None if outage is None else round(outage.seconds, 3),
        "writes_per_s_before_block": round(stats.achieved_rate),
        "acknowledged": stats.acknowledged,
        "rejected": stats.rejected_total,
        "unknown": stats.unknown,
        "lost": len(lost_writes(local_client, follower, stats.acknowledged_ids)),
        "content_matched": all(r.matched for r in reports),
        "documents_compared": sum(r.leader_docs for r in reports),
        "failed_checks": [c.name for c in step.checks.failures],
    }


def run(docs: int = 10_000, rate: float = 500.0, runs: int = 3, warmup_s: float = 5.0) -> dict:
    from runbook_lib.demo import app_client
    from runbook_lib.step import begin

    results: dict = {"docs": docs, "rate": rate, "runs": []}
    with practice_clusters("ccr-cutover-bench-"):
        with contextlib.redirect_stdout(io.StringIO()):
            params = begin("bench-cutover").params
            client, local_client = app_client(params.remote), app_client(params.local)
            for n in range(runs):
                results["runs"].append(one_cutover(client, local_client, f"cutover-{n}", docs, rate, warmup_s))
        downtimes = [r["write_downtime_s"] for r in results["runs"]]
        results["write_downtime_s_median"] = round(statistics.median(downtimes), 3)
        results["write_downtime_s_max"] = max(downtimes)
        results["lost_total"] = sum(r["lost"] for r in results["runs"])
        results["target_met"] = results["write_downtime_s_max"] < 2.0 and results["lost_total"] == 0 and all(
            r["content_matched"] and not r["failed_checks"] for r in results["runs"])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(run(args.docs, args.rate, args.runs), indent=2))


if __name__ == "__main__":
    main()
