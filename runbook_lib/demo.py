"""`python -m runbook_lib demo`: the whole migration on the practice clusters, with an application writing.

1. load the guide's `myindex` into the leader (100,000 documents by default);
2. start an application writer against the leader, at a steady rate;
3. run the `migrate` runbook (00-05) with the runner, confirming with the follower's name;
4. print what happened: each step's verdict, replication latency, parity, how long writes were
   unavailable at cutover, and whether every acknowledged write is on the promoted index.

The practice clusters are reached over HTTP through the URLs in their state file, with the
official client, as any application would; `make demo` starts them fresh first.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .app_writer import AppWriter, WriterStats
from .cluster_parameters import ClusterParameters
from .connection import build_client, read_root
from .demo_summary import lost_writes, summary_lines
from .errors import RunbookError
from .parameters import SANDBOX_PARAMETERS_FILE, load_parameters
from .runner import NOTEBOOKS_DIR, run_runbook
from .sample_data import load_sample_index
from .sandbox_state import HOME_ENV
from .versions import Version

_APP_ID = "ccr-runbooks-demo/application"


def run_demo(home: str = ".sandbox", docs: int = 100_000, rate: float = 200.0, runs_dir: str = "runs") -> int:
    """Returns the exit status: 0 when every step passed and no acknowledged write was lost."""
    home_path = Path(home).resolve()
    if not (home_path / "clusters.json").is_file():
        raise RunbookError(f"no practice clusters in {home_path}: start them with "
                           f"`python -m es_sandbox --home {home} up` (or run `make demo`)")
    # The notebooks' kernels inherit this, so they find the same practice clusters.
    os.environ[HOME_ENV] = str(home_path)
    params = load_parameters(SANDBOX_PARAMETERS_FILE, cwd=NOTEBOOKS_DIR)
    pair = params.indices[0]
    remote, local = app_client(params.remote), app_client(params.local)

    print(f"Practice clusters: remote {params.remote.url}, local {params.local.url} (home {home_path})")
    print(f"Loading {docs:,} sample documents into {pair.leader} on the remote cluster (the leader)")
    load_s = load_sample_index(remote, pair.leader, docs)
    print(f"Starting an application writing {rate:g} documents/s to {pair.leader}")
    writer = AppWriter(remote, pair.leader, rate=rate, promoted=lambda: follower_promoted(local, pair.follower))
    writer.start()
    try:
        result = run_runbook("migrate", SANDBOX_PARAMETERS_FILE, confirm=pair.follower, runs_dir=runs_dir)
    finally:
        stats: WriterStats = writer.stop()
    lost = lost_writes(local, pair.follower, stats.acknowledged_ids) if result.passed else None
    for line in summary_lines(result, stats, lost, load_s=load_s, docs=docs, pair=pair, local=local, remote=remote):
        print(line)
    return 0 if result.passed and lost == [] else 1


def app_client(params: ClusterParameters) -> Any:
    """An official client for one practice cluster, as the application would build it."""
    credentials = params.read_credentials()
    version = Version.parse(read_root(params, credentials, _APP_ID).get("version", {}).get("number", "8.0.0"))
    return build_client(params, credentials, version, _APP_ID)


def follower_promoted(client: Any, follower: str) -> bool:
    """The follower is no longer following and is open: the application could write to it now."""
    info = client.ccr.follow_info(index=follower)
    if getattr(info, "body", info).get("follower_indices"):
        return False
    rows = client.cat.indices(index=follower, h="status", format="json")
    rows = getattr(rows, "body", rows)
    return bool(rows) and rows[0].get("status") == "open"
