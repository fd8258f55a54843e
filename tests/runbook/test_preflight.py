"""Preflight readers: licence, privileges, leader facts, follower names, seeds, disk and the plan."""

from __future__ import annotations

import pytest

from runbook_lib import preflight, privileges
from runbook_lib.leader_prep import LeaderPrepPlan, PrepAction
from runbook_lib.nodes import NodeAddresses, default_seeds
from runbook_lib.parameters import load_parameters
from runbook_lib.plan import confirmation_name, migration_plan
from runbook_lib.remote_setup import check_seeds, choose_seeds, diagnose, probe, vendor_master_advice

PARAMS = {"remote": {"url": "http://remote.invalid:9200"}, "local": {"url": "http://local.invalid:9200"},
          "remote_alias": "old", "indices": [{"leader": "myindex"}]}


@pytest.mark.parametrize("kind,status,ok", [("trial", "active", True), ("platinum", "active", True),
                                            ("enterprise", "active", True), ("basic", "active", False),
                                            ("platinum", "expired", False)])
def test_licence_allows_ccr(fake, kind, status, ok):
    c = fake().on("GET", "/_license", {"license": {"type": kind, "status": status}})
    assert preflight.licence(c).allows_ccr is ok


def test_licence_path_on_6x(fake):
    c = fake(version="6.8.23").on("GET", "/_xpack/license", {"license": {"type": "trial", "status": "active"}})
    assert str(preflight.licence(c)) == "trial (active)"


def test_leader_soft_deletes_come_from_defaults_and_the_vendor_setting_is_seen(fake, cat):
    remote = fake("remote").on("GET", "/_cat/indices/myindex", cat("myindex", "M"))
    remote.on("GET", "/myindex/_settings", lambda p, b: (200, {"myindex": {
        "settings": {"index.number_of_shards": "2", "index.number_of_replicas": "1",
                     "index.replication.type": "physical"},
        "defaults": {"index.soft_deletes.enabled": "true"}}}) if p.get("include_defaults") == "true" else (200, {}))
    remote.on("GET", "/myindex/_stats/store,docs", {"indices": {"myindex": {
        "total": {"store": {"size_in_bytes": 2048}}, "primaries": {"docs": {"count": 100}}}}})
    leader = preflight.leader_index(remote, "myindex")
    assert (leader.uuid, leader.soft_deletes, leader.vendor_setting, leader.shards, leader.store_bytes, leader.docs) \
        == ("M", True, "physical", 2, 2048, 100)
    assert not preflight.leader_index(remote, "missing").exists


def test_follower_name_free_taken_or_already_following(fake, cat):
    local = fake().on("HEAD", "/_alias/myindex_follow", (404, None))
    assert preflight.follower_name(local, "myindex_follow", "old", "myindex").verdict == "free"
    local.on("HEAD", "/_alias/myindex_follow", (200, None))
    assert preflight.follower_name(local, "myindex_follow", "old", "myindex").verdict == "taken"
    local.on("GET", "/_cat/indices/myindex_follow", cat("myindex_follow", "F", "close"))
    taken = preflight.follower_name(local, "myindex_follow", "old", "myindex")
    assert not taken.ok and "closed index" in taken.detail
    local.on("GET", "/myindex_follow/_ccr/info", {"follower_indices": [
        {"follower_index": "myindex_follow", "remote_cluster": "old", "leader_index": "myindex", "status": "active"}]})
    assert preflight.follower_name(local, "myindex_follow", "old", "myindex").verdict == "following"


def test_privileges_report_what_is_missing_and_for_which_step(fake):
    params = load_parameters(PARAMS)
    local = fake()
    local.on("POST", "/_security/user/_has_privileges", lambda p, body: (200, {
        "username": "ccr", "has_all_requested": False,
        "cluster": {priv: priv != "manage_ccr" for priv in body["cluster"]},
        "index": {"myindex_follow": {priv: True for entry in body["index"] for priv in entry["privileges"]}}}))
    report = privileges.check_privileges(local, [n for n in privileges.needs(params) if n.role == "local"])
    assert report.security_enabled and [n.privilege for n in report.missing] == ["manage_ccr"]
    assert "03_follow" in report.missing[0].steps


@pytest.mark.parametrize("status,reason", [
    (500, "Security is not enabled but a security rest handler is registered"),
    (500, "Security must be explicitly enabled when using a [basic] license."),
    (400, "no handler found for uri [/_security/user/_has_privileges] and method [POST]")])
