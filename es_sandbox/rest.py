"""Requests, responses and routing, as Elasticsearch's REST layer has them.

Routing prefers literal path segments over placeholders (Elasticsearch's path trie does), a path that
matches with another method answers 405, and an unknown path answers 400 with a plain string error.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from . import errors, json_body
from .suggest import unrecognized

# Parameters every endpoint accepts (the REST layer consumes them before the handler).
COMMON_PARAMS = frozenset({"pretty", "human", "error_trace", "filter_path", "format", "source", "source_content_type"})


@dataclass
class RestRequest:
    method: str
    raw_path: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    path_params: dict[str, str] = field(default_factory=dict)
    principal: Any = None
    opaque_id: str | None = None
    consumed: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, method: str, target: str, headers: dict[str, str], body: bytes) -> "RestRequest":
        split = urllib.parse.urlsplit(target)
        params: dict[str, str] = {}
        for key, value in urllib.parse.parse_qsl(split.query, keep_blank_values=True):
            params[key] = value
        path = split.path or "/"
        return cls(method, target, path, params, headers, body, opaque_id=headers.get("x-opaque-id"))

    def param(self, name: str, default: str | None = None) -> str | None:
        self.consumed.add(name)
        return self.params.get(name, default)

    def bool_param(self, name: str, default: bool = False) -> bool:
        value = self.param(name)
        if value is None:
            return default
        if value in ("", "true"):
            return True
        if value == "false":
            return False
        raise errors.illegal_argument(
            f"Failed to parse value [{value}] as only [true] or [false] are allowed."
        )

    def int_param(self, name: str, default: int | None = None) -> int | None:
        value = self.param(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise errors.illegal_argument(
                f"Failed to parse int parameter [{name}] with value [{value}]"
            ) from None

    @property
    def has_body(self) -> bool:
        return len(self.body) > 0 or "source" in self.params

    def json(self, required: bool = False) -> Any:
        raw = self.body
        if not raw and "source" in self.params:
            raw = self.params["source"].encode()
        if not raw.strip():
            if required:
                raise errors.EsError(400, "parse_exception", "request body is required")
            return None
        return parse_json(raw)

    def json_map(self, required: bool = False) -> dict[str, Any]:
        """The body read with XContentParser.map(): a body that is not an object reads as empty."""
        body = self.json(required)
        return body if isinstance(body, dict) else {}

    def ndjson(self) -> list[tuple[int, Any]]:
        lines = []
        for number, line in enumerate(self.body.split(b"\n"), start=1):
            if line.strip():
                lines.append((number, parse_json(line)))
        return lines


_JAVA_TYPES = {str: "java.lang.String", int: "java.lang.Integer", float: "java.lang.Double", bool: "java.lang.Boolean",
               list: "java.util.ArrayList"}


def as_map(value: Any) -> dict[str, Any]:
    """A body part Elasticsearch casts to a Map: anything else fails as the JVM's ClassCastException."""
    if isinstance(value, dict):
        return value
    java = _JAVA_TYPES.get(type(value), "java.lang.Object")
    raise errors.EsError(500, "class_cast_exception", f"class {java} cannot be cast to class java.util.Map ({java} and "
                                                      "java.util.Map are in module java.base of loader 'bootstrap')")


def parse_json(raw: bytes) -> Any:
    """A JSON body as Elasticsearch's parser reads it; its errors are Elasticsearch's (see json_body)."""
    return json_body.parse(raw)


@dataclass
class RestResponse:
    status: int = 200
    body: Any = None  # dict/list -> JSON, str -> text/plain, None -> empty
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None


Handler = Callable[[RestRequest], RestResponse | dict | list | str | None]


