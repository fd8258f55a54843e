"""`runs/<run id>/`: the folder one run of a runbook leaves behind.

    runs/<run id>/
      run.json           who ran which runbook, when, with what outcome per step, and which run it resumes
      parameters.json    the parameter set as the notebooks resolved it (variable names, never secrets)
      00_preflight.ipynb ...   each executed notebook, as papermill saved it

A folder is created for one run and never reopened by a later one: resuming (`--from STEP`) starts a
new folder whose run.json names the stopped run, so what a run recorded stays as it was.
"""

from __future__ import annotations

import getpass
import json
import os
import platform
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from .errors import RunbookError
from .records import json_safe

RUN_FILE = "run.json"
PARAMETERS_FILE = "parameters.json"
RUN_SCHEMA = "ccr-runbooks.run.v1"


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class RunFolder:
    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    @classmethod
    def create(cls, runs_dir: str | os.PathLike[str], run_id: str) -> "RunFolder":
        path = Path(runs_dir).resolve() / run_id
        try:
            path.mkdir(parents=True)
        except FileExistsError:
            raise RunbookError(
                f"{path} already exists: a run's folder is never reopened. Start a new run (leave --run-id "
                "out for a fresh id), with --from STEP to continue where that run stopped"
            ) from None
        return cls(path)

    def notebook(self, step: str) -> Path:
        return self.path / f"{step}.ipynb"

    def write_run(self, record: Mapping[str, Any]) -> None:
        self._write_json(RUN_FILE, {"schema": RUN_SCHEMA, **record})

    def write_parameters(self, public: Mapping[str, Any]) -> None:
        # Redacted again, whatever the caller passed: this file is kept as evidence.
        self._write_json(PARAMETERS_FILE, json_safe(dict(public)))

    def _write_json(self, name: str, data: Any) -> None:
        # Written whole then renamed, so an interrupted run never leaves half a file behind.
        tmp = self.path / f".{name}.tmp"
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, self.path / name)


def read_run(folder: str | os.PathLike[str]) -> dict[str, Any]:
    with open(Path(folder) / RUN_FILE, encoding="utf-8") as fh:
        return json.load(fh)


def latest_run(runs_dir: str | os.PathLike[str], runbook: str, exclude: str = "") -> dict[str, Any] | None:
    """The most recently started run of `runbook` in `runs_dir` (other than `exclude`), if any."""
    found = []
    root = Path(runs_dir)
    if not root.is_dir():
        return None
    for run_file in root.glob(f"*/{RUN_FILE}"):
        try:
            record = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # an unreadable folder is not a run we can name
        if record.get("runbook") == runbook and record.get("run_id") != exclude:
            found.append(record)
    return max(found, key=lambda r: r.get("started", ""), default=None)


def who_and_where() -> dict[str, str]:
    """The operator and machine a run is attributed to."""
    try:
        operator = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        operator = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return {"operator": operator, "host": socket.gethostname(), "python": platform.python_version()}
