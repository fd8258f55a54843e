"""04_verify: the parity readers on their own, then the notebook end to end on the practice clusters
with an application writing to the leader all along."""

from __future__ import annotations

from pathlib import Path

import papermill
import pytest

from runbook_lib import canaries, parity
from runbook_lib.app_writer import AppWriter
from runbook_lib.ccr_ops import ensure_remote, follow
from runbook_lib.follow_progress import wait_for_followers
from runbook_lib.nodes import default_seeds, node_addresses
from runbook_lib.notebook_outcome import read_outcome
from runbook_lib.records import read_records
from runbook_lib.step import begin

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

# --- without a cluster -------------------------------------------------------------------------


def test_mapping_differences_name_the_path():
    leader = {"properties": {"age": {"type": "integer"}, "name": {"type": "keyword"}, "seq": {"type": "long"}}}
    follower = {"properties": {"age": {"type": "long"}, "name": {"type": "keyword"}}, "dynamic": "strict"}
    assert parity.mapping_differences(leader, follower) == [
        "dynamic: only on the follower",
        "properties.age.type: 'integer' on the leader, 'long' on the follower",
        "properties.seq: only on the leader"]
    assert parity.mapping_differences(leader, leader) == []


def test_lag_is_measured_against_the_leaders_own_numbers_not_the_followers_view():
    leader = {0: parity.ShardSeqNo(0, 120, 120, 120), 1: parity.ShardSeqNo(1, 99, 99, 99)}
    follower = {0: parity.ShardSeqNo(0, 110, 110, 110), 1: parity.ShardSeqNo(1, 99, 99, 99)}
    stale_view = [{"shard_id": 0, "leader_global_checkpoint": 110}, {"shard_id": 1, "leader_global_checkpoint": 99}]
    rows = parity.shard_parity(leader, follower, stale_view)
    assert [(r.shard, r.lag, r.follower_view_of_leader) for r in rows] == [(0, 10, 110), (1, 0, 99)]
    assert not parity.caught_up(rows)


def test_canary_ids_derive_from_the_run_id_so_a_rerun_rewrites_them():
    assert canaries.canary_id("20260101T000000Z-ab12", 1) == "ccr-runbooks-canary-20260101T000000Z-ab12-1"
    assert canaries.canary_label({"name": "Jack", "age": 40}, 0) == "Jack"
    assert canaries.canary_label({"age": 40}, 1) == "canary 2"


# --- on the practice clusters ------------------------------------------------------------------


def follow_sample(practice, folder: Path, leader: str, docs: int) -> tuple[Path, str]:
    """A leader of `docs` sample documents, followed from the local cluster and caught up."""
    practice.leader(leader, docs)
    follower = practice.remove_at_end("local", f"{leader}_follow")
    path = practice.parameters(folder, indices=[{"leader": leader, "follower": follower}])
    step = begin("test-setup", str(path))
    step.connect()
    alias = step.params.remote_alias
    ensure_remote(step.local, alias, list(step.params.seeds) or default_seeds(node_addresses(step.remote)))
    follow(step.local, leader, follower, alias, {})
    wait_for_followers(step.local, step.remote, [(leader, follower)], 120, interval_s=0.2)
    return path, follower


def run_notebook(name: str, folder: Path, **parameters) -> Path:
    output = folder / f"{name}.out.ipynb"
    try:
        papermill.execute_notebook(str(NOTEBOOKS / f"{name}.ipynb"), str(output), parameters=parameters,
                                   cwd=str(NOTEBOOKS), kernel_name="ccr-runbooks", progress_bar=False)
    except papermill.PapermillExecutionError:
        pass  # the outcome is read from the saved notebook, cell by cell
    return output


def checks(notebook: Path):
    return read_records(notebook, kind="check")


def canaries_left(practice, index: str, role: str, run_id: str) -> int:
    ids = [canaries.canary_id(run_id, n) for n in range(2)]
    return sum(doc["found"] for doc in practice.client(role).mget(index=index, ids=ids)["docs"])


@pytest.mark.slow
def test_verify_passes_while_the_leader_takes_writes_and_leaves_no_canary(practice, unique_name, tmp_path):
    path, follower = follow_sample(practice, tmp_path, unique_name("verify"), docs=2000)
    leader = follower.removesuffix("_follow")
    writer = AppWriter(practice.client("remote"), leader, rate=100, batch=5)
    writer.start()
    try:
        first = run_notebook("04_verify", tmp_path, parameters_file=str(path), run_id="verify-run")
    finally:
        writer.stop()
    outcome = read_outcome(first)
    assert outcome.passed, outcome.message
    found = checks(first)
    names = " | ".join(found["name"])
    for wanted in ("Jack readable by realtime GET", "Pony found by search", "global checkpoint", "document count",
                   "mapping equals", "content equals the leader's at the follower's checkpoint"):
        assert wanted in names
    content = found[found["name"].str.contains("content equals")].iloc[0]
    assert content["verdict"] == "pass", content["observed"]
    assert canaries_left(practice, leader, "remote", "verify-run") == 0
    assert canaries_left(practice, follower, "local", "verify-run") == 0
    # Run again with the same run id: the same canaries are written and removed, nothing piles up.
    again = run_notebook("04_verify", tmp_path, parameters_file=str(path), run_id="verify-run")
    assert read_outcome(again).passed
    assert canaries_left(practice, leader, "remote", "verify-run") == 0


@pytest.mark.slow
def test_a_dry_run_writes_no_canary_and_shows_the_writes(practice, unique_name, tmp_path):
    path, follower = follow_sample(practice, tmp_path, unique_name("verifydry"), docs=50)
    leader = follower.removesuffix("_follow")
    before = practice.client("remote").count(index=leader)["count"]
    out = run_notebook("04_verify", tmp_path, parameters_file=str(path), run_id="verify-dry", dry_run=True)
    assert read_outcome(out).passed
    requests = read_records(out, kind="request")
    assert set(requests["dry_run"]) == {True} and set(requests["method"]) == {"PUT"}
    assert list(requests["path"]) == [f"/{leader}/_doc/ccr-runbooks-canary-verify-dry-{n}" for n in (0, 1)]
    practice.client("remote").indices.refresh(index=leader)
    assert practice.client("remote").count(index=leader)["count"] == before


def test_the_figures_render_as_png_with_a_text_summary(capsys):
    from runbook_lib import plots

    timings = [canaries.CanaryTiming("myindex", "myindex_follow", "Jack", "c-0", 7, 12.5, 1010.0),
               canaries.CanaryTiming("myindex", "myindex_follow", "Pony", "c-1", 8, None, None)]
    rows = parity.shard_parity({0: parity.ShardSeqNo(0, 10, 10, 10)}, {0: parity.ShardSeqNo(0, 8, 8, 8)})
    plots.show_figure(plots.replication_figure(timings, [("myindex_follow", rows)]), "Latency and lag", "Jack 12 ms")
    timeline = plots.timeline_figure([("block", 0.0, 0.01), ("open", 0.4, 0.2)], (0.0, 0.7))
    plots.show_figure(timeline, "Cutover", "0.70 s")
    shown = capsys.readouterr().out
    assert "Latency and lag\nJack 12 ms" in shown and "Cutover\n0.70 s" in shown
