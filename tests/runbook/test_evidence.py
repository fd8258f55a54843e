"""Evidence bundles on tiny fixture runs: sealing, the chain, verification naming each tampering, listing."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from runbook_lib import __main__ as cli
from runbook_lib.evidence.bundle import build_evidence
from runbook_lib.evidence.listing import list_runs
from runbook_lib.evidence.seal import MANIFEST_FILE, SUMS_FILE, seal_run, sealed_files, sha256_file
from runbook_lib.evidence.verify import verify_run
from runbook_lib.records import IDENTITY_MIME
from runbook_lib.runner import NotebookStep, Runbook, run_runbook

FIXTURES = Path(__file__).parent / "fixtures"


def book(*names: str) -> Runbook:
    return Runbook("fixture", tuple(NotebookStep(n) for n in names))


@pytest.fixture
def runs(tmp_path) -> Path:
    return tmp_path / "runs"


@pytest.fixture
def run(tmp_path, runs):
    params = tmp_path / "params.yaml"
    params.write_text("remote: {url: 'http://127.0.0.1:9', username_env: RB_USER, password_env: RB_PASSWORD}\n"
                      "local: {url: 'http://127.0.0.1:10'}\nremote_alias: remote\nindices: [myindex]\n")
    lines: list[str] = []

    def go(runbook: Runbook, run_id: str, **kwargs):
        return run_runbook(runbook, params, run_id=run_id, runs_dir=runs, notebooks_dir=FIXTURES,
                           report=lines.append, **kwargs)

    go.lines = lines
    return go


def test_a_run_is_sealed_with_its_evidence_and_verifies_untouched(run, runs):
    result = run(book("ok", "failing_check"), "r1")

    assert result.head == sha256_file(result.folder / MANIFEST_FILE)
    assert f"evidence chain head {result.head}" in "\n".join(run.lines)
    evidence = json.loads((result.folder / "evidence.json").read_text())
    assert (evidence["run_id"], evidence["status"]) == ("r1", "failed")
    assert evidence["operator"] and evidence["host"] and evidence["started"] and evidence["ended"]
    assert evidence["versions"]["ccr-runbooks"] and evidence["versions"]["papermill"]
    assert [(s["step"], s["status"]) for s in evidence["steps"]] == [("ok", "passed"), ("failing_check", "failed")]
    failed = next(c for c in evidence["checks"] if c["verdict"] == "fail")
    assert (failed["step"], failed["expected"], failed["observed"]) == ("failing_check", "active", "paused")
    assert failed["time"]
    listed = (result.folder / SUMS_FILE).read_text()
    assert all(f"  {name}\n" in listed for name in ("run.json", "parameters.json", "evidence.json", "ok.ipynb"))
    assert json.loads((result.folder / MANIFEST_FILE).read_text())["previous"] is None

    verification = verify_run(result.folder, head=result.head)
    assert verification.ok, verification.text()


def test_evidence_names_both_clusters_and_each_changing_request(tmp_path):
    folder = tmp_path / "runs" / "r-id"
    folder.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    identity = {"clusters": [{"role": "remote", "cluster_name": "leader", "cluster_uuid": "u1", "version": "8.19.0",
                              "principal": "elastic", "authentication": "basic", "url": "http://x"}]}
    request = {"cluster": "local", "method": "PUT", "path": "/f/_ccr/follow", "status": 200, "time": "t"}
    nb.cells = [nbformat.v4.new_code_cell("step.connect()"), nbformat.v4.new_code_cell("follow()")]
    nb.cells[0].outputs = [nbformat.v4.new_output("display_data", data={IDENTITY_MIME: identity})]
    nb.cells[1].outputs = [nbformat.v4.new_output(
        "display_data", data={"application/vnd.ccr-runbooks.request.v1+json": request})]
    nbformat.write(nb, folder / "03_follow.ipynb")
    (folder / "run.json").write_text(json.dumps({"run_id": "r-id", "steps": [
        {"step": "03_follow", "status": "passed", "notebook": "03_follow.ipynb"}]}))

    evidence = build_evidence(folder)

    assert evidence["clusters"]["remote"][0]["cluster_uuid"] == "u1"
    assert evidence["clusters"]["remote"][0]["steps"] == ["03_follow"]
    assert evidence["requests"][0]["x_opaque_id"] == "ccr-runbooks/r-id/03_follow"
    assert evidence["requests"][0]["status"] == 200


def _problems(folder: Path, head: str | None = None) -> str:
    verification = verify_run(folder, head=head)
    assert not verification.ok
    return "\n".join(verification.problems)


def test_verify_names_a_changed_output(run):
    result = run(book("ok"), "r1")
    path = result.folder / "ok.ipynb"
    path.write_text(path.read_text().replace("passed", "pa55ed"))

    assert _problems(result.folder) == "run r1: ok.ipynb was changed"


def test_verify_names_a_removed_notebook_and_an_added_file(run):
    result = run(book("ok"), "r1")
    (result.folder / "ok.ipynb").unlink()
    (result.folder / "notes").mkdir()
    (result.folder / "notes" / "extra.txt").write_text("added later")

    assert _problems(result.folder) == "run r1: ok.ipynb was removed\nrun r1: notes/extra.txt was added"


def test_verify_names_an_edited_earlier_run_of_the_chain(run):
    first = run(book("ok"), "r1")
    second = run(book("ok"), "r2")
    assert json.loads((second.folder / MANIFEST_FILE).read_text())["previous"] == {
        "run_id": "r1", "manifest_sha256": first.head}
    (first.folder / "run.json").write_text((first.folder / "run.json").read_text().replace("passed", "failed"))

    assert _problems(second.folder) == "earlier run r1: run.json was changed"
    assert cli.main(["evidence", "verify", str(second.folder)]) == 1


def test_a_rehashed_chain_is_caught_only_with_the_recorded_head(run, capsys):
    first = run(book("ok"), "r1")
    second = run(book("ok"), "r2")
    recorded = second.head
    # Edit the first run, then reseal it and every run after it, in order, as a careful forger would.
    (first.folder / "run.json").write_text((first.folder / "run.json").read_text().replace("passed", "failed"))
    for folder in (first.folder, second.folder):
        for name in (SUMS_FILE, MANIFEST_FILE):
            (folder / name).unlink()
    for folder in (first.folder, second.folder):
        seal_run(folder)

    assert verify_run(second.folder).ok
    problems = _problems(second.folder, head=recorded)
    assert f"no run in the chain has the recorded head {recorded}" in problems
    assert cli.main(["evidence", "verify", str(second.folder), "--head", recorded]) == 1
    assert "verification FAILED" in capsys.readouterr().out


def test_an_earlier_head_still_verifies_once_later_runs_extend_the_chain(run, capsys):
    first = run(book("ok"), "r1")
    run(book("ok"), "r2")

    assert cli.main(["evidence", "verify", str(first.folder), "--head", first.head]) == 0
    assert "the recorded head is run r1's; 1 run(s) sealed since extend the chain" in capsys.readouterr().out


def test_a_resumed_run_links_to_the_stopped_one(run):
    stopped = run(book("ok", "failing_check"), "stopped")
    resumed = run(book("ok", "failing_check"), "resumed", from_step="failing_check")

    evidence = json.loads((resumed.folder / "evidence.json").read_text())
    assert evidence["resumed_from"] == {"run_id": "stopped", "status": "failed", "stopped_at": "failing_check"}
    manifest = json.loads((resumed.folder / MANIFEST_FILE).read_text())
    assert manifest["previous"] == {"run_id": "stopped", "manifest_sha256": stopped.head}
    assert verify_run(stopped.folder, head=resumed.head).ok


def test_a_known_password_is_in_no_file_of_the_bundle(run, monkeypatch):
    monkeypatch.setenv("RB_USER", "elastic")
    monkeypatch.setenv("RB_PASSWORD", "s3cret-never-saved")
    result = run(book("ok"), "r1", overrides={"remote_alias": "other"})

    assert not any("s3cret" in (result.folder / name).read_text(errors="replace")
                   for name in [*sealed_files(result.folder), SUMS_FILE, MANIFEST_FILE])


def test_list_shows_each_run_with_its_verdict_and_checks(run, runs, capsys):
    run(book("ok"), "r1")
    run(book("ok", "failing_check"), "r2")

    assert [(r[0], r[4], r[5]) for r in list_runs(runs)] == [("r1", "passed", "1/0"), ("r2", "failed", "1/1")]
    assert cli.main(["evidence", "list", "--runs-dir", str(runs)]) == 0
    out = capsys.readouterr().out
    assert "checks passed/failed" in out and "r2" in out
