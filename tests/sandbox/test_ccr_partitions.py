"""A follower cut off from its leader: refused and blackholed links show as retried `read_exceptions`,
and after healing the follower catches up with nothing lost. Uses its own pair of clusters."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # the shared helpers sit beside the tests (importlib import mode)
from ccr_support import add_remote, bulk, call, caught_up, ok, shard_stats, wait_until  # noqa: E402

pytestmark = pytest.mark.sandbox_only


@pytest.fixture(scope="module")
def pair(start_sandbox):
    box = start_sandbox()
    alias = add_remote(box.url("local"), box.info("remote")["transport"], "leader")
    yield box, alias
    box.run("heal", "local", "remote", check=False)


def start_following(box, alias: str, leader: str, follower: str) -> tuple[str, str]:
    local, remote = box.url("local"), box.url("remote")
    ok(remote, "PUT", f"/{leader}", {"settings": {"number_of_shards": 2}})
    bulk(remote, leader, 0, 50)
    ok(local, "PUT", f"/{follower}/_ccr/follow?wait_for_active_shards=1", {
        "remote_cluster": alias, "leader_index": leader, "read_poll_timeout": "1s", "max_retry_delay": "200ms"})
    wait_until("the initial catch-up", lambda: caught_up(local, remote, leader, follower))
    return local, remote


def read_exceptions(local: str, follower: str) -> list[dict]:
    return [e for shard in shard_stats(local, follower) for e in shard["read_exceptions"]]


def assert_complete(local: str, remote: str, leader: str, follower: str, docs: int) -> None:
    wait_until("the follower to catch up", lambda: caught_up(local, remote, leader, follower), timeout=30)
    wait_until("read_exceptions to clear", lambda: not read_exceptions(local, follower))
    found = ok(local, "POST", f"/{follower}/_mget", {"ids": [str(i) for i in range(docs)]})["docs"]
    assert all(doc["found"] for doc in found)


@pytest.mark.parametrize("mode", ["refuse", "blackhole"])
def test_a_cut_link_is_retried_and_nothing_is_lost_after_healing(pair, unique_name, mode):
    box, alias = pair
    leader, follower = unique_name("leader"), unique_name("follower")
    local, remote = start_following(box, alias, leader, follower)
    box.run("partition", "local", "remote", *(["--blackhole"] if mode == "blackhole" else []))
    try:
        bulk(remote, leader, 50, 100)  # the leader keeps taking writes
        # A refused link closes the connections (in-flight reads see the node disconnect) and new
        # connections are refused; a blackholed read waits out its timeout.
        expected = "connect_transport_exception" if mode == "refuse" else "receive_timeout_transport_exception"
        exceptions = wait_until(expected, lambda: [e for e in read_exceptions(local, follower)
                                                   if e["exception"]["type"] == expected], timeout=25)
        assert {e["exception"]["type"] for e in read_exceptions(local, follower)} <= {expected, "node_disconnected_exception"}
        for entry in exceptions:
            assert list(entry) == ["from_seq_no", "retries", "exception"] and entry["retries"] >= 1
        assert all(s["failed_read_requests"] >= 1 and "fatal_exception" not in s for s in shard_stats(local, follower))
        assert call(local, "GET", f"/{follower}/_ccr/info")[1]["follower_indices"][0]["status"] == "active"
    finally:
        box.run("heal", "local", "remote")
    assert_complete(local, remote, leader, follower, 150)
