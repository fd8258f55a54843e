"""CCR operations: each reads live state first, does nothing when it is already right, and refuses
to act when the state would make the change unsafe."""

from __future__ import annotations

import pytest

from runbook_lib import ccr_ops, cleanup, follow_progress
from runbook_lib.errors import UnsafeState
from runbook_lib.index_parameters import AutoFollowPattern


def follower(fake, cat, status="active", closed=False, name="f", leader="l", alias="remote"):
    local = fake("local")
    local.on("GET", f"/_cat/indices/{name}", cat(name, "F-uuid", "close" if closed else "open"))
    local.on("GET", f"/{name}/_ccr/info", {"follower_indices": [
        {"follower_index": name, "remote_cluster": alias, "leader_index": leader, "status": status}]})
    return local


def test_index_uuid_reads_open_and_closed_indices_and_none_when_missing(fake, cat):
    c = fake().on("GET", "/_cat/indices/a", cat("a", "A", "close"))
    assert ccr_ops.index_uuid(c, "a") == "A"
    assert ccr_ops.index_state(c, "a").closed
    assert ccr_ops.index_uuid(c, "missing") is None
    # An alias resolves to other indices: not an index of that name.
    c.on("GET", "/_cat/indices/alias", cat("backing", "B"))
    assert ccr_ops.index_uuid(c, "alias") is None


def test_ensure_remote_adds_then_is_a_no_op(fake):
    local = fake()
    settings = {"persistent": {}, "transient": {}}
    local.on("GET", "/_cluster/settings", lambda p, b: (200, settings))

    def put(params, body):
        settings["persistent"].update({k: v for k, v in body["persistent"].items() if v is not None})
        return 200, {"acknowledged": True}

    local.on("PUT", "/_cluster/settings", put)
    first = ccr_ops.ensure_remote(local, "remote", ["10.0.0.1:9300", "10.0.0.2:9300"])
    assert first.changed and "added" in first.detail
    assert local.sent[-1]["body"] == {"persistent": {"cluster.remote.remote.mode": "sniff",
                                                     "cluster.remote.remote.seeds": ["10.0.0.1:9300", "10.0.0.2:9300"]}}
    again = ccr_ops.ensure_remote(local, "remote", ["10.0.0.1:9300", "10.0.0.2:9300"])
    assert not again.changed and local.changes == [("PUT", "/_cluster/settings")]


def test_ensure_remote_switching_to_proxy_nulls_the_seeds(fake):
    local = fake().on("GET", "/_cluster/settings", {"persistent": {"cluster.remote.r.seeds": ["a:9300"]}})
    local.on("PUT", "/_cluster/settings", {"acknowledged": True})
    ccr_ops.ensure_remote(local, "r", ["proxy:9400"], mode="proxy")
    assert local.sent[-1]["body"]["persistent"] == {"cluster.remote.r.mode": "proxy",
                                                    "cluster.remote.r.proxy_address": "proxy:9400",
                                                    "cluster.remote.r.seeds": None}


def test_remove_remote_nulls_every_setting_of_the_alias_only(fake):
    local = fake().on("GET", "/_cluster/settings", {
        "persistent": {"cluster.remote.r.seeds": ["a:9300"], "cluster.remote.r.skip_unavailable": "true",
                       "cluster.remote.other.seeds": ["b:9300"]},
        "transient": {}})
    local.on("PUT", "/_cluster/settings", {"acknowledged": True})
    assert ccr_ops.remove_remote(local, "r").changed
    assert local.sent[-1]["body"] == {"persistent": {"cluster.remote.r.seeds": None,
                                                     "cluster.remote.r.skip_unavailable": None}}
    assert not ccr_ops.remove_remote(fake().on("GET", "/_cluster/settings", {"persistent": {}}), "r").changed


def test_follow_creates_the_follower_with_settings(fake):
    local = fake().on("PUT", "/f/_ccr/follow", {"follow_index_created": True, "follow_index_shards_acked": False,
                                                "index_following_started": False})
    result = ccr_ops.follow(local, "l", "f", "remote", {"max_read_request_size": "16mb"})
    assert result.changed and "background" in result.detail
    assert local.sent[-1]["body"] == {"remote_cluster": "remote", "leader_index": "l", "max_read_request_size": "16mb"}
    assert local.sent[-1]["params"] == {}  # wait_for_active_shards left at its default


