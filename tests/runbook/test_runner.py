"""The runner, on tiny fixture notebooks: order, cell-by-cell outcome, messages, run folders, resuming."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import nbformat
import pytest

from runbook_lib import __main__ as cli
from runbook_lib.errors import RunbookError
from runbook_lib.notebook_outcome import read_outcome
from runbook_lib.runner import RUNBOOKS, NotebookStep, Runbook, run_runbook

FIXTURES = Path(__file__).parent / "fixtures"
OK, FAILING, PENDING, UNCHECKED = "ok", "failing_check", "pending_cells", "unchecked_failure"


def book(*names: str, name: str = "fixture") -> Runbook:
    return Runbook(name, tuple(NotebookStep(n) for n in names))


@pytest.fixture
def params_file(tmp_path) -> Path:
    """A parameter set that loads without practice clusters: explicit URLs, nothing reached."""
    path = tmp_path / "params.yaml"
    path.write_text("remote: {url: 'http://127.0.0.1:9', username_env: RB_USER, password_env: RB_PASSWORD}\n"
                    "local: {url: 'http://127.0.0.1:10'}\nremote_alias: remote\nindices: [myindex]\n")
    return path


@pytest.fixture
def run(tmp_path, params_file):
    lines: list[str] = []

    def go(runbook: Runbook, **kwargs):
        kwargs.setdefault("runs_dir", tmp_path / "runs")
        return run_runbook(runbook, params_file, notebooks_dir=FIXTURES, report=lines.append, **kwargs)

    go.lines = lines
    return go


def test_a_passing_runbook_records_each_step_and_what_it_was_given(run, params_file, tmp_path):
    result = run(book(OK), run_id="r-ok", overrides={"remote_alias": "other"}, confirm="myindex_follow")

    assert result.passed and result.folder == (tmp_path / "runs" / "r-ok").resolve()
    step = result.steps[0]
    assert (step.status, step.checks) == ("passed", {"info": 1, "pass": 1})
    given = next(c for c in _checks(step.notebook) if c["name"] == "parameters")["observed"]
    assert given == {"parameters_file": str(params_file.resolve()), "run_id": "r-ok", "dry_run": False,
                     "confirm": "myindex_follow", "overrides": {"remote_alias": "other"}, "cwd": str(FIXTURES)}
    record = json.loads((result.folder / "run.json").read_text())
    assert (record["run_id"], record["runbook"], record["status"]) == ("r-ok", "fixture", "passed")
    assert record["steps"][0]["status"] == "passed" and record["steps"][0]["duration_s"] > 0
    assert record["steps"][0]["notebook"] == "ok.ipynb" and (result.folder / "ok.ipynb").is_file()
    assert record["operator"] and record["host"] and record["ended"]


def test_public_parameters_are_saved_with_variable_names_only(run, monkeypatch):
    monkeypatch.setenv("RB_USER", "elastic")
    monkeypatch.setenv("RB_PASSWORD", "s3cret-never-saved")
    result = run(book(OK), run_id="r-params", overrides={"remote_alias": "other"})

    saved = json.loads((result.folder / "parameters.json").read_text())
    assert saved["run_id"] == "r-params" and saved["remote_alias"] == "other"
    assert saved["remote"]["password_env"] == "RB_PASSWORD"
    assert saved["indices"] == [{"leader": "myindex", "follower": "myindex_follow"}]
    assert not any("s3cret" in p.read_text(errors="replace") for p in result.folder.iterdir())


def test_a_failed_check_stops_the_run_with_the_cells_message(run):
    result = run(book(OK, FAILING, PENDING))

    assert result.status == "failed"
    assert [s.status for s in result.steps] == ["passed", "failed", "not run"]
    failed = result.failed_step
    assert failed.message == (
        'In [4] under "Look at the follower": check failed: failing_check: follower status: observed '
        "'paused', expected 'active'. Next: resume it: POST myindex_follow/_ccr/resume_follow")
    assert failed.failed_cell["error_name"] == "CheckFailed" and failed.failed_cell["heading"] == "Look at the follower"
    assert not (result.folder / f"{PENDING}.ipynb").exists()
    assert "failing_check            FAILED   1 checks (1 failed)" in "\n".join(run.lines)
    # The saved notebook is the evidence: the later cell never ran.
    cells = nbformat.read(failed.notebook, as_version=4).cells
    assert cells[-1].metadata.papermill.status == "pending"


def test_a_notebook_that_exits_quietly_fails_although_papermill_raised_nothing(run):
    result = run(book(PENDING, OK))

    assert [s.status for s in result.steps] == ["failed", "not run"]
    assert "raised SystemExit(0): the notebook stopped early" in result.steps[0].message


def test_a_failed_check_fails_the_step_even_if_the_notebook_went_on(run):
    result = run(book(UNCHECKED))

    assert result.steps[0].status == "failed"
    assert result.steps[0].message == "check(s) failed without stopping the notebook: documents copied"


def test_a_step_parameter_the_notebook_does_not_declare_fails_that_step(run):
    result = run(Runbook("fixture", (NotebookStep(OK, {"action": "cleanup"}),)))

    assert result.steps[0].status == "failed"
    assert "ok.ipynb declares no parameter action" in result.steps[0].message


def test_from_step_starts_a_new_folder_naming_the_stopped_run_and_leaves_it_untouched(run):
    stopped = run(book(OK, FAILING, name="resumable"), run_id="stopped")
    before = _digests(stopped.folder)

    resumed = run(book(OK, FAILING, name="resumable"), run_id="resumed", from_step="failing_check")

    assert _digests(stopped.folder) == before
    assert [s.status for s in resumed.steps] == ["skipped", "failed"]
    assert resumed.resumed_from == {"run_id": "stopped", "status": "failed", "stopped_at": "failing_check"}
    record = json.loads((resumed.folder / "run.json").read_text())
    assert record["resumed_from"]["run_id"] == "stopped" and record["from_step"] == "failing_check"
    assert not (resumed.folder / "ok.ipynb").exists()


def test_a_run_folder_is_never_reopened(run):
    run(book(OK), run_id="once")
    with pytest.raises(RunbookError, match="already exists: a run's folder is never reopened"):
        run(book(OK), run_id="once")


@pytest.mark.parametrize("text, index", [("03", 1), ("3", 1), ("03_follow", 1), ("follow", 1), ("05_cutover", 3)])
def test_steps_are_named_by_number_full_name_or_words(text, index):
    migrate = Runbook("m", tuple(NotebookStep(n) for n in ("00_preflight", "03_follow", "04_verify", "05_cutover")))
    assert migrate.index_of(text) == index


def test_an_unknown_step_lists_the_runbooks_steps():
    with pytest.raises(RunbookError, match="has no step '9'; its steps are 00_preflight, 01_prepare_leader"):
        RUNBOOKS["migrate"].index_of("9")


def test_a_kernel_that_died_mid_cell_is_reported_as_such():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("## Follow the leader"), nbformat.v4.new_code_cell("follow()")]
    nb.cells[1].metadata["papermill"] = {"status": "running"}
    nb.cells[1].execution_count = 3

    outcome = read_outcome(nb)

    assert not outcome.passed
    assert outcome.message == 'In [3] under "Follow the leader" never finished: the kernel stopped while running it'


def test_a_check_failed_further_up_is_named_where_it_was_made():
    from runbook_lib.records import CHECK_MIME

    record = {"name": "content equals the leader's", "verdict": "fail", "observed": 1, "expected": 0}
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("## Content at a checkpoint"), nbformat.v4.new_code_cell("compare()"),
                nbformat.v4.new_markdown_cell("## Verdict"), nbformat.v4.new_code_cell("step.finish()")]
    nb.cells[1].outputs = [nbformat.v4.new_output("display_data", data={CHECK_MIME: record, "text/plain": "x"})]
    nb.cells[3].outputs = [nbformat.v4.new_output("error", ename="CheckFailed", evalue="check failed: ...",
                                                  traceback=[])]
    for cell, status in zip(nb.cells, ("completed", "completed", "completed", "failed")):
        cell.metadata["papermill"] = {"status": status}
    nb.cells[3].execution_count = 9

    outcome = read_outcome(nb)

    assert outcome.message == '"Content at a checkpoint" (stopped at In [9] under "Verdict"): check failed: ...'
    assert outcome.failed_checks == ("content equals the leader's",)


def test_the_command_line_exits_non_zero_and_says_how_to_continue(tmp_path, params_file, monkeypatch, capsys):
    monkeypatch.setitem(RUNBOOKS, "fixture", book(OK, FAILING))
    monkeypatch.setattr(cli, "run_runbook", functools.partial(run_runbook, notebooks_dir=FIXTURES))

    code = cli.main(["run", "fixture", "-f", str(params_file), "--runs-dir", str(tmp_path / "runs"),
                     "--run-id", "cli-run", "--confirm", "myindex_follow"])

    out = capsys.readouterr().out
    assert code == 1
    assert "Run cli-run stopped at failing_check: In [4] under \"Look at the follower\": check failed:" in out
    assert f"continue with: python -m runbook_lib run fixture -f {params_file} --from failing_check " \
           "--confirm myindex_follow" in out

    assert cli.main(["run", "fixture", "--runs-dir", str(tmp_path / "runs"), "--run-id", "cli-run"]) == 2
    assert "already exists" in capsys.readouterr().err


def _checks(notebook: str) -> list[dict]:
    from runbook_lib.records import iter_records

    return [payload for kind, *_, payload in iter_records(notebook) if kind == "check"]


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}
