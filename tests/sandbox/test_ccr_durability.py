"""kill -9 of either cluster: a restarted follower resumes from its own global checkpoint (or finishes
its initial copy) with its parameters, a restarted leader serves again with its followers' leases, and
no write the leader acknowledged is missing from the follower. Uses its own pair of clusters."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # the shared helpers sit beside the tests (importlib import mode)
from ccr_support import add_remote, bulk, call, caught_up, ok, shard_stats, wait_until  # noqa: E402

pytestmark = pytest.mark.sandbox_only


@pytest.fixture(scope="module")
def pair(start_sandbox):
    box = start_sandbox()
    alias = add_remote(box.url("local"), box.info("remote")["transport"], "leader")
    return box, alias


class Writer:
    """Writes batches to the leader until stopped; remembers which ids the leader acknowledged."""

    def __init__(self, remote: str, index: str, start: int) -> None:
        self.remote, self.index, self.next = remote, index, start
        self.acked: list[int] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                bulk(self.remote, self.index, self.next, 20)
            except Exception:  # noqa: BLE001 - the leader may be down: that batch is not acknowledged
                time.sleep(0.1)
                continue
            self.acked.extend(range(self.next, self.next + 20))
            self.next += 20
            time.sleep(0.02)

    def __enter__(self) -> "Writer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(30)


def assert_has(local: str, follower: str, ids: list[int]) -> None:
    for start in range(0, len(ids), 500):
        docs = ok(local, "POST", f"/{follower}/_mget", {"ids": [str(i) for i in ids[start:start + 500]]})["docs"]
        missing = [d["_id"] for d in docs if not d["found"]]
        assert not missing, f"{len(missing)} acknowledged documents missing, e.g. {missing[:5]}"


def restart(box, name: str) -> None:
    box.run("kill", name)
    box.run("up")


def test_a_killed_follower_resumes_from_its_checkpoint_with_its_parameters(pair, unique_name):
    box, alias = pair
    local, remote = box.url("local"), box.url("remote")
    leader, follower = unique_name("leader"), unique_name("follower")
    ok(remote, "PUT", f"/{leader}", {"settings": {"number_of_shards": 2}})
    ok(local, "PUT", f"/{follower}/_ccr/follow?wait_for_active_shards=1",
       {"remote_cluster": alias, "leader_index": leader, "max_read_request_operation_count": 50})
    with Writer(remote, leader, 0) as writer:
        wait_until("replication to be under way", lambda: sum(s["operations_written"] for s in shard_stats(local, follower)) > 100)
        restart(box, "local")
        time.sleep(0.5)
    wait_until("the restarted follower to catch up", lambda: caught_up(local, remote, leader, follower), timeout=30)
    assert_has(local, follower, writer.acked)
    info = ok(local, "GET", f"/{follower}/_ccr/info")["follower_indices"][0]
    assert info["status"] == "active" and info["parameters"]["max_read_request_operation_count"] == 50
    # It resumed after its own checkpoint instead of copying everything again.
    assert sum(s["operations_written"] for s in shard_stats(local, follower)) < len(writer.acked)


def test_a_paused_follower_stays_paused_after_a_restart(pair, unique_name):
    box, alias = pair
    local, remote = box.url("local"), box.url("remote")
    leader, follower = unique_name("leader"), unique_name("follower")
    ok(remote, "PUT", f"/{leader}", {})
    ok(local, "PUT", f"/{follower}/_ccr/follow?wait_for_active_shards=1", {"remote_cluster": alias, "leader_index": leader})
    ok(local, "POST", f"/{follower}/_ccr/pause_follow")
    restart(box, "local")
    assert ok(local, "GET", f"/{follower}/_ccr/info")["follower_indices"][0]["status"] == "paused"


def test_a_killed_leader_serves_again_and_the_follower_catches_up(pair, unique_name):
    box, alias = pair
    local, remote = box.url("local"), box.url("remote")
    leader, follower = unique_name("leader"), unique_name("follower")
    ok(remote, "PUT", f"/{leader}", {})
    ok(local, "PUT", f"/{follower}/_ccr/follow?wait_for_active_shards=1",
       {"remote_cluster": alias, "leader_index": leader, "read_poll_timeout": "1s", "max_retry_delay": "200ms"})
    with Writer(remote, leader, 0) as writer:
        wait_until("replication to be under way", lambda: sum(s["operations_written"] for s in shard_stats(local, follower)) > 60)
        box.run("kill", "remote")
        wait_until("read_exceptions while the leader is down",
                   lambda: any(s["read_exceptions"] for s in shard_stats(local, follower)), timeout=20)
        box.run("up")
        time.sleep(0.5)
    wait_until("the follower to catch up", lambda: caught_up(local, remote, leader, follower), timeout=30)
    assert_has(local, follower, writer.acked)
    shard = ok(remote, "GET", f"/{leader}/_stats?level=shards")["indices"][leader]["shards"]["0"][0]
    assert [lease["source"] for lease in shard["retention_leases"]["leases"]].count("ccr") == 1


def test_a_follower_killed_during_its_initial_copy_finishes_it_after_restart(pair, unique_name):
    box, alias = pair
    local, remote = box.url("local"), box.url("remote")
    leader, follower = unique_name("leader"), unique_name("follower")
    ok(remote, "PUT", f"/{leader}", {"settings": {"number_of_shards": 2, "refresh_interval": "-1"}})
    for start in range(0, 60_000, 10_000):
        bulk(remote, leader, start, 10_000)
    answer = ok(local, "PUT", f"/{follower}/_ccr/follow", {"remote_cluster": alias, "leader_index": leader})
    assert answer["follow_index_created"] is True
    restart(box, "local")
    wait_until("the copy to finish and following to start",
               lambda: call(local, "GET", f"/{follower}/_ccr/info")[1]["follower_indices"][0]["status"] == "active", timeout=40)
    wait_until("the follower to catch up", lambda: caught_up(local, remote, leader, follower), timeout=30)
    ok(local, "POST", f"/{follower}/_refresh")
    assert ok(local, "GET", f"/{follower}/_stats")["_all"]["primaries"]["docs"]["count"] == 60_000
    stages = {s["stage"] for s in ok(local, "GET", f"/{follower}/_recovery")[follower]["shards"]}
    assert stages == {"DONE"}
