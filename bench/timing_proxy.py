"""An HTTP proxy in front of a cluster that measures how long its clients spend waiting on it.

The runner benchmark points the notebooks at these proxies (through CCR_REMOTE_URL/CCR_LOCAL_URL,
as for real clusters) so that time spent waiting on the clusters is measured outside the kernel,
without changing the code under test. Busy time is the union of the intervals in which at least one
request to any of the proxies sharing a `BusyClock` was in flight, so overlapping requests count once.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "proxy-connection", "upgrade", "te"}


class BusyClock:
    """Seconds during which at least one request was in flight, across every proxy that shares it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight = 0
        self._since = 0.0
        self._busy = 0.0
        self.requests = 0

    def enter(self) -> None:
        with self._lock:
            if self._in_flight == 0:
                self._since = time.monotonic()
            self._in_flight += 1
            self.requests += 1

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._busy += time.monotonic() - self._since

    def busy_s(self) -> float:
        with self._lock:
            extra = time.monotonic() - self._since if self._in_flight else 0.0
            return self._busy + extra


class TimingProxy:
    """Forwards every request to `target` (an http:// URL) and counts the wait on `clock`."""

    def __init__(self, target: str, clock: BusyClock) -> None:
        parts = urlsplit(target)
        upstream = (parts.hostname, parts.port or 80)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's algorithm and the
                # client's delayed ACK add tens of milliseconds to every answer.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                # One upstream connection per client connection, kept alive like the client's own.
                self.upstream = http.client.HTTPConnection(*upstream, timeout=600)

            def finish(self) -> None:
                super().finish()
                self.upstream.close()

            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                clock.enter()
                try:
                    answer, payload = self._ask(body, headers)
                finally:
                    clock.leave()
                self.send_response_only(answer.status, answer.reason)
                for key, value in answer.getheaders():
                    if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def _ask(self, body: bytes | None, headers: dict[str, str]) -> tuple[http.client.HTTPResponse, bytes]:
                try:
                    return self._send(body, headers)
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                    self.upstream.close()  # the cluster closed an idle connection: reconnect once
                    return self._send(body, headers)

            def _send(self, body: bytes | None, headers: dict[str, str]) -> tuple[http.client.HTTPResponse, bytes]:
                self.upstream.request(self.command, self.path, body=body, headers=headers)
                answer = self.upstream.getresponse()
                return answer, answer.read()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

            def log_message(self, *args: object) -> None:  # quiet: the benchmark prints its own figures
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "TimingProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
