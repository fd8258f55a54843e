"""Content verification against its limit: the same scan with nothing done to the documents.

A fresh practice pair gets a leader of N sample documents (2 shards), followed and caught up. Then:
- limit: both indices scanned at the same time, each from a point in time, same page size, same
  client, the pages thrown away (`content_scan.scan_together` with consumers that do nothing);
- verify: `content_compare.compare_content` on the same pair: both scans, per-document digests into
  buckets, the bucket comparison (live: at the follower's checkpoint; frozen: every document);
- memory: the peak of Python allocations (tracemalloc) during a comparison, for a small index and
  the large one: it must not grow with the number of documents.
Rates count documents read on both sides per second of scanning.

Run: `python -m bench.verify_bench [--docs N] [--small N] [--page-size N]`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import time
import tracemalloc

from bench.practice import practice_clusters

def followed_pair(step, client, leader: str, docs: int) -> str:
    """`leader` with `docs` sample documents, followed as `<leader>_follow` and caught up."""
    from runbook_lib.ccr_ops import ensure_remote, follow
    from runbook_lib.follow_progress import wait_for_followers
    from runbook_lib.nodes import default_seeds, node_addresses
    from runbook_lib.sample_data import load_sample_index

    follower = f"{leader}_follow"
    load_sample_index(client, leader, docs, chunk_size=5000, progress=lambda line: None)
    alias = step.params.remote_alias
    ensure_remote(step.local, alias, default_seeds(node_addresses(step.remote)))
    follow(step.local, leader, follower, alias, {})
    wait_for_followers(step.local, step.remote, [(leader, follower)], 3600, interval_s=0.5)
    return follower


def limit_rate(step, leader: str, follower: str, page_size: int) -> float:
    """Documents per second when both indices are only read, at the same time, page by page."""
    from runbook_lib.content_scan import IndexSnapshot, scan_together

    read = [0, 0]

    def count(side: int):
        def consume(page):
            read[side] += len(page)
        return consume

    with IndexSnapshot(step.local, follower, page_size=page_size) as theirs, \
            IndexSnapshot(step.remote, leader, page_size=page_size) as mine:
        started = time.monotonic()
        scan_together([(mine.pages(), count(0)), (theirs.pages(), count(1))])
        return sum(read) / (time.monotonic() - started)


def verify(step, leader: str, follower: str, page_size: int, live: bool):
    from runbook_lib.content_compare import compare_content

    report = compare_content(step.remote, step.local, leader, follower, live=live, page_size=page_size)
    if not report.matched:
        from runbook_lib.content_compare import named

        raise RuntimeError(f"{leader} and {follower}: {'; '.join(named(report, limit=3))}")
    return report


def peak_memory_mb(step, leader: str, follower: str, page_size: int) -> float:
    tracemalloc.start()
    try:
        verify(step, leader, follower, page_size, live=False)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def run(docs: int = 1_000_000, small: int = 100_000, page_size: int = 5000, rounds: int = 1) -> dict:
    from runbook_lib.demo import app_client
    from runbook_lib.step import begin

    results: dict = {"docs": docs, "page_size": page_size}
    with practice_clusters("ccr-verify-bench-"):
        with contextlib.redirect_stdout(io.StringIO()):
            step = begin("bench-verify", overrides={"indices": [{"leader": "bench-small"}, {"leader": "bench-large"}]})
            step.connect()
            client = app_client(step.params.remote)
            started = time.monotonic()
            pairs = {"small": ("bench-small", followed_pair(step, client, "bench-small", small)),
                     "large": ("bench-large", followed_pair(step, client, "bench-large", docs))}
        results["setup_s"] = round(time.monotonic() - started)
        leader, follower = pairs["large"]
        limits, frozen, live = [], [], []
        with contextlib.redirect_stdout(io.StringIO()):
            for _ in range(rounds):  # interleaved: neither gets a warmer cache than the other
                limits.append(limit_rate(step, leader, follower, page_size))
                frozen.append(verify(step, leader, follower, page_size, live=False).docs_per_s)
                try:
                    live.append(verify(step, leader, follower, page_size, live=True).docs_per_s)
                except RuntimeError as exc:  # a cluster that cannot filter on _seq_no: reported, not hidden
                    results["live_error"] = str(exc)[:300]
            memory = {size: round(peak_memory_mb(step, *pairs[size], page_size), 1) for size in ("small", "large")}
        results["limit_docs_per_s"] = round(max(limits))
        results["verify_frozen_docs_per_s"] = round(max(frozen))
        results["frozen_share_of_limit"] = round(max(frozen) / max(limits), 3)
        if live:
            results["verify_live_docs_per_s"] = round(max(live))
            results["live_share_of_limit"] = round(max(live) / max(limits), 3)
        results["peak_python_memory_mb"] = {f"{small:,} docs": memory["small"], f"{docs:,} docs": memory["large"]}
        results["target_met"] = results["frozen_share_of_limit"] >= 0.8 and memory["large"] <= 1.5 * memory["small"]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=1, help="repeat limit and verify, keeping the best of each")
    args = parser.parse_args()
    print(json.dumps(run(args.docs, args.small, args.page_size, args.rounds), indent=2))


if __name__ == "__main__":
    main()
