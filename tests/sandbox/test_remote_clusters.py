"""Remote cluster connections: `GET _remote/info` after settings are applied, and the transport client
(`cluster.services["remotes"]`) that CCR builds on, driven in-process against the session's clusters."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

from es_sandbox import errors


def call(base: str, method: str, path: str, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_address(base: str) -> str:
    return base.removeprefix("http://")


@pytest.fixture
def alias(sandbox):
    name = f"t-{uuid.uuid4().hex[:8]}"
    yield name
    call(sandbox.url("local"), "PUT", "/_cluster/settings", {"persistent": {f"cluster.remote.{name}.*": None}})


def add_remote(sandbox, alias: str, **settings) -> dict:
    body = {"persistent": {f"cluster.remote.{alias}.{k}": v for k, v in settings.items()}}
    status, answer = call(sandbox.url("local"), "PUT", "/_cluster/settings", body)
    assert status == 200, answer
    return call(sandbox.url("local"), "GET", "/_remote/info")[1][alias]


def sniff_info(seeds: list[str], connected: int, max_connections: int = 3) -> dict:
    return {"connected": connected > 0, "mode": "sniff", "seeds": seeds, "num_nodes_connected": connected,
            "max_connections_per_cluster": max_connections, "initial_connect_timeout": "30s", "skip_unavailable": True}


# --- _remote/info over REST ---------------------------------------------------------------------


def test_seeds_from_the_state_file_connect_to_the_two_data_nodes(sandbox, alias):
    seeds = sandbox.info("remote")["transport"]
    info = add_remote(sandbox, alias, seeds=seeds)
    assert info == sniff_info(seeds, connected=2)
    assert list(info) == ["connected", "mode", "seeds", "num_nodes_connected", "max_connections_per_cluster",
                          "initial_connect_timeout", "skip_unavailable"]


def test_dedicated_master_seed_is_read_but_never_a_gateway_node(sandbox, alias):
    nodes = sandbox.info("remote")["nodes"]
    master = next(n["transport"] for n in nodes if n["roles"] == ["master"])
    assert add_remote(sandbox, alias, seeds=[master]) == sniff_info([master], connected=2)


def test_node_connections_caps_the_gateway_nodes(sandbox, alias):
    seeds = sandbox.info("remote")["transport"]
    assert add_remote(sandbox, alias, seeds=seeds, node_connections=1) == sniff_info(seeds, connected=1, max_connections=1)


def test_an_http_port_seed_never_connects(sandbox, alias):
    seed = http_address(sandbox.url("remote"))
    assert add_remote(sandbox, alias, seeds=[seed]) == sniff_info([seed], connected=0)


def test_a_closed_port_seed_never_connects(sandbox, alias):
    seed = f"127.0.0.1:{closed_port()}"
    assert add_remote(sandbox, alias, seeds=[seed]) == sniff_info([seed], connected=0)


def test_a_cluster_may_name_itself_as_a_remote(sandbox, alias):
    seeds = sandbox.info("local")["transport"][1:2]
    assert add_remote(sandbox, alias, seeds=seeds) == sniff_info(seeds, connected=2)


def test_proxy_mode_opens_its_sockets_to_the_proxy_address(sandbox, alias):
    address = sandbox.info("remote")["transport"][1]
    assert add_remote(sandbox, alias, mode="proxy", proxy_address=address) == {
        "connected": True, "mode": "proxy", "proxy_address": address, "server_name": "",
        "num_proxy_sockets_connected": 18, "max_proxy_socket_connections": 18,
        "initial_connect_timeout": "30s", "skip_unavailable": True,
    }


def test_skip_unavailable_is_shown(sandbox, alias):
    """8.15 made true the default (8.19 here): false must be set to show."""
    seeds = sandbox.info("remote")["transport"]
    assert add_remote(sandbox, alias, seeds=seeds, skip_unavailable=False)["skip_unavailable"] is False


# --- the transport client, in-process -----------------------------------------------------------


def free_port() -> int:
    return closed_port()


@pytest.fixture
def inproc(tmp_path):
    """A one-node cluster inside the test process, to drive its remote cluster service directly."""
    from es_sandbox.config import ClusterConfig, NodeConfig
    from es_sandbox.node import build

    def make(version: str = "8.19.3"):
        name = f"inproc-{uuid.uuid4().hex[:6]}"
        node = NodeConfig(f"{name}-data-1", ["data", "ingest", "master", "remote_cluster_client"], "127.0.0.1", free_port())
        config = ClusterConfig(name=name, http_host="127.0.0.1", http_port=free_port(), nodes=[node],
                               data_dir=str(tmp_path / name), version=version)
        cluster, server = build(config)
        built.append((cluster, server))
        return cluster

    built: list = []
    yield make
    for cluster, server in built:
        cluster.services["remotes"].close()
        cluster.transport.stop()
        server.server_close()
        cluster.close()


def configure(cluster, alias: str, **settings) -> None:
    cluster.save_cluster_settings({f"cluster.remote.{alias}.{k}": v for k, v in settings.items()}, {})


def test_connection_describes_the_remote_and_runs_actions(sandbox, inproc):
    cluster = inproc()
    configure(cluster, "leader", seeds=sandbox.info("remote")["transport"])
    remotes = cluster.services["remotes"]
    assert remotes.aliases() == ["leader"]
    conn = remotes.connection("leader")
    root = sandbox.client("remote").info()
    assert (conn.alias, conn.cluster_name, conn.cluster_uuid, conn.version) == (
        "leader", "remote", root["cluster_uuid"], root["version"]["number"])
    state = conn.request("cluster:monitor/state", {"nodes": True}, timeout_s=5)
    assert state["cluster_name"] == "remote"
    assert sorted(n["name"] for n in state["nodes"].values()) == ["remote-data-1", "remote-data-2", "remote-master-1"]


def test_unknown_alias_is_no_such_remote_cluster(inproc):
    with pytest.raises(errors.EsError) as caught:
        inproc().services["remotes"].connection("nowhere")
    assert (caught.value.status, caught.value.type, caught.value.reason) == (
        404, "no_such_remote_cluster_exception", "no such remote cluster: [nowhere]")


def test_an_unreachable_remote_fails_with_the_connect_error(inproc):
    cluster = inproc()
    seed = f"127.0.0.1:{closed_port()}"
    configure(cluster, "gone", seeds=[seed])
    with pytest.raises(errors.EsError) as caught:
        cluster.services["remotes"].connection("gone")
    assert caught.value.body() == {
        "error": {
            "root_cause": [{"type": "connect_transport_exception", "reason": f"[][{seed}] connect_exception"}],
            "type": "connect_transport_exception", "reason": f"[][{seed}] connect_exception",
            "caused_by": {"type": "annotated_connect_exception", "reason": f"Connection refused: /{seed}"},
        },
        "status": 500,
    }


def test_an_http_port_seed_fails_the_handshake(sandbox, inproc, caplog):
    cluster = inproc()
    seed = http_address(sandbox.url("remote"))
    configure(cluster, "web", seeds=[seed])
    with pytest.raises(errors.EsError) as caught:
        cluster.services["remotes"].connection("web")
    error = caught.value
    assert (error.type, error.reason) == ("connect_transport_exception", f"[][{seed}] general node connection failure")
    assert error.caused_by.fragment() == {"type": "transport_exception", "reason": "handshake failed because connection reset"}
    assert "invalid internal transport message format, got (48,54,54,50)" in caplog.text


def test_an_incompatible_version_fails_the_handshake(sandbox, inproc):
    cluster = inproc(version="6.8.23")
    seed = sandbox.info("remote")["transport"][1]
    configure(cluster, "newer", seeds=[seed])
    with pytest.raises(errors.EsError) as caught:
        cluster.services["remotes"].connection("newer")
    assert caught.value.reason == f"[][{seed}] general node connection failure"
    assert caught.value.caused_by.fragment() == {
        "type": "illegal_state_exception",
        # TransportHandshaker: the connecting side names the remote's version and its own minimum.
        "reason": "Received message from unsupported version: [8.19.3] minimal compatible version is: [5.6.0]",
    }


def test_a_remote_error_comes_back_with_its_status_type_and_reason(inproc):
    cluster = inproc()

    def missing(body, context):
        raise errors.index_not_found(body["index"])

    cluster.transport.register("indices:test/missing", missing)
    configure(cluster, "self", seeds=[cluster.config.nodes[0].transport_address])
    conn = cluster.services["remotes"].connection("self")
    with pytest.raises(errors.EsError) as caught:
        conn.request("indices:test/missing", {"index": "leader-1"}, timeout_s=5)
    assert caught.value.body() == errors.index_not_found("leader-1").body()
    with pytest.raises(errors.EsError) as caught:
        conn.request("indices:test/none", {}, timeout_s=5)
    assert (caught.value.status, caught.value.type, caught.value.reason) == (
        400, "action_not_found_transport_exception", "No handler for action [indices:test/none]")


def test_a_long_poll_does_not_hold_up_other_requests(inproc):
    cluster = inproc()
    release = threading.Event()
    cluster.transport.register("test:long_poll", lambda body, context: {"released": release.wait(10)})
    cluster.transport.register("test:echo", lambda body, context: body)
    configure(cluster, "self", seeds=[cluster.config.nodes[0].transport_address])
    conn = cluster.services["remotes"].connection("self")
    polls = [threading.Thread(target=conn.request, args=("test:long_poll", {}, 15)) for _ in range(3)]
    for poll in polls:
        poll.start()
    results: list = []
    workers = [threading.Thread(target=lambda i=i: results.append(conn.request("test:echo", {"i": i}, 5)))
               for i in range(16)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    assert time.monotonic() - started < 3
    assert sorted(r["i"] for r in results) == list(range(16))
    release.set()
    for poll in polls:
        poll.join(10)


def test_receive_timeout_names_the_node_and_action(inproc):
    cluster = inproc()
    cluster.transport.register("test:slow", lambda body, context: time.sleep(2) or {})
    configure(cluster, "self", seeds=[cluster.config.nodes[0].transport_address])
    conn = cluster.services["remotes"].connection("self")
    node = cluster.config.nodes[0]
    with pytest.raises(errors.EsError) as caught:
        conn.request("test:slow", {}, timeout_s=0.5)
    assert caught.value.type == "receive_timeout_transport_exception"
    assert re.fullmatch(rf"\[{node.name}\]\[{node.transport_address}\]\[test:slow\] request_id \[\d+\] timed out after \[\d+ms\]",
                        caught.value.reason)
    assert conn.request("cluster:monitor/state", {}, timeout_s=5)["cluster_name"] == cluster.config.name


def test_a_held_connection_follows_settings_changes(sandbox, inproc):
    cluster = inproc()
    seeds = sandbox.info("remote")["transport"]
    configure(cluster, "leader", seeds=seeds)
    held = cluster.services["remotes"].connection("leader")
    configure(cluster, "leader", seeds=seeds[1:], node_connections="1")  # the connection is rebuilt
    assert held.request("cluster:monitor/state", {}, timeout_s=5)["cluster_name"] == "remote"
    assert cluster.services["remotes"].info()["leader"]["num_nodes_connected"] == 1
    cluster.save_cluster_settings({}, {})
    assert cluster.services["remotes"].aliases() == []
    with pytest.raises(errors.EsError) as caught:
        held.request("cluster:monitor/state", {}, timeout_s=5)
    assert (caught.value.status, caught.value.reason) == (404, "no such remote cluster: [leader]")
