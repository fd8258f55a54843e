"""`_bulk`: newline-delimited actions, each succeeding or failing on its own, results in order."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .. import errors
from ..rest import RestRequest
from .documents_api import apply_refresh, update_document, write_response

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..index import Index

_ACTIONS = ("index", "create", "update", "delete")
_META_KEYS = {"_index", "_id", "routing", "if_seq_no", "if_primary_term", "version", "version_type", "pipeline",
              "require_alias", "retry_on_conflict", "dynamic_templates", "op_type", "_source"}
_STATUS = {"created": 201, "updated": 200, "deleted": 200, "not_found": 404, "noop": 200}


def parse_actions(request: RestRequest, default_index: str | None) -> list[dict[str, Any]]:
    lines = request.body.split(b"\n")
    if lines and lines[-1].strip():
        raise errors.illegal_argument("The bulk request must be terminated by a newline [\\n]")
    actions: list[dict[str, Any]] = []
    i = 0
    from ..rest import parse_json  # noqa: PLC0415

    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            continue
        meta_line = parse_json(line)
        if not isinstance(meta_line, dict) or len(meta_line) != 1:
            raise errors.illegal_argument(f"Malformed action/metadata line [{i}], expected START_OBJECT or END_OBJECT but found [VALUE_STRING]")
        kind, meta = next(iter(meta_line.items()))
        if kind not in _ACTIONS:
            raise errors.illegal_argument(
                f"Malformed action/metadata line [{i}], expected field [create], [delete], [index] or [update] but found [{kind}]"
            )
        if not isinstance(meta, dict):
            raise errors.illegal_argument(f"Malformed action/metadata line [{i}], expected START_OBJECT but found [VALUE_STRING]")
        unknown = [k for k in meta if k not in _META_KEYS]
        if unknown:
            raise errors.illegal_argument(f"Action/metadata line [{i}] contains an unknown parameter [{unknown[0]}]")
        action = {"kind": kind, "meta": meta, "index": meta.get("_index", default_index), "line": i}
        if kind != "delete":
            while i < len(lines) and not lines[i].strip():
                i += 1
            if i >= len(lines):
                raise errors.action_request_validation(f"source is missing for [{kind}] at line [{i}]")
            action["source_raw"] = lines[i]
            i += 1
        actions.append(action)
    if not actions:
        raise errors.action_request_validation("no requests added")
    missing = [n for n, a in enumerate(actions) if a["index"] is None]
    if missing:
        raise errors.action_request_validation(*["index is missing" for _ in missing])
    return actions


def register(cluster: "Cluster") -> None:
    route = cluster.router.route
    auth = cluster.security

    @route(("POST", "PUT"), "/_bulk", params=("refresh", "routing", "timeout", "pipeline", "wait_for_active_shards",
                                              "require_alias", "require_data_stream", "_source", "_source_includes",
                                              "_source_excludes", "list_executed_pipelines"))
    @route(("POST", "PUT"), "/{index}/_bulk", params=("refresh", "routing", "timeout", "pipeline", "wait_for_active_shards",
                                                      "require_alias", "require_data_stream", "_source", "_source_includes",
                                                      "_source_excludes", "list_executed_pipelines"))
    def bulk(request: RestRequest):
        started = time.monotonic()
        actions = parse_actions(request, request.path_params.get("index"))
        items: list[dict[str, Any] | None] = [None] * len(actions)
        touched: dict[str, tuple["Index", list]] = {}
        run: list[int] = []

        def flush_run() -> None:
            if not run:
                return
            index = actions[run[0]]["resolved"]
            outcomes = index.write_batch([actions[p]["request"] for p in run])
            for position, outcome in zip(run, outcomes):
                items[position] = _item(actions[position], index, outcome)
                if not isinstance(outcome, errors.EsError):
                    touched.setdefault(index.name, (index, []))[1].append(outcome)
            run.clear()

        for position, action in enumerate(actions):
            try:
                index = _target(cluster, request, action)
                source = None
                if "source_raw" in action:
                    from ..rest import parse_json  # noqa: PLC0415

                    source = parse_json(action["source_raw"])
                meta = action["meta"]
                if action["kind"] == "update":
                    flush_run()
                    outcome = update_document(index, str(meta.get("_id")), source, meta.get("routing"),
                                              meta.get("if_seq_no"), meta.get("if_primary_term"))
                    if isinstance(outcome, dict):
                        items[position] = {"update": {**outcome, "status": 200}}
                    else:
                        items[position] = _item(action, index, outcome)
                        touched.setdefault(index.name, (index, []))[1].append(outcome)
                    continue
                action["resolved"] = index
                action["request"] = {
                    "op": action["kind"], "id": str(meta["_id"]) if meta.get("_id") is not None else None,
                    "source": source, "routing": meta.get("routing"),
                    "if_seq_no": meta.get("if_seq_no"), "if_primary_term": meta.get("if_primary_term"),
                }
                if run and actions[run[0]]["resolved"] is not index:
                    flush_run()
                run.append(position)
            except errors.EsError as exc:
                flush_run()
                items[position] = _item(action, None, exc)
        flush_run()
        refresh = request.param("refresh")
        for index, results in touched.values():
            apply_refresh(index, refresh, results)
        return {
            "errors": any("error" in next(iter(item.values())) for item in items if item),
            "took": int((time.monotonic() - started) * 1000),
            "items": items,
        }


def _target(cluster: "Cluster", request: RestRequest, action: dict[str, Any]) -> "Index":
    name = action["index"]
    auto_create = action["kind"] != "delete" and action["kind"] != "update"
    index = cluster.resolve_write_index(name, auto_create=auto_create)
    privilege = {"index": "indices:data/write/index", "create": "indices:data/write/index",
                 "delete": "indices:data/write/delete", "update": "indices:data/write/update"}[action["kind"]]
    cluster.security.authorize_indices(request.principal, privilege, [index.name])
    index.check_writable()
    return index


def _item(action: dict[str, Any], index: "Index | None", outcome: Any) -> dict[str, Any]:
    kind = action["kind"]
    if isinstance(outcome, errors.EsError):
        meta = action["meta"]
        return {kind: {"_index": index.name if index else action["index"], "_id": meta.get("_id"),
                       "status": outcome.status, "error": outcome.fragment()}}
    body = write_response(index, outcome)
    body["status"] = _STATUS[outcome.result]
    return {kind: body}
