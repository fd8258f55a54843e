"""The exceptions Elasticsearch reports for remote cluster connections, with its exact messages.

Transport exceptions name the node as `[name][address]` (a seed node has an empty name) and, for a
request, the action: `[name][address][action] ...`. None of them sets a REST status, so all are 500,
except `no_such_remote_cluster_exception` (a ResourceNotFoundException: 404).
"""

from __future__ import annotations

from typing import Any

from . import errors

CONNECT_TIMEOUT = "30s"  # transport.connect_timeout, also the handshake timeout


def no_such_remote(alias: str) -> errors.EsError:
    return errors.EsError(404, "no_such_remote_cluster_exception", f"no such remote cluster: [{alias}]")


def _connect(name: str, address: str, what: str, caused_by: errors.EsError | None = None) -> errors.EsError:
    return errors.EsError(500, "connect_transport_exception", f"[{name}][{address}] {what}", caused_by=caused_by)


def connect_exception(name: str, address: str, detail: str = "Connection refused") -> errors.EsError:
    # Netty's AbstractChannel$AnnotatedConnectException, a plain Java exception: root_cause stops above it.
    cause = errors.java_exception("annotated_connect_exception", f"{detail}: /{address}")
    return _connect(name, address, "connect_exception", cause)


def connect_timeout(name: str, address: str) -> errors.EsError:
    return _connect(name, address, f"connect_timeout[{CONNECT_TIMEOUT}]")


def handshake_timeout(name: str, address: str) -> errors.EsError:
    return _connect(name, address, f"handshake_timeout[{CONNECT_TIMEOUT}]")


def handshake_reset(name: str, address: str) -> errors.EsError:
    cause = errors.EsError(500, "transport_exception", "handshake failed because connection reset")
    return _connect(name, address, "general node connection failure", cause)


def incompatible_version(name: str, address: str, version: str, minimum: str) -> errors.EsError:
    cause = errors.java_exception(
        "illegal_state_exception", f"Received message from unsupported version: [{version}] minimal compatible version is: [{minimum}]"
    )
    return _connect(name, address, "general node connection failure", cause)


def cluster_name_mismatch(alias: str, address: str, found: str, expected: str) -> errors.EsError:
    return errors.EsError(
        500, "illegal_state_exception",
        f"handshake with [{{{alias}#{address}}}] failed: remote cluster name [{found}] does not match "
        f"expected remote cluster name [{expected}]",
    )


def proxy_name_mismatch(address: str, found: str) -> errors.EsError:
    return _connect("", address, f"handshake failed. unexpected remote cluster name Cluster [{found}]")


def unknown_host(host: str, detail: str) -> errors.EsError:
    cause = errors.java_exception("unknown_host_exception", f"{host}: {detail}")
    return errors.illegal_argument(f"unknown host [{host}]", caused_by=cause)


def no_seed_left(alias: str) -> errors.EsError:
    return errors.EsError(500, "no_seed_node_left_exception", f"no seed node left for cluster: [{alias}]")


def no_proxy_connection(alias: str, address: str) -> errors.EsError:
    return errors.EsError(
        500, "no_seed_node_left_exception", f"Unable to open any proxy connections to cluster [{alias}] at address [{address}]"
    )


def no_gateway(alias: str) -> errors.EsError:
    return errors.EsError(500, "illegal_state_exception", f"Unable to open any connections to remote cluster [{alias}]")


def receive_timeout(name: str, address: str, action: str, request_id: int, waited_ms: int) -> errors.EsError:
    return errors.EsError(
        500, "receive_timeout_transport_exception",
        f"[{name}][{address}][{action}] request_id [{request_id}] timed out after [{waited_ms}ms]",
    )


def node_disconnected(name: str, address: str, action: str) -> errors.EsError:
    return errors.EsError(500, "node_disconnected_exception", f"[{name}][{address}][{action}] disconnected")


def node_not_connected(name: str, address: str) -> errors.EsError:
    return errors.EsError(500, "node_not_connected_exception", f"[{name}][{address}] Node not connected")


def from_reply(fragment: dict[str, Any], status: int) -> errors.EsError:
    """The remote's exception, raised here with the same status, type, reason, cause and metadata."""
    rest = dict(fragment)
    kind = rest.pop("type", "exception")
    reason = rest.pop("reason", None)
    cause = rest.pop("caused_by", None)
    rest.pop("root_cause", None)
    caused_by = from_reply(cause, status) if isinstance(cause, dict) else None
    metadata = {k.replace(".", "__"): v for k, v in rest.items()}
    return errors.EsError(status, kind, reason, caused_by=caused_by, **metadata)
