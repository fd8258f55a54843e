"""Points in time and scrolls: searches over shards frozen when the reader was opened.

A point in time's id names its shard contexts; a search with `pit` reads each shard at the context's
refresh point, whatever has been written or refreshed since. A context that is gone (closed,
expired, its index closed or deleted) is a shard failure, search_context_missing_exception; when
all are gone the search fails with 404, as Elasticsearch's does.

A scroll keeps its request and a cursor: the sort values of the last hit returned. Its order is
the request's sort (score by default) with the shard and the document as tiebreaker, so each round
is a `search_after` over the same frozen shards and returns every document exactly once. The total
is counted on the first round only; later rounds stream from the cursor.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from typing import TYPE_CHECKING, Any

from . import errors, json_body
from .reader_ids import ShardRef, decode_pit_id, decode_scroll_id, encode_pit_id, encode_scroll_id
from .readers import Reader, ShardContext, context_missing, time_param
from .search import execute
from .search_request import SearchRequest, SortSpec
from .search_service import respond
from .search_targets import ShardView, resolve_indices, shard_views
from .version import Version

if TYPE_CHECKING:
    from .cluster import Cluster
    from .readers import Readers
    from .rest import RestRequest

OPEN_PIT_ACTION = "indices:data/read/open_point_in_time"
_PIT_SHARDS_HEADER_SINCE = Version.parse("8.16.0")
_SESSION = uuid.uuid4().hex[:22]  # the node's search session, part of every scroll id


def _readers(cluster: "Cluster") -> "Readers":
    return cluster.services["readers"]


def _keep_alive_failures(cluster: "Cluster", views: list[ShardView], keep_alive_ms: int) -> None:
    """checkKeepAliveLimit runs on every shard: too long a keep-alive fails them all."""
    try:
        _readers(cluster).check_keep_alive(keep_alive_ms)
    except errors.EsError as cause:
        if views:
            raise errors.all_shards_failed([(v.shard_id, v.index, v.node_id, cause) for v in views]) from None


def _views(cluster: "Cluster", contexts: list[ShardContext], positions: dict[int, int]) -> list[ShardView]:
    return [ShardView(cluster, c.index, c.shard_id, positions[c.id], c.seq_no, c.node_id) for c in contexts]


def _with_failures(result: dict[str, Any], failures: list[dict[str, Any]]) -> dict[str, Any]:
    """The engine's _shards header, counting the contexts that were already gone."""
    if failures:
        header = result["_shards"]
        header["total"] += len(failures)
        header["failed"] += len(failures)
        header["failures"] = header.get("failures", []) + failures
    return result


# --- point in time ------------------------------------------------------------------------------


def open_pit(cluster: "Cluster", request: "RestRequest") -> dict[str, Any]:
    keep_alive = request.param("keep_alive")
    if keep_alive is None:
        raise errors.action_request_validation("[keep_alive] is not specified")
    keep_alive_ms = time_param(keep_alive, "keep_alive")
    body = request.json()
    if isinstance(body, dict) and body:
        unknown = [k for k in body if k != "index_filter"]
        if unknown:
            raise errors.x_content_parse(f"[open_point_in_time_request] unknown field [{unknown[0]}]")
        raise errors.not_implemented("_pit index_filter")
    request.param("preference")
    request.bool_param("allow_partial_search_results")
    indices = resolve_indices(cluster, request, OPEN_PIT_ACTION)
    views = shard_views(cluster, indices, request.param("routing"))
    _keep_alive_failures(cluster, views, keep_alive_ms)
    reader = _readers(cluster).open("pit", [(v.source_index, v.shard_id) for v in views], keep_alive_ms)
    refs = [ShardRef(c.index.name, c.index.uuid, c.shard_id, c.node_id, c.id, c.seq_no) for c in reader.contexts]
    out: dict[str, Any] = {"id": encode_pit_id(refs)}
    if cluster.version >= _PIT_SHARDS_HEADER_SINCE:
        out["_shards"] = {"total": len(views), "successful": len(views), "skipped": 0, "failed": 0}
    return out


