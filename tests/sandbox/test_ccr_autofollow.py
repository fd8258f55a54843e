"""Auto-follow: central reporting from three remotes into one cluster. Patterns follow only indices
created after them, honour exclusions, can be paused and resumed, and report in `auto_follow_stats`."""

from __future__ import annotations

import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # the shared helpers sit beside the tests (importlib import mode)
from ccr_support import add_remote, call, error_of, ok, wait_until  # noqa: E402

pytestmark = pytest.mark.sandbox_only

REMOTES = ("east", "west", "south")


@pytest.fixture(scope="module")
def central(start_sandbox):
    box = start_sandbox("--clusters", "east,west,south,central")
    for name in REMOTES:
        add_remote(box.url("central"), box.info(name)["transport"], name)
        ok(box.url(name), "PUT", "/logs-existing", {})
    for name in REMOTES:
        ok(box.url("central"), "PUT", f"/_ccr/auto_follow/from-{name}", {
            "remote_cluster": name, "leader_index_patterns": ["logs-*"], "leader_index_exclusion_patterns": ["logs-skip*"],
            "follow_index_pattern": "{{leader_index}}-" + name, "read_poll_timeout": "2s"})
    return box


def exists(base: str, index: str) -> bool:
    return call(base, "GET", f"/{index}/_settings")[0] == 200


def test_patterns_read_back_as_elasticsearch_shows_them(central):
    answer = ok(central.url("central"), "GET", "/_ccr/auto_follow")
    assert [p["name"] for p in answer["patterns"]] == ["from-east", "from-south", "from-west"]
    assert ok(central.url("central"), "GET", "/_ccr/auto_follow/from-east") == {"patterns": [{"name": "from-east", "pattern": {
        "active": True, "remote_cluster": "east", "leader_index_patterns": ["logs-*"],
        "leader_index_exclusion_patterns": ["logs-skip*"], "follow_index_pattern": "{{leader_index}}-east",
        "read_poll_timeout": "2s"}}]}


def test_new_indices_of_three_remotes_are_followed_into_the_central_cluster(central):
    hub = central.url("central")
    for name in REMOTES:
        for index in ("logs-new", "logs-skip-me", "metrics"):
            ok(central.url(name), "PUT", f"/{index}", {})
        ok(central.url(name), "PUT", "/logs-new/_doc/1", {"from": name})
    for name in REMOTES:
        wait_until(f"logs-new-{name}", lambda n=name: call(hub, "GET", f"/logs-new-{n}/_doc/1")[0] == 200, timeout=20)
        assert ok(hub, "GET", f"/logs-new-{name}/_doc/1")["_source"] == {"from": name}
        info = ok(hub, "GET", f"/logs-new-{name}/_ccr/info")["follower_indices"][0]
        assert (info["remote_cluster"], info["leader_index"]) == (name, "logs-new")
    time.sleep(1.5)  # another poll round: nothing else may appear
    for name in REMOTES:
        for absent in (f"logs-existing-{name}", f"logs-skip-me-{name}", f"metrics-{name}"):
            assert not exists(hub, absent), absent
    stats = ok(hub, "GET", "/_ccr/stats")["auto_follow_stats"]
    assert list(stats) == ["number_of_failed_follow_indices", "number_of_failed_remote_cluster_state_requests",
                           "number_of_successful_follow_indices", "recent_auto_follow_errors", "auto_followed_clusters"]
    assert stats["number_of_successful_follow_indices"] >= 3
    assert [c["cluster_name"] for c in stats["auto_followed_clusters"]] == ["east", "south", "west"]
    for cluster in stats["auto_followed_clusters"]:
        assert list(cluster) == ["cluster_name", "time_since_last_check_millis", "last_seen_metadata_version"]
        assert cluster["last_seen_metadata_version"] > 0


def test_a_paused_pattern_follows_nothing_until_resumed(central):
    hub, west = central.url("central"), central.url("west")
    assert ok(hub, "POST", "/_ccr/auto_follow/from-west/pause") == {"acknowledged": True}
    assert ok(hub, "GET", "/_ccr/auto_follow/from-west")["patterns"][0]["pattern"]["active"] is False
    ok(west, "PUT", "/logs-while-paused", {})
    time.sleep(2.5)
    assert not exists(hub, "logs-while-paused-west")
    clusters = [c["cluster_name"] for c in ok(hub, "GET", "/_ccr/stats")["auto_follow_stats"]["auto_followed_clusters"]]
    assert clusters == ["east", "south"]
    assert ok(hub, "POST", "/_ccr/auto_follow/from-west/resume") == {"acknowledged": True}
    wait_until("the index created while paused", lambda: exists(hub, "logs-while-paused-west"), timeout=20)


def test_a_failed_auto_follow_is_reported_and_retried(central):
    hub, south = central.url("central"), central.url("south")
    ok(hub, "PUT", "/logs-clash-south", {})  # the follower's name is taken
    ok(south, "PUT", "/logs-clash", {})

    def error() -> dict | None:
        stats = ok(hub, "GET", "/_ccr/stats")["auto_follow_stats"]
        return next((e for e in stats["recent_auto_follow_errors"] if e["leader_index"] == "from-south:logs-clash"), None)

    entry = wait_until("the auto-follow error", error, timeout=20)
    assert list(entry) == ["leader_index", "timestamp", "auto_follow_exception"]
    assert entry["auto_follow_exception"]["type"] == "snapshot_restore_exception"
    assert "cannot restore index [logs-clash-south] because an open index with same name" in entry["auto_follow_exception"]["reason"]
    assert ok(hub, "GET", "/_ccr/stats")["auto_follow_stats"]["number_of_failed_follow_indices"] >= 1
    ok(hub, "DELETE", "/logs-clash-south")
    wait_until("the retried follow", lambda: exists(hub, "logs-clash-south") and error() is None, timeout=20)


def test_deleting_a_pattern_stops_auto_following(central):
    hub, east = central.url("central"), central.url("east")
    assert ok(hub, "DELETE", "/_ccr/auto_follow/from-east") == {"acknowledged": True}
    code, answer = call(hub, "GET", "/_ccr/auto_follow/from-east")
    assert code == 404 and error_of(answer)["reason"] == "auto-follow pattern [from-east] is missing"
    ok(east, "PUT", "/logs-after-delete", {})
    time.sleep(2.5)
    assert not exists(hub, "logs-after-delete-east")
    assert "logs-new-east" in [i["index"] for i in ok(hub, "GET", "/_ccr/stats")["follow_stats"]["indices"]]
