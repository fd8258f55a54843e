"""Queries on metadata fields (`_id`, `_index`, `_seq_no`, `_routing`, `_ignored`, ...), as Elasticsearch 8's
metadata field types answer them.

- `_id` (IdFieldType): term, terms and match by the value's string form; exists matches every document;
  range fails ("does not support range queries").
- `_index` (a constant field): a term is an index expression, resolved like a search's and matched
  against the shard's index (SearchIndexNameMatcher), so aliases and wildcards match; a value naming
  a cluster (`remote:...`) never matches a local shard. Exists matches everything; range fails.
- `_seq_no` (indexed as a long point): term, terms, match and range on the document's sequence
  number; values parse as SeqNoFieldType.parse does (a decimal part or a non-number fails).
- `_routing` and `_ignored` (string fields): term, terms, match, range and exists on the document's
  custom routing, or on the names of the fields whose values it ignored.
- `_version` and `_source` are not searchable: their term queries fail with query_shard_exception,
  match and range as for any field that does not support them; exists on `_version` (doc values)
  matches everything, on `_source` it fails.
Other metadata fields of Elasticsearch are refused as not emulated.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable

from . import errors
from .fieldvalues import ignored_fields
from .javatext import java_string
from .matchers import DocContext, MatchAll, Matcher, MatchNone, Metadata
from .query_parse import QueryNode

if TYPE_CHECKING:
    from .query import ShardContext

NOT_EMULATED = frozenset({"_field_names", "_nested_path", "_doc_count", "_tier", "_feature", "_ignored_source",
                          "_data_stream_timestamp"})
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
_LONG_TEXT = re.compile(r"[+-]?[0-9]+")


def bind(node: QueryNode, ctx: "ShardContext") -> Matcher:
    """A term, terms, match, range or exists query on metadata field `node.field`."""
    name = node.field
    if name in NOT_EMULATED:
        raise errors.not_implemented(f"queries on the {name} field")
    if node.kind == "exists":
        return _exists(name, node, ctx)
    if name in ("_version", "_source"):
        return _not_searchable(name, node, ctx)
    if node.kind == "range":
        return _range(name, node, ctx)
    values = node.params["values"] if node.kind == "terms" else [node.params["value" if node.kind == "term" else "query"]]
    try:
        return _terms(name, node, values, ctx)
    except errors.EsError:
        if node.kind == "match" and node.params.get("lenient"):
            return MatchNone()
        raise


def _failed(ctx: "ShardContext", reason: str, kind: str = "illegal_argument_exception") -> errors.EsError:
    return ctx.failed(errors.java_exception(kind, reason))


def _exists(name: str, node: QueryNode, ctx: "ShardContext") -> Matcher:
    if name == "_source":
        raise errors.query_shard("The _source field is not searchable", ctx.index, ctx.index_uuid)
    if name == "_routing":
        return Metadata(lambda doc: doc.routing is not None, node.boost)
    if name == "_ignored":
        mappings = ctx.mappings
        return Metadata(lambda doc: bool(ignored_fields(mappings, doc.source)), node.boost)
    return MatchAll(node.boost)  # every document has an _id, an _index, a _seq_no and a _version


def _not_searchable(name: str, node: QueryNode, ctx: "ShardContext") -> Matcher:
    if node.kind == "range":
        raise _failed(ctx, f"Field [{name}] of type [{name}] does not support range queries")
    if node.kind == "match":
        if node.params.get("lenient"):
            return MatchNone()
        raise _failed(ctx, f"Field [{name}] of type [{name}] does not support match queries")
    raise errors.query_shard(f"The {name} field is not searchable", ctx.index, ctx.index_uuid)


def _terms(name: str, node: QueryNode, values: list[Any], ctx: "ShardContext") -> Matcher:
    # match reads its query as text (the keyword analyzer's single term); term and terms keep the value.
    if node.kind == "match":
        values = [v if isinstance(v, str) else java_string(v) for v in values]
    if name == "_seq_no":
        wanted = {_long(v, ctx) for v in values}
        return Metadata(lambda doc: doc.seq_no in wanted, node.boost, (min(wanted), max(wanted)), len(wanted) == 1)
    texts = {v if isinstance(v, str) else java_string(v) for v in values}
    if name == "_index":
        ctx.cacheable = False  # what an expression names changes with the cluster's indices and aliases
        return MatchAll(node.boost) if any(ctx.matches_index(t) for t in texts) else MatchNone()
    return Metadata(_string_test(name, ctx, lambda held: held in texts), node.boost)


def _range(name: str, node: QueryNode, ctx: "ShardContext") -> Matcher:
    p = node.params
    if name in ("_id", "_index"):
        raise _failed(ctx, f"Field [{name}] of type [{name}] does not support range queries")
    low_key = "gt" if p.get("gt") is not None else "gte"
    high_key = "lt" if p.get("lt") is not None else "lte"
    low, high = p.get(low_key), p.get(high_key)
    if name == "_seq_no":
        first = LONG_MIN if low is None else _long(low, ctx) + (low_key == "gt")
        last = LONG_MAX if high is None else _long(high, ctx) - (high_key == "lt")
        return Metadata(lambda doc: first <= doc.seq_no <= last, node.boost, (first, last), True)
    low = None if low is None else (low if isinstance(low, str) else java_string(low))
    high = None if high is None else (high if isinstance(high, str) else java_string(high))

    def within(held: str) -> bool:
        if low is not None and (held < low or (held == low and low_key == "gt")):
            return False
        return high is None or held < high or (held == high and high_key == "lte")

    return Metadata(_string_test(name, ctx, within), node.boost)


def _string_test(name: str, ctx: "ShardContext", test: Callable[[str], bool]) -> Callable[[DocContext], bool]:
    """A document test over the string values of `_id`, `_routing` or `_ignored`."""
    if name == "_id":
        return lambda doc: test(doc.doc_id)
    if name == "_routing":
        return lambda doc: doc.routing is not None and test(doc.routing)
    mappings = ctx.mappings
    return lambda doc: any(test(field) for field in ignored_fields(mappings, doc.source))


def _long(value: Any, ctx: "ShardContext") -> int:
    """SeqNoFieldType.parse: a number without a decimal part, or text Long.parseLong reads."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not LONG_MIN <= value <= LONG_MAX:
            raise _failed(ctx, f"Value [{java_string(value)}] is out of range for a long")
        if value % 1 != 0:
            raise _failed(ctx, f"Value [{java_string(value)}] has a decimal part")
        return int(value)
    text = value if isinstance(value, str) else java_string(value)
    if not _LONG_TEXT.fullmatch(text) or not LONG_MIN <= int(text) <= LONG_MAX:
        raise _failed(ctx, f'For input string: "{text}"', "number_format_exception")
    return int(text)