def close_pit(cluster: "Cluster", request: "RestRequest") -> tuple[int, dict[str, Any]]:
    """ClosePointInTimeRequest.fromXContent's checks, then the contexts freed (404 when none)."""
    if not request.has_body:
        raise errors.EsError(400, "parse_exception", "request body or source parameter is required")
    body = request.json()
    if not isinstance(body, dict):
        raise errors.illegal_argument("Malformed content, must start with an object")
    pit_id = None
    for key, value in body.items():
        if key != "id":
            raise errors.illegal_argument(f"Unknown parameter [{key}] in request body or parameter is of the wrong "
                                          f"type[{json_body.token_name(value)}] ")
        if isinstance(value, (dict, list)):
            raise errors.illegal_argument("the request must contain only [id field")
        pit_id = "" if value is None else str(value)
    if not pit_id:
        raise errors.illegal_argument("search context id is is not provided")
    refs = decode_pit_id(pit_id)
    freed = _readers(cluster).free_contexts([r.context_id for r in refs])
    return (200 if freed else 404), {"succeeded": True, "num_freed": freed}


def search_pit(cluster: "Cluster", request: "RestRequest", parsed: SearchRequest) -> dict[str, Any]:
    started = time.monotonic()
    pit = parsed.pit if isinstance(parsed.pit, dict) else {}
    pit_id = pit.get("id")
    if not isinstance(pit_id, str) or not pit_id:
        raise errors.x_content_parse("Required [id]")
    refs = decode_pit_id(pit_id)
    readers = _readers(cluster)
    found, missing = readers.lookup([r.context_id for r in refs])
    positions = {r.context_id: n for n, r in enumerate(refs)}
    views = _views(cluster, found, positions)
    if pit.get("keep_alive") is not None:
        keep_alive_ms = time_param(str(pit["keep_alive"]), "keep_alive")
        _keep_alive_failures(cluster, views, keep_alive_ms)
        readers.renew(found, keep_alive_ms)
    gone = [(r.shard_id, r.index, r.node_id, context_missing(r.context_id)) for r in refs if r.context_id in missing]
    if gone and not views:
        raise errors.all_shards_failed(gone)
    for view in views:
        cluster.security.authorize_indices(request.principal, "indices:data/read/search", [view.index])
    result = execute(parsed, views, now_millis=int(time.time() * 1000))
    return respond(_with_failures(result, [errors.shard_failure(*g) for g in errors.group_shard_failures(gone)]),
                   started, pit_id=pit_id)


# --- scroll -------------------------------------------------------------------------------------


def _scroll_order(parsed: SearchRequest) -> tuple[SearchRequest, str]:
    """The request a scroll runs each round, and how its hits' sort values are shown.

    A scroll sorted by `_doc` alone reads shard after shard (`_shard_doc`), which streams; any other
    order gets the shard and document as tiebreaker, so a cursor names one position exactly.
    """
    sort = parsed.sort or []
    if [(s.field, s.ascending) for s in sort] == [("_doc", True)]:
        return dataclasses.replace(parsed, sort=[SortSpec("_shard_doc", True)]), "doc"
    if not sort:
        return dataclasses.replace(parsed, sort=[SortSpec("_score", False), SortSpec("_shard_doc", True)]), "none"
    return dataclasses.replace(parsed, sort=[*sort, SortSpec("_shard_doc", True)]), "user"


def _show_sort(hits: list[dict[str, Any]], shown: str) -> None:
    for hit in hits:
        values = hit.pop("sort")
        if shown == "doc":
            hit["sort"] = [values[0] & 0xFFFFFFFF]
        elif shown == "user":
            hit["sort"] = values[:-1]


