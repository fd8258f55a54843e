"""State fingerprints before and after each step, in the evidence.json of a real run on the practice pair."""

from __future__ import annotations

import json
import time

from runbook_lib.connection import connect
from runbook_lib.parameters import load_parameters
from runbook_lib.runner import RUNBOOKS, Runbook, run_runbook
from runbook_lib.state_fingerprint import describe_changes, digest, read_state, state_names


def test_evidence_shows_each_steps_state_and_the_follower_step_03_created(practice, unique_name, tmp_path):
    leader = practice.leader(unique_name("state"), docs=10)
    follower = practice.remove_at_end("local", f"{leader}_follow")
    alias = unique_name("remote")
    params = practice.parameters(tmp_path, indices=[{"leader": leader, "follower": follower}], remote_alias=alias)
    connect_and_follow = Runbook("migrate", RUNBOOKS["migrate"].steps[2:4])  # 02_connect_remote, 03_follow
    try:
        result = run_runbook(connect_and_follow, params, runs_dir=tmp_path / "runs", report=lambda line: None)
        assert result.passed, result.failed_step and result.failed_step.message
        evidence = json.loads((result.folder / "evidence.json").read_text())
    finally:
        practice.client("local").cluster.put_settings(persistent={f"cluster.remote.{alias}.seeds": None,
                                                                  f"cluster.remote.{alias}.mode": None})

    connect, follow = (step["state"] for step in evidence["steps"])
    assert evidence["mode"] == "headless" and not list(result.folder.glob("*.journal.jsonl"))
    assert alias not in connect["before"]["local"]["remotes"]
    assert connect["after"]["local"]["remotes"][alias]["connected"] is True
    assert any(line.startswith(f"local: remote {alias} added (sniff ") for line in connect["changed"])

    assert follow["before"]["local"]["indices"][follower] == {"absent": True}
    created = follow["after"]["local"]["indices"][follower]
    assert created["state"] == "open" and created["settings"]["index.xpack.ccr.following_index"] == "true"
    assert (created["follower"]["remote_cluster"], created["follower"]["leader_index"],
            created["follower"]["status"]) == (alias, leader, "active")
    assert follow["changed"] == [f"local: index {follower} created (uuid {created['uuid']}), "
                                 f"following active ({alias}:{leader})"]
    assert follow["after"]["remote"]["indices"][leader]["uuid"]
    assert follow["before"]["remote"]["digest"] == follow["after"]["remote"]["digest"]  # the leader is untouched

    for phase in ("before", "after"):
        for fingerprint in follow[phase].values():
            assert fingerprint["digest"] == digest(fingerprint) and fingerprint["unread"] == []
    # Reading state is not a change: no GET is among the requests that changed a cluster.
    assert evidence["requests"] and all(r["method"] != "GET" for r in evidence["requests"])


def test_an_auto_follow_pattern_and_the_followers_it_creates_are_in_the_local_state(practice, unique_name, tmp_path):
    leader = practice.leader(unique_name("afstate"), docs=5)
    follower = practice.remove_at_end("local", f"{leader}_follow")
    alias, pattern, prefix = unique_name("remote"), unique_name("af"), unique_name("aflogs")
    params = practice.parameters(tmp_path, indices=[{"leader": leader, "follower": follower}], remote_alias=alias,
                                 auto_follow={"name": pattern, "leader_index_patterns": [f"{prefix}-*"]})
    connect_and_follow = Runbook("migrate", RUNBOOKS["migrate"].steps[2:4])  # 02_connect_remote, 03_follow
    local = practice.client("local")
    try:
        result = run_runbook(connect_and_follow, params, runs_dir=tmp_path / "runs", report=lambda line: None)
        assert result.passed, result.failed_step and result.failed_step.message
        follow = json.loads((result.folder / "evidence.json").read_text())["steps"][1]["state"]

        assert follow["before"]["local"]["auto_follow"] == {}
        created = dict(follow["after"]["local"]["auto_follow"][pattern])
        assert created.pop("leader_index_exclusion_patterns", []) == []  # reported by 7.14 and later
        assert created == {"remote_cluster": alias, "leader_index_patterns": [f"{prefix}-*"],
                           "follow_index_pattern": "{{leader_index}}_follow", "active": True}
        assert f"local: auto-follow pattern {pattern} created ({alias}:{prefix}-*)" in follow["changed"]
        assert "auto_follow" not in follow["after"]["remote"]
        for fingerprint in follow["after"].values():
            assert fingerprint["digest"] == digest(fingerprint) and fingerprint["unread"] == []

        # A leader created after the pattern is followed by it; the next reading records that follower.
        auto_leader = practice.leader(f"{prefix}-1", docs=3)
        auto_follower = practice.remove_at_end("local", f"{auto_leader}_follow")
        deadline = time.monotonic() + 60
        while not local.indices.exists(index=auto_follower) and time.monotonic() < deadline:
            time.sleep(0.5)
        parameters = load_parameters(params)
        cluster = connect(parameters.cluster("local"), parameters.run_id, "test")
        state = read_state(cluster, *state_names(parameters, "local"), auto_follow=True)
        assert state["indices"][auto_follower]["follower"]["leader_index"] == auto_leader
        assert state["indices"][follower]["follower"]["leader_index"] == leader
        assert sorted(state["auto_follow"]) == [pattern] and state["unread"] == []
        later = describe_changes({"local": follow["after"]["local"]}, {"local": state})
        assert any(line.startswith(f"local: index {auto_follower} created (uuid ") for line in later)
    finally:
        local.options(ignore_status=404).ccr.delete_auto_follow_pattern(name=pattern)
        local.cluster.put_settings(persistent={f"cluster.remote.{alias}.seeds": None,
                                               f"cluster.remote.{alias}.mode": None})


def test_auto_follow_changes_are_described_in_a_sentence_each():
    created = {"remote_cluster": "remote", "leader_index_patterns": ["logs-*", "metrics-*"],
               "follow_index_pattern": "{{leader_index}}_follow", "active": True}
    paused, edited = {**created, "active": False}, {**created, "follow_index_pattern": "{{leader_index}}-copy"}

    def fp(patterns):
        return {"local": {"cluster_uuid": "u", "indices": {}, "remotes": {}, "auto_follow": patterns}}

    assert describe_changes(fp({}), fp({"logs": created})) == [
        "local: auto-follow pattern logs created (remote:logs-*, metrics-*)"]
    assert describe_changes(fp({"logs": created}), fp({})) == ["local: auto-follow pattern logs deleted"]
    assert describe_changes(fp({"logs": created}), fp({"logs": paused})) == ["local: auto-follow pattern logs paused"]
    assert describe_changes(fp({"logs": created}), fp({"logs": edited})) == [
        "local: auto-follow pattern logs follow_index_pattern: {{leader_index}}_follow -> {{leader_index}}-copy"]
    # A reading from before auto-follow patterns were recorded compares as having none.
    assert describe_changes({"local": {"cluster_uuid": "u"}}, fp({})) == []
