"""Remote clusters, transport and CCR between practice clusters of different versions (issue 5).

One home holds one cluster per version of the lead's matrix (one process each): the pairs that
Elasticsearch replicates replicate, a follower older than its leader is refused with RestoreService's
error, clusters that are not wire compatible fail the transport handshake, and the remote-cluster
settings and `_remote/info` take the shape of each version. Calls go through the official client of
the follower's major where one fits (elasticsearch7 for 6.x/7.x, elasticsearch 8.19 for 8.x/9.x),
otherwise plain HTTP.
"""

from __future__ import annotations

import os
import sys
import uuid

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # the shared helpers sit beside the tests (importlib import mode)
from ccr_support import call, ok, wait_until  # noqa: E402

VERSIONS = {"v67": "6.7.0", "v68": "6.8.23", "v710": "7.10.2", "v717": "7.17.29", "v819": "8.19.3", "v915": "9.1.5"}


@pytest.fixture(scope="module")
def home(start_versions):
    return start_versions(VERSIONS, vendor=("v67",))


def client(home, name: str):
    """The official client of the cluster's major: the 7.17 client for 6.x/7.x, 8.19 for 8.x/9.x."""
    return home.official_client(name)


def connect(home, follower: str, leader: str) -> str:
    """Adds `leader` as a remote of `follower` through one data node's transport address."""
    alias = f"{leader}-{uuid.uuid4().hex[:6]}"
    seeds = home.info(leader)["transport"][1:2]
    ok(home.url(follower), "PUT", "/_cluster/settings", {"persistent": {f"cluster.remote.{alias}.seeds": seeds}})
    return alias


def leader_index(home, leader: str, unique_name, **extra_settings) -> str:
    """A one-shard leader index with soft deletes set explicitly (6.x does not default to them);
    6.x mappings name the `_doc` type."""
    name = unique_name(f"lead-{leader}")
    properties = {"n": {"type": "long"}, "msg": {"type": "keyword"}}
    mappings = {"_doc": {"properties": properties}} if VERSIONS[leader] < "7" else {"properties": properties}
    settings = {"index.number_of_shards": 1, "index.soft_deletes.enabled": True, **extra_settings}
    ok(home.url(leader), "PUT", f"/{name}", {"settings": settings, "mappings": mappings})
    ok(home.url(leader), "PUT", f"/{name}/_doc/1?refresh=true", {"n": 1, "msg": "before following"})
    return name


def follower_docs(home, follower: str, index: str) -> dict[str, dict]:
    status, answer = call(home.url(follower), "GET", f"/{index}/_search?size=100")
    return {h["_id"]: h["_source"] for h in answer["hits"]["hits"]} if status == 200 else {}


@pytest.mark.parametrize("leader, follower", [
    ("v68", "v710"), ("v710", "v717"), ("v717", "v819"), ("v819", "v915"),
])
def test_pairs_in_the_matrix_replicate(home, unique_name, leader, follower):
    alias = connect(home, follower, leader)
    name = leader_index(home, leader, unique_name)
    followed = f"{name}-copy"
    es = client(home, follower)
    if VERSIONS[follower] < "8":
        answer = es.ccr.follow(index=followed, body={"remote_cluster": alias, "leader_index": name}, wait_for_active_shards=1)
    else:
        answer = es.ccr.follow(index=followed, remote_cluster=alias, leader_index=name, wait_for_active_shards=1)
    assert dict(answer) == {"follow_index_created": True, "follow_index_shards_acked": True, "index_following_started": True}
    ok(home.url(leader), "PUT", f"/{name}/_doc/2?refresh=true", {"n": 2, "msg": "while following"})
    docs = wait_until("both documents on the follower", lambda: (d := follower_docs(home, follower, followed)) and len(d) == 2 and d)
    assert docs == {"1": {"n": 1, "msg": "before following"}, "2": {"n": 2, "msg": "while following"}}


def test_a_6x_leader_with_a_typed_mapping_gives_a_typeless_7x_follower(home, unique_name):
    alias = connect(home, "v710", "v68")
    name = leader_index(home, "v68", unique_name)
    ok(home.url("v710"), "PUT", f"/{name}-copy/_ccr/follow?wait_for_active_shards=1", {"remote_cluster": alias, "leader_index": name})
    assert ok(home.url("v68"), "GET", f"/{name}/_mapping")[name]["mappings"] == {
        "_doc": {"properties": {"msg": {"type": "keyword"}, "n": {"type": "long"}}}}
    assert ok(home.url("v710"), "GET", f"/{name}-copy/_mapping")[f"{name}-copy"]["mappings"] == {
        "properties": {"msg": {"type": "keyword"}, "n": {"type": "long"}}}


