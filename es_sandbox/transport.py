"""The transport layer between practice clusters: one listening socket per node, framed messages.

A frame is `b"ES"`, a 4-byte big-endian length, then a JSON payload, so that, as with
Elasticsearch, a transport client that reaches an HTTP port reads `HTTP` where it expects `ES` and
fails with "invalid internal transport message format", and an HTTP client that reaches a
transport port is told "This is not an HTTP port".

Requests: `{"id", "action", "body", "from_cluster"}`; responses: `{"id", "body"}` or
`{"id", "error": <EsError fragment with status>}`. Actions are registered by name
(`internal:tcp/handshake`, `cluster:monitor/state`, `indices:data/read/xpack/ccr/shard_changes`, ...).
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from . import errors

if TYPE_CHECKING:
    from .cluster import Cluster
    from .config import NodeConfig

log = logging.getLogger(__name__)

_HTTP_METHODS = (b"GET ", b"POST", b"PUT ", b"HEAD", b"DELE", b"OPTI", b"PATC", b"TRAC", b"CONN")
HANDSHAKE = "internal:tcp/handshake"

Action = Callable[[dict[str, Any], dict[str, Any]], Any]  # (body, context) -> response body


class TransportProtocolError(Exception):
    """Raised when the peer does not speak the transport protocol (an HTTP port used as a seed)."""


def send_frame(sock: socket.socket, message: dict[str, Any]) -> None:
    payload = json.dumps(message, separators=(",", ":")).encode()
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


class TransportService:
    """Listens on every node's transport address and answers registered actions."""

    def __init__(self, cluster: "Cluster") -> None:
        self.cluster = cluster
        self.actions: dict[str, Action] = {HANDSHAKE: self._handshake}
        self.sockets: list[socket.socket] = []
        self.faults: dict[str, str] = {}  # peer cluster name -> "refuse" | "blackhole"

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

    def _accept(self, listener: socket.socket, node: "NodeConfig") -> None:
        while not self.cluster.stopping.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn, node), daemon=True).start()

    def _serve(self, conn: socket.socket, node: "NodeConfig") -> None:
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
                    peer = message.get("from_cluster")
                    fault = self.faults.get(peer or "")
                    if fault == "refuse":
                        return  # the link is cut: drop the connection
                    if fault == "blackhole":
                        time.sleep(3600)  # requests vanish; the caller times out
                        return
                    send_frame(conn, self._answer(message, node))
            except (ConnectionError, OSError, TransportProtocolError, json.JSONDecodeError):
                return

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
            "node": {"id": node.id, "name": node.name, "roles": node.roles, "transport_address": node.transport_address},
        }
