"""Notebooks 00-03 and 06 run headlessly with papermill against the practice clusters.

Index names and the remote alias carry a unique suffix, so these tests share the session's clusters
with others (and could run against real ones). Bad input stops at the first cell that can know, with
a message naming it, and leaves both clusters as they were.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

import papermill as pm
import pytest

from runbook_lib.notebook_outcome import read_outcome
from runbook_lib.records import read_records

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
KERNEL = "ccr-runbooks"


class Http:
    """Plain HTTP to one practice cluster, for setting up and inspecting what the notebooks did."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, method: str, path: str, body=None, ok=(200,)):
        data = body if isinstance(body, str) else (json.dumps(body) if body is not None else None)
        request = urllib.request.Request(self.url + path, data=data.encode() if data else None, method=method,
                                         headers={"Content-Type": "application/x-ndjson" if isinstance(body, str)
                                                  else "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                status, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode()
        answer = json.loads(text) if text.strip() else None
        assert status in ok, f"{method} {path}: {status} {text[:300]}"
        return answer


@pytest.fixture(scope="module")
def clusters(sandbox):
    previous = os.environ.get("ES_SANDBOX_HOME")
    os.environ["ES_SANDBOX_HOME"] = sandbox.home  # the kernels papermill starts inherit it
    yield Http(sandbox.url("remote")), Http(sandbox.url("local"))
    if previous is None:
        os.environ.pop("ES_SANDBOX_HOME", None)
    else:
        os.environ["ES_SANDBOX_HOME"] = previous


def execute(name: str, out_dir: Path, **parameters):
    """Run one notebook; return its outcome and the path of the executed copy (errors do not raise)."""
    out = out_dir / f"{name}.{len(list(out_dir.glob(f'{name}*')))}.ipynb"
    try:
        pm.execute_notebook(str(NOTEBOOKS / f"{name}.ipynb"), str(out), parameters=parameters,
                            kernel_name=KERNEL, cwd=str(NOTEBOOKS), progress_bar=False)
    except pm.PapermillExecutionError:
        pass
    return read_outcome(out), out


def make_leader(remote: Http, name: str, docs: int = 20) -> None:
    remote("PUT", f"/{name}", {"settings": {"number_of_shards": 2, "number_of_replicas": 0}})
    lines = "".join(json.dumps({"index": {"_id": str(i)}}) + "\n" + json.dumps({"n": i}) + "\n" for i in range(docs))
    remote("POST", f"/{name}/_bulk?refresh=true", lines)


def snapshot(cluster: Http) -> dict:
    """What "unchanged" means: indices and uuids, settings, aliases, remotes and auto-follow patterns."""
    return {
        "indices": sorted((i["index"], i["uuid"], i["status"]) for i in
                          cluster("GET", "/_cat/indices?format=json&h=index,uuid,status&expand_wildcards=all")),
        "settings": cluster("GET", "/_cluster/settings?flat_settings=true"),
        "aliases": cluster("GET", "/_alias"),
        "remotes": sorted(cluster("GET", "/_remote/info")),
        "auto_follow": cluster("GET", "/_ccr/auto_follow", ok=(200, 404)),
    }


def requests_sent(path: Path) -> list[dict]:
    frame = read_records(path, kind="request")
    return [] if frame.empty else frame.to_dict("records")


def overrides(leader: str, follower: str, alias: str, **more) -> dict:
    return {"indices": [{"leader": leader, "follower": follower}], "remote_alias": alias, **more}


# --- the happy path, and re-runs --------------------------------------------------------------


@pytest.fixture(scope="module")
def migrated(clusters, tmp_path_factory):
    """00 -> 01 -> 02 -> 03 on one fresh leader; the tests below inspect and continue from there."""
    remote, local = clusters
    leader = f"chain-{os.getpid()}-{int(time.time())}"
    names = {"leader": leader, "follower": f"{leader}_follow", "alias": f"chain_{os.getpid()}"}
    make_leader(remote, leader)
    out = tmp_path_factory.mktemp("chain")
    given = overrides(names["leader"], names["follower"], names["alias"])
    outcomes = {nb: execute(nb, out, overrides=given, run_id="chain")
                for nb in ("00_preflight", "01_prepare_leader", "02_connect_remote", "03_follow")}
    return names, given, outcomes, out


def test_the_chain_passes_and_the_follower_has_the_leaders_documents(clusters, migrated):
    remote, local = clusters
    names, _, outcomes, _ = migrated
    for name, (outcome, _) in outcomes.items():
        assert outcome.passed, f"{name}: {outcome.message}"
    assert requests_sent(outcomes["00_preflight"][1]) == []  # preflight changes nothing
    local("POST", f"/{names['follower']}/_refresh")
    assert local("GET", f"/_cat/count/{names['follower']}?format=json")[0]["count"] == "20"
    info = local("GET", f"/{names['follower']}/_ccr/info")["follower_indices"][0]
    assert (info["remote_cluster"], info["leader_index"], info["status"]) == (names["alias"], names["leader"], "active")


def test_rerunning_02_and_03_changes_nothing(clusters, migrated):
    remote, local = clusters
    _, given, _, out = migrated
    before = snapshot(local), snapshot(remote)
    for nb in ("02_connect_remote", "03_follow"):
        outcome, path = execute(nb, out, overrides=given)
        assert outcome.passed, outcome.message
        assert requests_sent(path) == [], nb
    checks = read_records(path, kind="check")
    follow_check = checks[checks["name"].str.startswith("follow ")].iloc[0]
    assert "matched by leader uuid" in follow_check["observed"]  # the follower's recorded leader is this leader
    assert (snapshot(local), snapshot(remote)) == before


def test_a_dry_run_of_03_shows_and_sends_nothing(clusters, migrated, tmp_path, unique_name):
    remote, local = clusters
    names, _, _, _ = migrated
    leader = unique_name("dry")
    make_leader(remote, leader, docs=2)
    before = snapshot(local), snapshot(remote)
    outcome, path = execute("03_follow", tmp_path, dry_run=True,
                            overrides=overrides(leader, f"{leader}_follow", names["alias"]))
    assert outcome.passed, outcome.message
    sent = requests_sent(path)
    assert [(r["method"], r["path"], r["dry_run"]) for r in sent] == [("PUT", f"/{leader}_follow/_ccr/follow", True)]
    assert (snapshot(local), snapshot(remote)) == before


def test_rollback_before_unfollow_lifts_the_block_and_resumes(clusters, migrated, tmp_path):
    remote, local = clusters
    names, given, _, _ = migrated
    remote("PUT", f"/{names['leader']}/_block/write")
    local("POST", f"/{names['follower']}/_ccr/pause_follow")
    outcome, _ = execute("06_rollback_or_cleanup", tmp_path, overrides=given, action="rollback")
    assert outcome.passed, outcome.message
    settings = remote("GET", f"/{names['leader']}/_settings/index.blocks.write?flat_settings=true")
    # Elasticsearch leaves out an index none of whose settings match the filter.
    assert settings.get(names["leader"], {}).get("settings", {}).get("index.blocks.write", "false") == "false"
    assert local("GET", f"/{names['follower']}/_ccr/info")["follower_indices"][0]["status"] == "active"


def promote(local: Http, follower: str, ok=(200,)) -> None:
    """The cutover, by hand: pause, close, unfollow, open."""
    local("POST", f"/{follower}/_ccr/pause_follow")
    local("POST", f"/{follower}/_close")
    local("POST", f"/{follower}/_ccr/unfollow", ok=ok)
    local("POST", f"/{follower}/_open")


def ccr_leases(remote: Http, leader: str, follower: str) -> list[str]:
    shards = remote("GET", f"/{leader}/_stats?level=shards")["indices"][leader]["shards"]
    return [lease["id"] for copies in shards.values() for copy in copies if copy["routing"]["primary"]
            for lease in copy.get("retention_leases", {}).get("leases", []) if f"/{follower}/" in lease["id"]]


def test_rollback_after_unfollow_needs_confirmation_then_recreates_the_follower(clusters, migrated, tmp_path):
    remote, local = clusters
    names, given, _, _ = migrated
    promote(local, names["follower"])
    remote("PUT", f"/{names['leader']}/_block/write")
    promoted_uuid = local("GET", f"/_cat/indices/{names['follower']}?format=json&h=uuid")[0]["uuid"]
    before = snapshot(local), snapshot(remote)
    refused, _ = execute("06_rollback_or_cleanup", tmp_path, overrides=given, action="rollback")
    assert not refused.passed and refused.failed_cell.error_name == "ConfirmationRequired"
    assert names["follower"] in refused.message
    assert (snapshot(local), snapshot(remote)) == before
    outcome, path = execute("06_rollback_or_cleanup", tmp_path, overrides=given, action="rollback",
                            confirm=names["follower"])
    assert outcome.passed, outcome.message
    sent = [(r["method"], r["path"]) for r in requests_sent(path)]
    assert sent == [("PUT", f"/{names['leader']}/_settings"), ("DELETE", f"/{names['follower']}"),
                    ("PUT", f"/{names['follower']}/_ccr/follow")]
    recreated = local("GET", f"/_cat/indices/{names['follower']}?format=json&h=uuid")[0]["uuid"]
    assert recreated != promoted_uuid
    assert local("GET", f"/{names['follower']}/_ccr/info")["follower_indices"][0]["leader_index"] == names["leader"]


@pytest.mark.sandbox_only
def test_cleanup_refuses_while_following_then_forgets_the_leases_and_removes_the_remote(
        sandbox, clusters, migrated, tmp_path):
    remote, local = clusters
    names, given, _, _ = migrated
    leader, follower = names["leader"], names["follower"]
    execute("03_follow", tmp_path, overrides=given)  # the follower re-created by the rollback has caught up
    before = snapshot(local), snapshot(remote)
    refused, _ = execute("06_rollback_or_cleanup", tmp_path, overrides=given, action="cleanup")
    assert not refused.passed and "run 05_cutover first" in refused.message
    assert (snapshot(local), snapshot(remote)) == before
    # Unfollow while the clusters cannot talk: the follower is promoted, its leases stay on the leader.
    sandbox.run("partition", "local", "remote")
    try:
        promote(local, follower, ok=(200, 500))
    finally:
        sandbox.run("heal", "local", "remote")
    assert ccr_leases(remote, leader, follower)
    outcome, path = execute("06_rollback_or_cleanup", tmp_path, overrides=given, action="cleanup")
    assert outcome.passed, outcome.message
    assert ("POST", f"/{leader}/_ccr/forget_follower") in [(r["method"], r["path"]) for r in requests_sent(path)]
    assert ccr_leases(remote, leader, follower) == []
    assert names["alias"] not in local("GET", "/_remote/info")
    again, path = execute("06_rollback_or_cleanup", tmp_path, overrides=given, action="cleanup")
    assert again.passed and requests_sent(path) == []


# --- bad input: stops at the first cell that can know, clusters unchanged ---------------------


def test_a_missing_leader_stops_preflight_at_the_leader_cell(clusters, tmp_path, unique_name):
    remote, local = clusters
    leader = unique_name("missing")
    before = snapshot(local), snapshot(remote)
    outcome, _ = execute("00_preflight", tmp_path, overrides=overrides(leader, f"{leader}_follow", "nowhere"))
    assert not outcome.passed and outcome.failed_cell.cell_id == "nb00-leaders"
    assert leader in outcome.message
    assert (snapshot(local), snapshot(remote)) == before


def test_a_taken_follower_name_stops_preflight_at_the_follower_cell(clusters, tmp_path, unique_name):
    remote, local = clusters
    leader, taken = unique_name("leader"), unique_name("taken")
    make_leader(remote, leader, docs=1)
    local("PUT", f"/{taken}")
    local("POST", f"/{taken}/_close")
    before = snapshot(local), snapshot(remote)
    outcome, _ = execute("00_preflight", tmp_path, overrides=overrides(leader, taken, "nowhere"))
    assert not outcome.passed and outcome.failed_cell.cell_id == "nb00-followers"
    assert taken in outcome.message and "closed index" in outcome.message
    assert (snapshot(local), snapshot(remote)) == before


def test_an_http_seed_stops_02_before_the_remote_is_added(clusters, tmp_path, unique_name):
    remote, local = clusters
    leader = unique_name("leader")
    make_leader(remote, leader, docs=1)
    http_address = remote.url.split("//", 1)[1]
    before = snapshot(local), snapshot(remote)
    outcome, _ = execute("02_connect_remote", tmp_path,
                         overrides=overrides(leader, f"{leader}_follow", "wrong_seed", seeds=[http_address]))
    assert not outcome.passed and outcome.failed_cell.cell_id == "nb02-seeds"
    assert "HTTP" in outcome.message and "transport" in outcome.message
    assert (snapshot(local), snapshot(remote)) == before


def test_a_seed_where_nothing_listens_is_diagnosed_and_the_remote_put_back(clusters, tmp_path, unique_name):
    remote, local = clusters
    leader = unique_name("leader")
    make_leader(remote, leader, docs=1)
    before = snapshot(local), snapshot(remote)
    outcome, _ = execute("02_connect_remote", tmp_path, overrides=overrides(
        leader, f"{leader}_follow", "silent", seeds=["127.0.0.1:1"], follow_timeout_s=3))
    assert not outcome.passed and outcome.failed_cell.cell_id == "nb02-diagnose"
    assert "nothing listening" in outcome.message
    assert (snapshot(local), snapshot(remote)) == before


@pytest.mark.sandbox_only
@pytest.mark.slow
def test_01_removes_the_vendor_setting_by_close_null_open(start_sandbox, tmp_path, monkeypatch):
    # The vendor's setting exists only in its 6.7 flavour, where soft deletes must be set at creation.
    box = start_sandbox("--flavour", "vendor", "--version", "6.7.0")
    monkeypatch.setenv("ES_SANDBOX_HOME", box.home)
    remote = Http(box.url("remote"))
    remote("PUT", "/vendored", {"settings": {"index.replication.type": "physical", "index.soft_deletes.enabled": True}})
    given = overrides("vendored", "vendored_follow", "vendor")
    refused, _ = execute("01_prepare_leader", tmp_path, overrides=given)
    assert not refused.passed and "confirm" in refused.message and "vendored_follow" in refused.message
    outcome, path = execute("01_prepare_leader", tmp_path, overrides=given, confirm="vendored_follow")
    assert outcome.passed, outcome.message
    assert [(r["method"], r["path"]) for r in requests_sent(path)] == [
        ("POST", "/vendored/_close"), ("PUT", "/vendored/_settings"), ("POST", "/vendored/_open")]
    settings = remote("GET", "/vendored/_settings?flat_settings=true")["vendored"]["settings"]
    assert "index.replication.type" not in settings
    again, path = execute("01_prepare_leader", tmp_path, overrides=given)
    assert again.passed and requests_sent(path) == []
