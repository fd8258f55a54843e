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
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.timing_proxy import BusyClock, TimingProxy

ROOT = Path(__file__).resolve().parent.parent


def sandbox(home: str, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "es_sandbox", "--home", home, *args], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def run(docs: int = 10_000) -> dict:
    from elasticsearch import Elasticsearch

    from runbook_lib.parameters import SANDBOX_PARAMETERS_FILE
    from runbook_lib.runner import run_runbook
    from runbook_lib.sample_data import load_sample_index

    home = tempfile.mkdtemp(prefix="ccr-runner-bench-")
    saved_env = {k: os.environ.get(k) for k in ("CCR_REMOTE_URL", "CCR_LOCAL_URL", "ES_SANDBOX_HOME")}
    rows: list[dict] = []
    try:
        sandbox(home, "up", "--http-port", "0", "--transport-port", "0")
        state = json.loads((Path(home) / "clusters.json").read_text())["clusters"]
        load_sample_index(Elasticsearch(state["remote"]["http"], request_timeout=120), "myindex", docs,
                          progress=lambda line: None)
        clock = BusyClock()
        with TimingProxy(state["remote"]["http"], clock) as remote, TimingProxy(state["local"]["http"], clock) as local:
            os.environ.update(CCR_REMOTE_URL=remote.url, CCR_LOCAL_URL=local.url, ES_SANDBOX_HOME=home)
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
    finally:
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        sandbox(home, "down")
        shutil.rmtree(home, ignore_errors=True)
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
