"""`_delete_by_query` and local `_reindex`: parsing as their REST actions do, then a bulk-by-scroll run
(bulk_by_scroll.py) inline or, with `wait_for_completion=false`, as a task whose result `_tasks` keeps.

Deletes carry the seq_no and primary term the scroll saw, so a document changed since is a version
conflict. Reindex copies documents with their ids; `op_type: create` makes an existing id a conflict.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable

from . import bulk_by_scroll as bbs
from . import errors
from .query_parse import parse_query
from .rest import RestResponse
from .search_service import check_query_string_params
from .search_targets import resolve_indices

if TYPE_CHECKING:
    from .cluster import Cluster
    from .index import Index
    from .rest import RestRequest

DELETE_BY_QUERY_ACTION = "indices:data/write/delete/byquery"
REINDEX_ACTION = "indices:data/write/reindex"
_SCROLL_KEEP_ALIVE_MS = 5 * 60_000
_SOURCE_KEYS = ("index", "query", "size", "_source", "sort", "remote", "slice")
_DEST_KEYS = ("index", "op_type", "version_type", "pipeline", "routing")


def _common(request: "RestRequest", body_max_docs: Any, body_conflicts: Any) -> tuple[int, str, float, int]:
    """max_docs, conflicts, requests_per_second and scroll_size, from the body and the URL."""
    max_docs = request.int_param("max_docs", body_max_docs if body_max_docs is not None else bbs.MAX_DOCS_ALL)
    if not (max_docs == bbs.MAX_DOCS_ALL or max_docs > 0):
        raise errors.action_request_validation(
            "maxDocs should be greater than 0 if the request is limited to some number of documents or -1 if it "
            f"isn't but it was [{max_docs}]")
    conflicts = bbs.parse_conflicts(request.param("conflicts", body_conflicts))
    rps = bbs.parse_requests_per_second(request.param("requests_per_second"))
    slices = request.param("slices")
    if slices not in (None, "1", "auto"):
        raise errors.not_implemented(f"{request.path} with slices")
    return max_docs, conflicts, rps, request.int_param("scroll_size", 1000)


def _indices_shards(indices: list["Index"]) -> list[tuple["Index", int]]:
    return [(index, shard) for index in sorted(indices, key=lambda i: i.name) for shard in range(index.number_of_shards)]


def _auto_slices(request: "RestRequest", indices: list["Index"]) -> None:
    if request.params.get("slices") == "auto" and any(i.number_of_shards > 1 for i in indices):
        raise errors.not_implemented(f"{request.path} with slices")


def _launch(cluster: "Cluster", request: "RestRequest", action: str, description: str, indices: list["Index"],
            options: bbs.Options, write: Callable[[bbs.Status], Callable[[list[dict[str, Any]]], None]],
            refresh: list["Index"], shown: dict[str, bool]) -> RestResponse:
    """Runs the request inline or as a background task (`wait_for_completion=false`)."""
    wait = request.bool_param("wait_for_completion", True)
    refresh_after = request.bool_param("refresh")
    status = bbs.Status()
    manager = cluster.services["tasks"]
    task = manager.register(action, description, True, lambda: status.render(**shown), request.opaque_id)
    readers = cluster.services["readers"]
    reader = readers.open("scroll", _indices_shards(indices), _SCROLL_KEEP_ALIVE_MS)
    views = bbs.frozen_views(cluster, reader)
    context_ids = [c.id for c in reader.contexts]

    def work() -> dict[str, Any]:
        started = time.monotonic()
        try:
            bbs.run(views, options, status, task, write(status))
        finally:
            readers.free_contexts(context_ids)
        if refresh_after:
            for index in refresh:
                index.refresh()
        return status.response(int((time.monotonic() - started) * 1000), **shown)

    if not wait:
        manager.run_in_background(task, work)
        return RestResponse(200, {"task": task.task_id})
    try:
        body = work()
    finally:
        manager.unregister(task)
    return RestResponse(status.http_status(), body)


def _bulk(index: "Index", requests: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """The bulk of one batch: a refused batch (closed index, follower) fails each of its documents."""
    try:
        outcomes = index.write_batch(requests)
    except errors.EsError as refused:
        outcomes = [refused] * len(requests)
    return [(req["id"], outcome) for req, outcome in zip(requests, outcomes)]


# --- _delete_by_query ---------------------------------------------------------------------------


def delete_by_query(cluster: "Cluster", request: "RestRequest") -> RestResponse:
    body = request.json()
    if body is not None and not isinstance(body, dict):
        raise errors.parsing("Expected [START_OBJECT] but found [START_ARRAY]", 1, 1)
    body = dict(body or {})
    max_docs, conflicts = body.pop("max_docs", None), body.pop("conflicts", None)
    if "size" in body:
        raise errors.illegal_argument("invalid parameter [size], use [max_docs] instead")
    for key in body:
        if key != "query":
            raise errors.not_implemented(f"_delete_by_query body [{key}]")
    if request.param("q") is not None:
        raise errors.not_implemented("search parameter q")
    check_query_string_params(request)
    if "from" in request.params:
        raise errors.action_request_validation("from is not supported in this context")
    if "query" not in body:
        raise errors.action_request_validation("query is missing")
    query = parse_query(body["query"], ("query",), body, request.body)
    max_docs, conflicts, rps, scroll_size = _common(request, max_docs, conflicts)
    indices = resolve_indices(cluster, request, DELETE_BY_QUERY_ACTION)
    _auto_slices(request, indices)
    by_name = {i.name: i for i in indices}

    def write(status: bbs.Status) -> Callable[[list[dict[str, Any]]], None]:
        def delete(hits: list[dict[str, Any]]) -> None:
            for name in dict.fromkeys(h["_index"] for h in hits):
                batch = [{"op": "delete", "id": h["_id"], "if_seq_no": h["_seq_no"],
                          "if_primary_term": h["_primary_term"]} for h in hits if h["_index"] == name]
                bbs.record(status, by_name[name], _bulk(by_name[name], batch), conflicts)
        return delete

    names = ", ".join(i.name for i in indices) if indices else "all indices"
    return _launch(cluster, request, DELETE_BY_QUERY_ACTION, f"delete-by-query [{names}]", indices,
                   bbs.Options(query, conflicts, scroll_size, max_docs, rps), write, indices,
                   {"updated": False, "created": False})


# --- _reindex -----------------------------------------------------------------------------------


def _object(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    value = body.get(key)
    if not isinstance(value, dict):
        raise errors.x_content_parse(f"[reindex] {key} doesn't support values of type: VALUE_STRING")
    for name in value:
        if name not in allowed:
            raise errors.x_content_parse(f"[{key}] unknown field [{name}]")
    return value


def reindex(cluster: "Cluster", request: "RestRequest") -> RestResponse:
    body = request.json(required=True)
    if not isinstance(body, dict):
        raise errors.parsing("Expected [START_OBJECT] but found [START_ARRAY]", 1, 1)
    for key in body:
        if key not in ("source", "dest", "conflicts", "max_docs", "script"):
            raise errors.x_content_parse(f"[reindex] unknown field [{key}]")
    if "script" in body:
        raise errors.not_implemented("_reindex with a script")
    source = _object(body, "source", _SOURCE_KEYS) if "source" in body else {}
    dest = _object(body, "dest", _DEST_KEYS) if "dest" in body else {}
    for unsupported in ("remote", "slice", "sort", "_source"):
        if unsupported in source:
            raise errors.not_implemented(f"_reindex source [{unsupported}]")
    if dest.get("version_type", "internal") != "internal" or dest.get("pipeline") or dest.get("routing"):
        raise errors.not_implemented("_reindex dest version_type, pipeline and routing")
    op_type = dest.get("op_type", "index")
    if op_type not in ("index", "create"):
        raise errors.illegal_argument(f"opType must be 'create' or 'index', found: [{op_type}]")
    sources = source.get("index")
    sources = ",".join(sources) if isinstance(sources, list) else sources
    problems = []
    if not sources:
        problems.append("use _all if you really want to copy from all existing indexes")
    if not dest.get("index"):
        problems.append("index must be specified")
    if problems:
        raise errors.action_request_validation(*problems)
    query = parse_query(source["query"], ("source", "query"), body, request.body) if "query" in source else None
    max_docs, conflicts, rps, _ = _common(request, body.get("max_docs"), body.get("conflicts"))
    scroll_size = int(source.get("size", 1000))
    indices = resolve_indices(cluster, request, "indices:data/read/search", expression=sources)
    if dest["index"] in {i.name for i in indices} or any(dest["index"] in i.aliases for i in indices):
        raise errors.action_request_validation(f"reindex cannot write into an index its reading from [{dest['index']}]")
    cluster.security.authorize_indices(request.principal, "indices:data/write/index", [dest["index"]])
    target = cluster.resolve_write_index(dest["index"])

    def write(status: bbs.Status) -> Callable[[list[dict[str, Any]]], None]:
        def copy(hits: list[dict[str, Any]]) -> None:
            batch = [{"op": op_type, "id": h["_id"], "source": h["_source"]} for h in hits]
            bbs.record(status, target, _bulk(target, batch), conflicts)
        return copy

    names = ", ".join(i.name for i in indices) if indices else "all indices"
    return _launch(cluster, request, REINDEX_ACTION, f"reindex from [{names}] to [{dest['index']}]", indices,
                   bbs.Options(query, conflicts, scroll_size, max_docs, rps), write, [target],
                   {"updated": True, "created": True})
