"""The transport layer between practice clusters: one listening socket per node, framed messages.

A frame is `b"ES"`, a 4-byte big-endian length, then a JSON payload, so that, as with
Elasticsearch, a transport client that reaches an HTTP port reads `HTTP` where it expects `ES` and
fails with "invalid internal transport message format", and an HTTP client that reaches a
transport port is told "This is not an HTTP port".

Requests: `{"id", "action", "body", "from_cluster"}`; responses: `{"id", "body"}` or
`{"id", "error": <EsError fragment with status>}`. Actions are registered by name
(`internal:tcp/handshake`, `cluster:monitor/state`, `indices:data/read/xpack/ccr/shard_changes`, ...).

Faults (`faults[peer cluster] = "refuse" | "blackhole"`) cut the link to a peer: a refused peer's
connections are closed and any message from it is answered with a refusal (what a TCP reset is to
Elasticsearch); a blackholed peer's messages are swallowed until the link is healed.

The client side is `Channel`: one socket to a peer node carrying one request at a time; callers
keep several per node (see remote_connection.py) so that a long poll does not hold up others.
"""

from __future__ import annotations

import itertools
import json
import logging
import select
import socket
import struct
import threading
from typing import TYPE_CHECKING, Any, Callable

from . import errors

if TYPE_CHECKING:
    from .cluster import Cluster
    from .config import NodeConfig

log = logging.getLogger(__name__)

_HTTP_METHODS = (b"GET ", b"POST", b"PUT ", b"HEAD", b"DELE", b"OPTI", b"PATC", b"TRAC", b"CONN")
HANDSHAKE = "internal:tcp/handshake"
_FAULT_POLL_S = 0.05

Action = Callable[[dict[str, Any], dict[str, Any]], Any]  # (body, context) -> response body

_request_ids = itertools.count(1)


def next_request_id() -> int:
    return next(_request_ids)


class TransportProtocolError(Exception):
    """Raised when the peer does not speak the transport protocol (an HTTP port used as a seed)."""


class LinkRefused(ConnectionError):
    """Raised when the peer refuses our cluster because the link between the two is cut."""


def send_frame(sock: socket.socket, message: dict[str, Any]) -> None:
    # The trailing newline is JSON whitespace to a transport peer, but ends the request line for an
    # HTTP server, which then answers at once (HTTP/1.1 400) instead of waiting for more input.
    payload = json.dumps(message, separators=(",", ":")).encode() + b"\n"
    sock.sendall(b"ES" + struct.pack(">I", len(payload)) + payload)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            raise ConnectionError("connection closed by peer")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def recv_frame(sock: socket.socket) -> dict[str, Any]:
    header = _recv_exact(sock, 6)
    if header[:2] != b"ES":
        raise TransportProtocolError(
            "invalid internal transport message format, got ("
            + ",".join(format(b, "x") for b in header[:4])
            + ")"
        )
    (length,) = struct.unpack(">I", header[2:])
    return json.loads(_recv_exact(sock, length))