def test_privileges_when_security_is_off(fake, es_error, status, reason):
    c = fake().on("POST", "/_security/user/_has_privileges", es_error(status, "exception", reason))
    report = privileges.check_privileges(c, [privileges.Need("local", "monitor")])
    assert not report.security_enabled and report.ok


def test_privileges_other_errors_propagate(fake, es_error):
    c = fake().on("POST", "/_security/user/_has_privileges", es_error(403, "security_exception", "action denied"))
    with pytest.raises(Exception, match="action denied"):
        privileges.check_privileges(c, [privileges.Need("local", "monitor")])


NODES = [NodeAddresses("master-0", ("master",), "10.0.0.1:9300", "10.0.0.1:9200"),
         NodeAddresses("data-0", ("data", "ingest"), "10.0.0.2:9300", "10.0.0.2:9200"),
         NodeAddresses("data-1", ("data",), "10.0.0.3:9300", "10.0.0.3:9200")]


def test_seeds_default_to_gateway_capable_nodes():
    assert default_seeds(NODES) == ["10.0.0.2:9300", "10.0.0.3:9300"]
    assert choose_seeds((), NODES)[1].startswith("the remote's nodes")
    assert choose_seeds(("x:9300",), NODES) == (["x:9300"], "the parameters")


def test_seed_checks_catch_http_addresses_and_port_9200():
    findings = {f.seed: f for f in check_seeds(["10.0.0.2:9200", "10.0.0.1:9300", "10.9.9.9:9200", "10.9.9.9:9300"], NODES)}
    assert findings["10.0.0.2:9200"].verdict == "fail" and "transport address 10.0.0.2:9300" in findings["10.0.0.2:9200"].advice
    assert findings["10.0.0.1:9300"].verdict == "pass" and "never uses it as a gateway" in findings["10.0.0.1:9300"].observed
    assert findings["10.9.9.9:9200"].verdict == "warn"  # port 9200 alone: usually HTTP, but ports are configurable
    assert findings["10.9.9.9:9300"].verdict == "warn"
    assert "vendor's guide" in vendor_master_advice(NODES, ["10.0.0.1:9300"])


def test_diagnose_names_the_http_port_and_nothing_listening(fake):
    remote = fake("remote").on("GET", "/_license", {"license": {"type": "trial", "status": "active"}})
    nodes = [NodeAddresses("data-0", ("data",), "127.0.0.1:1", "127.0.0.1:2")]
    causes = diagnose(remote, ["127.0.0.1:2"], nodes, "not connected")
    assert [c.cause for c in causes] == ["HTTP port used as a seed", "nothing listening"]


def test_diagnose_names_the_licence(fake):
    remote = fake("remote").on("GET", "/_license", {"license": {"type": "basic", "status": "active"}})
    causes = diagnose(remote, ["127.0.0.1:1"], [], "remote cluster [old] is not licensed for [ccr]")
    assert [c.cause for c in causes] == ["nothing listening", "licence"]


def test_disk_fit_spreads_the_need_over_data_nodes(fake):
    local = fake().on("GET", "/_nodes/stats/fs", {"nodes": {
        "a": {"name": "a", "roles": ["data"], "fs": {"total": {"available_in_bytes": 10_000}}},
        "b": {"name": "b", "roles": ["data"], "fs": {"total": {"available_in_bytes": 4_000}}},
        "m": {"name": "m", "roles": ["master"], "fs": {"total": {"available_in_bytes": 1}}}}})
    fit = preflight.disk_fit(local, needed_bytes=6_000, min_free_bytes=1_000)
    assert (fit.data_nodes, fit.tightest_node, fit.tightest_free_after, fit.ok) == (2, "b", 1_000, True)
    assert not preflight.disk_fit(local, needed_bytes=8_000, min_free_bytes=1_000).ok


def test_plan_lists_every_later_step_and_the_confirmation():
    params = load_parameters(PARAMS)
    prep = LeaderPrepPlan((PrepAction("myindex", "none", "nothing to change", follow="myindex"),))
    rows = migration_plan(params, prep, ["10.0.0.2:9300"], "local-cluster")
    assert [r[0] for r in rows] == ["01_prepare_leader", "02_connect_remote", "03_follow", "04_verify",
                                    "05_cutover", "06_rollback_or_cleanup"]
    assert "confirm: myindex_follow" in rows[4][1]
    two = load_parameters({**PARAMS, "indices": ["a", "b"]})
    assert confirmation_name(two, "local-cluster") == "local-cluster"