def test_follow_is_a_no_op_when_already_following_that_leader_uuid(fake, cat):
    local = follower(fake, cat)
    local.on("GET", "/_cluster/state/metadata/f", {"metadata": {"indices": {"f": {"ccr": {"leader_index_uuid": "L1"}}}}})
    result = ccr_ops.follow(local, "l", "f", "remote", {}, leader_uuid="L1")
    assert not result.changed and "L1" in result.detail and local.changes == []


def test_follow_refuses_a_follower_of_a_recreated_leader(fake, cat):
    local = follower(fake, cat)
    local.on("GET", "/_cluster/state/metadata/f", {"metadata": {"indices": {"f": {"ccr": {"leader_index_uuid": "OLD"}}}}})
    with pytest.raises(UnsafeState, match="recreate the follower"):
        ccr_ops.follow(local, "l", "f", "remote", {}, leader_uuid="NEW")


def test_follow_refuses_a_taken_name(fake, cat):
    local = fake().on("GET", "/_cat/indices/f", cat("f", "X", "close"))
    local.on("GET", "/f/_ccr/info", {"follower_indices": []})
    with pytest.raises(UnsafeState, match="already exists on the local cluster as a plain index"):
        ccr_ops.follow(local, "l", "f", "remote", {})
    assert local.changes == []


def test_follow_in_a_dry_run_sends_nothing(fake):
    local = fake(dry_run=True)
    result = ccr_ops.follow(local, "l", "f", "remote", {})
    assert result.changed and result.detail.startswith("dry run")
    assert local.sent[-1]["dry_run"] and local.changes == [("PUT", "/f/_ccr/follow")]


def test_follower_info_and_stats_are_none_for_a_plain_or_missing_index(fake, cat, es_error):
    local = fake().on("GET", "/p/_ccr/info", {"follower_indices": []})
    local.on("GET", "/p/_ccr/stats", es_error(404, "resource_not_found_exception", "No shard follow tasks for follower indices [p]"))
    assert ccr_ops.follower_info(local, "p") is None and ccr_ops.follow_stats(local, "p") is None
    assert ccr_ops.follower_info(local, "missing") is None


def test_pause_and_resume_are_idempotent(fake, cat):
    local = follower(fake, cat, status="paused")
    assert not ccr_ops.pause(local, "f").changed
    local.on("POST", "/f/_ccr/resume_follow", {"acknowledged": True})
    assert ccr_ops.resume(local, "f").changed
    active = follower(fake, cat, status="active")
    assert not ccr_ops.resume(active, "f").changed
    active.on("POST", "/f/_ccr/pause_follow", {"acknowledged": True})
    assert ccr_ops.pause(active, "f").changed


def test_resume_refuses_a_promoted_index(fake, cat):
    local = fake().on("GET", "/_cat/indices/f", cat("f", "F")).on("GET", "/f/_ccr/info", {"follower_indices": []})
    with pytest.raises(UnsafeState, match="re-create the follower"):
        ccr_ops.resume(local, "f")


@pytest.mark.parametrize("status,closed,problem", [("active", True, "still following"),
                                                   ("paused", False, "it is open")])
def test_unfollow_rereads_and_refuses_unless_paused_and_closed(fake, cat, status, closed, problem):
    local = follower(fake, cat, status=status, closed=closed)
    with pytest.raises(UnsafeState, match=problem):
        ccr_ops.unfollow(local, "f")
    assert local.changes == []


def test_unfollow_acts_once_then_is_a_no_op(fake, cat):
    local = follower(fake, cat, status="paused", closed=True)
    local.on("POST", "/f/_ccr/unfollow", {"acknowledged": True})
    assert ccr_ops.unfollow(local, "f").changed
    local.on("GET", "/f/_ccr/info", {"follower_indices": []})
    again = ccr_ops.unfollow(local, "f")
    assert not again.changed and "plain index" in again.detail


