"""Cluster health, cluster state, nodes, index stats and recovery on the practice clusters, with the
shapes Elasticsearch 8 gives them."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from es_sandbox import recovery_states, shard_routing

pytestmark = pytest.mark.sandbox_only


def call(url: str, method: str = "GET", path: str = "/", body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            text = resp.read().decode()
            return resp.status, resp.headers, json.loads(text) if text.startswith(("{", "[")) else text
    except urllib.error.HTTPError as exc:
        text = exc.read().decode()
        return exc.code, exc.headers, json.loads(text) if text.startswith(("{", "[")) else text


@pytest.fixture(scope="module")
def local(sandbox):
    return sandbox.url("local")


def test_health_is_green_when_every_replica_fits_on_the_two_data_nodes(local, unique_name):
    index = unique_name("green")
    call(local, "PUT", f"/{index}", {"settings": {"number_of_shards": 2, "number_of_replicas": 1}})
    status, _, body = call(local, path=f"/_cluster/health/{index}?wait_for_status=green&timeout=5s")
    assert status == 200
    assert body["status"] == "green" and body["timed_out"] is False
    assert (body["number_of_nodes"], body["number_of_data_nodes"]) == (3, 2)
    assert (body["active_primary_shards"], body["active_shards"], body["unassigned_shards"]) == (2, 4, 0)
    assert body["active_shards_percent_as_number"] == 100.0


def test_health_is_yellow_with_a_replica_no_node_can_take(local, unique_name):
    index = unique_name("yellow")
    call(local, "PUT", f"/{index}", {"settings": {"number_of_replicas": 2}})
    status, _, body = call(local, path=f"/_cluster/health/{index}?level=shards")
    assert status == 200
    assert body["status"] == "yellow"
    assert (body["active_shards"], body["unassigned_shards"], body["unassigned_primary_shards"]) == (2, 1, 0)
    entry = body["indices"][index]
    assert entry["number_of_replicas"] == 2
    assert entry["shards"]["0"] == {"status": "yellow", "primary_active": True, "active_shards": 2,
                                    "relocating_shards": 0, "initializing_shards": 0, "unassigned_shards": 1,
                                    "unassigned_primary_shards": 0}


def test_waiting_for_green_on_a_yellow_index_times_out_with_408(local, unique_name):
    index = unique_name("wait")
    call(local, "PUT", f"/{index}", {"settings": {"number_of_replicas": 3}})
    started = time.monotonic()
    status, _, body = call(local, path=f"/_cluster/health/{index}?wait_for_status=green&timeout=1s")
    assert status == 408
    assert body["timed_out"] is True and body["status"] == "yellow"
    assert time.monotonic() - started >= 0.9


def test_health_of_a_missing_index_is_red_and_times_out(local):
    status, _, body = call(local, path="/_cluster/health/no-such-index-here?timeout=1s")
    assert status == 408
    assert (body["status"], body["timed_out"]) == ("red", True)


def test_health_refuses_an_unknown_level(local):
    status, _, body = call(local, path="/_cluster/health?level=nodes")
    assert status == 400
    assert body["error"]["reason"] == (
        "No enum constant org.elasticsearch.action.admin.cluster.health.ClusterHealthRequest.Level.NODES")


def test_cluster_state_filters_metrics_and_indices(local, unique_name):
    index = unique_name("state")
    call(local, "PUT", f"/{index}", {"settings": {"number_of_shards": 1}, "mappings": {"properties": {"f": {"type": "keyword"}}}})
    status, _, body = call(local, path=f"/_cluster/state/metadata,routing_table/{index}")
    assert status == 200
    assert set(body) == {"cluster_name", "cluster_uuid", "metadata", "routing_table"}
    meta = body["metadata"]["indices"][index]
    assert meta["state"] == "open"
    assert meta["settings"]["index"]["number_of_shards"] == "1"
    assert meta["mappings"] == {"_doc": {"properties": {"f": {"type": "keyword"}}}}
    copies = body["routing_table"]["indices"][index]["shards"]["0"]
    assert [c["primary"] for c in copies] == [True, False]
    assert {c["state"] for c in copies} == {"STARTED"}
    assert copies[0]["node"] != copies[1]["node"]


def test_cluster_state_nodes_master_and_blocks(local, unique_name):
    index = unique_name("closed")
    call(local, "PUT", f"/{index}")
    call(local, "POST", f"/{index}/_close")
    _, _, body = call(local, path="/_cluster/state/nodes,master_node,blocks")
    master = body["master_node"]
    assert body["nodes"][master]["roles"] == ["master"]
    assert sorted(n["roles"] for n in body["nodes"].values())[0] == ["data", "ingest", "remote_cluster_client"]
    assert body["blocks"]["indices"][index]["4"] == {"description": "index closed", "retryable": False,
                                                    "levels": ["read", "write"]}


def test_nodes_transport_publish_addresses_are_each_nodes_own(sandbox, local):
    _, _, body = call(local, path="/_nodes/transport")
    assert body["_nodes"] == {"total": 3, "successful": 3, "failed": 0}
    published = {n["name"]: n["transport"]["publish_address"] for n in body["nodes"].values()}
    expected = {n["name"]: n["transport"] for n in sandbox.info("local")["nodes"]}
    assert published == expected
    assert len({address.split(":")[0] for address in published.values()}) == 3


def test_nodes_selection_and_unknown_metric(local):
    _, _, body = call(local, path="/_nodes/_master/http")
    (node,) = body["nodes"].values()
    assert node["roles"] == ["master"] and "publish_address" in node["http"]
    status, _, body = call(local, path="/_nodes/_all/tansport")
    assert status == 400
    assert body["error"]["reason"] == "request [/_nodes/_all/tansport] contains unrecognized metric: [tansport] -> did you mean [transport]?"


def test_node_stats_fs_reports_the_data_disk(local):
    _, _, body = call(local, path="/_nodes/stats/fs")
    for node in body["nodes"].values():
        total = node["fs"]["total"]
        assert total["total_in_bytes"] >= total["free_in_bytes"] >= total["available_in_bytes"] > 0
        assert node["fs"]["data"][0]["total_in_bytes"] == total["total_in_bytes"]


def test_index_stats_at_shard_level(local, unique_name):
    index = unique_name("stats")
    call(local, "PUT", f"/{index}", {"settings": {"number_of_shards": 1, "number_of_replicas": 1}})
    for i in range(3):
        call(local, "PUT", f"/{index}/_doc/{i}", {"n": i})
    call(local, "DELETE", f"/{index}/_doc/0")
    call(local, "POST", f"/{index}/_refresh")
    status, _, body = call(local, path=f"/{index}/_stats/docs,indexing?level=shards")
    assert status == 200
    assert body["_shards"] == {"total": 2, "successful": 2, "failed": 0}
    entry = body["indices"][index]
    assert (entry["health"], entry["status"]) == ("green", "open")
    assert entry["primaries"]["docs"]["count"] == 2 and entry["total"]["docs"]["count"] == 4
    assert entry["primaries"]["indexing"]["delete_total"] == 1
    primary, replica = entry["shards"]["0"]
    assert primary["routing"]["primary"] is True and replica["routing"]["primary"] is False
    assert primary["seq_no"] == {"max_seq_no": 3, "local_checkpoint": 3, "global_checkpoint": 3}
    leases = primary["retention_leases"]
    assert leases["primary_term"] == 1
    assert sorted(lease["id"] for lease in leases["leases"]) == sorted(
        f"peer_recovery/{c['routing']['node']}" for c in (primary, replica))
    assert set(primary["shard_path"]) == {"state_path", "data_path", "is_custom_data_path"}
    assert set(primary) >= {"routing", "docs", "indexing", "commit", "seq_no", "retention_leases", "shard_path"}


def test_stats_refuses_an_unknown_metric_and_a_closed_index(local, unique_name):
    status, _, body = call(local, path="/_stats/doc")
    assert status == 400
    assert body["error"]["reason"] == "request [/_stats/doc] contains unrecognized metric: [doc] -> did you mean [docs]?"
    status, _, body = call(local, path="/_stats/dosc")
    assert body["error"]["reason"] == "request [/_stats/dosc] contains unrecognized metric: [dosc]"
    index = unique_name("closedstats")
    call(local, "PUT", f"/{index}")
    call(local, "POST", f"/{index}/_close")
    status, _, body = call(local, path=f"/{index}/_stats")
    assert (status, body["error"]["type"]) == (400, "index_closed_exception")


def test_recovery_of_a_plain_index_is_an_empty_store_done(local, unique_name):
    index = unique_name("recovery")
    call(local, "PUT", f"/{index}", {"settings": {"number_of_replicas": 1}})
    status, _, body = call(local, path=f"/{index}/_recovery")
    assert status == 200
    primary, replica = body[index]["shards"]
    assert (primary["type"], primary["stage"], primary["primary"], primary["source"]) == ("EMPTY_STORE", "DONE", True, {})
    assert (replica["type"], replica["stage"], replica["primary"]) == ("PEER", "DONE", False)
    assert replica["source"]["id"] == primary["target"]["id"]
    assert primary["index"]["files"] == {"total": 0, "reused": 0, "recovered": 0, "percent": "0.0%"}
    assert primary["translog"]["percent"] == "100.0%"
    _, _, active = call(local, path=f"/{index}/_recovery?active_only=true")
    assert active == {}


class _FakeIndex:
    """Just what routing and recovery read of an index, to exercise the recovery dict a follower gets."""

    name, uuid, number_of_shards, number_of_replicas = "follower", "abcdefghijklmnopqrstuv", 2, 1

    def __init__(self, recovery):
        self.recovery = recovery

    def setting(self, key):
        return "1700000000000" if key == "index.creation_date" else ""


def test_a_follower_restoring_from_the_ccr_repository_is_initializing_and_yellow(sandbox):
    from es_sandbox.config import ClusterConfig

    config = ClusterConfig.load(f"{sandbox.info('local')['data']}/config.json")
    index = _FakeIndex({
        "type": "SNAPSHOT", "stage": "INDEX", "start_time_ms": 1700000001000,
        "source": {"repository": "_ccr_remote", "snapshot": "_latest_", "version": "8.19.3", "index": "leader",
                   "restoreUUID": "u1"},
        "files_total": 10, "files_recovered": 4, "bytes_total": 1000, "bytes_recovered": 250,
        "shards": {"1": {"stage": "DONE", "stop_time_ms": 1700000002000}},
    })
    health = shard_routing.index_health(config, index)
    assert health["status"] == "yellow"
    assert health["shards"][0]["initializing_shards"] == 1 and health["shards"][0]["unassigned_shards"] == 1
    assert health["shards"][1]["status"] == "green"

    class _Cluster:
        pass

    cluster = _Cluster()
    cluster.config = config
    states = recovery_states.states(cluster, index)
    restoring = next(s for s in states if s.shard == 0)
    assert (restoring.type, restoring.stage, restoring.stop_ms) == ("SNAPSHOT", "INDEX", 0)
    assert restoring.source["repository"] == "_ccr_remote"
    assert (restoring.files_percent(), restoring.bytes_percent()) == ("40.0%", "25.0%")
    done = [s for s in states if s.shard == 1]
    assert [(s.type, s.stage) for s in done] == [("SNAPSHOT", "DONE"), ("PEER", "DONE")]
    assert done[0].files_recovered == 10


def test_unemulated_endpoints_say_so(local):
    status, _, body = call(local, path="/_snapshot")
    assert status == 501
    assert body["error"]["type"] == "es_sandbox_not_implemented_exception"
    status, _, body = call(local, path="/_cat/thread_pool")
    assert status == 501


def test_security_endpoints_do_not_exist_when_security_is_disabled(local):
    status, _, body = call(local, path="/_security/_authenticate")
    assert (status, body) == (400, {"error": "no handler found for uri [/_security/_authenticate] and method [GET]",
                                    "status": 400})
