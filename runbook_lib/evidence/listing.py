"""`evidence list`: the runs of a runs folder as a table, oldest first."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..run_folder import RUN_FILE
from ..tables import table_text
from .bundle import EVIDENCE_FILE
from .seal import MANIFEST_FILE

COLUMNS = ("run", "runbook", "clusters", "started", "verdict", "checks passed/failed")


def list_runs(runs_dir: str | os.PathLike[str]) -> list[tuple[str, ...]]:
    rows = []
    for run_file in Path(runs_dir).glob(f"*/{RUN_FILE}"):
        folder = run_file.parent
        run = _read(run_file) or {}
        evidence = _read(folder / EVIDENCE_FILE) or {}
        counts: dict[str, int] = {}
        for step in run.get("steps", []):
            for verdict, n in (step.get("checks") or {}).items():
                counts[verdict] = counts.get(verdict, 0) + n
        verdict = str(run.get("status", "unreadable"))
        if not (folder / MANIFEST_FILE).is_file():
            verdict += " (unsealed)"  # stopped before the runner could seal it, or edited away
        rows.append((folder.name, str(run.get("runbook", "?")), _clusters(evidence.get("clusters") or {}),
                     str(run.get("started", "")), verdict, f"{counts.get('pass', 0)}/{counts.get('fail', 0)}"))
    return sorted(rows, key=lambda r: (r[3], r[0]))


def runs_table(runs_dir: str | os.PathLike[str]) -> str:
    rows = list_runs(runs_dir)
    if not rows:
        return f"No runs in {runs_dir}"
    return table_text(f"Runs in {runs_dir}", COLUMNS, rows)


def _clusters(by_role: dict[str, list[dict[str, Any]]]) -> str:
    """`remote -> local` by cluster name; a role that met more than one cluster lists them all."""
    names = {role: "/".join(str(c.get("cluster_name")) for c in found) for role, found in by_role.items()}
    if not names:
        return "-"
    return f"{names.get('remote', '?')} -> {names.get('local', '?')}"


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
