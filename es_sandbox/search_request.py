"""Parsing a search request (body and URL parameters) as Elasticsearch's coordinating node does.

Errors raised here are top-level 400s. Checks Elasticsearch makes on each shard (result window,
sort fields, search_after values) are made by `search.execute`, which reports them as shard
failures.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field
from typing import Any

from . import errors
from .aggs_parse import AggSpec, parse_aggs
from .jsonloc import locate
from .query_parse import QueryNode, parse_query

DEFAULT_TRACK_TOTAL_HITS = 10_000
ACCURATE = -1  # track_total_hits: true
_SCALAR_KEYS = ("from", "size", "timeout", "terminate_after", "min_score", "version", "seq_no_primary_term",
                "explain", "track_scores", "track_total_hits", "_source", "stored_fields", "sort", "profile")
_OBJECT_KEYS = ("query", "post_filter", "knn", "_source", "script_fields", "aggs", "aggregations", "highlight",
                "suggest", "sort", "rescore", "ext", "slice", "collapse", "pit", "runtime_mappings", "retriever",
                "rank")
_ARRAY_KEYS = ("stored_fields", "docvalue_fields", "fields", "indices_boost", "sort", "rescore", "stats",
               "_source", "search_after", "knn", "sub_searches")
# Accepted and without effect on a single-node practice cluster.
_HARMLESS = ("timeout", "stats", "profile")
_NOT_EMULATED = ("post_filter", "knn", "script_fields", "highlight", "suggest", "rescore", "ext", "slice",
                 "collapse", "runtime_mappings", "retriever", "rank", "stored_fields", "docvalue_fields",
                 "fields", "indices_boost", "sub_searches", "terminate_after", "min_score", "explain")
_SORT_PARAMS = ("order", "missing", "unmapped_type", "mode", "format", "numeric_type", "nested")


@dataclass
class SortSpec:
    """One sort key: a field, `_score`, `_doc` or `_shard_doc`."""

    field: str
    ascending: bool
    missing: Any = "_last"
    unmapped_type: str | None = None
    mode: str | None = None
    format: str | None = None
    plain: bool = False  # a field name even where it is special (`_shard_doc` before 7.12)


@dataclass
class SearchRequest:
    query: QueryNode | None = None
    size: int = 10
    from_: int = 0
    sort: list[SortSpec] | None = None
    source: Any = True  # True, False, or {"includes": [...], "excludes": [...]}
    track_total_hits: int | None = DEFAULT_TRACK_TOTAL_HITS  # ACCURATE, a limit, or None (disabled)
    search_after: list[Any] | None = None
    seq_no_primary_term: bool = False
    version: bool = False
    track_scores: bool = False
    aggs: list[AggSpec] = dataclass_field(default_factory=list)
    pit: dict[str, Any] | None = None
    typed_keys: bool = False
    rest_total_hits_as_int: bool = False
    max_result_window: int = 10_000


def _token(value: Any) -> str:
    if isinstance(value, dict):
        return "START_OBJECT"
    if isinstance(value, list):
        return "START_ARRAY"
    if value is None:
        return "VALUE_NULL"
    if isinstance(value, bool):
        return "VALUE_BOOLEAN"
    return "VALUE_NUMBER" if isinstance(value, (int, float)) else "VALUE_STRING"


def _int_value(value: Any) -> int:
    """XContentParser.intValue(): numbers are truncated, numeric strings coerced."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise errors.illegal_argument(f"Current token ({_token(value)}) not numeric, can not use numeric value accessors")
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            raise errors.EsError(400, "number_format_exception", f'For input string: "{value}"') from None
    return int(value)