def test_close_and_open_read_the_state_first(fake, cat):
    c = fake().on("GET", "/_cat/indices/i", cat("i", "I", "close"))
    assert not ccr_ops.close_index(c, "i").changed
    c.on("POST", "/i/_open", {"acknowledged": True})
    assert ccr_ops.open_index(c, "i").changed
    with pytest.raises(UnsafeState, match="does not exist"):
        ccr_ops.close_index(c, "missing")


def test_write_block_uses_the_block_api_and_lifts_with_null(fake, cat):
    c = fake("remote").on("GET", "/_cat/indices/l", cat("l", "L"))
    c.on("GET", "/l/_settings/index.blocks.write", {"l": {"settings": {}}})
    c.on("PUT", "/l/_block/write", {"acknowledged": True})
    assert ccr_ops.set_write_block(c, "l", True).changed
    assert c.changes == [("PUT", "/l/_block/write")]
    assert not ccr_ops.set_write_block(c, "l", False).changed
    c.on("GET", "/l/_settings/index.blocks.write", {"l": {"settings": {"index.blocks.write": "true"}}})
    c.on("PUT", "/l/_settings", {"acknowledged": True})
    assert ccr_ops.set_write_block(c, "l", False).changed
    assert c.sent[-1]["body"] == {"index.blocks.write": None}


def test_write_block_on_a_7_8_cluster_is_a_setting(fake, cat):
    c = fake("remote", version="7.8.1").on("GET", "/_cat/indices/l", cat("l", "L"))
    c.on("GET", "/l/_settings/index.blocks.write", {"l": {"settings": {}}})
    c.on("PUT", "/l/_settings", {"acknowledged": True})
    ccr_ops.set_write_block(c, "l", True)
    assert c.sent[-1]["body"] == {"index.blocks.write": True}


def test_auto_follow_pattern_is_created_then_left_alone(fake):
    local = fake()
    stored = {}
    local.on("GET", "/_ccr/auto_follow/logs", lambda p, b: (200, {"patterns": [{"name": "logs", "pattern": {**stored, "active": True}}]})
             if stored else (404, {"error": {"type": "resource_not_found_exception", "reason": "not found"}}))
    local.on("PUT", "/_ccr/auto_follow/logs", lambda p, b: (stored.update(b), (200, {"acknowledged": True}))[1])
    pattern = AutoFollowPattern("logs", ("logs-*",), ("logs-debug-*",), "{{leader_index}}_follow")
    assert ccr_ops.ensure_auto_follow(local, pattern, "remote", {}).changed
    assert stored["leader_index_exclusion_patterns"] == ["logs-debug-*"]
    assert not ccr_ops.ensure_auto_follow(local, pattern, "remote", {}).changed
    local.on("DELETE", "/_ccr/auto_follow/logs", {"acknowledged": True})
    assert ccr_ops.delete_auto_follow(local, "logs").changed
    assert not ccr_ops.delete_auto_follow(fake(), "other").changed


SHARD_STATS = {"indices": {"l": {"shards": {
    "0": [{"routing": {"primary": True}, "seq_no": {"global_checkpoint": 9},
           "retention_leases": {"leases": [
               {"id": "peer_recovery/n1", "retaining_seq_no": 10, "source": "peer recovery"},
               {"id": "local-cluster/f/FU-following-remote/l/LU", "retaining_seq_no": 10, "source": "ccr"}]}},
          {"routing": {"primary": False}, "retention_leases": {"leases": [{"id": "replica copy"}]}}]}}}}


def test_retention_leases_come_from_primaries(fake):
    remote = fake("remote").on("GET", "/l/_stats", SHARD_STATS)
    leases = ccr_ops.retention_leases(remote, "l")
    assert [lease["id"] for lease in leases] == ["peer_recovery/n1", "local-cluster/f/FU-following-remote/l/LU"]
    assert leases[1]["shard"] == 0


