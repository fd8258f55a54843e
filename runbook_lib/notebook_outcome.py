"""What an executed notebook says about its own run: which cell stopped it, why, and its checks.

papermill records a status for every cell (`pending`, `running`, `completed`, `failed`) in
`cell.metadata.papermill`. A run can end without an exception and still not be complete: a cell that
raised `SystemExit(0)` stops the notebook silently and leaves the cells after it `pending`, and a
kernel that died leaves a cell `running`. So the outcome is read cell by cell, never from the exit
code alone; a check recorded as failed fails the step even if the notebook forgot to stop on it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping

from . import errors
from .records import iter_records

# papermill's error banner cells, inserted into the output notebook after a failure.
_PAPERMILL_MARKER = "papermill-error-cell-tag"
_RUNBOOK_ERRORS = frozenset(
    cls.__name__ for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.RunbookError)
)


@dataclass(frozen=True)
class FailedCell:
    """The cell that stopped a notebook: where it is and what it reported."""

    index: int  # position among the notebook's own cells (papermill's banners not counted)
    cell_id: str | None
    execution_count: int | None
    heading: str  # the nearest markdown heading above it, which names the procedure step
    status: str  # papermill's cell status: failed, running or pending
    error_name: str = ""
    error_value: str = ""

    @property
    def where(self) -> str:
        label = f"In [{self.execution_count}]" if self.execution_count else f"cell {self.index + 1}"
        return f'{label} under "{self.heading}"' if self.heading else label


@dataclass(frozen=True)
class NotebookOutcome:
    passed: bool
    message: str  # empty when passed; otherwise what stopped it, in the words of the failing cell
    failed_cell: FailedCell | None = None
    checks: Mapping[str, int] = field(default_factory=dict)  # verdict -> count
    failed_checks: tuple[str, ...] = ()
    duration_s: float | None = None  # papermill's own figure for the whole notebook
    cells_s: float = 0.0  # the sum of the cells' durations: time spent inside the kernel


def read_outcome(notebook: Any) -> NotebookOutcome:
    """Read an executed notebook (a path or an nbformat node) into its outcome."""
    nb = _load(notebook)
    cells = [c for c in nb.get("cells", []) if _PAPERMILL_MARKER not in c.get("metadata", {}).get("tags", [])]
    headings = _headings(nb.get("cells", []))
    checks: dict[str, int] = {}
    failed_checks: list[str] = []
    failed_under = ""  # the heading of the cell that recorded the first failed check
    for kind, cell_index, _, _, payload in iter_records(nb):
        if kind == "check":
            checks[payload.get("verdict", "?")] = checks.get(payload.get("verdict", "?"), 0) + 1
            if payload.get("verdict") == "fail":
                failed_checks.append(str(payload.get("name", "?")))
                failed_under = failed_under or headings[cell_index]
    papermill = nb.get("metadata", {}).get("papermill", {})
    cells_s = sum(float(c.get("metadata", {}).get("papermill", {}).get("duration") or 0) for c in cells)
    common = dict(checks=checks, failed_checks=tuple(failed_checks), duration_s=papermill.get("duration"),
                  cells_s=cells_s)
    stopped = _first_incomplete(cells)
    if stopped is not None:
        return NotebookOutcome(False, _stop_message(stopped, failed_under), stopped, **common)
    if failed_checks:
        names = ", ".join(failed_checks)
        return NotebookOutcome(False, f"check(s) failed without stopping the notebook: {names}", **common)
    return NotebookOutcome(True, "", **common)


def _load(notebook: Any) -> Mapping[str, Any]:
    if isinstance(notebook, (str, os.PathLike)):
        import nbformat

        return nbformat.read(os.fspath(notebook), as_version=4)
    return notebook


def _first_incomplete(cells: list[Mapping[str, Any]]) -> FailedCell | None:
    for index, (cell, heading) in enumerate(zip(cells, _headings(cells))):
        if cell.get("cell_type") != "code":
            continue
        status = cell.get("metadata", {}).get("papermill", {}).get("status")
        error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
        allowed = "raises-exception" in cell.get("metadata", {}).get("tags", [])
        if status == "completed" and (error is None or allowed):
            continue
        return FailedCell(
            index=index, cell_id=cell.get("id"), execution_count=cell.get("execution_count"), heading=heading,
            status=status or "not recorded", error_name=error.get("ename", "") if error else "",
            error_value=error.get("evalue", "") if error else "",
        )
    return None


def _headings(cells: list[Mapping[str, Any]]) -> list[str]:
    """For each cell, the nearest markdown heading at or above it."""
    out, heading = [], ""
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            heading = _heading(cell.get("source", "")) or heading
        out.append(heading)
    return out


def _heading(source: str) -> str:
    for line in source.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return ""


def _stop_message(cell: FailedCell, failed_under: str = "") -> str:
    if cell.error_name == "SystemExit":
        return (f"{cell.where} raised SystemExit({cell.error_value}): the notebook stopped early and the "
                "cells after it never ran")
    if cell.error_name:
        # A runbook error's message already says what is wrong and what to do; anything else is a bug
        # or an unexpected condition, and its type matters.
        text = cell.error_value if cell.error_name in _RUNBOOK_ERRORS else f"{cell.error_name}: {cell.error_value}"
        if cell.error_name == "CheckFailed" and failed_under and failed_under != cell.heading:
            # The step stopped at its verdict; the check itself was made further up, where the fix is.
            return f'"{failed_under}" (stopped at {cell.where}): {text}'
        return f"{cell.where}: {text}"
    if cell.status == "running":
        return f"{cell.where} never finished: the kernel stopped while running it"
    if cell.status == "pending":
        return f"{cell.where} never ran: the notebook stopped before it without reporting an error"
    return f"{cell.where} ended with status {cell.status!r}"
