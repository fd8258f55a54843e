"""A notebook stepped through as in JupyterLab leaves a sealed bundle, marked interactive, built from its journal.

JupyterLab sends each cell's id with its execute request (`metadata.cellId`, besides the cell's own
metadata, `deletedCells` and `recordTiming`); nbclient sends none. So the notebook is executed here
with nbclient whose kernel client sends the request as JupyterLab builds it, cell by cell in the
order an operator might choose: one cell run before the cell above it, one cell run twice.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from runbook_lib import __main__ as cli
from runbook_lib.evidence.seal import MANIFEST_FILE, sha256_file
from runbook_lib.evidence.verify import verify_run

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def run_like_jupyterlab(path: Path, order: list[str]) -> nbformat.NotebookNode:
    """Execute the cells of `path` with these ids, in this order, as JupyterLab would ask the kernel."""
    nb = nbformat.read(path, as_version=4)
    cells = {cell.id: (index, cell) for index, cell in enumerate(nb.cells)}
    client = NotebookClient(nb, kernel_name="ccr-runbooks", timeout=180, allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    running: dict[str, nbformat.NotebookNode] = {}
    client.reset_execution_trackers()
    with client.setup_kernel():
        kc = client.kc

        def execute(code, silent=False, store_history=True, user_expressions=None, allow_stdin=None,
                    stop_on_error=True):
            cell = running["cell"]
            content = {"code": code, "silent": silent, "store_history": store_history,
                       "user_expressions": user_expressions or {}, "allow_stdin": False, "stop_on_error": stop_on_error}
            metadata = {**cell.metadata, "deletedCells": [], "recordTiming": False, "cellId": cell.id}
            message = kc.session.msg("execute_request", content, metadata=metadata)
            kc.shell_channel.send(message)
            return message["header"]["msg_id"]

        kc.execute = execute
        for cell_id in order:
            index, cell = cells[cell_id]
            running["cell"] = cell
            client.execute_cell(cell, index)
    return nb


def test_an_interactive_run_is_journaled_sealed_and_flags_cells_run_out_of_order_or_twice(
        practice, unique_name, tmp_path, monkeypatch):
    leader = practice.leader(unique_name("lab"), docs=5)
    nb = nbformat.read(NOTEBOOKS / "00_preflight.ipynb", as_version=4)
    parameters = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    # The operator edits the parameters cell in JupyterLab.
    parameters.source = parameters.source.replace(
        "overrides: dict = {}", f"overrides: dict = {{'indices': [{{'leader': '{leader}'}}]}}")
    notebook = tmp_path / "00_preflight.ipynb"
    nbformat.write(nb, notebook)
    runs = tmp_path / "runs"
    monkeypatch.setenv("CCR_RUNBOOKS_RUNS_DIR", str(runs))
    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook))  # as jupyter_server starts a notebook's kernel
    monkeypatch.delenv("CCR_RUNBOOKS_MODE", raising=False)

    ids = ["nb00-parameters", "nb00-begin", "nb00-connect", "nb00-versions", "nb00-health", "nb00-licences",
           "nb00-health", "nb00-privileges", "nb00-leaders", "nb00-followers", "nb00-seeds", "nb00-disk",
           "nb00-plan", "nb00-finish"]
    # ... and, once the run is sealed, step.finish() again: a new run names the sealed one.
    run_like_jupyterlab(notebook, ids + ["nb00-finish"])

    folder, again = sorted(runs.iterdir())
    assert again.name == f"{folder.name}.2"
    assert sorted(p.name for p in folder.iterdir()) == [
        "00_preflight.ipynb", "00_preflight.journal.jsonl", "SHA256SUMS", "evidence.json", "manifest.json",
        "parameters.json", "report.html", "run.json"]
    assert verify_run(folder).ok and verify_run(again).ok
    assert cli.main(["evidence", "verify", str(folder)]) == 0
    evidence = json.loads((folder / "evidence.json").read_text())
    assert (evidence["mode"], evidence["runbook"], evidence["run_id"]) == ("interactive", "interactive", folder.name)
    (step,) = evidence["steps"]
    assert step["status"] in ("passed", "failed") and step["checks"]
    flags = step["interactive"]
    assert [(c["cell_id"], c["heading"], c["ran_after"]["cell_id"]) for c in flags["cells_out_of_order"]] == [
        ("nb00-licences", "Licences", "nb00-health")]
    (twice,) = flags["cells_run_twice"]
    assert (twice["cell_id"], twice["heading"]) == ("nb00-health", "Health")
    assert twice["execution_counts"] == [5, 7]  # In [n]: the parameters cell was 1, begin 2, ...
    assert flags["cells_not_run"] == [] and flags["notes"] == []
    assert [x["cell_id"] for x in flags["executions"]] == ids[1:]  # journaled from `begin` on
    health_checks = [c for c in evidence["checks"] if c["name"] == "remote cluster health"]
    assert [c["execution_count"] for c in health_checks] == [5, 7]
    state = step["state"]
    assert state["before"]["remote"]["indices"][leader]["uuid"] and state["changed"] == []
    assert state["after"]["remote"]["digest"] == state["before"]["remote"]["digest"]

    continued = json.loads((again / "evidence.json").read_text())
    assert continued["mode"] == "interactive" and continued["resumed_from"]["run_id"] == folder.name
    assert json.loads((again / MANIFEST_FILE).read_text())["previous"] == {
        "run_id": folder.name, "manifest_sha256": sha256_file(folder / MANIFEST_FILE)}
    assert [x["cell_id"] for x in continued["steps"][0]["interactive"]["executions"]] == ["nb00-finish"]


@pytest.mark.sandbox_only
def test_an_interactive_run_on_secured_clusters_leaves_the_password_in_no_file(
        secured, secured_password, unique_name, tmp_path, monkeypatch):
    leader = secured.leader(unique_name("labsecret"), docs=5)
    # The parameter set names CCR_TEST_USER and CCR_TEST_PASSWORD, which hold the credentials.
    params = secured.parameters(tmp_path, indices=[{"leader": leader, "follower": f"{leader}_follow"}])
    nb = nbformat.read(NOTEBOOKS / "00_preflight.ipynb", as_version=4)
    parameters = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    parameters.source = parameters.source.replace('parameters_file: str = ""', f'parameters_file: str = "{params}"')
    # Cells the analyst types after connecting: one looks at the variable's shape, one sets it again
    # as one does in a kernel started without it (the value typed in), one fails with the value in its error.
    typed = {
        "lab-shape": 'import os\nsecret = os.environ["CCR_TEST_PASSWORD"]\n'
                     'print("CCR_TEST_PASSWORD", len(secret), "characters, starting", secret[:2])',
        "lab-set": f'os.environ["CCR_TEST_PASSWORD"] = "{secured_password}"',
        "lab-error": 'int(os.environ["CCR_TEST_PASSWORD"])',
    }
    at = next(i for i, c in enumerate(nb.cells) if c.id == "nb00-connect") + 1
    nb.cells[at:at] = [nbformat.v4.new_code_cell(source, id=cell_id) for cell_id, source in typed.items()]
    notebook = tmp_path / "00_preflight.ipynb"
    nbformat.write(nb, notebook)  # saved as typed, as JupyterLab saves it
    runs = tmp_path / "runs"
    monkeypatch.setenv("CCR_RUNBOOKS_RUNS_DIR", str(runs))
    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook))
    monkeypatch.delenv("CCR_RUNBOOKS_MODE", raising=False)

    ids = ["nb00-parameters", "nb00-begin", "nb00-connect", *typed, "nb00-versions", "nb00-licences",
           "nb00-health", "nb00-privileges", "nb00-leaders", "nb00-followers", "nb00-seeds", "nb00-disk",
           "nb00-plan", "nb00-finish"]
    executed = run_like_jupyterlab(notebook, ids)

    shown = next(c for c in executed.cells if c.id == "lab-shape").outputs[0]["text"]
    assert shown.startswith(f"CCR_TEST_PASSWORD {len(secured_password)} characters")  # the cell did run
    (folder,) = runs.iterdir()
    assert verify_run(folder).ok
    cells = {e["cell_id"]: e for e in map(json.loads, (folder / "00_preflight.journal.jsonl").open())
             if e["event"] == "cell"}
    assert "CCR_TEST_PASSWORD" in cells["lab-shape"]["source"] and "CCR_TEST_PASSWORD" in cells["lab-set"]["source"]
    assert "<redacted: the value of CCR_TEST_PASSWORD>" in cells["lab-set"]["source"]
    assert cells["lab-error"]["status"] == "error" and cells["lab-error"]["error"].startswith("ValueError")

    forms = {secured_password, base64.b64encode(f"elastic:{secured_password}".encode()).decode()}
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert {"00_preflight.journal.jsonl", "evidence.json", "report.html", "00_preflight.ipynb"} <= {p.name for p in files}
    leaks = [(p.name, form) for p in files for form in forms if form in p.read_text(errors="replace")]
    assert leaks == []
