"""Interactive runs: a notebook stepped through in JupyterLab writes its evidence as it happens.

papermill saves the executed notebook, which is a headless run's record. JupyterLab saves when it
likes and keeps only the last output of each cell, so an interactive run keeps its own record: from
`begin(...)` on, every record (check, changing request, identity, state) and every cell executed is
appended to `runs/<run id>/<step>.journal.jsonl` the moment it happens, one JSON object a line:

    {"schema": "ccr-runbooks.journal.v1", "seq": int, "time": ISO 8601 UTC, "event": EVENT, "step": str,
     "run_id": str, "cell_id": str | null, "execution_count": int | null, ...}
    EVENT "begin":  "notebook" (its path), "given" (the parameters cell's values), "parameters" (the
                    public parameter set), "continues" (the sealed run this one follows, or null),
                    "operator", "host", "python"
    EVENT "record": "kind" (check, request, identity, state), "record" (the record as displayed)
    EVENT "cell":   "source" (the code as run, secrets redacted), "status" ("ok" or "error"), "error"
    EVENT "finish": "checks" (verdict -> count), "failed" (names of failed checks)

Whatever is written has the values of the credential variables the parameter set names replaced by
`<redacted: the value of NAME>`: an analyst's cell, or an error, may hold one where no key says so.

The cell id is the one JupyterLab sends with each execute request (`metadata.cellId`, the notebook's
own cell id); the execution count is IPython's `In [n]`. `step.finish()` seals the run folder
(evidence/interactive.py builds run.json and evidence.json from the journals, then the same
SHA256SUMS and chained manifest as a headless run). A sealed folder is never written again: anything
run in the kernel afterwards (finish run again, any other cell) goes to a new run `<run id>.2`
(`.3`, ...) whose journal names the sealed one, and which the next `step.finish()` seals. A run whose
notebook never reached `step.finish()` is sealed with `python -m runbook_lib evidence seal runs/<id>`.

A notebook counts as interactive when its execute requests carry a cell id (JupyterLab, Notebook 7
and VS Code send one; papermill and nbclient send none). `CCR_RUNBOOKS_MODE=interactive|headless`
overrides that (the runner sets `headless` for its kernels; a front end that sends no cell id needs
`interactive`). Interactive runs are written under `runs/` at the repository root, or under
`CCR_RUNBOOKS_RUNS_DIR`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Mapping

from .parameters import REPO_ROOT, MigrationParameters, new_run_id
from .records import KINDS, json_safe, now_iso, on_record
from .redaction import env_secrets, hide_values, redact
from .run_folder import who_and_where

MODE_ENV = "CCR_RUNBOOKS_MODE"
RUNS_DIR_ENV = "CCR_RUNBOOKS_RUNS_DIR"
JOURNAL_SCHEMA = "ccr-runbooks.journal.v1"
JOURNAL_SUFFIX = ".journal.jsonl"
_SEALED_MARK = "manifest.json"  # evidence/seal.py's MANIFEST_FILE, not imported: seal.py imports this module (via bundle.py)
_SUCCESSOR = re.compile(r"^(?P<base>.+)\.(?P<n>\d+)$")


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _parent() -> Mapping[str, Any]:
    """The execute request being run (ipykernel 6+: `kernel.get_parent()`; older: `_parent_header`)."""
    kernel = getattr(_shell(), "kernel", None)
    if kernel is None:
        return {}
    try:
        parent = kernel.get_parent() if hasattr(kernel, "get_parent") else getattr(kernel, "_parent_header", {})
    except Exception:  # noqa: BLE001 - a kernel without a current request: nothing to attribute
        return {}
    return parent or {}


def current_cell() -> tuple[str | None, int | None]:
    """(the front end's cell id, IPython's execution count) of the cell running now."""
    shell = _shell()
    cell_id = (_parent().get("metadata") or {}).get("cellId")
    # The running cell's result holds its In [n]; `shell.execution_count` is already n + 1 on IPython 9.
    running = getattr(getattr(shell, "displayhook", None), "exec_result", None)
    count = getattr(running, "execution_count", None) or getattr(shell, "execution_count", None)
    return (str(cell_id) if cell_id else None), count


def run_mode() -> str:
    """"interactive" (a front end such as JupyterLab), "headless" (papermill, the runner) or "script"."""
    shell = _shell()
    if shell is None or getattr(shell, "kernel", None) is None:
        return "script"
    forced = os.environ.get(MODE_ENV, "").strip().lower()
    if forced in ("interactive", "headless"):
        return forced
    return "interactive" if current_cell()[0] else "headless"


def runs_dir() -> Path:
    return Path(os.environ.get(RUNS_DIR_ENV) or REPO_ROOT / "runs").resolve()


def is_sealed(folder: Path) -> bool:
    return (folder / _SEALED_MARK).is_file()


def successor_id(run_id: str, root: Path) -> str:
    """The first `<base>.<n>` after `run_id` whose folder is not sealed."""
    match = _SUCCESSOR.match(run_id)
    base, n = (match.group("base"), int(match.group("n"))) if match else (run_id, 1)
    while True:
        n += 1
        candidate = f"{base}.{n}"
        if not is_sealed(root / candidate):
            return candidate


class Journal:
    """The append-only journal of one step in one run folder."""

    def __init__(self, root: Path, run_id: str, step: str, begin: Mapping[str, Any]) -> None:
        self.folder = root / run_id
        self.run_id, self.step, self.begin = run_id, step, dict(begin)
        self.path = self.folder / f"{step}{JOURNAL_SUFFIX}"
        self.sealed = False
        self.head: str | None = None
        self._skip_count: int | None = None  # the finish cell, journaled before the seal
        self.folder.mkdir(parents=True, exist_ok=True)
        self._seq = 0
        if self.path.is_file():  # `begin` run again in this kernel: the journal goes on where it stopped
            with open(self.path, encoding="utf-8") as fh:
                self._seq = sum(1 for _ in fh)
        self.write("begin", **self.begin)

    def write(self, event: str, *, cell: tuple[str | None, int | None] | None = None, **fields: Any) -> None:
        cell_id, count = cell or current_cell()
        self._seq += 1
        # Code the analyst typed, or an error, may hold a credential's value under no telling key; the
        # variables are read at each write, since a cell may set one after `begin`.
        fields = hide_values(json_safe(fields), env_secrets(self.begin.get("parameters") or {}))
        line = {"schema": JOURNAL_SCHEMA, "seq": self._seq, "time": now_iso(), "event": event, "step": self.step,
                "run_id": self.run_id, "cell_id": cell_id, "execution_count": count, **fields}
        # Appended and flushed to disk line by line: a kernel that dies keeps everything before it.
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def successor(self) -> "Journal":
        """The journal of the run that continues this sealed one, with the same parameters."""
        new_id = successor_id(self.run_id, self.folder.parent)
        return Journal(self.folder.parent, new_id, self.step, {**self.begin, "continues": self.run_id})


_active: Journal | None = None


def active() -> Journal | None:
    return _active


def _writable() -> Journal | None:
    """The journal to write to now: a sealed one hands over to its successor."""
    global _active
    if _active is not None and _active.sealed:
        _active = _active.successor()
    return _active


def choose_run_id(step: str, requested: str) -> tuple[str, str | None]:
    """(run id, the sealed run it continues) for an interactive `begin`.

    Running `begin` again keeps this kernel's unsealed run of the step; a sealed run (or a requested
    id whose folder is sealed) is continued by a new run naming it, never reopened.
    """
    root = runs_dir()
    if requested:
        return (successor_id(requested, root), requested) if is_sealed(root / requested) else (requested, None)
    if _active is not None and _active.step == step:
        if not _active.sealed:
            return _active.run_id, _active.begin.get("continues")
        return successor_id(_active.run_id, root), _active.run_id
    return new_run_id(), None


def start(step: str, params: MigrationParameters, given: Mapping[str, Any], continues: str | None) -> Journal:
    """Open (or continue) the step's journal and attach it to the kernel's records and cells."""
    global _active
    notebook = os.environ.get("JPY_SESSION_NAME", "")  # jupyter_server gives the kernel its notebook's path
    if not notebook.endswith(".ipynb") or not Path(notebook).is_file():
        notebook = str(Path.cwd() / f"{step}.ipynb")
    begin = {"notebook": str(Path(notebook).resolve()), "given": dict(given), "parameters": params.to_public_dict(),
             "continues": continues, **who_and_where()}
    _active = Journal(runs_dir(), params.run_id, step, begin)
    on_record(_journal_record)
    shell = _shell()
    if shell is not None:
        for event, callback in (("pre_run_cell", _remember_cell), ("post_run_cell", _journal_cell)):
            if callback not in shell.events.callbacks[event]:
                shell.events.register(event, callback)
    return _active


_running_source = ""  # the code of the cell running now (for the cell that seals, journaled before it ends)


def _remember_cell(info: Any) -> None:
    global _running_source
    _running_source = getattr(info, "raw_cell", "") or ""


def _journal_record(mime: str, payload: Mapping[str, Any]) -> None:
    journal = _writable()
    if journal is not None:
        journal.write("record", kind=KINDS.get(mime, mime), record=payload)


def _journal_cell(result: Any) -> None:
    journal = _active
    if journal is None:
        return
    count = getattr(result, "execution_count", None)
    if journal.sealed and count is not None and count == journal._skip_count:
        return  # the cell that sealed the run is already in its journal
    journal = _writable()
    error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
    info = getattr(result, "info", None)
    cell_id = getattr(info, "cell_id", None) or current_cell()[0]
    journal.write("cell", cell=(cell_id, count), source=redact(getattr(info, "raw_cell", "") or "")[0],
                  status="error" if error else "ok", error=f"{type(error).__name__}: {error}" if error else "")


def finish(checks: Mapping[str, int], failed: list[str], error: str = "") -> str:
    """Journal the finishing cell and the verdict, then seal the run folder; returns the chain's head."""
    from .evidence.interactive import seal_interactive

    journal = _writable()
    assert journal is not None
    count = current_cell()[1]
    journal.write("cell", source=redact(_running_source)[0], status="error" if error else "ok", error=error)
    journal.write("finish", checks=dict(checks), failed=list(failed))
    journal.head = seal_interactive(journal.folder)
    journal.sealed, journal._skip_count = True, count
    return journal.head