def test_vendor_67_follows_once_the_vendor_setting_is_removed(home, unique_name):
    alias = connect(home, "v67", "v67")  # a cluster may name itself as its remote
    name = leader_index(home, "v67", unique_name)
    assert ok(home.url("v67"), "GET", f"/{name}/_settings")[name]["settings"]["index"]["replication"] == {"type": "physical"}
    # The seed guide's step: the setting is static, so the index is closed around its removal.
    ok(home.url("v67"), "POST", f"/{name}/_close")
    ok(home.url("v67"), "PUT", f"/{name}/_settings", {"index.replication.type": None})
    ok(home.url("v67"), "POST", f"/{name}/_open")
    ok(home.url("v67"), "PUT", f"/{name}-copy/_ccr/follow?wait_for_active_shards=1", {"remote_cluster": alias, "leader_index": name})
    ok(home.url("v67"), "PUT", f"/{name}/_doc/2?refresh=true", {"n": 2, "msg": "while following"})
    wait_until("both documents on the follower", lambda: len(follower_docs(home, "v67", f"{name}-copy")) == 2)


@pytest.mark.parametrize("leader, follower, reason", [
    ("v717", "v68", "the snapshot was created with Elasticsearch version [7.17.29] which is higher than the version of "
                    "this node [6.8.23]"),
    ("v915", "v819", "the snapshot was created with version [9.1.5] which is higher than the version of this node [8.19.3]"),
])
def test_a_follower_older_than_its_leader_is_refused(home, unique_name, leader, follower, reason):
    alias = connect(home, follower, leader)
    name = leader_index(home, leader, unique_name)
    status, answer = call(home.url(follower), "PUT", f"/{name}-copy/_ccr/follow", {"remote_cluster": alias, "leader_index": name})
    full = f"[_ccr_{alias}:_latest_/_latest_] {reason}"
    assert (status, answer["error"]["type"], answer["error"]["reason"]) == (500, "snapshot_restore_exception", full)
    assert call(home.url(follower), "GET", f"/{name}-copy")[0] == 404  # nothing was created


def test_auto_follow_of_a_newer_leader_records_the_refusal(home, unique_name):
    alias = connect(home, "v819", "v915")
    prefix = unique_name("auto")
    ok(home.url("v819"), "PUT", f"/_ccr/auto_follow/{prefix}",
       {"remote_cluster": alias, "leader_index_patterns": [f"{prefix}-*"], "follow_index_pattern": "{{leader_index}}-copy"})
    try:
        leader = f"{prefix}-1"
        ok(home.url("v915"), "PUT", f"/{leader}", {"settings": {"index.number_of_shards": 1}})

        def recorded():
            stats = ok(home.url("v819"), "GET", "/_ccr/stats")["auto_follow_stats"]
            return [e for e in stats["recent_auto_follow_errors"] if e["leader_index"] == f"{prefix}:{leader}"] or None

        error = wait_until("the auto-follow error", recorded, timeout=60)[0]["auto_follow_exception"]
        assert error["type"] == "snapshot_restore_exception"
        assert error["reason"].endswith("the snapshot was created with version [9.1.5] which is higher than the version of "
                                        "this node [8.19.3]")
    finally:
        call(home.url("v819"), "DELETE", f"/_ccr/auto_follow/{prefix}")


@pytest.mark.parametrize("follower, leader, minimum", [
    ("v710", "v67", "6.8.0"),    # 7.x reads only 6.8+
    ("v819", "v68", "7.17.0"),   # 8.x reads only 7.17+
    ("v915", "v717", "8.18.0"),  # 9.x reads only 8.18+
])
def test_clusters_that_are_not_wire_compatible_fail_the_handshake(home, unique_name, follower, leader, minimum):
    alias = connect(home, follower, leader)
    info = ok(home.url(follower), "GET", "/_remote/info")[alias]
    assert (info["connected"], info["num_nodes_connected"]) == (False, 0)
    name = leader_index(home, leader, unique_name)
    status, answer = call(home.url(follower), "PUT", f"/{name}-copy/_ccr/follow", {"remote_cluster": alias, "leader_index": name})
    seed = home.info(leader)["transport"][1]
    connect_error = answer["error"]["caused_by"]
    assert status == 400 and answer["error"]["type"] == "status_exception"
    assert (connect_error["type"], connect_error["reason"]) == ("connect_transport_exception", f"[][{seed}] general node connection failure")
    assert connect_error["caused_by"] == {
        "type": "illegal_state_exception",
        "reason": f"Received message from unsupported version: [{VERSIONS[leader]}] minimal compatible version is: [{minimum}]"}


