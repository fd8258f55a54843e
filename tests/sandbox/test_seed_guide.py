"""The seed guide's whole procedure, typed as an analyst types it in a console: plain HTTP only.

Remote: create `myindex` with the guide's settings, close / null the vendor setting / open (an 8.x
cluster answers the null step as Elasticsearch 8 does: the setting is unknown there), read the seeds
from the nodes. Local: add the remote, see it connected, create `myindex_follow`, then index the
guide's Jack and Pony in the leader and find them in the follower.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest


def call(base: str, method: str, path: str, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            raw = resp.read()
            text = raw.decode()
            return resp.status, (json.loads(text) if text.strip().startswith(("{", "[")) else text)
    except urllib.error.HTTPError as exc:
        raw = exc.read().decode()
        return exc.code, json.loads(raw) if raw else None


def wait_for(predicate, timeout_s: float = 30.0, interval_s: float = 0.1):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval_s)


@pytest.fixture(scope="module")
def guide(start_sandbox):
    box = start_sandbox()
    return box.url("remote"), box.url("local")


def test_the_seed_guide_procedure_over_plain_http(guide):
    remote, local = guide

    status, body = call(remote, "PUT", "/myindex", {
        "settings": {"index.soft_deletes.retention.operations": 1024, "index.soft_deletes.enabled": True}
    })
    assert status == 200 and body == {"acknowledged": True, "shards_acknowledged": True, "index": "myindex"}

    status, settings = call(remote, "GET", "/myindex/_settings?pretty")
    assert settings["myindex"]["settings"]["index"]["soft_deletes"]["enabled"] == "true"

    # The vendor's physical replication setting does not exist on a default 8.x cluster.
    assert call(remote, "POST", "/myindex/_close")[0] == 200
    status, body = call(remote, "PUT", "/myindex/_settings", {"index.replication.type": None})
    assert status == 400
    assert body["error"]["type"] == "illegal_argument_exception"
    assert body["error"]["reason"].startswith("unknown setting [index.replication.type]")
    assert call(remote, "POST", "/myindex/_open")[0] == 200

    status, cat = call(remote, "GET", "/_cat/nodes?v&h=ip,port,node.role,master,name")
    assert status == 200 and "ip" in cat.splitlines()[0]
    status, nodes = call(remote, "GET", "/_nodes/transport")
    seeds = [n["transport"]["publish_address"] for n in nodes["nodes"].values()]
    assert len(seeds) == 3

    status, body = call(local, "PUT", "/_cluster/settings", {"persistent": {"cluster.remote.remote.seeds": seeds}})
    assert status == 200 and body["acknowledged"] is True
    status, info = call(local, "GET", "/_remote/info")
    assert info["remote"]["connected"] is True
    assert info["remote"]["num_nodes_connected"] >= 1

    status, body = call(local, "PUT", "/myindex_follow/_ccr/follow", {"remote_cluster": "remote", "leader_index": "myindex"})
    assert status == 200
    assert body["follow_index_created"] is True
    wait_for(lambda: call(local, "GET", "/myindex_follow/_ccr/info")[1]["follower_indices"][0]["status"] == "active")

    for doc in ({"name": "Jack", "age": 40}, {"name": "Pony", "age": 50}):
        written = time.monotonic()
        status, body = call(remote, "POST", "/myindex/_doc/", doc)
        assert status == 201 and body["result"] == "created"

        def replicated():
            status, found = call(local, "GET", "/myindex_follow/_search")
            return status == 200 and any(h["_source"] == doc for h in found["hits"]["hits"])

        wait_for(replicated, timeout_s=30)
        latency = time.monotonic() - written
        assert latency < 10, f"{doc['name']} took {latency:.2f}s to be searchable on the follower"

    status, found = call(local, "GET", "/myindex_follow/_search")
    assert sorted(h["_source"]["name"] for h in found["hits"]["hits"]) == ["Jack", "Pony"]
