"""Compiled queries: a parsed query bound to one shard's mapping, as a predicate with a score.

`compile_query(body, mappings, ...)` is the one-call form. The steps behind it:

- `query_parse.parse_query` checks the DSL (top-level errors, before any shard);
- `bind(node, context)` resolves fields on a shard's mapping and parses values for their types;
  its errors are shard failures (query_shard_exception "failed to create query: ...");
- `Matcher.score(doc, stats)` (matchers.py) is None when the document does not match, else its score.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any, Callable

from . import errors, metadata_query
from .analysis import analyze
from .dates import DateFormat, DateParseError, parse_math, zone
from .fieldvalues import Malformed, convert
from .javatext import java_string
from .mapping import FLOAT_TYPES, FieldDef, Mappings
from .matchers import Bool, Disjunction, Exists, Ids, MatchAll, Matcher, MatchNone, Range, TermSet
from .query_parse import QueryNode, parse_query

# Elasticsearch 8's metadata fields of a standard index: queries on them never read the mapping.
METADATA_FIELDS = frozenset({"_id", "_index", "_seq_no", "_routing", "_ignored", "_version", "_source",
                             *metadata_query.NOT_EMULATED})


@dataclass
class ShardContext:
    """What binding a query needs to know about the shard it runs on.

    `index_matches` tells whether an index expression names the shard's index (the cluster resolves
    aliases and wildcards); without it an expression is matched against the index name alone.
    `cacheable` turns False when the bound query depends on more than the shard's documents (the
    time of the search, the cluster's indices), so its matches cannot be remembered.
    """

    mappings: Mappings
    index: str
    now_millis: int
    index_uuid: str = "_na_"
    index_matches: Callable[[str], bool] | None = None
    cacheable: bool = True

    def matches_index(self, expression: str) -> bool:
        if self.index_matches is not None:
            return self.index_matches(expression)
        return ":" not in expression and simple_match(expression, self.index)

    def failed(self, cause: errors.EsError) -> errors.EsError:
        """query_shard_exception "failed to create query: ..." as SearchExecutionContext wraps it."""
        return errors.query_shard(f"failed to create query: {cause.reason}", self.index, self.index_uuid, cause)


# -- binding -------------------------------------------------------------------------------


def compile_query(body: dict[str, Any] | None, mappings: Mappings, index: str = "", *, now_millis: int = 0,
                  index_uuid: str = "_na_") -> Matcher:
    """Parse and bind a query (None: match_all). Raises EsError as Elasticsearch would."""
    node = parse_query(body, ("query",), {"query": body}) if body is not None else QueryNode("match_all")
    return bind(node, ShardContext(mappings, index, now_millis, index_uuid))


def simple_match(pattern: str, text: str) -> bool:
    """Regex.simpleMatch: `*` stands for any characters, nothing else is special."""
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), text, re.DOTALL) is not None


def bind(node: QueryNode, ctx: ShardContext, filter_context: bool = False) -> Matcher:
    """Bind a parsed query to a shard; `filter_context` for clauses whose score is not used."""
    if node.field is not None and node.field.startswith("_") and node.field in METADATA_FIELDS:
        return metadata_query.bind(node, ctx)
    if node.kind == "match_all":
        return MatchAll(node.boost)
    if node.kind == "match_none":
        return MatchNone()
    if node.kind == "bool":
        return _bool(node, ctx, filter_context)
    binders = {"match": _match, "term": _term, "terms": _terms, "range": _range, "exists": _exists, "ids": _ids}
    return binders[node.kind](node, ctx)


def _field(name: str, ctx: ShardContext) -> FieldDef | None:
    fd = ctx.mappings.field(name)
    if fd is None or fd.is_object or ctx.mappings.in_nested(name):
        return None
    if fd.param("index") is False and (fd.type == "text" or fd.param("doc_values") is False):
        suffix = "." if fd.type == "text" else " nor has doc values."
        cause = errors.java_exception("illegal_argument_exception",
                                      f"Cannot search on field [{fd.path}] since it is not indexed{suffix}")
        raise ctx.failed(cause)
    return fd


def _term_value(fd: FieldDef, value: Any, ctx: ShardContext) -> Any:
    """A query value as the field indexes it; failures are Elasticsearch's query-time errors."""
    if fd.type in ("text", "keyword"):
        return value if isinstance(value, str) else java_string(value)
    if fd.type == "boolean" and not (isinstance(value, bool) or value in ("true", "false")):
        raise ctx.failed(errors.java_exception(
            "illegal_argument_exception", f"Can't parse boolean value [{java_string(value)}], expected [true] or [false]"))
    if fd.type in ("long", "integer", "short", "byte", *FLOAT_TYPES):
        text = value if isinstance(value, str) else java_string(value)
        try:
            number = int(text) if text.strip().lstrip("+-").isdigit() else float(text)
        except ValueError:
            raise ctx.failed(errors.java_exception("number_format_exception", f'For input string: "{text}"')) from None
        if fd.type in FLOAT_TYPES:
            return convert(fd, number)
        return number
    try:
        return convert(fd, value)
    except Malformed as malformed:
        raise ctx.failed(malformed.cause("")) from None