def test_probe_falls_back_when_the_cluster_has_no_handler(fake, es_error):
    local = fake(version="8.19.3")
    local.on("GET", "/_resolve/cluster/old:*", (400, {"error": "no handler found for uri [/_resolve/cluster/old:*] "
                                                               "and method [GET]", "status": 400}))
    local.on("GET", "/_resolve/index/old:*", {"indices": [], "aliases": [], "data_streams": []})
    assert probe(local, "old", "myindex") == (True, "GET _resolve/index/old:*: 200")
    local.on("GET", "/_resolve/cluster/old:*", {"old": {"connected": False, "skip_unavailable": False}})
    assert probe(local, "old", "myindex") == (False, "GET _resolve/cluster/old:*: not connected")
    old = fake(version="7.8.0").on("GET", "/old:myindex/_search", es_error(500, "connect_transport_exception", "x"))
    assert probe(old, "old", "myindex")[0] is False


# --- the same readers and writers on 6.x and 7.x servers ---


def test_privileges_are_asked_under_xpack_on_6x(fake):
    c = fake(version="6.8.23").on("POST", "/_xpack/security/user/_has_privileges",
                                  {"username": "u", "has_all_requested": True, "cluster": {"monitor": True}, "index": {}})
    report = privileges.check_privileges(c, [privileges.Need("local", "monitor")])
    assert report.ok and report.username == "u"


def test_remote_settings_have_no_mode_before_7_7_and_proxy_mode_is_refused_there(fake):
    from runbook_lib.errors import UnsafeState
    from runbook_lib.remote_clusters import ensure_remote

    for version, keys in (("6.8.23", ["cluster.remote.old.seeds"]),
                          ("7.10.2", ["cluster.remote.old.seeds", "cluster.remote.old.mode"])):
        local = fake(version=version).on("GET", "/_cluster/settings", {"persistent": {}, "transient": {}})
        local.on("PUT", "/_cluster/settings", {"acknowledged": True})
        ensure_remote(local, "old", ["10.0.0.1:9300"])
        assert list(local.sent[-1]["body"]["persistent"]) == keys
    with pytest.raises(UnsafeState, match="proxy mode exists from 7.7 only"):
        ensure_remote(fake(version="7.6.2"), "old", ["proxy:9400"], mode="proxy")


def test_index_state_and_document_paths_on_6x(fake, cat):
    from runbook_lib.index_ops import document_path, index_state

    old = fake(version="6.8.23").on("GET", "/_cat/indices/logs", lambda p, b: (
        (400, {"error": "unrecognized parameter"}) if "expand_wildcards" in p else (200, cat("logs", "L", "close"))))
    old.on("GET", "/logs/_mapping", {"logs-2019": {"mappings": {"doc": {"properties": {}}}}})
    assert index_state(old, "logs").closed
    assert document_path(old, "logs", "1") == "/logs/doc/1"  # Logstash 6 named its type `doc`
    new = fake(version="7.17.29")
    assert document_path(new, "logs", "1") == "/logs/_doc/1" and not new.sent  # nothing to read from 7.0


def test_version_checks_refuse_an_older_follower_and_exclusion_patterns_before_7_14():
    from runbook_lib.versions import Version

    params = load_parameters({**PARAMS, "auto_follow": {"name": "logs", "leader_index_patterns": ["logs-*"],
                                                        "leader_index_exclusion_patterns": ["logs-tmp-*"]}})
    checks = preflight.version_checks(params, Version.parse("7.10.2"), Version.parse("7.10.2"))
    assert [(c.name, c.verdict) for c in checks] == [("local version can follow the remote's", "pass"),
                                                     ("auto-follow exclusion patterns", "fail")]
    older = preflight.version_checks(load_parameters(PARAMS), Version.parse("9.1.5"), Version.parse("8.19.3"))[0]
    assert older.verdict == "fail" and "versions that can follow it: 9.1.5 to 9.x" in older.advice


def test_preflight_says_how_the_runbooks_talk_to_each_version():
    from runbook_lib.versions import Version

    old = preflight.how_spoken(Version.parse("6.8.23"))
    assert old.startswith("6.8.23: client elasticsearch7") and "index.blocks.write setting" in old and "scroll" in old
    assert preflight.how_spoken(Version.parse("9.1.5")) == "9.1.5: client elasticsearch; content compared with a point in time"
