"""Interactive run folders (journal.py): run.json from the journals, the order cells ran in, the seal.

    runs/<run id>/<step>.journal.jsonl   what the kernel did, as it happened (journal.py)
    runs/<run id>/<step>.ipynb           the notebook as saved when the run was sealed, outputs
                                         cleared and credential values hidden as in the journal: its
                                         cell order and headings; the journal says what ran
    runs/<run id>/run.json               built here from the journals ("mode": "interactive")
    runs/<run id>/parameters.json        the public parameter set the last `begin` resolved
    runs/<run id>/report.html            rendered (evidence/report.py) just before the seal

A step "passed" or "failed" by the verdict its `step.finish()` journaled; a step whose notebook
never reached it is "unfinished" (sealed by `python -m runbook_lib evidence seal`).

Cells run out of notebook order, run more than once, or not run at all are flagged per step:
    {"journal": "<step>.journal.jsonl", "notebook": "<step>.ipynb" | null,
     "executions": [{"seq", "time", "cell_id", "execution_count", "position", "heading", "status", "error"}],
     "cells_out_of_order": [{"cell_id", "heading", "position", "execution_count", "ran_after": {"cell_id", "heading", "position"}}],
     "cells_run_twice": [{"cell_id", "heading", "position", "execution_counts": [int, ...]}],
     "cells_not_run": [{"cell_id", "heading", "position"}],
     "notes": [str]}
`position` is the cell's index in the notebook (markdown cells counted); a cell is out of order when
it first ran after a cell further down had run. Cells above the first journaled one (the parameters
cell, run before `begin`) are not judged.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from ..errors import RunbookError
from ..journal import JOURNAL_SUFFIX, is_sealed
from ..redaction import env_secrets, hide_values
from ..run_folder import RunFolder, read_run


def journals(folder: Path) -> dict[str, Path]:
    """step -> its journal, for every journal of the folder."""
    return {p.name[: -len(JOURNAL_SUFFIX)]: p for p in sorted(folder.glob(f"*{JOURNAL_SUFFIX}"))}


def read_journal(path: Path) -> list[dict[str, Any]]:
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue  # a line torn by a kernel that died mid-write: the lines before it stand
    return events


def journal_records(path: Path) -> Iterator[tuple[str, str | None, int | None, dict[str, Any]]]:
    """(kind, cell_id, execution_count, record) for every record of a journal, in the order emitted."""
    for event in read_journal(path):
        if event.get("event") == "record" and isinstance(event.get("record"), dict):
            yield event.get("kind", "?"), event.get("cell_id"), event.get("execution_count"), event["record"]


def seal_interactive(folder: str | os.PathLike[str]) -> str:
    """Build run.json (and parameters.json, notebook copies) from the journals, then seal; the chain's head."""
    folder = Path(folder).resolve()
    if is_sealed(folder):
        raise RunbookError(f"{folder} is already sealed, and a sealed run is never reopened")
    if not journals(folder):
        raise RunbookError(f"{folder} holds no journal (*{JOURNAL_SUFFIX}): it is not an interactive run")
    # Imported here: seal.py builds evidence.json, whose bundle.py reads journals from this module.
    from .report import write_report
    from .seal import seal_run

    write_interactive_run(folder)
    write_report(folder)  # before the seal, so that SHA256SUMS covers it, as the runner does
    return seal_run(folder)


def write_interactive_run(folder: Path) -> dict[str, Any]:
    run_folder = RunFolder(folder)
    steps, begins = [], []
    for step, path in journals(folder).items():
        events = read_journal(path)
        begin = next((e for e in reversed(events) if e.get("event") == "begin"), {})
        begins.append(begin)
        steps.append(_step(folder, step, path, events, begin, env_secrets(begin.get("parameters") or {})))
    steps.sort(key=lambda s: s["started"] or "")
    begins.sort(key=lambda b: b.get("time", ""))
    first, last = (begins[0], begins[-1]) if begins else ({}, {})
    statuses = {s["status"] for s in steps}
    status = "failed" if "failed" in statuses else "unfinished" if "unfinished" in statuses else "passed"
    given = first.get("given") or {}
    record = {
        "run_id": folder.name, "runbook": "interactive", "mode": "interactive",
        "started": steps[0]["started"] if steps else None, "ended": max((s["ended"] or "" for s in steps), default=None),
        "parameters_file": given.get("parameters_file") or None, "from_step": None,
        "resumed_from": _continues(folder, first.get("continues")), "dry_run": bool(given.get("dry_run")),
        "confirm": given.get("confirm", ""), "operator": first.get("operator"), "host": first.get("host"),
        "python": first.get("python"), "status": status, "steps": steps,
    }
    run_folder.write_run(record)
    if last.get("parameters") is not None:
        run_folder.write_parameters(last["parameters"])
    return record


