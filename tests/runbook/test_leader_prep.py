"""01_prepare_leader's plan. An 8.x practice cluster cannot hold an index without soft deletes, so
the reindex path is tested here as the plan it makes for 7.x and 6.x leaders, and as the requests
its executor sends against a scripted cluster."""

from __future__ import annotations

import pytest

from runbook_lib.leader_prep import LeaderPrepPlan, new_settings, plan_for
from runbook_lib.leader_prep_apply import concrete_leader, follow_target, read_plan, reindex_to_soft_deletes, remove_vendor_setting
from runbook_lib.errors import UnsafeState
from runbook_lib.preflight import LeaderIndex
from runbook_lib.versions import Version

SETTINGS = {"index.number_of_shards": "3", "index.number_of_replicas": "1", "index.uuid": "OLD",
            "index.creation_date": "1", "index.version.created": "7100299", "index.provided_name": "orders",
            "index.soft_deletes.enabled": "false", "index.analysis.analyzer.a.type": "standard",
            "index.blocks.write": "true", "index.replication.type": "physical"}
MAPPINGS = {"properties": {"name": {"type": "keyword"}}}


def no_soft_deletes(name="orders", docs=1000):
    return LeaderIndex(name, "OLD", "open", soft_deletes=False, shards=3, docs=docs)


def test_an_index_with_soft_deletes_and_no_vendor_setting_needs_nothing():
    action = plan_for(LeaderIndex("orders", "U", "open", soft_deletes=True), Version(8, 19, 3))
    assert (action.kind, action.requests, action.follow, action.destructive) == ("none", (), "orders", False)
    assert not LeaderPrepPlan((action,)).changes_anything


def test_the_vendor_setting_is_removed_by_close_null_open():
    leader = LeaderIndex("orders", "U", "open", soft_deletes=True, vendor_setting="physical",
                         vendor_key="index.replication.type")
    action = plan_for(leader, Version(7, 10, 2))
    assert [(r.method, r.path) for r in action.requests] == [
        ("POST", "/orders/_close"), ("PUT", "/orders/_settings"), ("POST", "/orders/_open")]
    assert action.requests[1].body == {"index.replication.type": None}
    assert action.destructive and action.follow == "orders"


def test_new_settings_keep_the_index_design_and_turn_soft_deletes_on():
    assert new_settings(SETTINGS) == {"index.number_of_shards": "3", "index.number_of_replicas": "1",
                                      "index.analysis.analyzer.a.type": "standard", "index.soft_deletes.enabled": True}


def test_reindex_plan_when_writers_use_the_index_name_on_7x():
    action = plan_for(no_soft_deletes(), Version(7, 10, 2), SETTINGS, MAPPINGS, {})
    assert action.kind == "reindex" and action.follow == "orders-soft-deletes" and action.destructive
    assert [(r.method, r.path) for r in action.requests] == [
        ("PUT", "/orders-soft-deletes"), ("PUT", "/orders/_block/write"), ("POST", "/_reindex"),
        ("POST", "/orders/_clone/orders-pre-ccr"), ("POST", "/_aliases")]
    create, _, reindex, _, swap = action.requests
    assert create.body["mappings"] == MAPPINGS and create.body["settings"]["index.soft_deletes.enabled"] is True
    assert reindex.body["dest"] == {"index": "orders-soft-deletes", "op_type": "create"}
    assert reindex.params["wait_for_completion"] == "false"
    # One atomic request: the old index goes and its name becomes the write alias of the new one.
    assert swap.body == {"actions": [{"remove_index": {"index": "orders"}},
                                     {"add": {"index": "orders-soft-deletes", "alias": "orders", "is_write_index": True}}]}
    assert any("orders-pre-ccr" in n for n in action.notes)


