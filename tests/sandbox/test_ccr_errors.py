"""Every mistake of the CCR reference table answers with Elasticsearch's status, type and reason, in
the order TransportPutFollowAction checks them; request validation as ObjectParser reports it."""

from __future__ import annotations

import os
import socket
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # the shared helpers sit beside the tests (importlib import mode)
from ccr_support import (add_remote, bulk, call, caught_up, error_of, ok, remove_remote, shard_stats,  # noqa: E402
                         wait_until)

pytestmark = pytest.mark.sandbox_only

LEASE_HINT = "; maybe increase the retention lease period setting [index.soft_deletes.retention_lease.period]?"


@pytest.fixture(scope="module")
def env(sandbox):
    local, remote = sandbox.url("local"), sandbox.url("remote")
    alias = add_remote(local, sandbox.info("remote")["transport"])
    yield local, remote, alias
    remove_remote(local, alias)


@pytest.fixture(scope="module")
def others(start_sandbox, sandbox):
    """A basic-licence pair, an older follower cluster and a 6.8 pair (whose indices lack soft deletes)."""
    box = start_sandbox("--clusters", "lbasic,rbasic,old", "--cluster-option", "lbasic.license=basic",
                        "--cluster-option", "rbasic.license=basic", "--cluster-option", "old.version=8.18.0")
    legacy = start_sandbox("--clusters", "r68,l68", "--version", "6.8.23")
    return box, legacy


def put_follow(local: str, follower: str, alias: str, leader: str, **extra) -> tuple[int, dict]:
    return call(local, "PUT", f"/{follower}/_ccr/follow", {"remote_cluster": alias, "leader_index": leader, **extra})


def assert_error(answer: tuple[int, dict], status: int, kind: str, reason: str, **fields) -> dict:
    code, body = answer
    error = error_of(body)
    assert (code, error["type"], error["reason"]) == (status, kind, reason), body
    for key, value in fields.items():
        assert error[key] == value, body
    return error


# --- licences ----------------------------------------------------------------------------------


def test_a_basic_local_licence_refuses_ccr_apis(others):
    box, _ = others
    lbasic = box.url("lbasic")
    expected = (403, "security_exception", "current license is non-compliant for [ccr]")
    assert_error(put_follow(lbasic, "f", "any", "l"), *expected, **{"license.expired.feature": "ccr"})
    assert_error(call(lbasic, "POST", "/f/_ccr/resume_follow"), *expected)
    assert_error(call(lbasic, "GET", "/_ccr/stats"), *expected)
    assert_error(call(lbasic, "PUT", "/_ccr/auto_follow/p", {"remote_cluster": "any", "leader_index_patterns": ["*"]}), *expected)


def test_a_remote_without_the_licence_cannot_be_followed(others):
    box, _ = others
    old = box.url("old")
    alias = add_remote(old, box.info("rbasic")["transport"], "basic")
    ok(box.url("rbasic"), "PUT", "/leader", {})
    assert_error(put_follow(old, "f", alias, "leader"), 400, "status_exception",
                 "can not fetch remote index [basic:leader] metadata as the remote cluster [basic] is not licensed for "
                 "[ccr]; the license mode [BASIC] on cluster [basic] does not enable [ccr]")
    assert_error(call(old, "PUT", "/_ccr/auto_follow/p", {"remote_cluster": alias, "leader_index_patterns": ["*"]}),
                 400, "status_exception", "can not fetch remote cluster state as the remote cluster [basic] is not "
                 "licensed for [ccr]; the license mode [BASIC] on cluster [basic] does not enable [ccr]")


# --- the leader ----------------------------------------------------------------------------------


def test_unknown_remote_alias(env):
    local, _, _ = env
    assert_error(put_follow(local, "f", "nowhere", "l"), 404, "no_such_remote_cluster_exception", "no such remote cluster: [nowhere]")


