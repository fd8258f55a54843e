"""05_cutover: the promotion's order, its confirmation and its dry run (stand-in clusters), then the
notebook end to end on the practice clusters with an application writing until the block."""

from __future__ import annotations

import json
import threading
import time

import pytest

from runbook_lib import cutover, cutover_report
from runbook_lib.checks import CheckList
from runbook_lib.errors import ConfirmationRequired, UnsafeState
from runbook_lib.parameters import load_parameters
from runbook_lib.step import Step

PARAMS = {"remote": {"url": "http://remote.invalid:9200"}, "local": {"url": "http://local.invalid:9200"},
          "remote_alias": "remote", "indices": [{"leader": "myindex", "aliases": ["orders"]}]}


class PromotionWorld:
    """Two stand-in clusters holding a leader and its follower, whose state the CCR calls change."""

    def __init__(self, fake, cat, *, dry_run=False, confirm="myindex_follow", status="active"):
        self.remote, self.local = fake("remote", dry_run=dry_run), fake("local", dry_run=dry_run)
        self.blocked, self.status, self.closed, self.aliases = False, status, False, {}
        self.seq = {"0": 41, "1": 57}
        r, local, ok = self.remote, self.local, self.set
        r.on("GET", "/_cat/indices/myindex", cat("myindex", "LEADER-UUID"))
        r.on("GET", "/myindex/_settings/index.blocks.write", lambda p, b: (200, self.block_setting()))
        r.on("PUT", "/myindex/_block/write", lambda p, b: ok(blocked=True))
        r.on("GET", "/myindex/_stats", lambda p, b: (200, self.stats("myindex", 0)))
        r.on("POST", "/myindex/_refresh", {}).on("GET", "/myindex/_count", {"count": 100})
        local.on("GET", "/_cat/indices/myindex_follow", lambda p, b: (200, cat(
            "myindex_follow", "FOLLOWER-UUID", "close" if self.closed else "open")))
        local.on("GET", "/myindex_follow/_ccr/info", lambda p, b: (200, self.info()))
        local.on("GET", "/_cluster/state/metadata/myindex_follow", {"metadata": {"indices": {"myindex_follow": {
            "ccr": {"leader_index_uuid": "LEADER-UUID"}}}}})
        local.on("GET", "/myindex_follow/_ccr/stats", lambda p, b: (200, self.follow_stats()))
        local.on("GET", "/myindex_follow/_stats", lambda p, b: (200, self.stats("myindex_follow", self.own_writes())))
        local.on("POST", "/myindex_follow/_refresh", {}).on("GET", "/myindex_follow/_count", {"count": 100})
        local.on("POST", "/myindex_follow/_ccr/pause_follow", lambda p, b: ok(status="paused"))
        local.on("POST", "/myindex_follow/_close", lambda p, b: ok(closed=True))
        local.on("POST", "/myindex_follow/_ccr/unfollow", lambda p, b: ok(status=None))
        local.on("POST", "/myindex_follow/_open", lambda p, b: ok(closed=False))
        local.on("PUT", "/myindex_follow/_doc/ccr-runbooks-probe-test", (201, {"result": "created"}))
        local.on("DELETE", "/myindex_follow/_doc/ccr-runbooks-probe-test", (200, {"result": "deleted"}))
        local.on("GET", "/_alias/orders", lambda p, b: (200, self.aliases) if self.aliases else (404, {
            "error": "alias [orders] missing", "status": 404}))
        local.on("POST", "/_aliases", lambda p, b: ok(aliases={"myindex_follow": {"aliases": {
            "orders": {"is_write_index": True}}}}))
        params = load_parameters({**PARAMS, "run_id": "test", "dry_run": dry_run, "confirm": confirm}, environ={})
        self.step = Step("05_cutover", params, CheckList("05_cutover", "test", live=False),
                         clusters={"remote": self.remote, "local": local})

    def set(self, **changes):
        for key, value in changes.items():
            setattr(self, key, value)
        return 200, {"acknowledged": True}

    def block_setting(self):
        return {"myindex": {"settings": {"index.blocks.write": str(self.blocked).lower()}}}

    def info(self):
        return {"follower_indices": [] if self.status is None else [
            {"follower_index": "myindex_follow", "remote_cluster": "remote", "leader_index": "myindex",
             "status": self.status}]}

    def follow_stats(self):
        shards = [{"shard_id": 0}, {"shard_id": 1}]
        return {"indices": [{"index": "myindex_follow", "shards": shards}] if self.status == "active" else []}

    def own_writes(self):
        return 2 if self.status is None else 0  # a promoted index holds the probe's write and delete

    def stats(self, index, extra):
        shards = {n: [{"routing": {"primary": True}, "seq_no": {
            "max_seq_no": seq + extra, "local_checkpoint": seq + extra, "global_checkpoint": seq + extra}}]
            for n, seq in self.seq.items()}
        return {"indices": {index: {"shards": shards}}}

    def run_until_aliases(self):
        cut = cutover.begin_cutover(self.step)
        for cell in (cutover.block_leader_writes, cutover.wait_caught_up, cutover.check_frozen_parity,
                     cutover.promote, cutover.probe_writes, cutover.move_aliases):
            cell(cut)
        return cut

    @property
    def changes(self):
        return [(role, method, path) for role, c in (("remote", self.remote), ("local", self.local))
                for method, path in c.changes]


