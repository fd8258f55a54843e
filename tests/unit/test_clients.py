"""Both client generations behind `Cluster.request`: statuses, HEAD, ndjson, errors, the principal.

A tiny HTTP server answers as a 6.8, 7.10 or 8.19 server would for the calls made here (the root
document the 7.17 client checks, the product header from 7.14), so each client's own request path
runs for real.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from runbook_lib.cluster_parameters import ClusterParameters
from runbook_lib.connection import connect
from runbook_lib.errors import ClusterRequestError


def serve(version: str):
    major, minor = (int(p) for p in version.split(".")[:2])
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def answer(self, status: int, body=None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            if (major, minor) >= (7, 14):
                self.send_header("X-Elastic-Product", "Elasticsearch")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def handle_any(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            seen.append({"method": self.command, "path": self.path, "body": body,
                         "content_type": self.headers.get("content-type"), "opaque": self.headers.get("x-opaque-id")})
            path = self.path.split("?")[0]
            if path == "/":
                return self.answer(200, {"name": "n1", "cluster_name": "c", "cluster_uuid": "U",
                                         "version": {"number": version, "build_flavor": "default"},
                                         "tagline": "You Know, for Search"})
            if path == ("/_xpack/security/_authenticate" if major < 7 else "/_security/_authenticate"):
                return self.answer(200, {"username": "analyst", "authentication_type": "realm"})
            if path == "/exists":
                return self.answer(200)
            if path == "/created":
                return self.answer(201, {"result": "created"})
            if path == "/_bulk":
                return self.answer(200, {"errors": False, "items": [{}] * (body.count("\n") // 2)})
            self.answer(404, {"error": {"root_cause": [], "type": "index_not_found_exception",
                                        "reason": f"no such index [{path}]"}, "status": 404})

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = handle_any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


@pytest.mark.parametrize("version, module", [("6.8.23", "elasticsearch7"), ("7.10.2", "elasticsearch7"),
                                             ("8.19.3", "elasticsearch")])
def test_one_interface_over_both_clients(version, module):
    server, seen = serve(version)
    try:
        cluster = connect(ClusterParameters(role="local", url=f"http://127.0.0.1:{server.server_port}"), "r1", "t")
        assert type(cluster.client).__module__.split(".")[0] == module
        assert (str(cluster.version), cluster.identity.principal) == (version, "analyst")

        assert cluster.request("PUT", "/created", body={"a": 1}).status == 201
        assert (cluster.request("HEAD", "/exists").status, cluster.request("HEAD", "/gone", ignore=(404,)).status) \
            == (200, 404)
        bulk = cluster.request("POST", "/_bulk", body='{"index":{"_index":"i"}}\n{"a":1}\n', params={"refresh": True})
        assert bulk.body == {"errors": False, "items": [{}]}
        with pytest.raises(ClusterRequestError) as raised:
            cluster.request("GET", "/gone/_search")
        assert (raised.value.status, raised.value.error_type) == (404, "index_not_found_exception")
    finally:
        server.shutdown()
    sent = {(s["method"], s["path"]): s for s in seen}
    # The 8.19 client turns it into `application/vnd.elasticsearch+x-ndjson; compatible-with=8` (8.x and 9.x accept it).
    assert "x-ndjson" in sent[("POST", "/_bulk?refresh=true")]["content_type"]
    assert json.loads(sent[("PUT", "/created")]["body"]) == {"a": 1}
    assert all(s["opaque"] == "ccr-runbooks/r1/t" for s in seen)


def test_the_7x_client_refuses_a_server_it_does_not_recognise():
    server, _ = serve("7.10.2")
    try:
        # A 7.10 server without build_flavor "default" (the OSS distribution) is refused by the 7.17 client.
        original = server.RequestHandlerClass.handle_any

        def oss_root(self):
            if self.path == "/":
                data = json.dumps({"cluster_uuid": "U", "version": {"number": "7.10.2", "build_flavor": "oss"},
                                   "tagline": "You Know, for Search"}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            original(self)

        server.RequestHandlerClass.do_GET = oss_root
        with pytest.raises(ClusterRequestError) as raised:
            connect(ClusterParameters(role="remote", url=f"http://127.0.0.1:{server.server_port}"), "r1", "t")
        assert "Elasticsearch" in raised.value.reason
    finally:
        server.shutdown()