def test_an_older_local_cluster_names_its_own_minimum(home):
    """The connecting side checks compatibility both ways and names its own minimum (5.6.0 on 6.x)."""
    alias = connect(home, "v67", "v717")
    status, answer = call(home.url("v67"), "PUT", "/x-copy/_ccr/follow", {"remote_cluster": alias, "leader_index": "x"})
    assert answer["error"]["caused_by"]["caused_by"]["reason"] == (
        "Received message from unsupported version: [7.17.29] minimal compatible version is: [5.6.0]")


def test_remote_info_has_the_shape_of_each_version(home):
    shapes = {}
    for follower in ("v68", "v710", "v819"):
        alias = connect(home, follower, "v717")
        shapes[follower] = ok(home.url(follower), "GET", "/_remote/info")[alias]
    seeds = home.info("v717")["transport"][1:2]
    assert shapes["v68"] == {"seeds": seeds, "http_addresses": [home.url("v717").removeprefix("http://")], "connected": True,
                             "num_nodes_connected": 2, "max_connections_per_cluster": 3, "initial_connect_timeout": "30s",
                             "skip_unavailable": False}
    assert list(shapes["v710"]) == ["connected", "mode", "seeds", "num_nodes_connected", "max_connections_per_cluster",
                                    "initial_connect_timeout", "skip_unavailable"]
    assert shapes["v710"]["skip_unavailable"] is False
    assert shapes["v819"]["skip_unavailable"] is True  # the default from 8.15


@pytest.mark.parametrize("cluster", ["v68", "v717"])
def test_search_remote_names_are_renamed_to_cluster_remote_before_8(home, cluster):
    alias = f"legacy-{uuid.uuid4().hex[:6]}"
    seeds = home.info("v710")["transport"][1:2]
    answer = ok(home.url(cluster), "PUT", "/_cluster/settings", {"persistent": {f"search.remote.{alias}.seeds": seeds}})
    assert answer["persistent"] == {"cluster": {"remote": {alias: {"seeds": seeds}}}}
    assert ok(home.url(cluster), "GET", "/_remote/info")[alias]["connected"] is True


def test_search_remote_names_are_unknown_from_8(home):
    status, answer = call(home.url("v819"), "PUT", "/_cluster/settings", {"persistent": {"search.remote.x.seeds": ["127.0.0.1:9300"]}})
    assert (status, answer["error"]["type"], answer["error"]["reason"]) == (
        400, "illegal_argument_exception", "persistent setting [search.remote.x.seeds], not recognized")


def test_proxy_mode_exists_from_7_7(home):
    body = {"persistent": {"cluster.remote.p.mode": "proxy", "cluster.remote.p.proxy_address": "127.0.0.1:9300"}}
    status, answer = call(home.url("v68"), "PUT", "/_cluster/settings", body)
    assert (status, answer["error"]["reason"]) == (400, "persistent setting [cluster.remote.p.mode], not recognized")
    ok(home.url("v710"), "PUT", "/_cluster/settings", body)
    ok(home.url("v710"), "PUT", "/_cluster/settings", {"persistent": {"cluster.remote.p.*": None}})


def test_before_7_7_per_alias_settings_need_the_seeds(home):
    status, answer = call(home.url("v68"), "PUT", "/_cluster/settings", {"persistent": {"cluster.remote.s.skip_unavailable": True}})
    assert (status, answer["error"]["reason"]) == (
        400, "missing required setting [cluster.remote.s.seeds] for setting [cluster.remote.s.skip_unavailable]")
    status, answer = call(home.url("v717"), "PUT", "/_cluster/settings", {"persistent": {"cluster.remote.s.skip_unavailable": True}})
    assert (status, answer["error"]["reason"]) == (
        400, "Cannot configure setting [cluster.remote.s.skip_unavailable] if remote cluster is not enabled.")
