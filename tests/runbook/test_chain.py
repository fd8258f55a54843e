"""The whole migration as a chain of notebooks run by papermill, against the session's practice pair.

Small data and names of its own (so it shares the pair with every other test): a stopped run resumed
with --from, the cutover run again once done (a rerun must change nothing), then cleanup; and a dry
run of the chain, which must not change either cluster.
"""

from __future__ import annotations

import json

import pytest

from runbook_lib.records import iter_records
from runbook_lib.runner import RUNBOOKS, Runbook, run_runbook

DOCS = 30


@pytest.fixture
def pair(practice, unique_name, tmp_path):
    leader = practice.leader(unique_name("chain"), docs=DOCS)
    follower = practice.remove_at_end("local", f"{leader}_follow")
    alias = unique_name("remote")
    params = practice.parameters(tmp_path, indices=[{"leader": leader, "follower": follower}], remote_alias=alias)
    return {"leader": leader, "follower": follower, "alias": alias, "params": params, "runs": tmp_path / "runs"}


def run(pair, runbook, **kwargs):
    result = run_runbook(runbook, pair["params"], runs_dir=pair["runs"], confirm=pair["follower"],
                         report=lambda line: None, **kwargs)
    failed = result.failed_step
    assert result.passed, f"{failed.step}: {failed.message}" if failed else result.status
    return result


def test_the_migration_runs_end_to_end_resumes_reruns_and_cleans_up(practice, pair):
    migrate = RUNBOOKS["migrate"]
    first = run(pair, Runbook("migrate", migrate.steps[:3]))  # 00-02, then "stopped"
    rest = run(pair, "migrate", from_step="03")

    assert rest.resumed_from == {"run_id": first.run_id, "status": "passed", "stopped_at": None}
    assert [s.status for s in rest.steps] == ["skipped"] * 3 + ["passed"] * 3
    assert sorted(p.name for p in rest.folder.iterdir()) == [
        "03_follow.ipynb", "04_verify.ipynb", "05_cutover.ipynb", "SHA256SUMS", "evidence.json", "manifest.json",
        "parameters.json", "report.html", "run.json"]
    assert json.loads((rest.folder / "parameters.json").read_text())["remote_alias"] == pair["alias"]

    local, follower = practice.client("local"), pair["follower"]
    assert local.ccr.follow_info(index=follower)["follower_indices"] == []
    local.indices.refresh(index=follower)
    assert local.count(index=follower)["count"] == DOCS
    assert practice.client("remote").indices.get_settings(index=pair["leader"])[pair["leader"]]["settings"][
        "index"]["blocks"]["write"] == "true"

    before = practice.fingerprint()
    again = run(pair, "migrate", from_step="05_cutover")
    assert again.steps[-1].status == "passed"
    assert practice.fingerprint() == before, "running the finished cutover again changed a cluster"

    run(pair, "cleanup")
    remotes = local.cluster.get_settings(flat_settings=True)
    assert not [k for part in remotes.values() for k in part if k.startswith(f"cluster.remote.{pair['alias']}.")]


def test_a_dry_run_of_the_chain_sends_no_change(practice, pair):
    before = practice.fingerprint()

    result = run_runbook("migrate", pair["params"], runs_dir=pair["runs"], dry_run=True, report=lambda line: None)

    assert practice.fingerprint() == before
    shown = [payload for step in result.steps if step.notebook
             for kind, *_, payload in iter_records(step.notebook) if kind == "request"]
    assert shown and all(request["dry_run"] for request in shown)
    assert result.steps[0].status == "passed"
