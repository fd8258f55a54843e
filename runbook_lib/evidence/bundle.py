"""`evidence.json`: what a run did, gathered from its folder into one document an auditor can read.

Everything comes from files already in the folder: run.json (who, when, each step's outcome),
parameters.json and the records each executed notebook carries (checks, changing requests, the
identities `step.connect()` read, the state fingerprints before and after each step). An interactive
run (`"mode": "interactive"`, journal.py) carries its records in one journal per step instead of in
the notebooks. Nothing is asked of a cluster here, so a bundle can be rebuilt from the folder alone
and says nothing the notebooks (or journals) do not.

Per step, besides its outcome: `"state"` (before, after and what changed; the schema is in
runbook_lib/state_fingerprint.py) and, in an interactive run, `"interactive"` (cells run out of order,
twice, or not at all; the schema is in evidence/interactive.py). Checks and requests of an
interactive run also carry the `execution_count` of the cell that made them.
"""

from __future__ import annotations

import json
import os
import re
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator

from ..records import iter_records
from ..run_folder import PARAMETERS_FILE, read_run
from ..state_fingerprint import describe_changes
from .interactive import cell_flags, journal_records

EVIDENCE_FILE = "evidence.json"
EVIDENCE_SCHEMA = "ccr-runbooks.evidence.v1"
# The tool itself, then the clients and executors whose behaviour the evidence depends on.
_PACKAGES = ("ccr-runbooks", "elasticsearch", "elasticsearch7", "papermill", "nbclient", "nbformat")
_REDACTED = re.compile(r"<redacted: (?P<reason>[^>]*)>")


def build_evidence(folder: str | os.PathLike[str]) -> dict[str, Any]:
    folder = Path(folder)
    run = read_run(folder)
    run_id = run.get("run_id", folder.name)
    parameters = _read_json(folder / PARAMETERS_FILE)
    mode = run.get("mode", "headless")
    steps, checks, requests, identities = [], [], [], []
    for step in run.get("steps", []):
        entry = {k: step.get(k) for k in ("step", "status", "started", "ended", "duration_s", "notebook",
                                          "checks", "message")}
        steps.append(entry)
        states: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
        for kind, cell_id, where, payload in _step_records(folder, step, mode):
            # The X-Opaque-Id names the run the kernel began with; a run continuing a sealed one shares it.
            opaque_run = payload.get("run_id") or run_id
            if kind == "check":
                checks.append({"step": step["step"], "cell_id": cell_id, **where, **{k: payload.get(k) for k in (
                    "name", "expected", "observed", "verdict", "advice", "time")}})
            elif kind == "request":
                requests.append({"step": step["step"], "cell_id": cell_id, **where,
                                 "x_opaque_id": f"ccr-runbooks/{opaque_run}/{step['step']}",
                                 **{k: payload.get(k) for k in ("cluster", "method", "path", "devtools", "status",
                                                                "error", "dry_run", "duration_ms", "time")}})
            elif kind == "identity":
                identities.extend({**c, "step": step["step"]} for c in payload.get("clusters", []))
            elif kind == "state" and payload.get("phase") in states:
                states[payload["phase"]].append(payload.get("clusters") or {})
        # The first reading before (connect may run again) and the last after (finish may run again).
        before = states["before"][0] if states["before"] else None
        after = states["after"][-1] if states["after"] else None
        entry["state"] = {"before": before, "after": after, "changed": describe_changes(before, after)}
        if mode == "interactive":
            entry["interactive"] = cell_flags(folder, step)
    return {
        "schema": EVIDENCE_SCHEMA,
        "run_id": run_id,
        "runbook": run.get("runbook"),
        "mode": mode,
        "status": run.get("status"),
        "operator": run.get("operator"),
        "host": run.get("host"),
        "started": run.get("started"),
        "ended": run.get("ended"),
        "dry_run": run.get("dry_run"),
        "resumed_from": run.get("resumed_from"),
        "versions": {"python": run.get("python"), **_versions()},
        "clusters": _clusters(identities),
        "parameters": parameters,
        "redactions": list(_redactions(parameters)),
        "steps": steps,
        "checks": checks,
        "requests": requests,
    }


def _step_records(folder: Path, step: dict[str, Any], mode: str) -> Iterator[tuple[str, Any, dict[str, Any], dict]]:
    """(kind, cell_id, where, record) from the step's journal (interactive) or executed notebook."""
    if mode == "interactive":
        journal = folder / step["journal"] if step.get("journal") else None
        if journal is not None and journal.is_file():
            for kind, cell_id, count, payload in journal_records(journal):
                yield kind, cell_id, {"execution_count": count}, payload
        return
    notebook = folder / step["notebook"] if step.get("notebook") else None
    if notebook is not None and notebook.is_file():
        for kind, _, cell_id, _, payload in iter_records(notebook):
            yield kind, cell_id, {}, payload


def write_evidence(folder: str | os.PathLike[str]) -> Path:
    path = Path(folder) / EVIDENCE_FILE
    path.write_text(json.dumps(build_evidence(folder), indent=2, ensure_ascii=False, default=str) + "\n",
                    encoding="utf-8")
    return path


def _clusters(identities: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each role's distinct identities, with the steps that saw them: more than one is itself a finding."""
    by_role: dict[str, list[dict[str, Any]]] = {}
    for identity in identities:
        who = {k: identity.get(k) for k in ("cluster_name", "cluster_uuid", "version", "principal",
                                            "authentication", "url")}
        seen = by_role.setdefault(identity.get("role", "?"), [])
        match = next((s for s in seen if all(s[k] == v for k, v in who.items())), None)
        if match is None:
            seen.append({**who, "steps": [identity["step"]]})
        elif identity["step"] not in match["steps"]:
            match["steps"].append(identity["step"])
    return by_role


def _redactions(value: Any, path: str = "") -> Iterator[dict[str, str]]:
    """Where parameters.json holds a redaction marker, and why, so a reader need not search for them."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _redactions(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _redactions(item, f"{path}[{i}]")
    elif isinstance(value, str):
        for match in _REDACTED.finditer(value):
            yield {"field": path, "reason": match.group("reason")}


def _versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None  # the parameter set did not load; the first notebook says why