def test_unreachable_remote_fails_the_licence_check(env):
    local, _, _ = env
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{sock.getsockname()[1]}"
    alias = add_remote(local, [closed])
    try:
        error = assert_error(put_follow(local, "f", alias, "l"), 400, "status_exception",
                             f"can not fetch remote index [{alias}:l] metadata as the license state of the remote cluster "
                             f"[{alias}] could not be determined")
        assert error["caused_by"]["type"] == "connect_transport_exception"
    finally:
        remove_remote(local, alias)


def test_missing_leader_index(env):
    local, _, alias = env
    assert_error(put_follow(local, "f", alias, "no-such-leader"), 404, "index_not_found_exception",
                 "no such index [no-such-leader]", index_uuid="_na_", index="no-such-leader")


def test_closed_leader_index_and_aliases_cannot_be_followed(env, unique_name):
    local, remote, alias = env
    leader = unique_name("leader")
    ok(remote, "PUT", f"/{leader}", {"aliases": {f"{leader}-alias": {}}})
    assert_error(put_follow(local, "f", alias, f"{leader}-alias"), 400, "illegal_argument_exception",
                 f"cannot follow [{leader}-alias], because it is a ALIAS")
    ok(remote, "POST", f"/{leader}/_close")
    assert_error(put_follow(local, "f", alias, leader), 400, "index_closed_exception", "closed", index=leader)


def test_leader_without_soft_deletes(others):
    _, legacy = others
    l68 = legacy.url("l68")
    alias = add_remote(l68, legacy.info("r68")["transport"], "old")
    ok(legacy.url("r68"), "PUT", "/created-on-6", {})
    assert_error(put_follow(l68, "f", alias, "created-on-6"), 400, "illegal_argument_exception",
                 "leader index [created-on-6] does not have soft deletes enabled")


def test_follower_cluster_older_than_the_leader(others, sandbox):
    box, _ = others
    old = box.url("old")
    alias = add_remote(old, sandbox.info("remote")["transport"], "newer")
    ok(sandbox.url("remote"), "PUT", "/newer-leader", {})
    assert_error(put_follow(old, "f", alias, "newer-leader"), 500, "snapshot_restore_exception",
                 "[_ccr_newer:_latest_/_latest_] the snapshot was created with version [8.19.3] which is "
                 "higher than the version of this node [8.18.0]")


# --- the follower ----------------------------------------------------------------------------------


def test_follower_name_taken_by_an_open_index_but_a_closed_one_is_restored_over(env, unique_name):
    local, remote, alias = env
    leader, taken = unique_name("leader"), unique_name("taken")
    ok(remote, "PUT", f"/{leader}", {})
    bulk(remote, leader, 0, 3)
    ok(local, "PUT", f"/{taken}", {})
    assert_error(put_follow(local, taken, alias, leader), 500, "snapshot_restore_exception",
                 f"[_ccr_{alias}:_latest_/_latest_] cannot restore index [{taken}] because an open index with same name "
                 "already exists in the cluster. Either close or delete the existing index or restore the index under a "
                 "different name by providing a rename pattern and replacement name")
    ok(local, "POST", f"/{taken}/_close")
    assert ok(local, "PUT", f"/{taken}/_ccr/follow?wait_for_active_shards=1",
              {"remote_cluster": alias, "leader_index": leader})["index_following_started"] is True
    assert ok(local, "GET", f"/{taken}/_doc/2")["found"]
    two = unique_name("two")
    ok(local, "PUT", f"/{two}", {"settings": {"number_of_shards": 2}})
    ok(local, "POST", f"/{two}/_close")
    assert_error(put_follow(local, two, alias, leader), 500, "snapshot_restore_exception",
                 f"[_ccr_{alias}:_latest_/_latest_] cannot restore index [{two}] with [2] shards from a snapshot of "
                 f"index [{leader}] with [1] shards")


def test_settings_that_would_override_the_leader_are_refused(env):
    local, _, alias = env
    assert_error(put_follow(local, "f", alias, "l", settings={"index.number_of_shards": 3}), 404,
                 "index_not_found_exception", "no such index [l]")  # the leader is checked first
    ok(env[1], "PUT", "/settings-leader", {})
    assert_error(put_follow(local, "f", alias, "settings-leader", settings={"index.number_of_shards": 3}), 400,
                 "illegal_argument_exception", 'can not put follower index that could override leader settings {"index.number_of_shards":"3"}')


