"""State fingerprints before and after each step, in the evidence.json of a real run on the practice pair."""

from __future__ import annotations

import json

from runbook_lib.runner import RUNBOOKS, Runbook, run_runbook
from runbook_lib.state_fingerprint import digest


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
