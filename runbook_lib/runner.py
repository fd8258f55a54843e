"""Running a runbook headlessly: its notebooks in order with papermill, each checked cell by cell.

    python -m runbook_lib run migrate -f parameters/sandbox.yaml

executes 00_preflight .. 05_cutover with the kernel `ccr-runbooks` in `notebooks/`, saving each
executed notebook under `runs/<run id>/`. A step passes only when every cell completed and no check
failed (papermill's exit status alone misses a notebook that stopped early); the run stops at the
first step that did not pass and reports the message its failing cell gave. `--from STEP` starts a new
run at STEP whose run.json names the run it continues. Every run ends sealed (runbook_lib/evidence):
report.html, evidence.json, SHA256SUMS and a manifest chained to the previous run, whose head hash
is printed.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from traitlets.config import Config

from .errors import ParameterError, RunbookError
from .evidence.report import write_report
from .evidence.seal import seal_run
from .journal import MODE_ENV
from .notebook_outcome import NotebookOutcome, read_outcome
from .parameters import REPO_ROOT, load_parameters, new_run_id
from .run_folder import RunFolder, latest_run, utc_now, who_and_where

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
KERNEL_NAME = "ccr-runbooks"
# The kernel talks to the runner over Unix sockets that only this user can open, not loopback TCP
# ports that any local user can connect to (ipykernel warns about those on every start).
_KERNEL_CONFIG = Config({"KernelManager": {"transport": "ipc"}})
# What the runner passes to every notebook; each notebook's `parameters` cell declares these.
COMMON_PARAMETERS = ("parameters_file", "run_id", "dry_run", "confirm", "overrides")


@dataclass(frozen=True)
class NotebookStep:
    """One notebook of a runbook; `parameters` are passed to it on top of the common ones."""

    name: str  # the notebook's file name without `.ipynb`, e.g. "03_follow"
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Runbook:
    name: str
    steps: tuple[NotebookStep, ...]

    def index_of(self, text: str) -> int:
        """The step named `text`: its full name (`03_follow`), its number (`03`, `3`) or its words (`follow`)."""
        wanted = text.strip().lower()
        for i, step in enumerate(self.steps):
            number, _, words = step.name.partition("_")
            if wanted in (step.name, number, words) or (wanted.isdigit() and number.isdigit()
                                                         and int(wanted) == int(number)):
                return i
        names = ", ".join(s.name for s in self.steps)
        raise RunbookError(f"runbook {self.name!r} has no step {text!r}; its steps are {names}")


_ROLLBACK_OR_CLEANUP = "06_rollback_or_cleanup"
RUNBOOKS = {
    "migrate": Runbook("migrate", tuple(NotebookStep(n) for n in (
        "00_preflight", "01_prepare_leader", "02_connect_remote", "03_follow", "04_verify", "05_cutover"))),
    "cleanup": Runbook("cleanup", (NotebookStep(_ROLLBACK_OR_CLEANUP, {"action": "cleanup"}),)),
    "rollback": Runbook("rollback", (NotebookStep(_ROLLBACK_OR_CLEANUP, {"action": "rollback"}),)),
}


@dataclass
class StepResult:
    step: str
    status: str = "pending"  # pending, running, passed, failed, interrupted, not run, skipped
    notebook: str | None = None
    started: str | None = None
    ended: str | None = None
    duration_s: float | None = None  # wall time, kernel start included
    kernel_s: float | None = None  # time inside the notebook's cells
    checks: dict[str, int] = field(default_factory=dict)
    message: str = ""
    failed_cell: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """As run.json records it: the notebook by its name in the run folder, so the folder can move."""
        return {**self.__dict__, "notebook": Path(self.notebook).name if self.notebook else None}


@dataclass
class RunResult:
    run_id: str
    runbook: str
    folder: Path
    steps: list[StepResult]
    status: str = "running"  # running, passed, failed, interrupted
    resumed_from: dict[str, Any] | None = None
    head: str | None = None  # the evidence chain's head hash once the run folder is sealed

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def failed_step(self) -> StepResult | None:
        return next((s for s in self.steps if s.status in ("failed", "interrupted")), None)


Reporter = Callable[[str], None]


def run_runbook(
    runbook: Runbook | str,
    parameters_file: str | os.PathLike[str] | None = None,
    *,
    run_id: str = "",
    from_step: str | None = None,
    dry_run: bool = False,
    confirm: str = "",
    overrides: Mapping[str, Any] | None = None,
    runs_dir: str | os.PathLike[str] = "runs",
    notebooks_dir: str | os.PathLike[str] = NOTEBOOKS_DIR,
    kernel_name: str = KERNEL_NAME,
    report: Reporter = print,
    on_step: Callable[[StepResult], None] | None = None,
) -> RunResult:
    """Execute a runbook's notebooks in order (from `from_step`); stop at the first that does not pass.

    The kernel inherits this process's environment, which is where credentials and
    `ES_SANDBOX_HOME` come from. `on_step` is called after each step (the demo uses it).
    """
    book = RUNBOOKS[runbook] if isinstance(runbook, str) else runbook
    notebooks_dir = Path(notebooks_dir).resolve()
    parameters_path = str(Path(parameters_file).resolve()) if parameters_file else ""
    start = book.index_of(from_step) if from_step else 0
    run_id = run_id or new_run_id()
    folder = RunFolder.create(runs_dir, run_id)
    result = RunResult(run_id, book.name, folder.path, [StepResult(s.name) for s in book.steps])
    for skipped in result.steps[:start]:
        skipped.status = "skipped"
    if from_step:
        result.resumed_from = _resumption(latest_run(runs_dir, book.name, exclude=run_id))
    common = {"parameters_file": parameters_path, "run_id": run_id, "dry_run": dry_run, "confirm": confirm,
              "overrides": dict(overrides or {})}
    record = {"run_id": run_id, "runbook": book.name, "started": utc_now(), "ended": None,
              "parameters_file": parameters_path or None, "from_step": book.steps[start].name if from_step else None,
              "resumed_from": result.resumed_from, "dry_run": dry_run, "confirm": confirm, **who_and_where()}

    def save() -> None:
        folder.write_run({**record, "status": result.status, "steps": [s.as_dict() for s in result.steps]})

    _write_public_parameters(folder, parameters_path, common, notebooks_dir, report)
    report(f"Run {run_id} ({book.name}) -> {folder.path}")
    if result.resumed_from:
        report(f"  resumes run {result.resumed_from['run_id']} ({result.resumed_from['status']}"
               + (f", stopped at {result.resumed_from['stopped_at']})" if result.resumed_from["stopped_at"] else ")"))
    save()
    try:
        for notebook_step, step in zip(book.steps[start:], result.steps[start:]):
            _run_step(notebook_step, step, folder, notebooks_dir, common, kernel_name, save)
            report(_step_line(step))
            if on_step:
                on_step(step)
            if step.status != "passed":
                break
    except KeyboardInterrupt:
        for running in (s for s in result.steps if s.status == "running"):
            running.status, running.ended, running.message = "interrupted", utc_now(), "interrupted by the operator"
        result.status = "interrupted"
        raise
    finally:
        for step in result.steps:
            if step.status == "pending":
                step.status = "not run"
        if result.status == "running":
            result.status = "passed" if all(s.status in ("passed", "skipped") for s in result.steps) else "failed"
        record["ended"] = utc_now()
        save()
        # Sealed whatever the outcome: a failed or interrupted run is evidence too. The report first,
        # so that SHA256SUMS covers it like every other file of the folder; a report that cannot be
        # rendered must not cost the run its seal.
        try:
            write_report(folder.path)
        except Exception as exc:  # noqa: BLE001 - jinja2, nbconvert and the notebooks each raise their own
            report(f"  report.html could not be written ({type(exc).__name__}: {exc}); sealing without it")
        result.head = seal_run(folder.path)
        report(f"Sealed {folder.path}; evidence chain head {result.head}\n"
               "  record it outside this machine: a ticket, a change record")
    return result


def _resumption(previous: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """How a new run names the one it continues: its id, its outcome and where it stopped."""
    if previous is None:
        return None
    stopped = next((s["step"] for s in previous.get("steps", []) if s.get("status") in ("failed", "interrupted")), None)
    return {"run_id": previous.get("run_id"), "status": previous.get("status"), "stopped_at": stopped}


def _write_public_parameters(folder: RunFolder, parameters_path: str, common: Mapping[str, Any],
                             notebooks_dir: Path, report: Reporter) -> None:
    """Save the parameter set as the notebooks will resolve it (same cwd, same environment).

    A parameter set that does not load is not the runner's to report: the first notebook stops on
    it in its own cell, which names the field, and that notebook is the record of the failure.
    """
    overrides = {**common["overrides"], "run_id": common["run_id"]}
    if common["dry_run"]:
        overrides["dry_run"] = True
    if common["confirm"]:
        overrides["confirm"] = common["confirm"]
    try:
        params = load_parameters(parameters_path or None, overrides=overrides, cwd=notebooks_dir)
    except ParameterError:
        report("  the parameter set does not load; the first step will say why")
        return
    folder.write_parameters(params.to_public_dict())


def _run_step(notebook_step: NotebookStep, step: StepResult, folder: RunFolder, notebooks_dir: Path,
              common: Mapping[str, Any], kernel_name: str, save: Callable[[], None]) -> None:
    import papermill

    source = notebooks_dir / f"{notebook_step.name}.ipynb"
    output = folder.notebook(notebook_step.name)
    step.notebook, step.started, step.status = str(output), utc_now(), "running"
    save()
    began = time.monotonic()
    crash = ""
    try:
        parameters = _parameters_for(source, {**common, **notebook_step.parameters}, kernel_name)
        with _headless_kernel():
            papermill.execute_notebook(str(source), str(output), parameters=parameters, cwd=str(notebooks_dir),
                                       kernel_name=kernel_name, progress_bar=False, log_output=False,
                                       config=_KERNEL_CONFIG, start_timeout=180)
    except papermill.PapermillExecutionError:
        pass  # the saved notebook says which cell failed and why; read below like any other outcome
    except Exception as exc:  # noqa: BLE001 - papermill, nbclient and jupyter_client each raise their own
        # No such kernel, a notebook that cannot be read, a kernel that died or would not start.
        crash = f"{type(exc).__name__}: {exc}"
    step.duration_s = round(time.monotonic() - began, 3)
    step.ended = utc_now()
    outcome = read_outcome(output) if output.is_file() else None
    _apply(step, outcome, crash)
    save()


@contextmanager
def _headless_kernel() -> Iterator[None]:
    """The kernel papermill starts inherits this: its notebook keeps no journal (journal.py), since the
    executed notebook papermill saves is the record."""
    previous = os.environ.get(MODE_ENV)
    os.environ[MODE_ENV] = "headless"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(MODE_ENV, None)
        else:
            os.environ[MODE_ENV] = previous


def _parameters_for(source: Path, wanted: Mapping[str, Any], kernel_name: str) -> dict[str, Any]:
    """Only the parameters the notebook declares; a step parameter it lacks is a runbook mistake."""
    from papermill import inspect_notebook

    if not source.is_file():
        raise RunbookError(f"the notebook {source} does not exist")
    declared = set(inspect_notebook(str(source)))
    missing = [k for k in wanted if k not in declared and k not in COMMON_PARAMETERS]
    if missing:
        raise RunbookError(f"{source.name} declares no parameter {', '.join(missing)} in its parameters cell")
    return {k: v for k, v in wanted.items() if k in declared}


def _apply(step: StepResult, outcome: NotebookOutcome | None, crash: str) -> None:
    if outcome is not None:
        step.checks = dict(outcome.checks)
        step.kernel_s = round(outcome.cells_s, 3)
        if outcome.failed_cell is not None:
            step.failed_cell = {k: v for k, v in outcome.failed_cell.__dict__.items()}
    if outcome is not None and outcome.passed and not crash:
        step.status = "passed"
        return
    step.status = "failed"
    step.message = (outcome.message if outcome is not None and not outcome.passed else "") or crash


def _step_line(step: StepResult) -> str:
    counts = step.checks
    checks = f"{sum(counts.values())} checks" + (f" ({counts['fail']} failed)" if counts.get("fail") else "")
    line = f"  {step.step:<24} {step.status.upper() if step.status != 'passed' else 'passed':<8} {checks:<22}"
    return line + (f" {step.duration_s:6.1f} s" if step.duration_s is not None else "")