def test_forget_follower_only_when_a_lease_is_held(fake):
    remote = fake("remote").on("GET", "/l/_stats", SHARD_STATS)
    remote.on("POST", "/l/_ccr/forget_follower", {"_shards": {"total": 1, "successful": 1, "failed": 0}})
    result = ccr_ops.forget_follower(remote, "l", "local-cluster", "f", "FU", "remote")
    assert result.changed and remote.sent[-1]["body"] == {
        "follower_cluster": "local-cluster", "follower_index": "f", "follower_index_uuid": "FU",
        "leader_remote_cluster": "remote"}
    assert not ccr_ops.forget_follower(remote, "l", "local-cluster", "f", "OTHER", "remote").changed


# --- following the initial copy (follow_progress) and the states 06 acts on (cleanup) ----------


def leader_stats(gcp):
    return {"indices": {"l": {"shards": {str(s): [{"routing": {"primary": True}, "seq_no": {"global_checkpoint": g}}]
                                         for s, g in enumerate(gcp)}}}}


def follower_shards(*gcp, fatal=None):
    shards = [{"shard_id": s, "follower_global_checkpoint": g, "read_exceptions": []} for s, g in enumerate(gcp)]
    if fatal:
        shards[0]["fatal_exception"] = {"type": "resource_not_found_exception", "reason": fatal}
    return {"indices": [{"index": "f", "shards": shards}]}


def test_progress_goes_through_copy_start_and_catch_up(fake, cat):
    local = follower(fake, cat, status="paused")
    local.on("GET", "/f/_recovery", {"f": {"shards": [{"stage": "INDEX", "index": {"size": {"percent": "40.0%"}}}]}})
    assert follow_progress.progress(local, "f", {0: 9}).phase == "copying"
    local.on("GET", "/f/_recovery", {})
    assert follow_progress.progress(local, "f", {0: 9}).phase == "starting"
    local = follower(fake, cat, status="active").on("GET", "/f/_recovery", {})
    local.on("GET", "/f/_ccr/stats", follower_shards(4, 9))
    behind = follow_progress.progress(local, "f", {0: 9, 1: 9})
    assert (behind.phase, behind.lag_ops, behind.done_ops) == ("catching up", 5, 15)
    local.on("GET", "/f/_ccr/stats", follower_shards(12, 9))  # past the target: the leader kept writing
    assert follow_progress.progress(local, "f", {0: 9, 1: 9}).phase == "caught up"


def test_a_fatal_exception_is_a_failure_with_advice_to_recreate(fake, cat):
    local = follower(fake, cat).on("GET", "/f/_recovery", {})
    local.on("GET", "/f/_ccr/stats", follower_shards(3, fatal="Operations are no longer available for replicating"))
    p = follow_progress.progress(local, "f", {0: 9})
    assert p.phase == "failed" and "no longer available" in p.fatal
    assert "recreate the follower" in follow_progress.advice_for(p)


def test_waiting_ends_when_caught_up_and_reads_the_leaders_own_checkpoints(fake, cat):
    remote = fake("remote").on("GET", "/l/_stats", leader_stats([9, -1]))
    local = follower(fake, cat).on("GET", "/f/_recovery", {})
    local.on("GET", "/f/_ccr/stats", follower_shards(9, -1))
    result, latest = follow_progress.wait_for_followers(local, remote, [("l", "f")], timeout_s=5, interval_s=0.01)
    assert latest["f"].phase == "caught up" and result.progress == 10


def test_a_follower_that_stays_paused_after_the_copy_ends_the_wait(fake, cat):
    remote = fake("remote").on("GET", "/l/_stats", leader_stats([9]))
    local = follower(fake, cat, status="paused").on("GET", "/f/_recovery", {})
    ticks = iter(range(0, 1000, 20))
    _, latest = follow_progress.wait_for_followers(local, remote, [("l", "f")], timeout_s=60, interval_s=0.001,
                                                   paused_grace_s=30, clock=lambda: next(ticks))
    assert latest["f"].phase == "paused"