@dataclass
class Route:
    method: str
    segments: tuple[str, ...]
    handler: Handler
    params: frozenset[str] | None  # None: any parameter accepted

    def match(self, parts: list[str]) -> dict[str, str] | None:
        if len(parts) != len(self.segments):
            return None
        found: dict[str, str] = {}
        for pattern, part in zip(self.segments, parts):
            if pattern.startswith("{"):
                if not part:
                    return None
                found[pattern[1:-1]] = part
            elif pattern != part:
                return None
        return found

    def specificity(self) -> tuple[int, ...]:
        return tuple(0 if s.startswith("{") else 1 for s in self.segments)


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, methods: str | Iterable[str], path: str, handler: Handler, params: Iterable[str] | None = None) -> None:
        segments = tuple(s for s in path.strip("/").split("/") if s) if path != "/" else ()
        for method in [methods] if isinstance(methods, str) else methods:
            self.routes.append(Route(method, segments, handler, frozenset(params) if params is not None else None))

    def route(self, methods: str | Iterable[str], path: str, params: Iterable[str] | None = None):
        def register(handler: Handler) -> Handler:
            self.add(methods, path, handler, params)
            return handler

        return register

    def resolve(self, request: RestRequest) -> tuple[Route, dict[str, str]]:
        # Segments are split before decoding, so an id holding an encoded "/" stays one segment.
        trimmed = request.path.strip("/")
        parts = [urllib.parse.unquote(p) for p in trimmed.split("/")] if trimmed else []
        candidates = [(r, m) for r in self.routes if (m := r.match(parts)) is not None]
        # An explicit HEAD route wins; otherwise HEAD is served by the GET route, as in Elasticsearch.
        same = [(r, m) for r, m in candidates if r.method == request.method]
        if not same and request.method == "HEAD":
            same = [(r, m) for r, m in candidates if r.method == "GET"]
        if same:
            route, found = max(same, key=lambda rm: rm[0].specificity())
            return route, found
        if candidates:
            methods = {r.method for r, _ in candidates} | ({"HEAD"} if any(r.method == "GET" for r, _ in candidates) else set())
            allowed = [m for m in _METHOD_ORDER if m in methods]  # RestRequest.Method's EnumSet order
            raise MethodNotAllowed(request, allowed)
        raise NoHandler(request)


_METHOD_ORDER = ("GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE", "CONNECT")


class MethodNotAllowed(Exception):
    def __init__(self, request: RestRequest, allowed: list[str]) -> None:
        self.response = RestResponse(
            405,
            {
                "error": f"Incorrect HTTP method for uri [{request.raw_path}] and method [{request.method}], allowed: [{', '.join(allowed)}]",
                "status": 405,
            },
            headers={"Allow": ",".join(allowed)},
        )


class NoHandler(Exception):
    def __init__(self, request: RestRequest) -> None:
        self.response = RestResponse(
            400,
            {"error": f"no handler found for uri [{request.raw_path}] and method [{request.method}]", "status": 400},
        )


def check_unrecognized(request: RestRequest, accepted: frozenset[str] | None) -> None:
    """BaseRestHandler's refusal of query parameters the endpoint does not know, with "did you mean"."""
    if accepted is None:
        return
    unknown = [k for k in request.params if k not in accepted and k not in COMMON_PARAMS]
    if unknown:
        raise errors.illegal_argument(unrecognized(request.path, unknown, accepted, "parameter"))


def filter_path(body: Any, spec: str) -> Any:
    """`filter_path=hits.hits._id,took`: keep only the named paths (with `*` and `**` wildcards)."""
    patterns = [p.split(".") for p in spec.split(",") if p]

    def keep(node: Any, pats: list[list[str]]) -> Any:
        if isinstance(node, list):
            kept = [keep(item, pats) for item in node]
            return [k for k in kept if k is not _DROP]
        if not isinstance(node, dict):
            return node if any(len(p) == 0 for p in pats) else _DROP
        out = {}
        for key, value in node.items():
            sub: list[list[str]] = []
            whole = False
            for p in pats:
                if not p:
                    whole = True
                    continue
                if p[0] == "**":
                    sub.append(p)
                    sub.append(p[1:])
                elif (p[0] == key) if "*" not in p[0] else re.fullmatch(p[0].replace("*", ".*"), key):
                    if len(p) == 1:
                        whole = True
                    else:
                        sub.append(p[1:])
            if whole:
                out[key] = value
            elif sub:
                kept = keep(value, sub)
                if kept is not _DROP and kept != {} and kept != []:
                    out[key] = kept
        return out if out else _DROP

    result = keep(body, patterns)
    return {} if result is _DROP else result


_DROP = object()
