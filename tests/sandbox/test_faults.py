"""Cut links between clusters (`python -m es_sandbox partition A B [--blackhole]`, `heal A B`).

A refused link closes the connections at once and nothing reconnects in the background, not even
after healing, until a request needs the remote or its settings change. A blackholed link keeps its
connections (nobody notices) and requests hang until their timeout. These tests use their own pair of
clusters, so the session's shared pair is never partitioned.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.request
import uuid

import pytest

from es_sandbox import errors, remote_clusters

pytestmark = pytest.mark.sandbox_only


def call(base: str, method: str, path: str, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


@pytest.fixture(scope="module")
def pair(start_sandbox):
    box = start_sandbox()
    yield box
    box.run("heal", "local", "remote", check=False)


def remote_info(box, alias: str) -> dict:
    return call(box.url("local"), "GET", "/_remote/info")[alias]


@pytest.fixture
def alias(pair):
    name = f"t-{uuid.uuid4().hex[:8]}"
    call(pair.url("local"), "PUT", "/_cluster/settings",
         {"persistent": {f"cluster.remote.{name}.seeds": pair.info("remote")["transport"]}})
    yield name
    pair.run("heal", "local", "remote")
    call(pair.url("local"), "PUT", "/_cluster/settings", {"persistent": {f"cluster.remote.{name}.*": None}})


def test_refuse_closes_the_connections_and_healing_does_not_reconnect(pair, alias):
    assert remote_info(pair, alias)["num_nodes_connected"] == 2
    pair.run("partition", "local", "remote")
    assert remote_info(pair, alias)["connected"] is False
    pair.run("heal", "local", "remote")
    time.sleep(0.5)
    assert remote_info(pair, alias)["connected"] is False  # no background reconnection
    call(pair.url("local"), "PUT", "/_cluster/settings", {"persistent": {f"cluster.remote.{alias}.node_connections": 2}})
    assert remote_info(pair, alias)["num_nodes_connected"] == 2


def test_blackhole_keeps_the_connections_nobody_notices(pair, alias):
    pair.run("partition", "local", "remote", "--blackhole")
    time.sleep(0.2)
    assert remote_info(pair, alias)["num_nodes_connected"] == 2


# --- through the transport client, in-process ---------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def client(pair, tmp_path, monkeypatch):
    """An in-process cluster whose remote `leader` is the pair's `remote` cluster."""
    from es_sandbox.config import ClusterConfig, NodeConfig
    from es_sandbox.node import build

    monkeypatch.setattr(remote_clusters, "APPLY_WAIT_S", 0.5)  # settings changes need not wait for a blackhole
    name = f"inproc-{uuid.uuid4().hex[:6]}"
    node = NodeConfig(f"{name}-data-1", ["data", "ingest", "master", "remote_cluster_client"], "127.0.0.1", free_port())
    config = ClusterConfig(name=name, http_host="127.0.0.1", http_port=free_port(), nodes=[node], data_dir=str(tmp_path / name))
    cluster, server = build(config)
    cluster.save_cluster_settings({"cluster.remote.leader.seeds": pair.info("remote")["transport"]}, {})
    yield cluster
    heal(cluster, pair)
    cluster.services["remotes"].close()
    cluster.transport.stop()
    server.server_close()
    cluster.close()


def cut(cluster, pair, mode: str, here: bool = True, there: bool = True) -> None:
    """What `partition` does, for the in-process cluster and the pair's remote (or only one side)."""
    if here:
        cluster.transport.faults["remote"] = mode
        cluster.notify("link_cut", "remote")
    if there:
        call(pair.url("remote"), "PUT", f"/_sandbox/faults/{cluster.config.name}", {"mode": mode})


def heal(cluster, pair) -> None:
    cluster.transport.faults.pop("remote", None)
    cluster.notify("link_healed", "remote")
    call(pair.url("remote"), "DELETE", f"/_sandbox/faults/{cluster.config.name}")


