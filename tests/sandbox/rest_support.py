"""Plain-HTTP helpers for the REST conformance tests: exact status, headers and body, as a user sees them."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass
class Answer:
    status: int
    body: Any  # parsed JSON, or the raw bytes when the body is not JSON (or empty)
    headers: Any
    raw: bytes


def call(base: str, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
         content_type: str | None = "application/json", headers: dict[str, str] | None = None) -> Answer:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None and content_type:
        request.add_header("Content-Type", content_type)
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            status, payload, got = resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as exc:
        status, payload, got = exc.code, exc.read(), exc.headers
    try:
        parsed: Any = json.loads(payload) if payload else payload
    except ValueError:
        parsed = payload
    return Answer(status, parsed, got, payload)


def ndjson(*items: Any) -> bytes:
    return b"".join(json.dumps(item).encode() + b"\n" for item in items)


def address(base: str) -> tuple[str, int]:
    host, port = base.split("//", 1)[1].rsplit(":", 1)
    return host, int(port)


def raw_exchange(base: str, data: bytes, *, read: bool = True, timeout: float = 10.0, half_close: bool = False) -> bytes:
    """Sends bytes on a fresh connection and reads one response (headers and content-length body);
    `half_close` ends the sending side, so a server waiting for more bytes sees the end of input."""
    with socket.create_connection(address(base), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        if not read:
            return b""
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                return received
            if not chunk:
                return received
            received += chunk
            head, sep, rest = received.partition(b"\r\n\r\n")
            if sep:
                lengths = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
                if not lengths or len(rest) >= int(lengths[0].split(b":")[1]):
                    return received


def error(status: int, type_: str, reason: str, **metadata: Any) -> dict[str, Any]:
    """Elasticsearch's error body when the root cause is the error itself."""
    fragment = {"type": type_, "reason": reason, **metadata}
    return {"error": {"root_cause": [dict(fragment)], **fragment}, "status": status}
