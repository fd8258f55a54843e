"""The HTTP front of a practice cluster: Elasticsearch's headers, media types and error bodies.

Per the version presented: `X-elastic-product: Elasticsearch` on every response from 7.14 (the 8.x
clients refuse a server without it); `compatible-with` media types negotiated from 8.0 (an N.x server
accepts N and N-1, others get `media_type_header_exception`), read as plain JSON by 7.11-7.17, and
refused as an unsupported Content-Type (406) by 6.x-7.10; JSON answered as `application/json`, with
`; charset=UTF-8` before 8.0.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import traceback
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from . import errors
from .rest import MethodNotAllowed, NoHandler, RestRequest, RestResponse, check_unrecognized, filter_path
from .version import Version

if TYPE_CHECKING:
    from .cluster import Cluster

log = logging.getLogger(__name__)

_VND = re.compile(r"application/vnd\.elasticsearch\+(json|x-ndjson|yaml|cbor|smile)\s*;\s*compatible-with\s*=\s*(\d+)", re.I)
# XContentType's registered media types (parameters such as charset are not checked by Elasticsearch).
_PLAIN_TYPES = frozenset({"application/json", "application/x-ndjson", "application/*", "application/smile",
                          "application/cbor", "application/yaml"})
_VENDOR_TYPES = frozenset(f"application/vnd.elasticsearch+{t}" for t in ("json", "x-ndjson", "smile", "cbor", "yaml"))


def _compat_version(header: str | None) -> int | None:
    if not header:
        return None
    match = _VND.search(header)
    return int(match.group(2)) if match else None


def negotiate(request: RestRequest, version: Version) -> int | None:
    """Returns the requested compatible version, or raises Elasticsearch's media-type error.

    Before 8.0 there is nothing to negotiate: 7.11-7.17 drop the `compatible-with` parameter, older
    versions never look at it in Accept and refuse it in Content-Type (check_content_type)."""
    if not version.compatible_with_majors:
        return None
    major = version.major
    accept = request.headers.get("accept")
    content_type = request.headers.get("content-type")
    accept_version = _compat_version(accept)
    content_version = _compat_version(content_type)
    allowed = (major, major - 1)

    def refuse(reason: str) -> errors.EsError:
        return errors.EsError(
            400,
            "media_type_header_exception",
            "Invalid media-type value on headers [Content-Type, Accept]",
            caused_by=errors.status(400, reason),
        )

    if accept_version is not None and accept_version not in allowed:
        raise refuse(
            f"Accept version must be either version {major} or {major - 1}, but found {accept_version}. Accept={accept}"
        )
    if request.has_body and content_version is not None:
        if content_version not in allowed:
            raise refuse(
                f"Content-Type version must be either version {major} or {major - 1}, but found {content_version}. Content-Type={content_type}"
            )
        if accept_version is not None and accept_version != content_version:
            raise refuse(
                "A compatible version is required on both Content-Type and Accept headers if either one has "
                "requested a compatible version and the compatible versions must match. "
                f"Accept={accept}, Content-Type={content_type}"
            )
        if accept_version is None and accept and _VND.search(accept or "") is None and "json" in accept.lower():
            raise refuse(
                "A compatible version is required on both Content-Type and Accept headers if either one has "
                f"requested a compatible version. Accept={accept}, Content-Type={content_type}"
            )
    return accept_version or content_version


def check_content_type(request: RestRequest, version: Version) -> None:
    """RestController: a body needs a Content-Type Elasticsearch can read (406 otherwise)."""
    if not request.body:
        return
    content_type = request.headers.get("content-type")
    if content_type is None:
        raise _ContentTypeRefused(None)
    media_type = content_type.split(";")[0].strip().lower()
    readable = _PLAIN_TYPES | _VENDOR_TYPES if version.compatible_with_majors or version.reads_vendor_media_types \
        else _PLAIN_TYPES
    if media_type not in readable:
        raise _ContentTypeRefused(content_type)


class _ContentTypeRefused(Exception):
    def __init__(self, content_type: str | None) -> None:
        message = "Content-Type header is missing" if content_type is None else f"Content-Type header [{content_type}] is not supported"
        self.response = RestResponse(406, {"error": message, "status": 406})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # A malformed request line (a transport client on the HTTP port) is answered with a status line,
    # as Netty answers it; the stdlib default (HTTP/0.9) would send a bare body.
    default_request_version = "HTTP/1.1"
    server: "SandboxHTTPServer"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def send_response(self, code: int, message: str | None = None) -> None:
        # Elasticsearch sends neither a Server nor a Date header.
        self.send_response_only(code, message)

    def parse_request(self) -> bool:
        words = (self.raw_requestline or b"").split()
        if len(words) == 2:  # no protocol version: Netty refuses it, the stdlib would assume HTTP/0.9
            self.requestline, self.request_version, self.command = "", self.default_request_version, ""
            self.send_error(400)
            return False
        return super().parse_request()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A request Netty could not decode: RestController.dispatchBadRequest's JSON 400."""
        words = (self.raw_requestline or b"").decode("latin-1").rstrip("\r\n").split()
        if code == 414:
            failure = errors.EsError(400, "too_long_http_line_exception", "An HTTP line is larger than 4096 bytes.")
        elif code == 431:
            failure = errors.EsError(400, "too_long_http_header_exception", "HTTP header is larger than 16384 bytes.")
        elif len(words) < 3:
            failure = errors.illegal_argument("text is empty (possibly HTTP/0.9)")
        else:
            failure = errors.illegal_argument(f"invalid version format: {words[2].upper()}")
        payload = json.dumps(failure.body(), separators=(",", ":")).encode()
        self.close_connection = True
        version = self.server.cluster.version
        try:
            self.send_response(400)
            if version.sends_product_header:
                self.send_header("X-elastic-product", "Elasticsearch")
            self.send_header("content-type", version.json_content_type)
            self.send_header("content-length", str(len(payload)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except OSError:
            pass  # the client is gone already

    def _refuse(self, status: int) -> None:
        # Netty's own answers (oversized or unreadable requests): no body, and the connection closes.
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def _read_body(self, max_length: int) -> bytes | None:
        """The request body (chunked or sized, gzip undone), or None once a refusal was sent."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                total += size
                if total > max_length:
                    self._refuse(413)
                    return None
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            body = b"".join(parts)
        else:
            raw_length = self.headers.get("Content-Length") or "0"
            if not raw_length.strip().isdigit():
                self._refuse(400)
                return None
            length = int(raw_length)
            if length > max_length:
                self._refuse(413)
                return None
            body = self.rfile.read(length) if length else b""
            if len(body) < length:  # the client went away mid-body: nothing to answer
                self.close_connection = True
                return None
        if body and (self.headers.get("Content-Encoding") or "").lower() == "gzip":
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            body = inflater.decompress(body, max_length + 1)
            if len(body) > max_length:
                self._refuse(413)
                return None
        return body

    def _serve(self) -> None:
        cluster = self.server.cluster
        try:
            body = self._read_body(cluster.config.http_max_content_length)
        except (ValueError, OSError, EOFError, zlib.error):
            self._refuse(400)
            return
        if body is None:
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = RestRequest.parse(self.command, self.path, headers, body)
        response = cluster.dispatch(request)
        self._write(request, response)

    def _write(self, request: RestRequest, response: RestResponse) -> None:
        version = self.server.cluster.version
        payload, content_type = render(request, response, version.json_content_type)
        self.send_response(response.status)
        if version.sends_product_header:
            self.send_header("X-elastic-product", "Elasticsearch")
        if request.opaque_id:
            self.send_header("X-Opaque-Id", request.opaque_id)
        for key, value in response.headers.items():
            for one in value if isinstance(value, list) else [value]:  # a repeated header (WWW-Authenticate)
                self.send_header(key, one)
        if payload is not None:
            self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload or b"")))
        self.end_headers()
        if request.method != "HEAD" and payload:
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _serve

    def __getattr__(self, name: str) -> Any:
        # Any other method reaches the router too, which answers 405 like RestController.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)


def render(request: RestRequest, response: RestResponse, json_type: str = "application/json") -> tuple[bytes | None, str]:
    body = response.body
    if body is None:
        return None, ""
    if isinstance(body, bytes):
        return body, response.content_type or "application/octet-stream"
    if isinstance(body, str):
        return body.encode(), response.content_type or "text/plain; charset=UTF-8"
    if "filter_path" in request.params:
        body = filter_path(body, request.params["filter_path"])
    pretty = request.params.get("pretty") not in (None, "false")
    text = json.dumps(body, indent=2 if pretty else None, separators=(",", " : ") if pretty else (",", ":"), ensure_ascii=False)
    if pretty:
        text += "\n"
    compat = getattr(request, "compat_version", None)
    content_type = response.content_type or (
        f"application/vnd.elasticsearch+json;compatible-with={compat}" if compat else json_type
    )
    return text.encode("utf-8"), content_type


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], cluster: "Cluster") -> None:
        self.cluster = cluster
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()


def handle(cluster: "Cluster", request: RestRequest) -> RestResponse:
    """Authenticate, negotiate, route, run the handler and map its failure to Elasticsearch's body."""
    try:
        request.compat_version = negotiate(request, cluster.version)  # type: ignore[attr-defined]
        request.principal = cluster.security.authenticate(request)
        route, path_params = cluster.router.resolve(request)
        request.path_params = path_params
        check_content_type(request, cluster.version)
        check_unrecognized(request, route.params)
        result = route.handler(request)
        if isinstance(result, RestResponse):
            return result
        return RestResponse(200, result)
    except errors.EsError as exc:
        return RestResponse(exc.status, exc.body(), headers=dict(exc.headers))
    except (MethodNotAllowed, NoHandler, _ContentTypeRefused) as exc:
        return exc.response
    except Exception as exc:  # a bug of ours: answer as Elasticsearch would for an internal failure
        log.error("unhandled error for %s %s\n%s", request.method, request.path, traceback.format_exc())
        failure = errors.EsError(500, "es_sandbox_internal_error", f"{type(exc).__name__}: {exc}")
        return RestResponse(500, failure.body())


def serve_forever_in_thread(server: SandboxHTTPServer, name: str) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return thread
