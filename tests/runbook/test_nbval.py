"""Each notebook on its own, exactly as committed, under `pytest --nbval-lax`, against the practice pair.

The notebooks' defaults are the practice clusters (`parameters/sandbox.yaml`, found through
ES_SANDBOX_HOME) and the guide's names, `myindex` followed as `myindex_follow`: this test gives the
session's pair the guide's leader, then lets nbval run every notebook in order, each in its own kernel
started in notebooks/ as JupyterLab would, and fails on any cell that raises.

One value is not a default: 05_cutover refuses to promote until `confirm` names the follower (that
refusal is the point), so nbval runs a copy of it whose only change is that parameter, as an
analyst would type it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
GUIDE_LEADER, GUIDE_FOLLOWER = "myindex", "myindex_follow"


def with_confirmation(notebook: Path, folder: Path) -> Path:
    """`notebook` with `confirm` set in its parameters (papermill's injected cell; nothing else changes)."""
    import papermill

    copy = folder / notebook.name
    papermill.execute_notebook(str(notebook), str(copy), parameters={"confirm": GUIDE_FOLLOWER},
                               prepare_only=True, progress_bar=False)
    return copy


@pytest.mark.sandbox_only
def test_every_notebook_runs_as_committed_under_nbval(practice, tmp_path):
    assert NOTEBOOKS, "no notebooks found"
    remote, local = practice.client("remote"), practice.client("local")
    local.options(ignore_status=404).indices.delete(index=GUIDE_FOLLOWER)
    remote.options(ignore_status=404).indices.delete(index=GUIDE_LEADER)
    practice.leader(GUIDE_LEADER, docs=25)
    practice.remove_at_end("local", GUIDE_FOLLOWER)

    notebooks = [with_confirmation(nb, tmp_path) if nb.name.startswith("05_") else nb for nb in NOTEBOOKS]

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-o", "addopts=",
         "--nbval-cell-timeout", "600", "-q", "--color=no", *map(str, notebooks)],
        cwd=ROOT, capture_output=True, text=True, timeout=1200, env=os.environ.copy())

    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    # nbval makes every code cell a test item: every cell of every notebook ran and passed.
    cells = sum(1 for nb in notebooks for cell in nbformat.read(nb, as_version=4).cells if cell.cell_type == "code")
    assert f"\n{cells} passed in" in result.stdout, result.stdout[-3000:]
