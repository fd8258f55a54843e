"""Connections to one remote cluster, kept as Elasticsearch's RemoteClusterConnection keeps them.

A remote is connected when its settings are applied and when a request finds it disconnected;
nothing reconnects in the background. One connect round runs at a time and every caller waiting
for it gets its outcome. Each connected remote node holds a small pool of channels (remote_nodes.py),
so a long poll (CCR's shard changes) does not hold up other requests.

Faults on the link (`cluster.transport.faults[remote cluster name]`) are honoured on this side too:
with "refuse" a connection attempt fails at once, with "blackhole" it, or a request, waits until its
timeout (or until the link is healed, when it goes through).
"""

from __future__ import annotations

import itertools
import logging
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

from . import errors, remote_errors
from .remote_nodes import CONNECT_TIMEOUT_S, NodeConnection, RemoteNode, node_from, remaining
from .remote_settings import PROXY_MODE_SINCE, RemoteConfig, parse_host, parse_port
from .transport import HANDSHAKE, Channel, LinkRefused, TransportProtocolError
from .version import Version

if TYPE_CHECKING:
    from .remote_clusters import RemoteClusterService

log = logging.getLogger(__name__)

STATE_ACTION = "cluster:monitor/state"
_POLL_S = 0.05


def wire_compatible(a: Version, b: Version) -> bool:
    return a >= Version.parse(b.minimum_wire_compatibility) and b >= Version.parse(a.minimum_wire_compatibility)


class _Attempt:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: errors.EsError | None = None