def test_unfollow_pause_and_resume_refusals(env, unique_name):
    local, remote, alias = env
    leader, follower, plain = unique_name("leader"), unique_name("follower"), unique_name("plain")
    ok(remote, "PUT", f"/{leader}", {})
    ok(local, "PUT", f"/{follower}/_ccr/follow?wait_for_active_shards=1", {"remote_cluster": alias, "leader_index": leader})
    ok(local, "PUT", f"/{plain}", {})
    iae = (400, "illegal_argument_exception")
    assert_error(call(local, "POST", f"/{follower}/_ccr/unfollow"), *iae,
                 f"cannot convert the follower index [{follower}] to a non-follower, because it has not been closed")
    ok(local, "POST", f"/{follower}/_close")
    assert_error(call(local, "POST", f"/{follower}/_ccr/unfollow"), *iae,
                 f"cannot convert the follower index [{follower}] to a non-follower, because it has not been paused")
    ok(local, "POST", f"/{follower}/_open")
    uuid = ok(local, "GET", f"/{follower}/_settings")[follower]["settings"]["index"]["uuid"]
    assert_error(call(local, "POST", f"/{follower}/_ccr/resume_follow"), 400, "resource_already_exists_exception",
                 f"task with id {{{uuid}-0}} already exist")
    ok(local, "POST", f"/{follower}/_ccr/pause_follow")
    assert_error(call(local, "POST", f"/{follower}/_ccr/pause_follow"), *iae, f"no shard follow tasks for [{follower}]")
    for verb in ("pause_follow", "unfollow"):
        assert_error(call(local, "POST", f"/{plain}/_ccr/{verb}"), *iae, f"index [{plain}] is not a follower index")
    assert_error(call(local, "POST", f"/{plain}/_ccr/resume_follow"), *iae, f"follow index [{plain}] does not have ccr metadata")
    assert_error(call(local, "POST", "/no-such-follower/_ccr/pause_follow"), 404, "index_not_found_exception",
                 "no such index [no-such-follower]")


def test_resume_refuses_settings_that_differ_from_the_leaders(env, unique_name):
    local, remote, alias = env
    leader, follower = unique_name("leader"), unique_name("follower")
    ok(remote, "PUT", f"/{leader}", {})
    ok(local, "PUT", f"/{follower}/_ccr/follow?wait_for_active_shards=1", {"remote_cluster": alias, "leader_index": leader})
    ok(local, "POST", f"/{follower}/_ccr/pause_follow")
    ok(remote, "PUT", f"/{leader}/_settings", {"index.max_ngram_diff": 5})
    code, body = call(local, "POST", f"/{follower}/_ccr/resume_follow")
    reason = error_of(body)["reason"]
    assert code == 400 and reason.startswith("the leader index settings [{") and reason.endswith("] must be identical")
    assert '"index.max_ngram_diff":"5"' in reason.split("] and follower index settings [")[0]