def test_pair_state_places_each_pair_before_or_after_the_point_of_no_return(fake, cat):
    remote = fake("remote").on("GET", "/_cat/indices/l", cat("l", "L"))
    remote.on("GET", "/l/_settings/index.blocks.write", {"l": {"settings": {"index.blocks.write": "true"}}})
    paused = cleanup.pair_state(follower(fake, cat, status="paused", closed=True), remote, "l", "f")
    assert (paused.phase, paused.follower_closed, paused.leader_blocked, paused.before_unfollow) == ("paused", True, True, True)
    plain = fake().on("GET", "/_cat/indices/f", cat("f", "F")).on("GET", "/f/_ccr/info", {"follower_indices": []})
    promoted = cleanup.pair_state(plain, remote, "l", "f")
    assert (promoted.phase, promoted.follower_uuid, promoted.before_unfollow) == ("promoted", "F", False)
    with pytest.raises(UnsafeState, match="run 05_cutover first"):
        cleanup.cleanup_pair(remote, paused, "local-cluster", "remote")


def test_rollback_after_unfollow_refuses_a_follower_replaced_since_it_was_read(fake, cat):
    remote = fake("remote").on("GET", "/_cat/indices/l", cat("l", "L"))
    remote.on("GET", "/l/_settings/index.blocks.write", {"l": {"settings": {}}})
    local = fake().on("GET", "/_cat/indices/f", cat("f", "NEWER")).on("GET", "/f/_ccr/info", {"follower_indices": []})
    stale = cleanup.PairState("l", "f", "F", "promoted", False, True)
    with pytest.raises(UnsafeState, match="uuid is now NEWER"):
        cleanup.rollback_after_unfollow(local, remote, stale, "remote", {}, "L")
    assert local.changes == []


def test_the_remote_is_removed_only_when_nothing_follows_through_it(fake):
    local = fake().on("GET", "/_all/_ccr/info", {"follower_indices": [{"follower_index": "f", "remote_cluster": "remote"}]})
    local.on("GET", "/_ccr/auto_follow", (404, None))
    with pytest.raises(UnsafeState, match="still used by f"):
        cleanup.cleanup_remote(local, "remote")
    local.on("GET", "/_all/_ccr/info", {"follower_indices": []})
    local.on("GET", "/_cluster/settings", {"persistent": {}, "transient": {}})
    assert not cleanup.cleanup_remote(local, "remote").changed


def test_a_dry_run_of_rollback_after_unfollow_shows_delete_and_follow(fake, cat):
    remote = fake("remote", dry_run=True).on("GET", "/_cat/indices/l", cat("l", "L"))
    remote.on("GET", "/l/_settings/index.blocks.write", {"l": {"settings": {"index.blocks.write": "true"}}})
    local = fake(dry_run=True).on("GET", "/_cat/indices/f", cat("f", "F")).on("GET", "/f/_ccr/info", {"follower_indices": []})
    results = cleanup.rollback_after_unfollow(local, remote, cleanup.PairState("l", "f", "F", "promoted", False, True),
                                              "remote", {}, "L")
    assert [r.action for r in results] == ["remove write block", "delete promoted index", "follow"]
    assert local.changes == [("DELETE", "/f"), ("PUT", "/f/_ccr/follow")] and all(r["dry_run"] for r in local.sent)


def test_restore_remote_puts_back_what_was_there_before(fake):
    local = fake()
    settings = {"persistent": {"cluster.remote.r.seeds": ["a:9300"]}, "transient": {}}
    local.on("GET", "/_cluster/settings", lambda p, b: (200, settings))
    before = ccr_ops.remote_settings(local, "r")
    settings["persistent"] = {"cluster.remote.r.seeds": ["bad:1"], "cluster.remote.r.mode": "sniff"}
    local.on("PUT", "/_cluster/settings", {"acknowledged": True})
    assert ccr_ops.restore_remote(local, "r", before).changed
    assert local.sent[-1]["body"] == {"persistent": {"cluster.remote.r.mode": None, "cluster.remote.r.seeds": ["a:9300"]}}
    settings["persistent"] = {"cluster.remote.r.seeds": ["a:9300"]}
    assert not ccr_ops.restore_remote(local, "r", before).changed


def test_a_dry_run_shows_the_unfollow_although_pause_and_close_were_not_sent(fake, cat):
    local = follower(fake, cat, status="active")
    local.dry_run = True
    assert ccr_ops.unfollow(local, "f").detail.startswith("dry run")
    assert local.changes == [("POST", "/f/_ccr/unfollow")] and local.sent[-1]["dry_run"]