ORDER = [("remote", "PUT", "/myindex/_block/write"),
         ("local", "POST", "/myindex_follow/_ccr/pause_follow"), ("local", "POST", "/myindex_follow/_close"),
         ("local", "POST", "/myindex_follow/_ccr/unfollow"), ("local", "POST", "/myindex_follow/_open"),
         ("local", "PUT", "/myindex_follow/_doc/ccr-runbooks-probe-test"),
         ("local", "DELETE", "/myindex_follow/_doc/ccr-runbooks-probe-test"), ("local", "POST", "/_aliases")]


def test_promotion_runs_in_order_and_times_the_write_downtime(fake, cat):
    world = PromotionWorld(fake, cat)
    cut = world.run_until_aliases()
    assert sorted(world.changes, key=ORDER.index) == ORDER
    assert [c for c in world.changes if c[0] == "local"] == [c for c in ORDER if c[0] == "local"]
    assert world.status is None and not world.closed and world.blocked
    assert 0 <= cut.downtime("myindex_follow") < 5
    assert not world.step.checks.failures, world.step.checks.to_text()
    assert [t.name for t in cut.timings][:5] == ["block leader writes", "wait for the follower to catch up",
                                                 "check counts and checkpoints", "pause", "close"]
    summary = cutover_report.report(cut)
    assert summary["write_downtime_s"]["myindex_follow"] == round(cut.downtime("myindex_follow"), 3)


def test_a_dry_run_shows_exactly_the_requests_a_real_run_sends_and_sends_none(fake, cat):
    real, dry = PromotionWorld(fake, cat), PromotionWorld(fake, cat, dry_run=True, confirm="")
    real.run_until_aliases()
    dry.run_until_aliases()
    assert sorted(dry.changes, key=ORDER.index) == sorted(real.changes, key=ORDER.index) == ORDER
    assert all(r.get("dry_run") for c in (dry.remote, dry.local) for r in c.transcript if "status" not in r)
    assert dry.status == "active" and not dry.blocked and not dry.closed


def test_a_second_run_does_only_what_is_left(fake, cat):
    world = PromotionWorld(fake, cat)
    world.run_until_aliases()
    before = len(world.changes)
    world.run_until_aliases()
    # Only the probe (written and deleted again) is repeated: it is the proof that writes work.
    assert world.changes[before:] == ORDER[5:7]


def test_without_the_confirmation_nothing_is_changed(fake, cat):
    world = PromotionWorld(fake, cat, confirm="yes")
    with pytest.raises(ConfirmationRequired, match="'myindex_follow'"):
        cutover.begin_cutover(world.step)
    with pytest.raises(ConfirmationRequired):
        cutover.block_leader_writes(cutover.Cutover(world.step))  # a cell run on its own asks again
    assert world.changes == []


def test_a_paused_follower_is_not_promoted_and_its_leader_not_blocked(fake, cat):
    world = PromotionWorld(fake, cat, status="paused")
    with pytest.raises(Exception, match="can be promoted"):
        cutover.begin_cutover(world.step)
    with pytest.raises(UnsafeState, match="paused"):
        cutover.block_leader_writes(cutover.Cutover(world.step))
    assert world.changes == []


def test_promotion_stops_if_the_leader_lost_its_block_meanwhile(fake, cat):
    world = PromotionWorld(fake, cat)
    cut = cutover.begin_cutover(world.step)
    cutover.block_leader_writes(cut)
    world.blocked = False  # someone lifted it between the cells
    with pytest.raises(UnsafeState, match="not write-blocked"):
        cutover.promote(cut)
    assert world.status == "active" and ("local", "POST", "/myindex_follow/_ccr/pause_follow") not in world.changes


# --- on the practice clusters ------------------------------------------------------------------

from pathlib import Path  # noqa: E402 - the practice-cluster half of this file

import papermill  # noqa: E402