def test_reindex_plan_moves_existing_aliases_and_keeps_the_old_index():
    aliases = {"orders-write": {"is_write_index": True}, "orders-read": {}}
    action = plan_for(no_soft_deletes(), Version(7, 17, 9), SETTINGS, MAPPINGS, aliases)
    swap = action.requests[-1]
    assert swap.body == {"actions": [
        {"remove": {"index": "orders", "alias": "orders-read"}}, {"add": {"index": "orders-soft-deletes", "alias": "orders-read"}},
        {"remove": {"index": "orders", "alias": "orders-write"}},
        {"add": {"index": "orders-soft-deletes", "alias": "orders-write", "is_write_index": True}}]}
    assert not any(r.path.endswith("_clone/orders-pre-ccr") for r in action.requests)
    assert any("is kept" in n for n in action.notes)


def test_reindex_plan_on_6x_blocks_by_setting_and_asks_for_a_snapshot():
    action = plan_for(no_soft_deletes(), Version(6, 8, 23), SETTINGS, {"_doc": MAPPINGS}, {})
    block = action.requests[1]
    assert (block.method, block.path, block.body) == ("PUT", "/orders/_settings", {"index.blocks.write": True})
    assert not any("_clone" in r.path for r in action.requests)
    assert any("snapshot" in n for n in action.notes)


def test_the_dry_run_rendering_is_dev_tools_text():
    plan = LeaderPrepPlan((plan_for(no_soft_deletes(), Version(7, 10, 2), SETTINGS, MAPPINGS, {}),))
    text = plan.render()
    assert "PUT orders-soft-deletes\n{" in text and "POST _reindex?wait_for_completion=false&refresh=true" in text
    assert plan.follow_targets == {"orders": "orders-soft-deletes"} and plan.needs_confirmation


# --- the executor against a scripted 7.x remote ------------------------------------------------


def scripted_remote(fake, cat, target_docs=0):
    remote = fake("remote", version="7.10.2")
    state = {"target": target_docs > 0, "target_docs": target_docs, "blocked": False, "swapped": False}
    remote.on("GET", "/_cat/indices/orders", lambda p, b: (200, [] if state["swapped"] else cat("orders", "OLD")))
    remote.on("GET", "/_cat/indices/orders-soft-deletes",
              lambda p, b: (200, cat("orders-soft-deletes", "NEW")) if state["target"] else (404, None))
    remote.on("GET", "/_cat/indices/orders-pre-ccr", (404, None))
    remote.on("PUT", "/orders-soft-deletes", lambda p, b: (state.update(target=True), (200, {"acknowledged": True}))[1])
    remote.on("GET", "/orders/_settings/index.blocks.write",
              lambda p, b: (200, {"orders": {"settings": {"index.blocks.write": str(state["blocked"]).lower()}}}))
    remote.on("PUT", "/orders/_block/write", lambda p, b: (state.update(blocked=True), (200, {"acknowledged": True}))[1])
    remote.on("POST", "/orders/_refresh", {}).on("POST", "/orders-soft-deletes/_refresh", {})
    remote.on("GET", "/orders/_count", {"count": 1000})
    remote.on("GET", "/orders-soft-deletes/_count", lambda p, b: (200, {"count": state["target_docs"]}))
    remote.on("POST", "/_reindex", lambda p, b: (state.update(target_docs=1000), (200, {"task": "n1:7"}))[1])
    remote.on("GET", "/_tasks/n1:7", {"completed": True, "task": {"status": {"total": 1000, "created": 1000}},
                                      "response": {"created": 1000, "failures": []}})
    remote.on("POST", "/orders/_clone/orders-pre-ccr", {"acknowledged": True})
    remote.on("POST", "/_aliases", lambda p, b: (state.update(swapped=True), (200, {"acknowledged": True}))[1])
    remote.on("GET", "/_alias/orders", lambda p, b: (200, {"orders-soft-deletes": {"aliases": {"orders": {"is_write_index": True}}}})
              if state["swapped"] else (404, None))
    return remote, state


def test_the_executor_runs_the_plan_then_is_a_no_op(fake, cat):
    remote, state = scripted_remote(fake, cat)
    action = plan_for(no_soft_deletes(), remote.version, SETTINGS, MAPPINGS, {})
    results = reindex_to_soft_deletes(remote, action, timeout_s=5)
    assert [r.action for r in results if r.changed] == ["create new index", "add write block", "reindex", "backup",
                                                        "move write path"]
    assert state["swapped"] and concrete_leader(remote, "orders") == "orders-soft-deletes"
    again = reindex_to_soft_deletes(remote, action, timeout_s=5)
    assert [r.changed for r in again] == [False]


