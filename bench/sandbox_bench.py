"""Practice-cluster benchmark: ingest, replication, follower creation, lag under load, memory.

A leader index of 2 shards on `remote`, followed from `local`, 5-field documents:
- ingest alone: bulk requests of 1,000 documents from one client;
- replication alone: a paused follower resumed with N operations to catch up from an idle leader;
- follower creation: a new follower of a leader that already holds N documents, until caught up;
- lag under steady ingest of 2,000 and 5,000 docs/s: for every bulk, the time from its
  acknowledgement on the leader until the follower's global checkpoint covers it;
- peak resident memory of each cluster process (VmHWM).

The ingest phase's request bodies are built before it is timed, so its figure measures the clusters,
not the benchmark's own document generation.

Run: `python -m bench.sandbox_bench [--docs N] [--steady-seconds S] [--output bench/results/sandbox.json]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time

from elasticsearch import Elasticsearch, NotFoundError

from bench.practice import practice_clusters

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]


def bulk_body(index: str, start: int, count: int) -> str:
    lines = []
    for n in range(start, start + count):
        lines.append(json.dumps({"index": {"_index": index}}))
        lines.append(json.dumps({
            "name": random.choice(WORDS), "age": n % 90, "city": random.choice(WORDS).title(),
            "score": round(random.random() * 100, 3), "created": f"2026-11-{1 + n % 28:02d}T10:00:00Z",
        }))
    return "\n".join(lines) + "\n"


def progress(line: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)


def send_bulk(client: Elasticsearch, body: str | bytes) -> dict:
    resp = client.perform_request("POST", "/_bulk", body=body,
                                  headers={"content-type": "application/x-ndjson", "accept": "application/json"})
    if resp.body["errors"]:
        raise RuntimeError("bulk had errors")
    return resp.body


def max_seq_nos(client: Elasticsearch, index: str) -> dict[int, int]:
    stats = client.indices.stats(index=index, level="shards").body
    return {int(k): v[0]["seq_no"]["max_seq_no"] for k, v in stats["indices"][index]["shards"].items()}


def follower_checkpoints(client: Elasticsearch, follower: str) -> dict[int, int]:
    try:
        stats = client.ccr.follow_stats(index=follower).body["indices"]
    except NotFoundError:  # no shard follow task yet: the follower is still being recovered
        return {}
    if not stats:
        return {}
    return {s["shard_id"]: s["follower_global_checkpoint"] for s in stats[0]["shards"]}


def wait_caught_up(local: Elasticsearch, follower: str, target: dict[int, int], timeout_s: float = 900) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        got = follower_checkpoints(local, follower)
        if got and all(got.get(s, -1) >= seq for s, seq in target.items()):
            return time.monotonic() - started
        time.sleep(0.05)
    raise RuntimeError(f"{follower} did not catch up within {timeout_s}s")


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def steady_lag(remote: Elasticsearch, local: Elasticsearch, rate: int, seconds: float) -> dict:
    index = f"steady-{rate}"
    remote.indices.create(index=index, settings={"number_of_shards": 2})
    local.ccr.follow(index=f"{index}-follow", remote_cluster="remote", leader_index=index, wait_for_active_shards="1")
    batches_per_s = 10
    per_batch = rate // batches_per_s
    acked: list[float] = []
    stop = threading.Event()

    def writer() -> None:
        sent = 0
        next_at = time.monotonic()
        while not stop.is_set():
            send_bulk(remote, bulk_body(index, sent, per_batch))
            sent += per_batch
            acked.append(time.monotonic())
            next_at += 1 / batches_per_s
            time.sleep(max(0.0, next_at - time.monotonic()))

    # _bulk items do not name their shard: the leader's own max seq_no read after each acknowledged
    # bulk stands in for it (read slightly later, so the lag measured errs on the long side).
    lags: list[float] = []
    pending: list[tuple[float, dict[int, int]]] = []
    thread = threading.Thread(target=writer, daemon=True)
    started = time.monotonic()
    thread.start()
    seen = 0
    while time.monotonic() - started < seconds:
        while seen < len(acked):
            pending.append((acked[seen], max_seq_nos(remote, index)))
            seen += 1
        got = follower_checkpoints(local, f"{index}-follow")
        now = time.monotonic()
        still = []
        for ack_time, target in pending:
            if got and all(got.get(s, -1) >= seq for s, seq in target.items()):
                lags.append(now - ack_time)
            else:
                still.append((ack_time, target))
        pending = still
        time.sleep(0.02)
    stop.set()
    thread.join()
    achieved = len(acked) * per_batch / seconds
    lags.sort()
    return {
        "target_docs_per_s": rate,
        "achieved_docs_per_s": round(achieved),
        "lag_p50_s": round(statistics.median(lags), 3) if lags else None,
        "lag_p99_s": round(lags[int(len(lags) * 0.99) - 1], 3) if lags else None,
        "lag_max_s": round(lags[-1], 3) if lags else None,
        "samples": len(lags),
    }


def run(docs: int = 1_000_000, steady_seconds: float = 20.0) -> dict:
    results: dict = {"docs": docs}
    with practice_clusters("ccr-bench-") as (_, state):
        remote = Elasticsearch(state["remote"]["http"], request_timeout=600)
        local = Elasticsearch(state["local"]["http"], request_timeout=600)
        local.cluster.put_settings(persistent={"cluster.remote.remote.seeds": state["remote"]["transport"]})

        remote.indices.create(index="bench", settings={"number_of_shards": 2, "refresh_interval": "1s"})
        local.ccr.follow(index="bench-follow", remote_cluster="remote", leader_index="bench", wait_for_active_shards="1")
        local.ccr.pause_follow(index="bench-follow")

        bodies = [bulk_body("bench", start, min(1000, docs - start)).encode() for start in range(0, docs, 1000)]
        progress(f"ingesting {docs} documents")
        started = time.monotonic()
        for body in bodies:
            send_bulk(remote, body)
        ingest_s = time.monotonic() - started
        del bodies
        results["ingest_docs_per_s"] = round(docs / ingest_s)

        progress(f"ingest: {results['ingest_docs_per_s']} docs/s; replicating")
        target = max_seq_nos(remote, "bench")
        started = time.monotonic()
        local.ccr.resume_follow(index="bench-follow")
        catch_up_s = wait_caught_up(local, "bench-follow", target)
        results["replication_ops_per_s"] = round(docs / (time.monotonic() - started))
        results["replication_catch_up_s"] = round(catch_up_s, 1)

        progress(f"replication: {results['replication_ops_per_s']} ops/s; creating a second follower")
        started = time.monotonic()
        local.ccr.follow(index="bench-copy", remote_cluster="remote", leader_index="bench")
        wait_caught_up(local, "bench-copy", target)
        results["follower_creation_s"] = round(time.monotonic() - started, 1)

        progress(f"follower creation: {results['follower_creation_s']} s; steady ingest")
        results["steady"] = [steady_lag(remote, local, rate, steady_seconds) for rate in (2000, 5000)]
        results["peak_rss_mb"] = {name: round(peak_rss_mb(info["pid"])) for name, info in state.items()}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--steady-seconds", type=float, default=20.0)
    parser.add_argument("--output", help="also write the results (JSON) to this file")
    args = parser.parse_args()
    text = json.dumps(run(args.docs, args.steady_seconds), indent=2)
    print(text)
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "w") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
