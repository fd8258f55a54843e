"""Sort keys and the order of hits: how a search reads, compares and prints sort values.

Sort values: dates are epoch millis, booleans 1/0, a missing numeric value is Long.MAX_VALUE /
Long.MIN_VALUE (or +-Infinity for floating point) as in Elasticsearch, a missing keyword is null.
`_doc` is the document's seq_no and `_shard_doc` is `(shard_index << 32) | seq_no`: the seq_no
stands in for Lucene's doc id, which orders a shard's documents the same way for a practice cluster.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from . import errors
from .aggs import fielddata_disabled
from .dates import DateFormat
from .fieldvalues import convert, render_ip
from .mapping import FLOAT_TYPES, INTEGER_TYPES, FieldDef
from .matchers import DocContext
from .query import ShardContext
from .search_request import SortSpec

if TYPE_CHECKING:
    from .search import Doc, Shard

LONG_MAX, LONG_MIN = 2**63 - 1, -(2**63)
_SENTINEL_TYPES = INTEGER_TYPES | {"date", "boolean"}


def float32(value: float) -> float:
    """The float Elasticsearch prints for a Java float (scores, float sort values)."""
    narrowed = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):
        shortest = float(f"{narrowed:.{digits}g}")
        if struct.unpack("f", struct.pack("f", shortest))[0] == narrowed:
            return shortest
    return narrowed


class SortKey:
    """One sort key bound to a shard: reads a document's value, compares, renders."""

    def __init__(self, spec: SortSpec, shard: Shard, ctx: ShardContext) -> None:
        self.spec, self.shard = spec, shard
        self.fd: FieldDef | None = None
        self.missing: Any = None
        self.kind = spec.field
        if spec.field == "_id":
            raise errors.java_exception(
                "illegal_argument_exception", "Fielddata access on the _id field is disallowed, you can re-enable "
                "it by updating the dynamic cluster setting: indices.id_field_data.enabled")
        if spec.field in ("_score", "_doc", "_shard_doc", "_index") and not spec.plain:
            return
        if spec.field.startswith("_") and not spec.plain:
            raise errors.not_implemented(f"sorting on {spec.field}")
        fd = ctx.mappings.field(spec.field)
        if fd is not None and ctx.mappings.in_nested(spec.field):
            raise errors.not_implemented("sorting on a field inside a nested object")
        if fd is None or fd.is_object:
            if spec.unmapped_type is None:
                raise errors.query_shard(f"No mapping found for [{spec.field}] in order to sort on", ctx.index,
                                         ctx.index_uuid)
            self.kind = spec.unmapped_type
            return
        if fd.type == "text" and not fd.param("fielddata"):
            raise fielddata_disabled(fd, ctx.index)
        self.fd, self.kind = fd, fd.type
        if spec.missing not in ("_last", "_first"):
            self.missing = self.parse(spec.missing)

    @property
    def numeric(self) -> bool:
        return self.kind in _SENTINEL_TYPES | FLOAT_TYPES | {"_score", "_doc", "_shard_doc"}

    def sentinel(self, first: bool) -> Any:
        low = first == self.spec.ascending
        if self.kind in FLOAT_TYPES:
            return -float("inf") if low else float("inf")
        return LONG_MIN if low else LONG_MAX

    def value(self, doc: Doc, view: DocContext, score: float | None) -> Any:
        if self.kind == "_score":
            return score
        if self.kind == "_doc":
            return doc.seq_no
        if self.kind == "_shard_doc":
            return (self.shard.shard_index << 32) | doc.seq_no
        if self.kind == "_index":
            return self.shard.index
        found = view.values(self.fd) if self.fd is not None else []
        if not found:
            if self.fd is not None and self.missing is not None:
                return self.missing
            return self.sentinel(self.spec.missing == "_first") if self.numeric else None
        found = [int(v) if isinstance(v, bool) else v for v in found]
        mode = self.spec.mode or ("min" if self.spec.ascending else "max")
        if mode in ("min", "max"):
            return min(found) if mode == "min" else max(found)
        if not self.numeric:
            raise errors.java_exception("illegal_argument_exception",
                                        f"Sort mode [{mode}] is not supported for type [{self.kind}]")
        ordered = sorted(found)
        if mode == "median":
            middle = len(ordered) // 2
            return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        return sum(found) if mode == "sum" else sum(found) / len(found)

    def parse(self, value: Any) -> Any:
        """A search_after (or missing) value as this key compares it."""
        if value is None or self.kind in ("_index",):
            return value
        if self.kind in ("_doc", "_shard_doc"):
            return int(value)
        if self.kind == "_score" or self.kind in FLOAT_TYPES:
            return float(value)
        if self.fd is None:
            return value
        if self.kind in INTEGER_TYPES | {"date", "boolean"} and isinstance(value, int) and not isinstance(value, bool):
            return value
        if self.kind == "date" and self.spec.format is not None:
            return DateFormat(self.spec.format).parse(str(value))  # the sort's format printed the value
        return convert(self.fd, value)

    def render(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, float) and value in (float("inf"), -float("inf")):
            return "Infinity" if value > 0 else "-Infinity"
        if self.kind in ("float", "half_float", "_score"):
            return float32(value)
        if self.kind == "ip":
            return render_ip(value)
        if self.kind == "date" and self.spec.format is not None:
            return DateFormat(self.spec.format).format(value)
        return int(value) if isinstance(value, bool) else value


class Ranked:
    """A matching document with its sort values, ordered as Elasticsearch orders hits."""

    __slots__ = ("values", "keys", "shard_index", "seq_no", "score", "doc", "shard")

    def __init__(self, values: list[Any], keys: list[SortKey], shard: Shard, doc: Doc, score: float | None) -> None:
        self.values, self.keys, self.shard, self.doc, self.score = values, keys, shard, doc, score
        self.shard_index, self.seq_no = shard.shard_index, doc.seq_no

    def compare(self, other_values: list[Any]) -> int:
        for key, mine, theirs in zip(self.keys, self.values, other_values):
            if mine == theirs:
                continue
            if mine is None or theirs is None:  # missing keyword: placed by `missing`
                first = key.spec.missing == "_first"
                return (-1 if first else 1) if mine is None else (1 if first else -1)
            smaller = mine < theirs
            return (-1 if smaller else 1) * (1 if key.spec.ascending else -1)
        return 0

    def __lt__(self, other: Ranked) -> bool:
        order = self.compare(other.values)
        if order:
            return order < 0
        return (self.shard_index, self.seq_no) < (other.shard_index, other.seq_no)
