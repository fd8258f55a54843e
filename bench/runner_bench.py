"""Runner overhead: per notebook, the wall time of the chain minus the time spent waiting on the clusters.

A fresh practice pair gets the guide's `myindex` with N documents; the `migrate` runbook (00-05) and
then `cleanup` (06) run with the runner, their requests passing through timing proxies (the notebooks
find them through CCR_REMOTE_URL/CCR_LOCAL_URL, as they would find real clusters). Per notebook:
- wall: the runner's time for the step (kernel start, papermill, saving the notebook included);
- cells: time inside the notebook's cells; cluster: time at least one request was in flight;
- overhead = wall - cluster, split into kernel_and_papermill (wall - cells: the runner's own cost)
  and in_kernel (cells - cluster: the notebook's Python, and the pauses between polls while it waits
  for a cluster to get somewhere, such as a canary becoming searchable after the next refresh).

Run: `python -m bench.runner_bench [--docs N]`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from pathlib import Path

from bench.practice import environment, practice_clusters
from bench.timing_proxy import BusyClock, TimingProxy

def run(docs: int = 10_000) -> dict:
    from elasticsearch import Elasticsearch

    from runbook_lib.parameters import SANDBOX_PARAMETERS_FILE
    from runbook_lib.runner import run_runbook
    from runbook_lib.sample_data import load_sample_index

    rows: list[dict] = []
    with practice_clusters("ccr-runner-bench-") as (home, state):
        load_sample_index(Elasticsearch(state["remote"]["http"], request_timeout=120), "myindex", docs,
                          progress=lambda line: None)
        clock = BusyClock()
        with contextlib.ExitStack() as stack:
            remote = stack.enter_context(TimingProxy(state["remote"]["http"], clock))
            local = stack.enter_context(TimingProxy(state["local"]["http"], clock))
            stack.enter_context(environment(CCR_REMOTE_URL=remote.url, CCR_LOCAL_URL=local.url))
            mark = {"busy": clock.busy_s(), "requests": clock.requests}

            def measure(step) -> None:
                busy, requests = clock.busy_s(), clock.requests
                rows.append(_row(step, busy - mark["busy"], requests - mark["requests"]))
                mark.update(busy=busy, requests=requests)

            started = time.monotonic()
            for runbook in ("migrate", "cleanup"):
                result = run_runbook(runbook, SANDBOX_PARAMETERS_FILE, confirm="myindex_follow",
                                     runs_dir=Path(home) / "runs", on_step=measure, report=lambda line: None)
                if not result.passed:
                    failed = result.failed_step
                    raise RuntimeError(f"{runbook} stopped at {failed.step if failed else '?'}: "
                                       f"{failed.message if failed else result.status}")
            chain_s = time.monotonic() - started
    total = {key: round(sum(r[key] for r in rows), 2) for key in ("wall_s", "cluster_s", "overhead_s",
                                                                   "kernel_and_papermill_s", "in_kernel_s")}
    return {"docs": docs, "chain_wall_s": round(chain_s, 2), "total": total, "notebooks": rows}


def _row(step, cluster_s: float, requests: int) -> dict:
    wall, cells = step.duration_s or 0.0, step.kernel_s or 0.0
    return {"notebook": step.step, "wall_s": round(wall, 2), "cells_s": round(cells, 2),
            "cluster_s": round(cluster_s, 2), "requests": requests, "overhead_s": round(wall - cluster_s, 2),
            "kernel_and_papermill_s": round(wall - cells, 2), "in_kernel_s": round(cells - cluster_s, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    args = parser.parse_args()
    print(json.dumps(run(args.docs), indent=2))


if __name__ == "__main__":
    main()