class RemoteConnection:
    """One remote cluster alias: `request()` sends an action to one of its connected nodes.

    `cluster_name`, `cluster_uuid` and `version` describe the remote once it has been reached.
    """

    def __init__(self, service: "RemoteClusterService", config: RemoteConfig) -> None:
        self.service = service
        self.config = config
        self.alias = config.alias
        self.local_name = service.cluster.config.name
        self.cluster_name: str | None = None
        self.cluster_uuid: str | None = None
        self.version: str | None = None
        self.http_address: str | None = None  # the remote's HTTP publish address, shown by 6.x's _remote/info
        self._nodes: list[NodeConnection] = []
        self._lock = threading.Lock()
        self._attempt: _Attempt | None = None
        self._closed = threading.Event()
        self._round_robin = itertools.count()

    @property
    def skip_unavailable(self) -> bool:
        return self.config.skip_unavailable

    # --- public -----------------------------------------------------------------------------

    def request(self, action: str, body: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        """Runs `action` on the remote; its failure comes back as the same EsError."""
        current = self._current()
        if current is not self:
            return current.request(action, body, timeout_s)
        deadline = time.monotonic() + timeout_s
        self.ensure_connected(timeout_s)
        nodes = self._live_nodes()
        if not nodes:
            raise remote_errors.no_such_remote(self.alias)
        node = nodes[next(self._round_robin) % len(nodes)]
        return node.request(action, body, deadline)

    def ensure_connected(self, timeout_s: float) -> None:
        """Connects unless some node is connected; raises Elasticsearch's connect error."""
        current = self._current()
        if current is not self:
            return current.ensure_connected(timeout_s)
        deadline = time.monotonic() + timeout_s
        attempt = self.start_connecting()
        if attempt is None:
            return
        if not attempt.done.wait(remaining(deadline)):
            raise remote_errors.connect_timeout("", self._first_address())
        if attempt.error is not None:
            raise attempt.error

    def start_connecting(self) -> _Attempt | None:
        """Starts a connect round (or joins the running one); None when already connected."""
        if self._live_nodes():
            return None
        with self._lock:
            if self._closed.is_set():
                attempt = _Attempt()
                attempt.error = errors.EsError(500, "already_closed_exception", "connect handler is already closed")
                attempt.done.set()
                return attempt
            if any(not n.closed for n in self._nodes):
                return None  # a round finished meanwhile
            if self._attempt is None or self._attempt.done.is_set():
                self._attempt = _Attempt()
                threading.Thread(target=self._run, args=(self._attempt,), daemon=True,
                                 name=f"remote-connect-{self.alias}").start()
            return self._attempt

    def connected_count(self) -> int:
        return len(self._live_nodes())

    def info(self) -> dict[str, Any]:
        """This alias's entry of `GET _remote/info`: from 7.7 with the connection mode; before, sniff
        fields only, and on 6.x the HTTP addresses of the connected nodes (dropped in 7.0, #29568)."""
        count = self.connected_count()
        cfg = self.config
        version = self.service.cluster.version
        out: dict[str, Any]
        if not version.at_least(PROXY_MODE_SINCE):
            out = {"seeds": list(cfg.seeds)}
            if version.major < 7:
                out["http_addresses"] = [self.http_address] if count and self.http_address else []
            out.update(connected=count > 0, num_nodes_connected=count, max_connections_per_cluster=cfg.node_connections,
                       initial_connect_timeout="30s", skip_unavailable=cfg.skip_unavailable)
            return out
        out = {"connected": count > 0, "mode": cfg.mode}
        if cfg.mode == "sniff":
            out.update(seeds=list(cfg.seeds), num_nodes_connected=count, max_connections_per_cluster=cfg.node_connections)
        else:
            out.update(proxy_address=cfg.proxy_address, server_name=cfg.server_name,
                       num_proxy_sockets_connected=count, max_proxy_socket_connections=cfg.proxy_socket_connections)
        out.update(initial_connect_timeout="30s", skip_unavailable=cfg.skip_unavailable)
        return out

    def disconnect(self) -> None:
        with self._lock:
            nodes, self._nodes = self._nodes, []
        for node in nodes:
            node.close()

    def close(self) -> None:
        self._closed.set()
        self.disconnect()

    def await_link(self, deadline: float, peer: str | None = None) -> None:
        """Honours a fault on the link to the remote: raises LinkRefused, or TimeoutError at the deadline."""
        peer = peer or self.cluster_name
        faults = self.service.cluster.transport.faults
        while peer is not None and (fault := faults.get(peer)) is not None:
            if fault == "refuse":
                raise LinkRefused(peer)
            if time.monotonic() >= deadline:
                raise TimeoutError(peer)
            if self._closed.wait(min(_POLL_S, remaining(deadline))):
                raise ConnectionError("remote connection closed")

    # --- connecting -------------------------------------------------------------------------

    def _current(self) -> "RemoteConnection":
        """This connection, or the one that replaced it: Elasticsearch looks remotes up by alias for
        each request, so a caller holding a replaced connection reaches the new one (or learns that
        the alias is gone)."""
        if not self._closed.is_set():
            return self
        successor = self.service.get(self.alias)
        if successor is self:
            raise remote_errors.no_such_remote(self.alias)
        return successor

    def _live_nodes(self) -> list[NodeConnection]:
        with self._lock:
            self._nodes = [n for n in self._nodes if n.alive()]
            return list(self._nodes)

    def _first_address(self) -> str:
        return self.config.seeds[0] if self.config.mode == "sniff" else self.config.proxy_address

    def _run(self, attempt: _Attempt) -> None:
        try:
            if self.config.mode == "sniff":
                self._connect_sniff()
            else:
                self._connect_proxy()
        except errors.EsError as exc:
            attempt.error = exc
            log.warning("fetching nodes from external cluster [%s] failed: %s", self.alias, exc)
        except Exception as exc:  # noqa: BLE001 - a bug of ours must still end the round for its waiters
            log.exception("connecting to remote cluster [%s] failed", self.alias)
            attempt.error = errors.EsError(500, "es_sandbox_internal_error", f"{type(exc).__name__}: {exc}")
        finally:
            attempt.done.set()

    def _resolve(self, address: str) -> tuple[str, int]:
        host, port = parse_host(address), parse_port(address)
        try:
            resolved = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
        except socket.gaierror as exc:
            raise remote_errors.unknown_host(host, exc.strerror or str(exc)) from None
        return resolved, port

    def _open(self, name: str, address: str) -> tuple[Channel, dict[str, Any]]:
        """Opens a channel to a node and handshakes; raises connect_transport_exception."""
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        host, port = self._resolve(address)
        shown = f"{host}:{port}"
        try:
            self.await_link(deadline, self.service.peer_names.get(shown))
            channel = Channel.open(host, port, self.local_name, remaining(deadline))
        except (LinkRefused, ConnectionRefusedError):
            raise remote_errors.connect_exception(name, shown) from None
        except TimeoutError:
            raise remote_errors.connect_timeout(name, shown) from None
        except OSError as exc:
            raise remote_errors.connect_exception(name, shown, exc.strerror or str(exc)) from None
        try:
            reply = channel.call(HANDSHAKE, {"version": str(self.service.cluster.version)}, remaining(deadline))
        except LinkRefused:
            channel.close()
            raise remote_errors.connect_exception(name, shown) from None
        except TimeoutError:
            channel.close()
            raise remote_errors.handshake_timeout(name, shown) from None
        except (ConnectionError, OSError, TransportProtocolError) as exc:
            channel.close()
            if isinstance(exc, TransportProtocolError):
                log.warning("exception caught on transport layer [%s], closing connection: %s", shown, exc)
            raise remote_errors.handshake_reset(name, shown) from None
        handshake = reply.get("body") or {}
        self._check_version(name, shown, handshake.get("version", "0.0.0"), channel)
        self.service.peer_names[shown] = handshake.get("cluster_name", "")
        return channel, handshake

    def _check_version(self, name: str, address: str, remote_text: str, channel: Channel) -> None:
        """TransportHandshaker's response check on the connecting side: Version.isCompatible holds
        both ways (each side at least the other's minimum wire compatibility version); the refusal
        names the remote's version and this node's own minimum."""
        local, remote = self.service.cluster.version, Version.parse(remote_text)
        if not wire_compatible(local, remote):
            channel.close()
            raise remote_errors.incompatible_version(name, address, str(remote), local.minimum_wire_compatibility)

    def _adopt(self, handshake: dict[str, Any]) -> None:
        if self.cluster_name is None:
            self.cluster_name = handshake.get("cluster_name")
            self.cluster_uuid = handshake.get("cluster_uuid")
            self.version = handshake.get("version")
            self.http_address = handshake.get("node", {}).get("http_address")

    def _add(self, node: RemoteNode, channel: Channel) -> bool:
        with self._lock:
            wanted = not self._closed.is_set() and len(self._nodes) < self._max_connections()
            if wanted and all(n.node.id != node.id for n in self._nodes):
                self._nodes.append(NodeConnection(self, node, channel))
                return True
        return False

    def _max_connections(self) -> int:
        cfg = self.config
        return cfg.node_connections if cfg.mode == "sniff" else cfg.proxy_socket_connections

    def _connect_sniff(self) -> None:
        seeds = self.config.seeds
        for index, seed in enumerate(seeds):
            last = index == len(seeds) - 1
            try:
                if self._sniff(seed):
                    return
            except errors.EsError as exc:
                if last or exc.type not in ("connect_transport_exception", "illegal_state_exception"):
                    raise
                log.debug("fetching nodes from external cluster [%s] failed moving to next seed node: %s", self.alias, exc)
        raise remote_errors.no_seed_left(self.alias)

    def _sniff(self, seed: str) -> bool:
        """Connects through one seed; False when its nodes could not be read (try the next seed)."""
        channel, handshake = self._open("", seed)
        if self.cluster_name is not None and handshake.get("cluster_name") != self.cluster_name:
            channel.close()
            raise remote_errors.cluster_name_mismatch(self.alias, seed, handshake.get("cluster_name"), self.cluster_name)
        self._adopt(handshake)
        try:
            reply = channel.call(STATE_ACTION, {"nodes": True}, CONNECT_TIMEOUT_S)
        except (TimeoutError, ConnectionError, OSError, TransportProtocolError) as exc:
            channel.close()
            log.warning("fetching nodes from external cluster %s failed: %s", self.alias, exc)
            return False
        if "error" in reply:
            channel.close()
            log.warning("fetching nodes from external cluster %s failed: %s", self.alias, reply["error"])
            return False
        seed_node = node_from(handshake["node"]["id"], handshake["node"])
        if not (seed_node.can_be_gateway() and self._add(seed_node, channel)):
            channel.close()  # the seed was only used to read the remote's nodes
        for node_id, raw in (reply.get("body") or {}).get("nodes", {}).items():
            node = node_from(node_id, raw)
            if not node.can_be_gateway() or any(n.node.id == node.id for n in self._live_nodes()):
                continue
            if len(self._live_nodes()) >= self.config.node_connections:
                break
            try:
                node_channel, node_handshake = self._open(node.name, node.address)
            except errors.EsError as exc:
                log.debug("[%s] failed to open managed connection to node [%s]: %s", self.alias, node.name, exc)
                continue
            if not self._add(node_from(node_handshake["node"]["id"], node_handshake["node"]), node_channel):
                node_channel.close()
        if not self._live_nodes():
            raise remote_errors.no_gateway(self.alias)
        return True

    def _connect_proxy(self) -> None:
        address = self.config.proxy_address
        failures: list[errors.EsError] = []
        for _ in range(3):  # ProxyConnectionStrategy's MAX_CONNECT_ATTEMPTS_PER_RUN
            while len(self._live_nodes()) < self.config.proxy_socket_connections and not self._closed.is_set():
                try:
                    channel, handshake = self._open("", address)
                except errors.EsError as exc:
                    failures.append(exc)
                    break
                if self.cluster_name is not None and handshake.get("cluster_name") != self.cluster_name:
                    channel.close()
                    failures.append(remote_errors.proxy_name_mismatch(channel.address, handshake.get("cluster_name")))
                    break
                self._adopt(handshake)
                slot = f"{self.alias}#{channel.address}#{next(self._round_robin)}"
                if not self._add(RemoteNode(slot, "", channel.address, handshake["node"]["roles"]), channel):
                    channel.close()
            if len(self._live_nodes()) >= self.config.proxy_socket_connections:
                return
        if self._live_nodes():
            return
        if any(f.type not in ("connect_transport_exception", "illegal_state_exception") for f in failures):
            raise failures[-1]
        host, port = self._resolve(address)
        raise remote_errors.no_proxy_connection(self.alias, f"{host}:{port}")