def _bool_value(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise errors.illegal_argument(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")


def parse_source_filter(value: Any) -> Any:
    """`_source` in a body: true/false, a pattern, a list of patterns, or includes/excludes."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"includes": [value], "excludes": []}
    if isinstance(value, list):
        return {"includes": [str(v) for v in value], "excludes": []}
    if isinstance(value, dict):
        out: dict[str, list[str]] = {"includes": [], "excludes": []}
        for key, patterns in value.items():
            target = {"includes": "includes", "include": "includes", "excludes": "excludes", "exclude": "excludes"}.get(key)
            if target is None:
                raise errors.parsing(f"Unknown key for a {_token(patterns)} in [{key}].")
            out[target] = [patterns] if isinstance(patterns, str) else [str(p) for p in patterns]
        return out
    raise errors.parsing(f"Expected one of [VALUE_BOOLEAN, VALUE_STRING, START_ARRAY, START_OBJECT] but found [{_token(value)}]")


def parse_sort(value: Any) -> list[SortSpec]:
    """`sort` in a body: a field name, {field: order}, {field: {order, missing...}}, or a list of them."""
    items = value if isinstance(value, list) else [value]
    specs = []
    for item in items:
        if isinstance(item, str):
            specs.append(SortSpec(item, item not in ("_score",)))
            continue
        if not isinstance(item, dict) or len(item) != 1:
            raise errors.parsing("malformed sort format, within the sort array, an object, or an actual string are "
                                 "allowed")
        name, spec = next(iter(item.items()))
        default_ascending = name != "_score"
        if isinstance(spec, str):
            specs.append(SortSpec(name, _order(spec)))
            continue
        if not isinstance(spec, dict):
            raise errors.parsing(f"[{name}] unknown token [{_token(spec)}]")
        for key in spec:
            if key not in _SORT_PARAMS:
                raise errors.x_content_parse(f"[field_sort] unknown field [{key}]")
        if "nested" in spec or "numeric_type" in spec:
            raise errors.not_implemented("sort parameters nested and numeric_type")
        ascending = _order(spec["order"]) if "order" in spec else default_ascending
        specs.append(SortSpec(name, ascending, spec.get("missing", "_last"), spec.get("unmapped_type"),
                              spec.get("mode"), spec.get("format")))
    return specs


def _order(text: Any) -> bool:
    lowered = str(text).lower()
    if lowered not in ("asc", "desc"):
        raise errors.illegal_argument(f"Unknown SortOrder [{text}]")
    return lowered == "asc"


def _sort_param(text: str) -> list[SortSpec]:
    """The `sort` URL parameter: `field`, `field:asc`, comma-separated."""
    specs = []
    for part in text.split(","):
        name, _, order = part.partition(":")
        specs.append(SortSpec(name, _order(order) if order else name != "_score"))
    return specs


def parse_search_request(body: dict[str, Any] | None, params: dict[str, str] | None = None,
                         max_result_window: int = 10_000, *, raw: bytes | str | None = None,
                         shard_doc: bool = True) -> SearchRequest:
    """A validated search request. `raw` is the body as sent, for exact error locations; `shard_doc`:
    whether `_shard_doc` is the point in time's tiebreaker (7.12+) or an ordinary field name."""
    request = SearchRequest(max_result_window=max_result_window)
    body = body or {}
    params = params or {}
    if not isinstance(body, dict):
        raise errors.parsing(f"Expected [START_OBJECT] but found [{_token(body)}]", 1, 1)
    for key, value in body.items():
        _body_key(request, body, key, value, raw)
    _apply_params(request, params)
    if not shard_doc:
        for spec in request.sort or []:
            spec.plain = spec.field == "_shard_doc"
    _validate(request, shard_doc)
    return request


def _body_key(request: SearchRequest, body: dict[str, Any], key: str, value: Any, raw: bytes | str | None) -> None:
    token = _token(value)
    allowed = _OBJECT_KEYS if token == "START_OBJECT" else _ARRAY_KEYS if token == "START_ARRAY" else _SCALAR_KEYS
    if key not in allowed:
        line, col = locate(raw, body, (key,))
        raise errors.parsing(f"Unknown key for a {token} in [{key}].", line, col)
    if key in _NOT_EMULATED:
        raise errors.not_implemented(f"search request [{key}]")
    if key in _HARMLESS:
        return
    if key == "query":
        request.query = parse_query(value, ("query",), body, raw)
    elif key in ("aggs", "aggregations"):
        request.aggs = parse_aggs(value, (key,), body, raw)
    elif key == "from":
        request.from_ = _int_value(value)
        if request.from_ < 0:
            raise errors.illegal_argument(f"[from] parameter cannot be negative but was [{request.from_}]")
    elif key == "size":
        request.size = _int_value(value)
        if request.size < 0:
            raise errors.illegal_argument(f"[size] parameter cannot be negative, found [{request.size}]")
    elif key == "track_total_hits":
        request.track_total_hits = _track_total_hits(value)
    elif key == "_source":
        request.source = parse_source_filter(value)
    elif key == "sort":
        request.sort = parse_sort(value)
    elif key == "search_after":
        request.search_after = value
    elif key == "pit":
        request.pit = value
    else:
        setattr(request, key, _bool_value(value))


def _track_total_hits(value: Any) -> int | None:
    if isinstance(value, bool) or value in ("true", "false"):
        return ACCURATE if value in (True, "true") else None
    limit = _int_value(value)
    if limit < ACCURATE:
        raise errors.illegal_argument(f"[track_total_hits] parameter must be positive or equals to -1, got {limit}")
    return limit


def _int_param(params: dict[str, str], name: str) -> int | None:
    if name not in params:
        return None
    try:
        return int(params[name])
    except ValueError:
        raise errors.illegal_argument(f"Failed to parse int parameter [{name}] with value [{params[name]}]") from None


def _apply_params(request: SearchRequest, params: dict[str, str]) -> None:
    # URL parameters override the body, as RestSearchAction applies them after parsing it.
    if "q" in params:
        raise errors.not_implemented("search parameter q")
    size, from_ = _int_param(params, "size"), _int_param(params, "from")
    if size is not None:
        if size < 0:
            raise errors.illegal_argument(f"[size] parameter cannot be negative, found [{size}]")
        request.size = size
    if from_ is not None:
        if from_ < 0:
            raise errors.illegal_argument(f"[from] parameter cannot be negative but was [{from_}]")
        request.from_ = from_
    if "sort" in params:
        request.sort = (request.sort or []) + _sort_param(params["sort"])
    if "track_total_hits" in params:
        text = params["track_total_hits"]
        request.track_total_hits = _track_total_hits(text if text in ("true", "false") else _int_param(params, "track_total_hits"))
    for name in ("seq_no_primary_term", "version", "track_scores", "typed_keys", "rest_total_hits_as_int"):
        if name in params:
            setattr(request, name, _bool_value(params[name] or "true"))
    if any(p in params for p in ("_source", "_source_includes", "_source_excludes")):
        request.source = _source_params(params)
    if request.rest_total_hits_as_int:
        if request.track_total_hits not in (ACCURATE, DEFAULT_TRACK_TOTAL_HITS):
            raise errors.illegal_argument(
                "[rest_total_hits_as_int] cannot be used if the tracking of total hits is not accurate, got "
                f"{'false' if request.track_total_hits is None else request.track_total_hits}")
        request.track_total_hits = ACCURATE


def _source_params(params: dict[str, str]) -> Any:
    source = params.get("_source")
    if source in ("false",):
        return False
    spec: dict[str, list[str]] = {"includes": [], "excludes": []}
    if source not in (None, "", "true"):
        spec["includes"] = source.split(",")
    if params.get("_source_includes"):
        spec["includes"] = params["_source_includes"].split(",")
    if params.get("_source_excludes"):
        spec["excludes"] = params["_source_excludes"].split(",")
    return spec if spec["includes"] or spec["excludes"] else True


def _validate(request: SearchRequest, shard_doc: bool = True) -> None:
    problems = []
    if request.from_ > 0 and request.search_after:
        problems.append("[from] parameter must be set to 0 when [search_after] is used")
    if shard_doc and request.pit is None and any(s.field == "_shard_doc" for s in request.sort or []):
        problems.append("[_shard_doc] sort field cannot be used without [point in time]")
    if problems:
        raise errors.action_request_validation(*problems)
    if shard_doc and request.pit is not None and request.sort and request.sort[-1].field != "_shard_doc":
        # Elasticsearch adds the point in time's tiebreaker unless search_after leaves no room for it.
        if request.search_after is None or len(request.search_after) == len(request.sort) + 1:
            request.sort = request.sort + [SortSpec("_shard_doc", True)]