def test_the_executor_resumes_after_an_interrupted_copy(fake, cat):
    remote, state = scripted_remote(fake, cat, target_docs=1000)
    state["blocked"] = True
    results = reindex_to_soft_deletes(remote, plan_for(no_soft_deletes(), remote.version, SETTINGS, MAPPINGS, {}), 5)
    assert [r.action for r in results if r.changed] == ["backup", "move write path"]


def test_the_executor_stops_before_moving_writes_when_counts_differ(fake, cat):
    remote, state = scripted_remote(fake, cat)
    remote.on("POST", "/_reindex", lambda p, b: (state.update(target_docs=990), (200, {"task": "n1:7"}))[1])
    with pytest.raises(UnsafeState, match="holds 990 documents"):
        reindex_to_soft_deletes(remote, plan_for(no_soft_deletes(), remote.version, SETTINGS, MAPPINGS, {}), 5)
    assert not state["swapped"]


def test_the_executor_in_a_dry_run_sends_no_change(fake, cat):
    remote, state = scripted_remote(fake, cat)
    remote.dry_run = True
    reindex_to_soft_deletes(remote, plan_for(no_soft_deletes(), remote.version, SETTINGS, MAPPINGS, {}), 5)
    assert all(r["dry_run"] for r in remote.sent if r["changes"]) and not any(state.values())


def test_read_plan_reads_settings_mappings_and_aliases_only_for_the_reindex_path(fake, cat):
    remote, _ = scripted_remote(fake, cat)
    remote.on("GET", "/orders/_settings", lambda p, b: (200, {"orders": {
        "settings": SETTINGS, **({"defaults": {}} if p.get("include_defaults") else {})}}))
    remote.on("GET", "/orders/_mapping", {"orders": {"mappings": MAPPINGS}})
    remote.on("GET", "/orders/_alias", {"orders": {"aliases": {}}})
    remote.on("GET", "/orders/_stats/store,docs", {"indices": {"orders": {}}})
    plan = read_plan(remote, ["orders"])
    assert plan.follow_targets == {"orders": "orders-soft-deletes"}


def test_remove_vendor_setting_reopens_the_index_even_when_the_change_fails(fake, cat, es_error):
    remote = fake("remote", version="7.10.2")
    state = {"closed": False}
    remote.on("GET", "/_cat/indices/orders", lambda p, b: (200, cat("orders", "U", "close" if state["closed"] else "open")))
    remote.on("GET", "/orders/_settings", {"orders": {"settings": {"index.replication.type": "physical"}, "defaults": {}}})
    remote.on("GET", "/orders/_stats/store,docs", {"indices": {"orders": {}}})
    remote.on("POST", "/orders/_close", lambda p, b: (state.update(closed=True), (200, {"acknowledged": True}))[1])
    remote.on("POST", "/orders/_open", lambda p, b: (state.update(closed=False), (200, {"acknowledged": True}))[1])
    remote.on("PUT", "/orders/_settings", es_error(400, "illegal_argument_exception", "boom"))
    with pytest.raises(Exception, match="boom"):
        remove_vendor_setting(remote, "orders", "index.replication.type")
    assert not state["closed"]


def test_follow_target_is_the_new_index_after_the_reindex(fake, cat):
    remote, state = scripted_remote(fake, cat)
    assert follow_target(remote, "orders") == "orders"  # not prepared yet: 01 has not run
    state["swapped"] = state["target"] = True
    assert follow_target(remote, "orders") == "orders-soft-deletes"  # the name is now an alias
    state["swapped"] = False  # writers used other aliases: the old index stays, without soft deletes
    remote.on("GET", "/orders/_settings", {"orders": {"settings": {}, "defaults": {"index.soft_deletes.enabled": "false"}}})
    remote.on("GET", "/orders/_stats/store,docs", {"indices": {"orders": {}}})
    assert follow_target(remote, "orders") == "orders-soft-deletes"