def state(cluster, timeout_s: float = 5.0) -> dict:
    return cluster.services["remotes"].connection("leader", timeout_s).request("cluster:monitor/state", {}, timeout_s)


def connected(cluster) -> bool:
    return cluster.services["remotes"].info()["leader"]["connected"]


def test_refuse_fails_requests_at_once_until_healed(pair, client):
    assert state(client)["cluster_name"] == "remote"
    cut(client, pair, "refuse")
    assert connected(client) is False
    started = time.monotonic()
    with pytest.raises(errors.EsError) as caught:
        state(client)
    assert time.monotonic() - started < 1
    seed = pair.info("remote")["transport"][-1]
    assert (caught.value.type, caught.value.reason) == ("connect_transport_exception", f"[][{seed}] connect_exception")
    heal(client, pair)
    assert connected(client) is False  # nothing reconnects by itself
    assert state(client)["cluster_name"] == "remote"  # the next request does
    assert connected(client) is True


def test_blackhole_hangs_requests_until_their_timeout(pair, client):
    assert state(client)["cluster_name"] == "remote"
    cut(client, pair, "blackhole")
    conn = client.services["remotes"].connection("leader")
    started = time.monotonic()
    with pytest.raises(errors.EsError) as caught:
        conn.request("cluster:monitor/state", {}, timeout_s=1.0)
    assert 0.9 <= time.monotonic() - started < 3
    assert caught.value.type == "receive_timeout_transport_exception"
    assert "[cluster:monitor/state] request_id [" in caught.value.reason
    assert connected(client) is True
    heal(client, pair)
    assert conn.request("cluster:monitor/state", {}, timeout_s=5)["cluster_name"] == "remote"


def test_blackhole_hangs_a_connection_attempt_which_completes_once_healed(pair, client):
    cut(client, pair, "blackhole")
    client.save_cluster_settings({"cluster.remote.leader.seeds": pair.info("remote")["transport"][1:]}, {})
    assert connected(client) is False
    seed = pair.info("remote")["transport"][1]
    with pytest.raises(errors.EsError) as caught:
        client.services["remotes"].connection("leader", timeout_s=1.0)
    assert (caught.value.type, caught.value.reason) == ("connect_transport_exception", f"[][{seed}] connect_timeout[30s]")
    heal(client, pair)
    deadline = time.monotonic() + 5
    while not connected(client) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert connected(client) is True  # the same attempt went through, as TCP retransmits after a heal


def test_a_cut_seen_only_by_the_remote_resets_the_pooled_connections(pair, client):
    assert state(client)["cluster_name"] == "remote"
    cut(client, pair, "refuse", here=False)
    deadline = time.monotonic() + 5
    while connected(client) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert connected(client) is False
    with pytest.raises(errors.EsError) as caught:
        state(client)
    assert caught.value.type == "connect_transport_exception"
    assert caught.value.reason.endswith("] connect_exception")


def test_a_blackhole_seen_only_by_the_remote_times_requests_out(pair, client):
    conn = client.services["remotes"].connection("leader")
    cut(client, pair, "blackhole", here=False)
    with pytest.raises(errors.EsError) as caught:
        conn.request("cluster:monitor/state", {}, timeout_s=0.5)
    assert caught.value.type == "receive_timeout_transport_exception"
    heal(client, pair)
    assert conn.request("cluster:monitor/state", {}, timeout_s=5)["cluster_name"] == "remote"


def test_a_restarted_cluster_reconnects_its_remotes_and_forgets_transient_settings(pair, alias):
    call(pair.url("local"), "PUT", "/_cluster/settings", {"transient": {"cluster.routing.allocation.enable": "none"}})
    pair.run("kill", "local")
    pair.run("up")
    deadline = time.monotonic() + 10
    while not remote_info(pair, alias)["connected"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert remote_info(pair, alias)["num_nodes_connected"] == 2
    assert call(pair.url("local"), "GET", "/_cluster/settings")["transient"] == {}
