"""`_bulk`: newline-delimited actions, each succeeding or failing on its own, results in order.

Lines are read as BulkRequestParser (8.x) reads them: every newline ends a line and blank lines still
count, the line after an index/create/update action is its document whatever it holds, an action
left without a document at the end is dropped, and a body not ending with a newline is refused.
A malformed action line or update line fails the whole request; a bad document fails its item.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .. import errors, json_body, mapping_types
from ..index_admin import deprecation_headers, write_shards
from ..rest import RestRequest, RestResponse, parse_json
from .documents_api import (apply_refresh, long_param, parse_update, require_alias, update_document, update_problems, write_problems,
                            write_request, write_response)

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..index import Index

_ACTIONS = ("create", "delete", "index", "update")
_META_KEYS = {"_index", "_id", "routing", "op_type", "version", "version_type", "if_seq_no", "if_primary_term",
              "retry_on_conflict", "pipeline", "_source", "require_alias", "require_data_stream",
              "list_executed_pipelines", "dynamic_templates"}
_STATUS = {"created": 201, "updated": 200, "deleted": 200, "not_found": 404, "noop": 200}
TYPES_WARNING = "[types removal] Specifying types in bulk requests is deprecated."
_PARAMS = ("refresh", "routing", "timeout", "pipeline", "wait_for_active_shards", "require_alias", "require_data_stream",
           "_source", "_source_includes", "_source_excludes", "list_executed_pipelines", "include_source_on_error")


def _action_line(line: bytes, number: int, meta_keys: set[str] = _META_KEYS) -> tuple[str, dict[str, Any]] | None:
    parsed = parse_json(line) if line.strip() else None
    if parsed is None and not line.strip():
        return None
    if not isinstance(parsed, dict):
        raise errors.illegal_argument(f"Malformed action/metadata line [{number}], expected START_OBJECT but found [{json_body.token_name(parsed)}]")
    if not parsed:
        raise errors.illegal_argument(f"Malformed action/metadata line [{number}], expected FIELD_NAME but found [END_OBJECT]")
    kind, meta = next(iter(parsed.items()))  # further keys are ignored in 8.x (with a deprecation warning)
    if kind not in _ACTIONS:
        raise errors.illegal_argument(
            f"Malformed action/metadata line [{number}], expected field [create], [delete], [index] or [update] but found [{kind}]")
    if not isinstance(meta, dict):
        raise errors.illegal_argument(
            f"Malformed action/metadata line [{number}], expected START_OBJECT or END_OBJECT but found [{json_body.token_name(meta)}]")
    for key, value in meta.items():
        if isinstance(value, list) or (isinstance(value, dict) and key not in ("_source", "dynamic_templates")):
            raise errors.illegal_argument(f"Malformed action/metadata line [{number}], expected a simple value for field "
                                          f"[{key}] but found [{json_body.token_name(value)}]")
        if key not in meta_keys:
            raise errors.illegal_argument(f"Action/metadata line [{number}] contains an unknown parameter [{key}]")
    if kind == "update" and (meta.get("version") is not None or meta.get("version_type") not in (None, "internal")):
        raise errors.illegal_argument("Update requests do not support versioning. Please use `if_seq_no` and `if_primary_term` instead")
    return kind, meta


def parse_actions(body: bytes, default_index: str | None, default_routing: str | None,
                  types: str | None = None, default_type: str | None = None) -> list[dict[str, Any]]:
    """`types`: None from 8.0 (`_type` is unknown), "optional" on 7.x, "required" on 6.x."""
    meta_keys = _META_KEYS | {"_type"} if types else _META_KEYS
    lines = body.split(b"\n")
    if lines[-1]:
        raise errors.illegal_argument("The bulk request must be terminated by a newline [\\n]")
    lines.pop()
    actions: list[dict[str, Any]] = []
    number = 0
    while number < len(lines):
        parsed = _action_line(lines[number], number + 1, meta_keys)
        number += 1
        if parsed is None:
            continue
        kind, meta = parsed
        action = {"kind": kind, "meta": meta, "index": meta.get("_index", default_index),
                  "routing": meta.get("routing", default_routing), "type": meta.get("_type", default_type)}
        if kind != "delete":
            if number >= len(lines):
                break  # an action without its document line is dropped, as the incremental parser does
            raw = lines[number][:-1] if lines[number].endswith(b"\r") else lines[number]
            number += 1
            action["source_raw"] = raw
            if kind == "update":
                action["update"] = parse_update(raw, parse_json(raw) if raw.strip() else None)
        actions.append(action)
    # BulkRequest.validate: every item's own validation, all reported together.
    problems = [] if actions else ["no requests added"]
    for action in actions:
        meta = action["meta"]
        if action["index"] is None:
            problems.append("index is missing")
        if types == "required" and action["type"] is None:
            problems.append("type is missing")
        if action["kind"] == "update":
            problems.extend(update_problems(action["update"]))
        else:
            action["op"] = "create" if action["kind"] == "create" or meta.get("op_type") == "create" else action["kind"]
            doc_id = str(meta["_id"]) if meta.get("_id") is not None else None
            problems.extend(write_problems(action["op"], doc_id, meta))
    if problems:
        raise errors.action_request_validation(*problems)
    return actions


def register(cluster: "Cluster") -> None:
    route = cluster.router.route

    version = cluster.version
    types = ("required" if version.has_mapping_types else "optional") if version.returns_doc_type else None

    if version.returns_doc_type:  # 6.x; 7.x with a deprecation warning
        @route(("POST", "PUT"), "/{index}/{type}/_bulk", params=_PARAMS)
        def typed_bulk(request: RestRequest):
            return bulk(request)

    @route(("POST", "PUT"), "/_bulk", params=_PARAMS)
    @route(("POST", "PUT"), "/{index}/_bulk", params=_PARAMS)
    def bulk(request: RestRequest):
        started = time.monotonic()
        if not request.body:
            raise errors.EsError(400, "parse_exception", "request body is required")
        actions = parse_actions(request.body, request.path_params.get("index"), request.param("routing"),
                                types, request.path_params.get("type"))
        refresh = request.param("refresh")
        if refresh not in (None, "", "true", "false", "wait_for"):
            raise errors.illegal_argument(f"Unknown value for refresh: [{refresh}].")
        items = _Run(cluster, request).execute(actions)
        body = {
            "errors": any("error" in next(iter(item.values())) for item in items),
            "took": int((time.monotonic() - started) * 1000),
            "items": items,
        }
        # 7.x: RestBulkAction (a type in the path) and BulkRequestParser (`_type` in a line) warn alike.
        if types == "optional" and any(action["type"] is not None for action in actions):
            return RestResponse(200, body, headers=deprecation_headers(cluster, [TYPES_WARNING]))
        return body


class _Run:
    """Executes parsed actions; consecutive writes to one index go to Index.write_batch together."""

    def __init__(self, cluster: "Cluster", request: RestRequest) -> None:
        self.cluster = cluster
        self.request = request
        self.items: list[dict[str, Any] | None] = []
        self.touched: dict[str, tuple["Index", list]] = {}
        self.pending: list[tuple[int, dict[str, Any], dict[str, Any]]] = []  # (position, action, write)
        self.pending_index: "Index | None" = None
        # Per request, as a bulk resolves them once: target indices and each shard's `_shards` header.
        self.targets: dict[tuple[Any, ...], "Index"] = {}
        self.headers: dict[tuple[str, int], dict[str, int]] = {}

    def execute(self, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.items = [None] * len(actions)
        for position, action in enumerate(actions):
            try:
                index = self._target(action)
                meta = action["meta"]
                typed = self.cluster.version.has_mapping_types or action["type"] is not None
                if typed and action["kind"] != "delete":
                    mapping_types.adopt(index, mapping_types.resolve_for_write(index, action["type"] or "_doc"))
                if action["kind"] == "update":
                    self._flush()
                    outcome = update_document(index, str(meta.get("_id")), action["update"], action["routing"],
                                              long_param(meta.get("if_seq_no"), "if_seq_no"),
                                              long_param(meta.get("if_primary_term"), "if_primary_term"))
                    self._record(position, action, index, outcome)
                    continue
                source = None
                if action["kind"] != "delete":
                    source = parse_json(action["source_raw"]) if action["source_raw"].strip() else _EMPTY
                doc_id = str(meta["_id"]) if meta.get("_id") is not None else None
                write = write_request(action["op"], doc_id, source, action["routing"],
                                      {k: meta.get(k) for k in ("version", "version_type", "if_seq_no", "if_primary_term")})
                if source is _EMPTY:
                    raise errors.EsError(400, "document_parsing_exception", "[0:0] failed to parse, document is empty")
                if self.pending_index is not index:
                    self._flush()
                self.pending_index = index
                self.pending.append((position, action, write))
            except errors.EsError as exc:
                self._flush()
                self.items[position] = self._failure(action, exc)
        self._flush()
        refresh = self.request.param("refresh")
        for index, results in self.touched.values():
            apply_refresh(index, refresh, results)
        return self.items  # type: ignore[return-value]

    def _target(self, action: dict[str, Any]) -> "Index":
        name = action["index"]
        aliased = action["meta"].get("require_alias", self.request.param("require_alias")) in (True, "", "true")
        key = (name, action["kind"], aliased)
        index = self.targets.get(key)
        if index is None:
            if aliased:
                require_alias(self.cluster, name, "true")
            # Deletes never create an index; index, create and update (which may upsert) do.
            index = self.cluster.resolve_write_index(name, auto_create=action["kind"] != "delete")
            privilege = "indices:data/write/" + {"create": "index"}.get(action["kind"], action["kind"])
            self.cluster.security.authorize_indices(self.request.principal, privilege, [index.name])
            self.targets[key] = index
        index.check_writable()
        return index

    def _flush(self) -> None:
        if not self.pending:
            return
        index, batch = self.pending_index, self.pending
        self.pending, self.pending_index = [], None
        outcomes = index.write_batch([write for _, _, write in batch])  # type: ignore[union-attr]
        for (position, action, write), outcome in zip(batch, outcomes):
            if write.get("auto_id"):
                action["meta"] = {**action["meta"], "_id": write["id"]}
            self._record(position, action, index, outcome)  # type: ignore[arg-type]

    def _record(self, position: int, action: dict[str, Any], index: "Index", outcome: Any) -> None:
        kind = action["kind"]
        if isinstance(outcome, errors.EsError):
            self.items[position] = self._failure(action, outcome, index)
        elif isinstance(outcome, dict):  # an update that changed nothing
            doc_type = mapping_types.doc_type(self.cluster, index)
            self.items[position] = {kind: {**mapping_types.with_type(outcome, doc_type), "status": 200}}
        else:
            header = self.headers.get((index.uuid, outcome.shard))
            if header is None:
                header = self.headers[(index.uuid, outcome.shard)] = write_shards(self.cluster, index, outcome.shard)
            body = write_response(self.cluster, index, outcome, self.request.param("refresh") in ("", "true"), header)
            body["status"] = _STATUS[outcome.result]
            if not self.cluster.version.has_mapping_types and action["type"] is not None:
                body["_type"] = action["type"]  # 7.x echoes the item's type
            self.items[position] = {kind: body}
            self.touched.setdefault(index.name, (index, []))[1].append(outcome)


    def _failure(self, action: dict[str, Any], exc: errors.EsError, index: "Index | None" = None) -> dict[str, Any]:
        meta = action["meta"]
        doc_id = str(meta["_id"]) if meta.get("_id") is not None else None
        body = {"_index": index.name if index else action["index"], "_id": doc_id, "status": exc.status, "error": exc.fragment()}
        if self.cluster.version.returns_doc_type:  # BulkItemResponse.Failure names the item's type (6.x, 7.x)
            body = mapping_types.with_type(body, action["type"] or "_doc")
        return {action["kind"]: body}


_EMPTY = object()
