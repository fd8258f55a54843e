"""Records: what a notebook displays comes back as a DataFrame from the executed notebook."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from runbook_lib import records
from runbook_lib.checks import CheckList
from runbook_lib.records import CHECK_MIME, REQUEST_MIME, emit_request, read_records

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def shown(monkeypatch):
    bundles: list[dict] = []
    monkeypatch.setattr(records, "_publish", lambda bundle: bundles.append(dict(bundle)))
    return bundles


def notebook_with(*cells_outputs: list[dict]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for outputs in cells_outputs:
        cell = nbformat.v4.new_code_cell("...")
        cell.outputs = [nbformat.v4.new_output("display_data", data=b) for b in outputs]
        nb.cells.append(cell)
    return nb


def test_request_record_is_redacted_and_replayable(shown):
    payload = emit_request("PUT", "/myindex_follow/_ccr/follow", params={"wait_for_active_shards": 1},
                           body={"remote_cluster": "remote", "leader_index": "myindex"}, status=200,
                           cluster="local", step="follow", run_id="r1", response={"follow_index_created": True},
                           duration_ms=35.2)
    bundle = shown[0]
    assert set(bundle) == {REQUEST_MIME, "text/plain", "text/html"}
    assert bundle[REQUEST_MIME] == payload
    assert payload["devtools"].startswith("PUT myindex_follow/_ccr/follow?wait_for_active_shards=1\n{")
    assert (payload["cluster"], payload["status"], payload["step"]) == ("local", 200, "follow")
    assert "-> 200 in 35 ms" in bundle["text/plain"]

    emit_request("PUT", "_security/user/bob", body='{"password": "hunter2"}', dry_run=True)
    assert "hunter2" not in repr(shown[1])
    assert "not sent (dry run)" in shown[1]["text/plain"]


def test_records_round_trip_to_a_dataframe(shown, tmp_path):
    checks = CheckList("preflight", run_id="r1")
    checks.expect("licence allows CCR", "trial", "trial")
    checks.expect("soft deletes", True, False, "reindex")
    emit_request("POST", "myindex_follow/_ccr/pause_follow", status=200, cluster="local", step="promote",
                 run_id="r1")
    nb = notebook_with(shown[:3], shown[3:])
    path = tmp_path / "executed.ipynb"
    nbformat.write(nb, path)

    frame = read_records(path)
    assert list(frame["kind"]) == ["check", "check", "request"]
    assert list(frame["cell_index"]) == [0, 0, 1]
    assert list(frame.loc[frame.kind == "check", "verdict"]) == ["pass", "fail"]
    assert frame.loc[frame.kind == "request", "path"].item() == "myindex_follow/_ccr/pause_follow"
    assert str(frame["time"].dtype).startswith("datetime64") and str(frame["time"].dt.tz) == "UTC"
    assert set(read_records(nb, kind="request")["kind"]) == {"request"}


def test_a_notebook_without_records_gives_an_empty_frame():
    nb = notebook_with([{"text/plain": "hello"}])
    frame = read_records(nb)
    assert frame.empty and list(frame.columns) == ["kind", "cell_index", "cell_id", "output_index"]


def test_records_stored_as_strings_are_read_too():
    nb = notebook_with([{CHECK_MIME: '{"name": "x", "verdict": "pass"}', "text/plain": "x"}])
    assert read_records(nb)["name"].tolist() == ["x"]


@pytest.mark.slow
def test_records_survive_a_real_kernel_and_nbformat(tmp_path):
    """The same path as papermill: a kernel displays the bundles, the notebook is saved and read."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(
        "import sys; sys.path.insert(0, %r)\n"
        "from runbook_lib.checks import CheckList\n"
        "from runbook_lib.records import emit_request\n"
        "c = CheckList('preflight', run_id='r9')\n"
        "c.expect('remote answers', 200, 200)\n"
        "emit_request('POST', '_license/start_trial', params={'acknowledge': True}, status=200, cluster='remote')\n"
        "c.render()" % str(REPO)))
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    path = tmp_path / "out.ipynb"
    nbformat.write(nb, path)
    frame = read_records(path)
    assert frame["kind"].tolist() == ["check", "request"]
    assert frame["run_id"].tolist()[0] == "r9"
    assert frame["devtools"].tolist()[1] == "POST _license/start_trial?acknowledge=true"
