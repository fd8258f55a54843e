"""`_search` and `_count` as Elasticsearch's REST actions and coordinating node run them.

The body and URL parameters are parsed by search_request.py (parse errors first, as RestSearchAction
parses before it validates); SearchRequest.validate()'s checks for scrolls and points in time follow,
all reported together. The shards searched are frozen at their last refresh, so a document indexed
since is not found yet. Points in time and scrolls are handled by search_contexts.py.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from . import errors
from .jsonloc import locate
from .query_parse import parse_query
from .search import execute
from .search_request import ACCURATE, SearchRequest, parse_search_request
from .search_targets import resolve_indices, shard_views

if TYPE_CHECKING:
    from .cluster import Cluster
    from .rest import RestRequest

SEARCH_ACTION = "indices:data/read/search"
_QUERY_STRING_PARAMS = ("df", "analyzer", "analyze_wildcard", "lenient", "default_operator")
_INDICES_OPTION_DEFAULTS = {"ignore_unavailable": "false", "allow_no_indices": "true", "expand_wildcards": "open",
                            "ignore_throttled": "true"}
_SEARCH_TYPES = ("query_then_fetch", "dfs_query_then_fetch")
_NOT_EMULATED_PARAMS = ("terminate_after", "explain", "stored_fields", "docvalue_fields", "suggest_field",
                        "suggest_text", "suggest_mode", "suggest_size", "min_score")


def check_query_string_params(request: "RestRequest") -> None:
    """RestActions.urlParamsToQueryBuilder: `df` and friends only mean something next to `q`."""
    if request.param("q") is not None:
        return
    unconsumed = [p for p in _QUERY_STRING_PARAMS if request.param(p) is not None]
    if unconsumed:
        raise errors.illegal_argument(f"request [{request.path}] contains parameters [{', '.join(unconsumed)}] but "
                                      "missing query string parameter 'q'.")


def parse_body(request: "RestRequest") -> dict[str, Any]:
    body = request.json()
    return body if body is not None else {}


def _number(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def validate(request: "RestRequest", body: dict[str, Any], scroll: bool, shard_doc: bool = True) -> None:
    """SearchRequest.validate(): every problem at once, in Elasticsearch's order."""
    params = request.params
    problems = []
    from_ = _number(params.get("from", body.get("from", 0)))
    size = _number(params.get("size", body.get("size", 10)))
    search_after = body.get("search_after")
    if scroll:
        tracked = params.get("track_total_hits", body.get("track_total_hits"))
        if tracked is not None and tracked not in (True, "true", -1, "-1"):
            problems.append("disabling [track_total_hits] is not allowed in a scroll context")
        if from_ > 0:
            problems.append("using [from] is not allowed in a scroll context")
        if size == 0:
            problems.append("[size] cannot be [0] in a scroll context")
        if search_after:
            problems.append("[search_after] cannot be used in a scroll context")
        if params.get("request_cache") in ("", "true"):
            problems.append("[request_cache] cannot be used in a scroll context")
    if from_ > 0 and search_after:
        problems.append("[from] parameter must be set to 0 when [search_after] is used")
    if "pit" in body:
        if scroll:
            problems.append("using [point in time] is not allowed in a scroll context")
        if request.path_params.get("index"):
            problems.append("[indices] cannot be used with point in time. Do not specify any index with point in time.")
        if any(k in params and params[k] != v for k, v in _INDICES_OPTION_DEFAULTS.items()):
            problems.append("[indicesOptions] cannot be used with point in time")
        if "routing" in params:
            problems.append("[routing] cannot be used with point in time")
        if "preference" in params:
            problems.append("[preference] cannot be used with point in time")
    elif shard_doc and "_shard_doc" in _sort_names(body.get("sort")) + _sort_names(params.get("sort")):
        problems.append("[_shard_doc] sort field cannot be used without [point in time]")
    if problems:
        raise errors.action_request_validation(*problems)


def _sort_names(sort: Any) -> list[str]:
    if isinstance(sort, str):
        return [part.partition(":")[0] for part in sort.split(",")]
    items = sort if isinstance(sort, list) else [sort] if sort is not None else []
    return [item if isinstance(item, str) else next(iter(item), "") for item in items if isinstance(item, (str, dict))]


def parse(request: "RestRequest", body: dict[str, Any], max_result_window: int = 10_000,
          scroll: bool = False, shard_doc: bool = True) -> SearchRequest:
    """The validated search request of a `_search` call."""
    for name in _NOT_EMULATED_PARAMS:
        if name in request.params:
            raise errors.not_implemented(f"search parameter {name}")
    search_type = request.param("search_type")
    if search_type is not None and search_type not in _SEARCH_TYPES:
        raise errors.illegal_argument(f"No search type for [{search_type}]")
    try:
        parsed = parse_search_request(body, request.params, max_result_window, raw=request.body, shard_doc=shard_doc)
    except errors.EsError as exc:
        if exc.type != "action_request_validation_exception":
            raise
        validate(request, body, scroll, shard_doc)  # the engine's own checks are among these: report them all
        raise
    check_query_string_params(request)
    validate(request, body, scroll, shard_doc)
    return parsed


def respond(result: dict[str, Any], started: float, **ids: str) -> dict[str, Any]:
    """SearchResponse's layout: ids first, then took, timed_out, _shards, hits, aggregations."""
    out: dict[str, Any] = {key: value for key, value in ids.items() if value is not None}
    out["took"] = int((time.monotonic() - started) * 1000)
    out["timed_out"] = False
    out["_shards"] = result["_shards"]
    out["hits"] = result["hits"]
    if "aggregations" in result:
        out["aggregations"] = result["aggregations"]
    return out


def search(cluster: "Cluster", request: "RestRequest", parsed: SearchRequest) -> dict[str, Any]:
    """A search of indices (no point in time, no scroll)."""
    started = time.monotonic()
    indices = resolve_indices(cluster, request, SEARCH_ACTION)
    views = shard_views(cluster, indices, request.param("routing"))
    return respond(execute(parsed, views, now_millis=int(time.time() * 1000)), started)


def count(cluster: "Cluster", request: "RestRequest") -> dict[str, Any]:
    """`_count`: RestCountAction's body is `{"query": ...}` and nothing else."""
    for name in ("terminate_after", "min_score"):
        if name in request.params:
            raise errors.not_implemented(f"_count parameter {name}")
    body = request.json()
    query = None
    if body is not None:
        if not isinstance(body, dict):
            kind = "START_ARRAY" if isinstance(body, list) else "VALUE_STRING"
            raise errors.parsing(f"Expected [START_OBJECT] but found [{kind}]", 1, 1)
        for key in body:
            if key != "query":
                line, col = locate(request.body, body, (key,), key=True)
                raise errors.parsing(f"request does not support [{key}]", line, col)
        if "query" in body:
            query = parse_query(body["query"], ("query",), body, request.body)
    if request.param("q") is not None:
        raise errors.not_implemented("search parameter q")
    check_query_string_params(request)
    indices = resolve_indices(cluster, request, SEARCH_ACTION)
    views = shard_views(cluster, indices, request.param("routing"))
    result = execute(SearchRequest(query=query, size=0, track_total_hits=ACCURATE), views,
                     now_millis=int(time.time() * 1000))
    return {"count": result["hits"]["total"]["value"], "_shards": result["_shards"]}