def _step(folder: Path, step: str, path: Path, events: list[dict[str, Any]], begin: dict[str, Any],
          secrets: dict[str, str]) -> dict[str, Any]:
    finish = next((e for e in reversed(events) if e.get("event") == "finish"), None)
    checks: dict[str, int] = {}
    if finish is not None:
        checks = dict(finish.get("checks") or {})
    else:
        for kind, _, _, record in journal_records(path):
            if kind == "check":
                checks[record.get("verdict", "?")] = checks.get(record.get("verdict", "?"), 0) + 1
    failed = list(finish.get("failed") or []) if finish else []
    if finish is None:
        status, message = "unfinished", "step.finish() never ran: the run was sealed as it stood"
    elif failed:
        status, message = "failed", f"check(s) failed: {', '.join(failed)}"
    else:
        status, message = "passed", ""
    started, ended = (events[0].get("time"), events[-1].get("time")) if events else (None, None)
    return {"step": step, "status": status, "notebook": _copy_notebook(folder, step, begin.get("notebook"), secrets),
            "journal": path.name, "started": started, "ended": ended, "duration_s": _seconds(started, ended),
            "kernel_s": None, "checks": checks, "message": message, "failed_cell": None}


def _copy_notebook(folder: Path, step: str, source: str | None, secrets: dict[str, str]) -> str | None:
    """The notebook as saved, outputs cleared: they may be from another session, the journal is the record.
    Its code is what the analyst typed, so the credentials' values are hidden in it as in the journal."""
    if not source or not Path(source).is_file():
        return None
    import nbformat

    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        cell.source = hide_values(cell.source, secrets)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata["ccr_runbooks"] = {"copied_from": source, "outputs": "cleared; the journal records what ran"}
    target = folder / f"{step}.ipynb"
    nbformat.write(nb, target)
    return target.name


def _continues(folder: Path, previous: str | None) -> dict[str, Any] | None:
    if not previous:
        return None
    try:
        status = read_run(folder.parent / previous).get("status")
    except (OSError, ValueError):
        status = None
    return {"run_id": previous, "status": status, "stopped_at": None}


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 3)


# --- the order cells ran in ---------------------------------------------------------------------


def cell_flags(folder: Path, step: dict[str, Any]) -> dict[str, Any]:
    """The `interactive` entry of a step in evidence.json (see the module docstring)."""
    path = folder / step.get("journal", "")
    events = read_journal(path) if step.get("journal") and path.is_file() else []
    layout = _layout(folder / step["notebook"]) if step.get("notebook") else {}
    nowhere = {"position": None, "heading": ""}  # a cell not in the saved notebook (added, never saved)
    executions = [{"seq": e.get("seq"), "time": e.get("time"), "cell_id": e.get("cell_id"),
                   "execution_count": e.get("execution_count"),
                   **{k: layout.get(e.get("cell_id"), nowhere)[k] for k in ("position", "heading")},
                   "status": e.get("status"), "error": e.get("error", "")}
                  for e in events if e.get("event") == "cell"]
    notes = []
    if any(x["cell_id"] is None for x in executions):
        notes.append("the front end sent no cell ids for some cells: their order could not be checked")
    if not layout:
        notes.append("the notebook was not found when the run was sealed: the order could not be checked")
    seen: dict[str, dict[str, Any]] = {}
    out_of_order, furthest = [], None
    for x in executions:
        if x["cell_id"] is None:
            continue
        if x["cell_id"] in seen:
            seen[x["cell_id"]]["execution_counts"].append(x["execution_count"])
        else:
            seen[x["cell_id"]] = {"cell_id": x["cell_id"], "heading": x["heading"], "position": x["position"],
                                  "execution_counts": [x["execution_count"]]}
            if x["position"] is not None and furthest is not None and x["position"] < furthest["position"]:
                out_of_order.append({k: x[k] for k in ("cell_id", "heading", "position", "execution_count")}
                                    | {"ran_after": {k: furthest[k] for k in ("cell_id", "heading", "position")}})
        if x["position"] is not None and (furthest is None or x["position"] > furthest["position"]):
            furthest = x
    first = min((x["position"] for x in executions if x["position"] is not None), default=None)
    not_run = [{"cell_id": cid, **where} for cid, where in layout.items()
               if where["code"] and cid not in seen and first is not None and where["position"] > first]
    return {"journal": step.get("journal"), "notebook": step.get("notebook"),
            "executions": executions, "cells_out_of_order": out_of_order,
            "cells_run_twice": [entry for entry in seen.values() if len(entry["execution_counts"]) > 1],
            "cells_not_run": [{k: c[k] for k in ("cell_id", "heading", "position")} for c in not_run],
            "notes": notes}


def _layout(path: Path) -> dict[str, dict[str, Any]]:
    """cell id -> {"position", "heading" (the nearest markdown heading above), "code"}."""
    if not path.is_file():
        return {}
    import nbformat

    layout, heading = {}, ""
    for position, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type == "markdown":
            heading = next((line.lstrip("#").strip() for line in cell.source.splitlines() if line.startswith("#")),
                           heading)
        layout[cell.get("id")] = {"position": position, "heading": heading, "code": cell.cell_type == "code"}
    return layout