def test_history_gone_beyond_retention_stops_the_follower_with_a_fatal_exception(env, unique_name):
    local, remote, alias = env
    leader, follower = unique_name("leader"), unique_name("follower")
    ok(remote, "PUT", f"/{leader}", {"settings": {"index.soft_deletes.retention_lease.period": "1s"}})
    bulk(remote, leader, 0, 5)
    ok(local, "PUT", f"/{follower}/_ccr/follow?wait_for_active_shards=1", {"remote_cluster": alias, "leader_index": leader})
    wait_until("the follower to catch up", lambda: caught_up(local, remote, leader, follower))
    ok(local, "POST", f"/{follower}/_ccr/pause_follow")

    def ccr_leases() -> list:
        shard = ok(remote, "GET", f"/{leader}/_stats?level=shards")["indices"][leader]["shards"]["0"][0]
        return [lease for lease in shard["retention_leases"]["leases"] if lease["source"] == "ccr"]

    wait_until("the paused follower's lease to expire", lambda: not ccr_leases(), timeout=15)
    bulk(remote, leader, 5, 5)
    bulk(remote, leader, 5, 5, extra={"again": True})  # supersedes seq_no 5-9 with 10-14
    ok(remote, "POST", f"/{leader}/_refresh")
    ok(remote, "POST", f"/{leader}/_forcemerge")
    ok(local, "POST", f"/{follower}/_ccr/resume_follow")
    shard = wait_until("the fatal exception", lambda: next((s for s in shard_stats(local, follower) if "fatal_exception" in s), None))
    fatal = shard["fatal_exception"]
    assert fatal["type"] == "resource_not_found_exception"
    assert fatal["reason"].startswith("Operations are no longer available for replicating. Existing retention leases [[")
    assert fatal["reason"].endswith(LEASE_HINT)
    assert fatal["requested_operations_missing"] == ["5", "14"]
    assert fatal["caused_by"] == {
        "type": "missing_history_operations_exception",
        "reason": "Not all operations between from_seqno [5] and to_seqno [14] found; expected seqno [5]; found "
                  "[Index{id='5', seqNo=10, primaryTerm=1, version=2, autoGeneratedIdTimestamp=-1}]"}
    assert shard["follower_global_checkpoint"] == 4
    assert ok(local, "GET", f"/{follower}/_ccr/info")["follower_indices"][0]["status"] == "active"


# --- request validation -----------------------------------------------------------------------------


def test_request_validation(env):
    local, _, alias = env
    parser = "indices:admin/xpack/ccr/put_follow"
    assert_error(call(local, "PUT", "/f/_ccr/follow"), 400, "parse_exception", "request body or source parameter is required")
    assert_error(call(local, "PUT", "/f/_ccr/follow", {"leader_index": "l"}), 400, "action_request_validation_exception",
                 "Validation Failed: 1: remote_cluster is missing;")
    assert_error(put_follow(local, "f", alias, "l", max_read_request_operation_count=0, max_retry_delay="10m"), 400,
                 "action_request_validation_exception", "Validation Failed: 1: max_read_request_operation_count must be "
                 "larger than 0;2: [max_retry_delay] must be less than [5m] but was [10m];")
    raw = b'{"remote_cluster":"r","leader_index":"l","read_poll_timeuot":"1s"}'
    assert_error(call(local, "PUT", "/f/_ccr/follow", raw=raw), 400, "x_content_parse_exception",
                 f"[1:42] [{parser}] unknown field [read_poll_timeuot] did you mean [read_poll_timeout]?")
    raw = b'{"remote_cluster":"r","leader_index":"l","max_read_request_size":"12"}'
    error = assert_error(call(local, "PUT", "/f/_ccr/follow", raw=raw), 400, "x_content_parse_exception",
                         f"[1:66] [{parser}] failed to parse field [max_read_request_size]")
    assert error["caused_by"] == {"type": "parse_exception", "reason": "failed to parse setting [max_read_request_size] "
                                  "with value [12] as a size in bytes: unit is missing or unrecognized"}
    assert_error(call(local, "PUT", "/f/_ccr/follow?wait_for_active_shards=some", {"remote_cluster": "r", "leader_index": "l"}),
                 400, "illegal_argument_exception", "cannot parse ActiveShardCount[some]")
    assert_error(call(local, "PUT", "/_ccr/auto_follow/_p", {"leader_index_patterns": []}), 400,
                 "action_request_validation_exception", "Validation Failed: 1: [name] name must not start with '_';"
                 "2: [remote_cluster] is missing;3: [leader_index_patterns] is missing;")
    for method, path in (("GET", "/_ccr/auto_follow/nope"), ("DELETE", "/_ccr/auto_follow/nope"),
                         ("POST", "/_ccr/auto_follow/nope/pause"), ("POST", "/_ccr/auto_follow/nope/resume")):
        assert_error(call(local, method, path), 404, "resource_not_found_exception", "auto-follow pattern [nope] is missing")
    assert_error(call(env[1], "POST", "/no-leader/_ccr/forget_follower", {"follower_cluster": "c"}), 500, "null_pointer_exception", None)