from runbook_lib.app_writer import AppWriter  # noqa: E402
from runbook_lib.ccr_ops import ensure_remote, follow  # noqa: E402
from runbook_lib.demo import follower_promoted  # noqa: E402
from runbook_lib.demo_summary import lost_writes  # noqa: E402
from runbook_lib.follow_progress import wait_for_followers  # noqa: E402
from runbook_lib.nodes import default_seeds, node_addresses  # noqa: E402
from runbook_lib.notebook_outcome import read_outcome  # noqa: E402
from runbook_lib.records import read_records  # noqa: E402
from runbook_lib.step import begin  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def follow_sample(practice, folder: Path, leader: str, docs: int, **fields) -> tuple[Path, str]:
    """A leader of `docs` sample documents, followed from the local cluster and caught up."""
    practice.leader(leader, docs)
    follower = practice.remove_at_end("local", f"{leader}_follow")
    path = practice.parameters(folder, indices=[{"leader": leader, "follower": follower, **fields}])
    step = begin("test-setup", str(path))
    step.connect()
    alias = step.params.remote_alias
    ensure_remote(step.local, alias, list(step.params.seeds) or default_seeds(node_addresses(step.remote)))
    follow(step.local, leader, follower, alias, {})
    wait_for_followers(step.local, step.remote, [(leader, follower)], 120, interval_s=0.2)
    return path, follower


def run_cutover(folder: Path, name: str, **parameters) -> Path:
    output = folder / f"{name}.ipynb"
    try:
        papermill.execute_notebook(str(NOTEBOOKS / "05_cutover.ipynb"), str(output), parameters=parameters,
                                   cwd=str(NOTEBOOKS), kernel_name="ccr-runbooks", progress_bar=False)
    except papermill.PapermillExecutionError:
        pass  # the outcome is read from the saved notebook, cell by cell
    return output


@pytest.mark.slow
def test_cutover_under_writes_loses_nothing_and_reports_the_downtime(practice, unique_name, tmp_path):
    alias = unique_name("orders")
    path, follower = follow_sample(practice, tmp_path, unique_name("cut"), docs=1000, aliases=[alias])
    leader = follower.removesuffix("_follow")
    local = practice.client("local")
    writer = AppWriter(practice.client("remote"), leader, rate=200, batch=5,
                       promoted=lambda: follower_promoted(local, follower))
    writer.start()
    try:
        out = run_cutover(tmp_path, "cut", parameters_file=str(path), run_id="cut-run", confirm=follower)
    finally:
        stats = writer.stop()
    outcome = read_outcome(out)
    assert outcome.passed, outcome.message
    assert stats.acknowledged > 0 and lost_writes(local, follower, stats.acknowledged_ids) == []
    found = read_records(out, kind="check")
    downtime = found[found["name"] == f"{follower}: writes unavailable (write downtime)"]["observed"].iloc[0]
    assert downtime.endswith(f"acknowledged by {follower}") and float(downtime.split()[0]) < 30
    assert local.indices.get_alias(name=alias).body == {follower: {"aliases": {alias: {"is_write_index": True}}}}
    assert practice.client("remote").indices.get_settings(index=leader, name="index.blocks.write").body[leader][
        "settings"]["index"]["blocks"]["write"] == "true"
    # Run again (the same run, a new kernel): every step finds its work done; only the probe is repeated.
    again = run_cutover(tmp_path, "cut-again", parameters_file=str(path), run_id="cut-run", confirm=follower)
    assert read_outcome(again).passed, read_outcome(again).message
    sent = read_records(again, kind="request")
    assert sorted(set(sent["path"])) == [f"/{follower}/_doc/ccr-runbooks-probe-cut-run"]


@pytest.mark.slow
def test_without_confirmation_the_cutover_changes_nothing(practice, unique_name, tmp_path):
    path, follower = follow_sample(practice, tmp_path, unique_name("cutno"), docs=20)
    before = practice.fingerprint()
    out = run_cutover(tmp_path, "refused", parameters_file=str(path), confirm="yes please")
    outcome = read_outcome(out)
    assert not outcome.passed and "ConfirmationRequired" in outcome.failed_cell.error_name
    assert f"set parameter `confirm` to '{follower}'" in outcome.message
    assert practice.fingerprint() == before


@pytest.mark.slow
def test_a_dry_run_shows_the_promotion_and_changes_nothing(practice, unique_name, tmp_path):
    path, follower = follow_sample(practice, tmp_path, unique_name("cutdry"), docs=20)
    leader = follower.removesuffix("_follow")
    before = practice.fingerprint()
    out = run_cutover(tmp_path, "dry", parameters_file=str(path), dry_run=True)
    assert read_outcome(out).passed, read_outcome(out).message
    sent = read_records(out, kind="request")
    assert set(sent["dry_run"]) == {True}
    assert [(m, p) for m, p in zip(sent["method"], sent["path"])] == [
        ("PUT", f"/{leader}/_block/write"), ("POST", f"/{follower}/_ccr/pause_follow"), ("POST", f"/{follower}/_close"),
        ("POST", f"/{follower}/_ccr/unfollow"), ("POST", f"/{follower}/_open"),
        ("PUT", f"/{follower}/_doc/ccr-runbooks-probe-{sent['run_id'].iloc[0]}"),
        ("DELETE", f"/{follower}/_doc/ccr-runbooks-probe-{sent['run_id'].iloc[0]}")]
    assert practice.fingerprint() == before
