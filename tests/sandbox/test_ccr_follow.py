"""Following a leader index: the initial copy (a snapshot recovery from `_ccr_<alias>`), then every
index, update and delete arriving with the leader's seq_no and version; pause, resume, unfollow,
info and stats as Elasticsearch answers them."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # the shared helpers sit beside the tests (importlib import mode)
from ccr_support import (add_remote, bulk, call, caught_up, error_of, following, ok, remove_remote, shard_stats,
                         wait_until)  # noqa: E402

pytestmark = pytest.mark.sandbox_only

SHARD_FIELDS = [
    "remote_cluster", "leader_index", "follower_index", "shard_id", "leader_global_checkpoint", "leader_max_seq_no",
    "follower_global_checkpoint", "follower_max_seq_no", "last_requested_seq_no", "outstanding_read_requests",
    "outstanding_write_requests", "write_buffer_operation_count", "write_buffer_size_in_bytes",
    "follower_mapping_version", "follower_settings_version", "follower_aliases_version", "total_read_time_millis",
    "total_read_remote_exec_time_millis", "successful_read_requests", "failed_read_requests", "operations_read",
    "bytes_read", "total_write_time_millis", "successful_write_requests", "failed_write_requests",
    "operations_written", "read_exceptions", "time_since_last_read_millis",
]
DEFAULT_PARAMETERS = {
    "max_read_request_operation_count": 5120, "max_write_request_operation_count": 5120,
    "max_outstanding_read_requests": 12, "max_outstanding_write_requests": 9, "max_read_request_size": "32mb",
    "max_write_request_size": "9223372036854775807b", "max_write_buffer_count": 2147483647,
    "max_write_buffer_size": "512mb", "max_retry_delay": "500ms", "read_poll_timeout": "1m",
}


@pytest.fixture(scope="module")
def env(sandbox):
    local, remote = sandbox.url("local"), sandbox.url("remote")
    alias = add_remote(local, sandbox.info("remote")["transport"])
    yield local, remote, alias
    remove_remote(local, alias)


def leader_index(remote: str, name: str, docs: int = 0, **settings) -> None:
    ok(remote, "PUT", f"/{name}", {"settings": settings or {"number_of_shards": 1}})
    if docs:
        bulk(remote, name, 0, docs)


def follow(local: str, alias: str, leader: str, follower: str, wait: str = "1", **params) -> dict:
    return ok(local, "PUT", f"/{follower}/_ccr/follow?wait_for_active_shards={wait}",
              {"remote_cluster": alias, "leader_index": leader, **params})


def test_put_follow_answers_before_the_copy_which_shows_as_a_snapshot_recovery(env, unique_name):
    local, remote, alias = env
    leader, follower = unique_name("leader"), unique_name("follower")
    leader_index(remote, leader, docs=5000, number_of_shards=2)
    answer = ok(local, "PUT", f"/{follower}/_ccr/follow", {"remote_cluster": alias, "leader_index": leader})
    assert answer == {"follow_index_created": True, "follow_index_shards_acked": False, "index_following_started": False}
    following(local, follower)
    recovery = ok(local, "GET", f"/{follower}/_recovery")[follower]["shards"]
    primaries = [s for s in recovery if s["primary"]]
    assert len(primaries) == 2
    for shard in primaries:
        assert (shard["type"], shard["stage"]) == ("SNAPSHOT", "DONE")
        assert {k: shard["source"][k] for k in ("repository", "snapshot", "index")} == {
            "repository": f"_ccr_{alias}", "snapshot": "_latest_", "index": leader}
    ok(local, "POST", f"/{follower}/_refresh")
    stats = ok(local, "GET", f"/{follower}/_stats")
    assert stats["_all"]["primaries"]["docs"]["count"] == 5000
    settings = ok(local, "GET", f"/{follower}/_settings")[follower]["settings"]["index"]
    assert settings["xpack"]["ccr"]["following_index"] == "true"
    assert settings["number_of_shards"] == "2"


def test_wait_for_active_shards_answers_once_following_started(env, unique_name):
    local, remote, alias = env
    leader, follower = unique_name("leader"), unique_name("follower")
    leader_index(remote, leader, docs=10)
    assert follow(local, alias, leader, follower) == {
        "follow_index_created": True, "follow_index_shards_acked": True, "index_following_started": True}
    assert ok(local, "GET", f"/{follower}/_doc/7")["_source"] == {"n": 7, "msg": "document 7"}


def test_indexes_updates_and_deletes_arrive_with_the_leaders_seq_no_and_version(env, unique_name):
    local, remote, alias = env
    leader, follower = unique_name("leader"), unique_name("follower")
    leader_index(remote, leader, docs=3)
    follow(local, alias, leader, follower)
    ok(remote, "PUT", f"/{leader}/_doc/new", {"n": 100})
    ok(remote, "PUT", f"/{leader}/_doc/1", {"n": 1, "updated": True})
    ok(remote, "PUT", f"/{leader}/_doc/1", {"n": 1, "updated": False})
    ok(remote, "DELETE", f"/{leader}/_doc/2")
    wait_until("the follower to catch up", lambda: caught_up(local, remote, leader, follower))
    for doc in ("0", "1", "new"):
        theirs, ours = ok(remote, "GET", f"/{leader}/_doc/{doc}"), ok(local, "GET", f"/{follower}/_doc/{doc}")
        assert {k: ours[k] for k in ("_seq_no", "_version", "_source")} == {k: theirs[k] for k in ("_seq_no", "_version", "_source")}
    assert ok(local, "GET", f"/{follower}/_doc/1")["_version"] == 3
    assert call(local, "GET", f"/{follower}/_doc/2") == (404, {"_index": follower, "_id": "2", "found": False})


def test_a_replicated_document_is_realtime_gettable_without_a_refresh(env, unique_name):
    local, remote, alias = env
    leader, follower = unique_name("leader"), unique_name("follower")
    leader_index(remote, leader, number_of_shards=1, refresh_interval="-1")
    follow(local, alias, leader, follower)
    written = ok(remote, "PUT", f"/{leader}/_doc/trap", {"n": 1})
    wait_until("the write to reach the follower",
               lambda: shard_stats(local, follower)[0]["follower_global_checkpoint"] >= written["_seq_no"])
    got = ok(local, "GET", f"/{follower}/_doc/trap")
    assert got["found"] and got["_seq_no"] == written["_seq_no"]
    settings = ok(local, "GET", f"/{follower}/_settings")[follower]["settings"]["index"]
    assert settings["refresh_interval"] == "-1"  # copied at creation, as the restore copies every setting


def test_follow_stats_report_every_shard_field_and_the_lag(env, unique_name):
    local, remote, alias = env
    leader, follower = unique_name("leader"), unique_name("follower")
    leader_index(remote, leader, docs=20, number_of_shards=2)
    follow(local, alias, leader, follower)
    bulk(remote, leader, 20, 30)
    wait_until("the follower to catch up", lambda: caught_up(local, remote, leader, follower))
    answer = ok(local, "GET", f"/{follower}/_ccr/stats")
    (index,) = answer["indices"]
    assert list(index) == ["index", "total_global_checkpoint_lag", "shards"]
    assert index["index"] == follower and index["total_global_checkpoint_lag"] == 0
    assert [s["shard_id"] for s in index["shards"]] == [0, 1]
    for shard in index["shards"]:
        assert list(shard) == SHARD_FIELDS
        assert (shard["remote_cluster"], shard["leader_index"], shard["follower_index"]) == (alias, leader, follower)
        assert shard["follower_global_checkpoint"] == shard["leader_global_checkpoint"] == shard["follower_max_seq_no"]
        assert shard["read_exceptions"] == [] and shard["failed_read_requests"] == 0
    assert sum(s["operations_written"] for s in index["shards"]) == 30
    human = ok(local, "GET", f"/{follower}/_ccr/stats?human")["indices"][0]["shards"][0]
    assert human["write_buffer_size"] == "0b" and list(human).index("write_buffer_size") == list(human).index("write_buffer_size_in_bytes") - 1
    every = ok(local, "GET", "/_ccr/stats")
    assert list(every) == ["auto_follow_stats", "follow_stats"]
    assert follower in [i["index"] for i in every["follow_stats"]["indices"]]


def test_pause_resume_unfollow_promote_a_follower(env, unique_name):
    local, remote, alias = env
    leader, follower = unique_name("leader"), unique_name("follower")
    leader_index(remote, leader, docs=5)
    follow(local, alias, leader, follower)
    info = ok(local, "GET", f"/{follower}/_ccr/info")
    assert info == {"follower_indices": [{"follower_index": follower, "remote_cluster": alias, "leader_index": leader,
                                          "status": "active", "parameters": DEFAULT_PARAMETERS}]}
    assert ok(local, "POST", f"/{follower}/_ccr/pause_follow") == {"acknowledged": True}
    assert ok(local, "GET", f"/{follower}/_ccr/info")["follower_indices"][0] == {
        "follower_index": follower, "remote_cluster": alias, "leader_index": leader, "status": "paused"}
    status, answer = call(local, "GET", f"/{follower}/_ccr/stats")
    assert status == 404 and error_of(answer) == {
        "type": "resource_not_found_exception", "reason": f"No shard follow tasks for follower indices [{follower}]"}
    bulk(remote, leader, 5, 5)
    assert ok(local, "POST", f"/{follower}/_ccr/resume_follow", {"max_read_request_operation_count": 2,
                                                                  "read_poll_timeout": "2s"}) == {"acknowledged": True}
    parameters = ok(local, "GET", f"/{follower}/_ccr/info")["follower_indices"][0]["parameters"]
    assert parameters == {**DEFAULT_PARAMETERS, "max_read_request_operation_count": 2, "read_poll_timeout": "2s"}
    wait_until("the follower to catch up", lambda: caught_up(local, remote, leader, follower))
    assert ok(local, "GET", f"/{follower}/_doc/9")["found"]
    ok(local, "POST", f"/{follower}/_ccr/pause_follow")
    ok(local, "POST", f"/{follower}/_close")
    assert ok(local, "POST", f"/{follower}/_ccr/unfollow") == {"acknowledged": True}
    assert ok(local, "GET", f"/{follower}/_ccr/info") == {"follower_indices": []}
    ok(local, "POST", f"/{follower}/_open")
    assert "xpack" not in ok(local, "GET", f"/{follower}/_settings")[follower]["settings"]["index"]
    assert ok(local, "PUT", f"/{follower}/_doc/own", {"n": 1})["result"] == "created"
    leases = ok(remote, "GET", f"/{leader}/_stats?level=shards")["indices"][leader]["shards"]["0"][0]["retention_leases"]
    assert [lease["source"] for lease in leases["leases"]] == ["peer recovery", "peer recovery"]


def test_writes_into_a_follower_are_refused(env, unique_name):
    local, remote, alias = env
    leader, follower = unique_name("leader"), unique_name("follower")
    leader_index(remote, leader)
    follow(local, alias, leader, follower)
    status, answer = call(local, "PUT", f"/{follower}/_doc/x", {"n": 1})
    assert status == 403 and error_of(answer) == {
        "type": "status_exception", "reason": "a following engine does not accept operations without an assigned sequence number"}


def test_mapping_settings_and_aliases_follow_the_leader(env, unique_name):
    local, remote, alias = env
    leader, follower = unique_name("leader"), unique_name("follower")
    leader_index(remote, leader, docs=1)
    follow(local, alias, leader, follower)
    ok(remote, "PUT", f"/{leader}/_mapping", {"properties": {"added": {"type": "keyword"}}})
    ok(remote, "PUT", f"/{leader}/_settings", {"index": {"max_ngram_diff": 3, "number_of_replicas": 0}})
    ok(remote, "PUT", f"/{leader}/_alias/{leader}-alias", {})
    ok(remote, "PUT", f"/{leader}/_doc/after", {"added": "x"})
    wait_until("the follower to catch up", lambda: caught_up(local, remote, leader, follower))
    mapping = ok(local, "GET", f"/{follower}/_mapping")[follower]["mappings"]["properties"]
    assert mapping["added"] == {"type": "keyword"}
    settings = ok(local, "GET", f"/{follower}/_settings")[follower]["settings"]["index"]
    assert settings["max_ngram_diff"] == "3"
    assert settings["number_of_replicas"] == "1"  # not replicated
    assert f"{leader}-alias" in ok(local, "GET", f"/{follower}/_alias")[follower]["aliases"]
    shard = shard_stats(local, follower)[0]
    assert shard["follower_settings_version"] >= 2 and shard["follower_aliases_version"] >= 2


def test_forget_follower_removes_the_followers_lease_on_the_leader(env, unique_name, sandbox):
    local, remote, alias = env
    leader, follower = unique_name("leader"), unique_name("follower")
    leader_index(remote, leader, number_of_shards=2)
    follow(local, alias, leader, follower)
    ok(local, "POST", f"/{follower}/_ccr/pause_follow")
    uuid = ok(local, "GET", f"/{follower}/_settings")[follower]["settings"]["index"]["uuid"]
    cluster_name = ok(local, "GET", "/")["cluster_name"]
    body = {"follower_cluster": cluster_name, "follower_index": follower, "follower_index_uuid": uuid,
            "leader_remote_cluster": alias}
    shards = ok(remote, "GET", f"/{leader}/_stats?level=shards")["indices"][leader]["shards"]
    ccr_leases = [lease for lease in shards["0"][0]["retention_leases"]["leases"] if lease["source"] == "ccr"]
    assert [lease["id"] for lease in ccr_leases] == [
        f"{cluster_name}/{follower}/{uuid}-following-{alias}/{leader}/"
        f"{ok(remote, 'GET', f'/{leader}/_settings')[leader]['settings']['index']['uuid']}"]
    assert ok(remote, "POST", f"/{leader}/_ccr/forget_follower", body) == {"_shards": {"total": 2, "successful": 2, "failed": 0}}
    again = ok(remote, "POST", f"/{leader}/_ccr/forget_follower", body)["_shards"]
    assert (again["total"], again["successful"], again["failed"]) == (2, 0, 2)
    assert again["failures"][0]["reason"]["type"] == "retention_lease_not_found_exception"