def start_scroll(cluster: "Cluster", request: "RestRequest", parsed: SearchRequest, keep_alive: str) -> dict[str, Any]:
    started = time.monotonic()
    keep_alive_ms = time_param(keep_alive, "scroll")
    indices = resolve_indices(cluster, request, "indices:data/read/search")
    views = shard_views(cluster, indices, request.param("routing"))
    _keep_alive_failures(cluster, views, keep_alive_ms)
    _check_batch_size(parsed, views)
    internal, shown = _scroll_order(parsed)
    reader = _readers(cluster).open("scroll", [(v.source_index, v.shard_id) for v in views], keep_alive_ms)
    result = execute(dataclasses.replace(internal, track_total_hits=-1), views, now_millis=int(time.time() * 1000))
    hits = result["hits"]["hits"]
    total = result["hits"]["total"]
    reader.state.update(request=dataclasses.replace(internal, aggs=[], track_total_hits=None, from_=0),
                        after=hits[-1]["sort"] if hits else None, shown=shown,
                        total=total if isinstance(total, dict) else {"value": total, "relation": "eq"},
                        positions={c.id: n for n, c in enumerate(reader.contexts)})
    _show_sort(hits, shown)
    refs = [ShardRef(c.index.name, c.index.uuid, c.shard_id, c.node_id, c.id) for c in reader.contexts]
    return respond(result, started, _scroll_id=encode_scroll_id(_SESSION, refs))


def _check_batch_size(parsed: SearchRequest, views: list[ShardView]) -> None:
    failures = []
    for view in views:
        if parsed.size > view.max_result_window:
            failures.append((view.shard_id, view.index, view.node_id, errors.java_exception(
                "illegal_argument_exception", f"Batch size is too large, size must be less than or equal to: "
                f"[{view.max_result_window}] but was [{parsed.size}]. Scroll batch sizes cost as much memory as result "
                "windows so they are controlled by the [index.max_result_window] index level setting.")))
    if failures:
        raise errors.all_shards_failed(failures)


def continue_scroll(cluster: "Cluster", scroll_id: str, keep_alive: str | None, total_as_int: bool) -> dict[str, Any]:
    started = time.monotonic()
    context_ids = decode_scroll_id(scroll_id)
    readers = _readers(cluster)
    found, missing = readers.lookup(context_ids)
    gone = [context_missing(i) for i in missing]
    if not found:
        raise _scroll_failed(gone or [context_missing(0)])
    reader: Reader = readers.reader_of(found[0].id)  # type: ignore[assignment]
    if keep_alive is not None:
        keep_alive_ms = time_param(keep_alive, "scroll")
        readers.check_keep_alive(keep_alive_ms)
        readers.renew(found, keep_alive_ms)
    with reader.lock:
        state = reader.state
        request = dataclasses.replace(state["request"], search_after=state["after"])
        if state["after"] is None:
            request = dataclasses.replace(request, size=0)
        result = execute(request, _views(cluster, found, state["positions"]), now_millis=int(time.time() * 1000))
        hits = result["hits"]["hits"]
        if hits:
            state["after"] = hits[-1]["sort"]
        _show_sort(hits, state["shown"])
    total = state["total"]
    result["hits"]["total"] = total["value"] if total_as_int and isinstance(total, dict) else total
    result["hits"] = {"total": result["hits"]["total"], **{k: v for k, v in result["hits"].items() if k != "total"}}
    failures = [{"shard": -1, "index": None, "reason": g.fragment()} for g in gone]
    return respond(_with_failures(result, failures), started, _scroll_id=scroll_id)


def _scroll_failed(causes: list[errors.EsError]) -> errors.EsError:
    """All contexts gone: the failures name no shard (`-1`) and no index, as a scroll's do."""
    failure = errors.all_shards_failed([(-1, "", "", cause) for cause in causes])
    failure.metadata["failed_shards"] = [{"shard": -1, "index": None, "reason": c.fragment()} for c in causes]
    return failure


def clear_scrolls(cluster: "Cluster", scroll_ids: list[str]) -> tuple[int, dict[str, Any]]:
    if not scroll_ids:
        raise errors.action_request_validation("no scroll ids specified")
    readers = _readers(cluster)
    if "_all" in scroll_ids:
        freed = readers.free_all("scroll")
    else:
        freed = readers.free_contexts([i for scroll_id in scroll_ids for i in decode_scroll_id(scroll_id)])
    return (200 if freed else 404), {"succeeded": True, "num_freed": freed}