class Channel:
    """One client socket to a peer node's transport address, carrying one request at a time."""

    def __init__(self, sock: socket.socket, address: str, from_cluster: str) -> None:
        self.sock = sock
        self.address = address
        self.from_cluster = from_cluster

    @classmethod
    def open(cls, host: str, port: int, from_cluster: str, timeout_s: float) -> "Channel":
        """Raises ConnectionRefusedError, TimeoutError or OSError (unknown host: socket.gaierror)."""
        sock = socket.create_connection((host, port), timeout=max(timeout_s, 0.001))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(sock, f"{host}:{port}", from_cluster)

    def call(self, action: str, body: dict[str, Any], timeout_s: float, request_id: int | None = None) -> dict[str, Any]:
        """Sends a request and returns the response frame (`body` or `error`).

        Raises TimeoutError, ConnectionError (LinkRefused when the peer refuses us), OSError or
        TransportProtocolError; after any of them the channel must be closed.
        """
        rid = request_id if request_id is not None else next_request_id()
        self.sock.settimeout(max(timeout_s, 0.001))
        send_frame(self.sock, {"id": rid, "action": action, "body": body, "from_cluster": self.from_cluster})
        reply = recv_frame(self.sock)
        if reply.get("fault") == "refuse":
            raise LinkRefused(f"{self.address} refused the connection")
        return reply

    def peer_closed(self) -> bool:
        """Whether an idle channel was closed by its peer (or holds unexpected data), without blocking."""
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
            if not readable:
                return False
            return True  # EOF, a reset, or bytes nobody asked for: the channel is unusable either way
        except (OSError, ValueError):
            return True

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class TransportService:
    """Listens on every node's transport address and answers registered actions."""

    def __init__(self, cluster: "Cluster") -> None:
        self.cluster = cluster
        self.actions: dict[str, Action] = {HANDSHAKE: self._handshake}
        self.sockets: list[socket.socket] = []
        self.faults: dict[str, str] = {}  # peer cluster name -> "refuse" | "blackhole"
        self._incoming: dict[str, set[socket.socket]] = {}  # peer cluster name -> open connections
        self._incoming_lock = threading.Lock()
        cluster.listeners.append(self._on_event)

    def register(self, action: str, handler: Action) -> None:
        self.actions[action] = handler

    def start(self) -> None:
        for node in self.cluster.config.nodes:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((node.transport_host, node.transport_port))
            sock.listen(64)
            self.sockets.append(sock)
            threading.Thread(target=self._accept, args=(sock, node), daemon=True, name=f"transport-{node.name}").start()

    def stop(self) -> None:
        for sock in self.sockets:
            try:
                sock.close()
            except OSError:
                pass
        with self._incoming_lock:
            connections = [c for conns in self._incoming.values() for c in conns]
        for conn in connections:
            _shutdown(conn)

    def _on_event(self, event: str, payload: Any) -> None:
        # A refused peer sees its open connections reset, as after a TCP RST.
        if event == "link_cut" and self.faults.get(payload) == "refuse":
            with self._incoming_lock:
                connections = list(self._incoming.get(payload, ()))
            for conn in connections:
                _shutdown(conn)

    def _accept(self, listener: socket.socket, node: "NodeConfig") -> None:
        while not self.cluster.stopping.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn, node), daemon=True).start()

    def _serve(self, conn: socket.socket, node: "NodeConfig") -> None:
        peer = None
        with conn:
            try:
                first = conn.recv(4, socket.MSG_PEEK)
                if first[:4] in _HTTP_METHODS:
                    body = b"This is not an HTTP port"
                    conn.sendall(
                        b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=UTF-8\r\n"
                        + f"content-length: {len(body)}\r\n\r\n".encode() + body
                    )
                    return
                while True:
                    message = recv_frame(conn)
                    if peer is None:
                        peer = message.get("from_cluster") or ""
                        self._track(peer, conn, add=True)
                    fault = self.faults.get(peer)
                    if fault == "refuse":
                        send_frame(conn, {"id": message.get("id"), "fault": "refuse"})
                        return
                    if fault == "blackhole":
                        self._hold(peer)  # the message is lost; the caller times out
                        return
                    send_frame(conn, self._answer(message, node))
            except (ConnectionError, OSError, TransportProtocolError, json.JSONDecodeError):
                return
            finally:
                if peer is not None:
                    self._track(peer, conn, add=False)

    def _track(self, peer: str, conn: socket.socket, add: bool) -> None:
        with self._incoming_lock:
            if add:
                self._incoming.setdefault(peer, set()).add(conn)
            else:
                self._incoming.get(peer, set()).discard(conn)

    def _hold(self, peer: str) -> None:
        while self.faults.get(peer) == "blackhole" and not self.cluster.stopping.wait(_FAULT_POLL_S):
            pass

    def _answer(self, message: dict[str, Any], node: "NodeConfig") -> dict[str, Any]:
        action = self.actions.get(message.get("action", ""))
        context = {"node": node, "from_cluster": message.get("from_cluster")}
        try:
            if action is None:
                raise errors.EsError(400, "action_not_found_transport_exception", f"No handler for action [{message.get('action')}]")
            return {"id": message.get("id"), "body": action(message.get("body") or {}, context)}
        except errors.EsError as exc:
            fragment = exc.fragment()
            return {"id": message.get("id"), "error": fragment, "status": exc.status}
        except Exception as exc:  # noqa: BLE001 - a handler bug is reported to the caller, not fatal
            log.exception("transport action %s failed", message.get("action"))
            return {"id": message.get("id"), "error": {"type": "es_sandbox_internal_error", "reason": str(exc)}, "status": 500}

    def _handshake(self, body: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
        node: NodeConfig = context["node"]
        cfg = self.cluster.config
        return {
            "cluster_name": cfg.name,
            "cluster_uuid": cfg.cluster_uuid,
            "version": str(self.cluster.version),
            "node": {"id": node.id, "name": node.name, "roles": node.roles, "transport_address": node.transport_address,
                     "http_address": cfg.http_url.removeprefix("http://")},
        }


def _shutdown(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
