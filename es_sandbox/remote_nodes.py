"""The connections to one node of a remote cluster: a small pool of channels, closed as one.

Elasticsearch keeps several channels per remote node; a reset on any of them closes the node's whole
connection (`node_disconnected_exception` for the request in flight). A timed-out channel is
discarded on its own, since the answer could still arrive on it later.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import remote_errors
from .transport import Channel, TransportProtocolError, next_request_id

if TYPE_CHECKING:
    from .remote_connection import RemoteConnection

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 30.0  # transport.connect_timeout
_MAX_IDLE_CHANNELS = 6  # a sniff-mode node connection has 6 regular channels in Elasticsearch


def remaining(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


@dataclass
class RemoteNode:
    id: str
    name: str
    address: str
    roles: list[str]

    def can_be_gateway(self) -> bool:
        """SniffConnectionStrategy's node predicate: a dedicated master is never a gateway node."""
        holds_data = any(r == "data" or r.startswith("data_") for r in self.roles)
        return "master" not in self.roles or holds_data or "ingest" in self.roles


class NodeConnection:
    """The channels to one remote node. A reset on any of them means the node is disconnected."""

    def __init__(self, owner: "RemoteConnection", node: RemoteNode, first: Channel) -> None:
        self.owner = owner
        self.node = node
        self._idle = [first]
        self._lock = threading.Lock()
        self.closed = False

    def alive(self) -> bool:
        with self._lock:
            if not self.closed and any(ch.peer_closed() for ch in self._idle):
                self._close_locked()
            return not self.closed

    def close(self) -> None:
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        self.closed = True
        for channel in self._idle:
            channel.close()
        self._idle.clear()

    def _borrow(self, deadline: float) -> Channel:
        with self._lock:
            if self.closed:
                raise remote_errors.node_not_connected(self.node.name, self.node.address)
            if self._idle:
                return self._idle.pop()
        host, port = self.node.address.rsplit(":", 1)
        try:
            return Channel.open(host, int(port), self.owner.local_name, min(remaining(deadline), CONNECT_TIMEOUT_S))
        except OSError:
            self.close()
            raise remote_errors.node_not_connected(self.node.name, self.node.address) from None

    def _give_back(self, channel: Channel) -> None:
        with self._lock:
            if not self.closed and len(self._idle) < _MAX_IDLE_CHANNELS:
                self._idle.append(channel)
                return
        channel.close()

    def request(self, action: str, body: dict[str, Any], deadline: float) -> dict[str, Any]:
        request_id = next_request_id()
        sent = time.monotonic()
        channel = None
        try:
            self.owner.await_link(deadline)
            channel = self._borrow(deadline)
            reply = channel.call(action, body, remaining(deadline), request_id)
        except TimeoutError:
            if channel is not None:
                channel.close()  # a late answer must not be read as the next request's
            waited = int((time.monotonic() - sent) * 1000)
            raise remote_errors.receive_timeout(self.node.name, self.node.address, action, request_id, waited) from None
        except (ConnectionError, OSError, TransportProtocolError):
            if channel is not None:
                channel.close()
            self.close()
            log.info("transport connection to [%s][%s] of remote [%s] closed", self.node.name, self.node.address, self.owner.alias)
            raise remote_errors.node_disconnected(self.node.name, self.node.address, action) from None
        self._give_back(channel)
        if "error" in reply:
            raise remote_errors.from_reply(reply["error"], int(reply.get("status", 500)))
        return reply.get("body") or {}


def node_from(node_id: str, raw: dict[str, Any]) -> RemoteNode:
    return RemoteNode(node_id, raw.get("name", ""), raw["transport_address"], list(raw.get("roles", [])))