def _date_bound(fd: FieldDef, value: Any, ctx: ShardContext, round_up: bool, fmt_spec: str | None,
                time_zone: str | None, wrap: bool) -> int:
    try:
        fmt = fd.date_format if fmt_spec is None else DateFormat(fmt_spec)
        tz = zone(time_zone)
    except ValueError as exc:
        detail = str(exc) if time_zone is not None and "time-zone" in str(exc) else f"Invalid format: [{fmt_spec}]: {exc}"
        raise ctx.failed(errors.java_exception("illegal_argument_exception", detail)) from None
    text = value if isinstance(value, str) else java_string(value)
    if text.startswith("now"):
        ctx.cacheable = False
    try:
        return parse_math(text, fmt, ctx.now_millis, round_up=round_up, tz=tz)
    except DateParseError as exc:
        inner = errors.java_exception("illegal_argument_exception",
                                      f"failed to parse date field [{text}] with format [{fmt.spec}]",
                                      errors.java_exception("date_time_parse_exception", str(exc)))
        parse = errors.EsError(400, "parse_exception", f"{inner.reason}: [{inner.reason}]", caused_by=inner)
        raise (ctx.failed(parse) if wrap else parse) from None


def _values_matcher(fd: FieldDef, raw_values: list[Any], ctx: ShardContext, boost: float) -> Matcher:
    if fd.type == "date":
        # A date term is the range of its own rounding: "2020-01-01" matches that whole day.
        bounds = [(_date_bound(fd, v, ctx, False, None, None, True), _date_bound(fd, v, ctx, True, None, None, True))
                  for v in raw_values]
        ranges = [Range(fd, low, True, high, True, boost) for low, high in bounds]
        return ranges[0] if len(ranges) == 1 else Bool([], ranges, [], [], 1, 1.0)
    scored = fd.type in ("text", "keyword", "boolean") and not fd.runtime
    return TermSet(fd, [_term_value(fd, v, ctx) for v in raw_values], boost, scored)


def _term(node: QueryNode, ctx: ShardContext) -> Matcher:
    fd = _field(node.field, ctx)
    return MatchNone() if fd is None else _values_matcher(fd, [node.params["value"]], ctx, node.boost)


def _terms(node: QueryNode, ctx: ShardContext) -> Matcher:
    fd = _field(node.field, ctx)
    if fd is None:
        return MatchNone()
    matcher = _values_matcher(fd, node.params["values"], ctx, node.boost)
    if isinstance(matcher, TermSet):
        matcher.scored = False  # terms is a constant-score query
    return matcher


def _match(node: QueryNode, ctx: ShardContext) -> Matcher:
    fd = _field(node.field, ctx)
    if fd is None:
        return MatchNone()
    query = node.params["query"]
    if fd.type != "text":
        try:
            return _values_matcher(fd, [query], ctx, node.boost)
        except errors.EsError:
            if node.params.get("lenient"):
                return MatchNone()
            raise
    tokens = analyze(query if isinstance(query, str) else java_string(query))
    if not tokens:
        return MatchAll() if str(node.params.get("zero_terms_query", "none")).lower() == "all" else MatchNone()
    clauses = [TermSet(fd, [token], 1.0, True) for token in tokens]
    required = 1
    if node.params["operator"] == "and":
        required = len(clauses)
    elif len(clauses) > 1 and node.params.get("minimum_should_match") is not None:
        required = minimum_should_match(node.params["minimum_should_match"], len(clauses))
    return Disjunction(clauses, required, node.boost)


def minimum_should_match(spec: Any, optional: int) -> int:
    """Queries.calculateMinShouldMatch: an integer, a negative integer, or a (negative) percentage."""
    text = str(spec).strip()
    try:
        if text.endswith("%"):
            calc = optional * int(text[:-1].strip()) / 100
            result = optional + int(calc) if calc < 0 else int(calc)
        else:
            calc = int(text)
            result = optional + calc if calc < 0 else calc
    except ValueError:
        raise errors.not_implemented(f"minimum_should_match [{text}]") from None
    return max(result, 0)


def _range(node: QueryNode, ctx: ShardContext) -> Matcher:
    fd = _field(node.field, ctx)
    if fd is None:
        return MatchNone()
    p = node.params
    bounds: dict[str, Any] = {}
    for key in ("gt", "gte", "lt", "lte"):
        if p.get(key) is None:
            continue
        if fd.type == "date":
            bounds[key] = _date_bound(fd, p[key], ctx, key in ("gt", "lte"), p.get("format"), p.get("time_zone"),
                                      False)
        else:
            bounds[key] = _term_value(fd, p[key], ctx)
    low_key = "gt" if "gt" in bounds else "gte"
    high_key = "lt" if "lt" in bounds else "lte"
    return Range(fd, bounds.get(low_key), low_key == "gte", bounds.get(high_key), high_key == "lte", node.boost)


def _exists(node: QueryNode, ctx: ShardContext) -> Matcher:
    pattern = node.field
    leaves = ctx.mappings.leaf_paths()
    if any(ch in pattern for ch in "*?"):
        names = [p for p in leaves if fnmatch.fnmatchcase(p, pattern)]
    else:
        names = [p for p in leaves if p == pattern or p.startswith(pattern + ".")]
    fields = [ctx.mappings.field(n) for n in names if not ctx.mappings.in_nested(n)]
    return Exists(fields, node.boost) if fields else MatchNone()


def _ids(node: QueryNode, ctx: ShardContext) -> Matcher:
    return Ids(set(node.params["values"]), node.boost)


def _bool(node: QueryNode, ctx: ShardContext, filter_context: bool = False) -> Matcher:
    def bound(occur: str, as_filter: bool) -> list[Matcher]:
        return [bind(child, ctx, as_filter) for child in node.children.get(occur, [])]

    must, should = bound("must", filter_context), bound("should", filter_context)
    must_not, filters = bound("must_not", True), bound("filter", True)
    spec = node.params.get("minimum_should_match")
    if spec is None and filter_context and should:
        spec = "1"  # BoolQueryBuilder: in filter context a should clause is required
    required = minimum_should_match(spec, len(should)) if spec is not None and should else 0
    if not must and not filters and should:
        required = max(required, 1)  # Lucene: with no required clause, one should clause must match
    return Bool(must, should, must_not, filters, required, node.boost)
