"""Aggregations: streaming collectors, one per shard, reduced into Elasticsearch's response shape.

`AggCollector(aggs_body, mappings)` collects the documents of one shard; `result()` renders them.
For several shards, `reduce_aggregations(collectors)` merges them as the coordinating node does:
each shard keeps only its top `shard_size` terms (size * 1.5 + 10), so `sum_other_doc_count` and
`doc_count_error_upper_bound` come out as Elasticsearch computes them.

Memory is one entry per distinct term or histogram bucket (plus the values `cardinality` has seen,
which it counts exactly: Elasticsearch's HyperLogLog++ is exact below its default threshold).
"""

from __future__ import annotations

import math
from typing import Any

from . import errors
from .aggs_parse import CALENDAR_UNITS, FIXED_INTERVAL, AggSpec, parse_aggs
from .dates import DateFormat, next_calendar, round_calendar, utc_offset_millis, zone
from .fieldvalues import Malformed, convert, render_ip
from .mapping import FLOAT_TYPES, INTEGER_TYPES, FieldDef, Mappings
from .matchers import DocContext

MAX_BUCKETS = 65536
_NUMERIC_METRIC_TYPES = INTEGER_TYPES | FLOAT_TYPES | {"date", "boolean"}


def fielddata_disabled(fd: FieldDef, index: str) -> errors.EsError:
    return errors.java_exception(
        "illegal_argument_exception",
        f"Fielddata is disabled on [{fd.path}] in [{index}]. Text fields are not optimised for operations that "
        "require per-document field data like aggregations and sorting, so these operations are disabled by "
        f"default. Please use a keyword field instead. Alternatively, set fielddata=true on [{fd.path}] in order "
        "to load field data by uninverting the inverted index. Note that this can use significant memory.")


class _Agg:
    """One aggregation on one shard: collects documents, merges with its peers, renders."""

    def __init__(self, spec: AggSpec, fd: FieldDef | None, missing: Any, fmt: DateFormat | None) -> None:
        self.spec, self.fd, self.missing, self.fmt = spec, fd, missing, fmt

    def values(self, doc: DocContext) -> list[Any]:
        found = [] if self.fd is None else (doc.terms(self.fd) if self.fd.type == "text" else doc.values(self.fd))
        return found if found or self.missing is None else [self.missing]

    def typed_name(self) -> str:
        return self.spec.type

    def shard_view(self, shards: int) -> _Agg:
        """What this shard sends the coordinating node."""
        return self


class _Metric(_Agg):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.count, self.total = 0, 0.0
        self.low, self.high = math.inf, -math.inf
        self.distinct: set[Any] = set()

    def collect(self, doc: DocContext) -> None:
        for value in self.values(doc):
            self.count += 1
            if self.spec.type == "cardinality":
                self.distinct.add(value)
            if self.spec.type not in ("min", "max", "avg", "sum"):
                continue
            number = float(value)
            self.total += number
            self.low, self.high = min(self.low, number), max(self.high, number)

    def merge(self, other: _Metric) -> None:
        self.count += other.count
        self.total += other.total
        self.low, self.high = min(self.low, other.low), max(self.high, other.high)
        self.distinct |= other.distinct

    def value(self) -> float | int | None:
        kind = self.spec.type
        if kind == "value_count":
            return self.count
        if kind == "cardinality":
            return len(self.distinct)
        if kind == "sum":
            return self.total
        if self.count == 0:
            return None
        return {"min": self.low, "max": self.high, "avg": self.total / max(self.count, 1)}[kind]

    def render(self, typed_keys: bool) -> dict[str, Any]:
        value = self.value()
        out: dict[str, Any] = {"value": value}
        if value is not None and self.spec.type not in ("value_count", "cardinality") and self.fd is not None:
            if self.fmt is not None:
                out["value_as_string"] = self.fmt.format(int(value))
            elif self.fd.type == "boolean":
                out["value_as_string"] = "true" if value != 0 else "false"
        return out


class _Bucket:
    def __init__(self, factory: Any) -> None:
        self.count = 0
        self.subs: list[_Agg] = factory()

    def collect(self, doc: DocContext) -> None:
        self.count += 1
        for sub in self.subs:
            sub.collect(doc)

    def merge(self, other: _Bucket) -> None:
        self.count += other.count
        for mine, theirs in zip(self.subs, other.subs):
            mine.merge(theirs)

    def render(self, typed_keys: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"doc_count": self.count}
        for sub in self.subs:
            out[_key(sub, typed_keys)] = sub.render(typed_keys)
        return out


class _Terms(_Agg):
    def __init__(self, spec: AggSpec, fd: FieldDef | None, missing: Any, fmt: DateFormat | None, factory: Any) -> None:
        super().__init__(spec, fd, missing, fmt)
        self.factory = factory
        self.buckets: dict[Any, _Bucket] = {}
        self.other = 0  # documents counted in buckets a shard dropped
        self.error = 0
        self.size = spec.params.get("size", 10)
        self.order = _terms_order(spec.params.get("order"))

    def collect(self, doc: DocContext) -> None:
        for value in dict.fromkeys(self.values(doc)):
            bucket = self.buckets.get(value)
            if bucket is None:
                bucket = self.buckets[value] = _Bucket(self.factory)
            bucket.collect(doc)

    def sorted_keys(self) -> list[Any]:
        keys = list(self.buckets)
        for name, ascending in reversed(self.order):
            keys.sort(key=lambda k: self.sort_value(k, name), reverse=not ascending)
        return keys

    def sort_value(self, key: Any, name: str) -> Any:
        if name == "_key":
            return key
        if name == "_count":
            return self.buckets[key].count
        sub = next((s for s in self.buckets[key].subs if s.spec.name == name), None)
        if not isinstance(sub, _Metric):
            raise errors.java_exception("illegal_argument_exception", f"Invalid aggregation order path [{name}]. "
                                        f"Buckets can only be sorted on a sub-aggregator path that is built out of "
                                        f"zero or more single-bucket aggregations within the path and a final "
                                        f"single-bucket or a metrics aggregation at the path end.")
        value = sub.value()
        return -math.inf if value is None else value

    def shard_view(self, shards: int) -> _Terms:
        """What a shard sends the coordinating node: its top `shard_size` buckets only."""
        shard_size = self.spec.params.get("shard_size", self.size if shards == 1 else int(self.size * 1.5 + 10))
        keys = self.sorted_keys()
        kept = keys[:shard_size]
        view = _Terms(self.spec, self.fd, self.missing, self.fmt, self.factory)
        view.buckets = {k: self.buckets[k] for k in kept}
        view.other = self.other + sum(self.buckets[k].count for k in keys[shard_size:])
        if len(kept) >= shard_size and self.order[0][0] != "_key":
            view.error = self.buckets[kept[-1]].count if self.order[0] == ("_count", False) else -1
        return view

    def merge(self, other: _Terms) -> None:
        for key, bucket in other.buckets.items():
            if key in self.buckets:
                self.buckets[key].merge(bucket)
            else:
                self.buckets[key] = bucket
        self.other += other.other
        self.error = -1 if -1 in (self.error, other.error) else self.error + other.error

    def render(self, typed_keys: bool) -> dict[str, Any]:
        min_count = self.spec.params.get("min_doc_count", 1)
        keys = [k for k in self.sorted_keys() if self.buckets[k].count >= min_count]
        shown = keys[: self.size]
        other = self.other + sum(self.buckets[k].count for k in keys[self.size:])
        return {"doc_count_error_upper_bound": self.error, "sum_other_doc_count": other,
                "buckets": [self.render_bucket(k, typed_keys) for k in shown]}

    def render_bucket(self, key: Any, typed_keys: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"key": key}
        kind = self.fd.type if self.fd is not None else None
        if kind == "boolean":
            out = {"key": int(key), "key_as_string": "true" if key else "false"}
        elif kind == "date":
            out["key_as_string"] = self.fmt.format(key)
        elif kind == "ip":
            out["key"] = render_ip(key)
        return {**out, **self.buckets[key].render(typed_keys)}

    def typed_name(self) -> str:
        kind = self.fd.type if self.fd is not None else None
        if kind is None:
            return "umterms"
        if kind in FLOAT_TYPES:
            return "dterms"
        return "lterms" if kind in INTEGER_TYPES | {"date", "boolean"} else "sterms"


class _DateHistogram(_Agg):
    def __init__(self, spec: AggSpec, fd: FieldDef | None, missing: Any, fmt: DateFormat | None, factory: Any) -> None:
        super().__init__(spec, fd, missing, fmt)
        self.factory = factory
        self.buckets: dict[int, _Bucket] = {}
        params = spec.params
        self.tz = zone(params.get("time_zone"))
        self.unit = CALENDAR_UNITS.get(params.get("calendar_interval"))
        self.fixed = None
        if self.unit is None:
            text = params.get("fixed_interval")
            if text is None:
                raise errors.java_exception("illegal_argument_exception",
                                            "Invalid interval specified, must be non-null and non-empty")
            match = FIXED_INTERVAL.fullmatch(text)
            if match is None:
                raise errors.EsError(400, "parse_exception", f"failed to parse setting [date_histogram.fixedInterval] "
                                     f"with value [{text}] as a time value: unit is missing or unrecognized")
            factor = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}[match.group(2)]
            self.fixed = int(match.group(1)) * factor

    def round(self, millis: int) -> int:
        if self.unit is not None:
            return round_calendar(millis, self.unit, self.tz)
        offset = utc_offset_millis(millis, self.tz)
        return (millis + offset) // self.fixed * self.fixed - offset

    def next_key(self, key: int) -> int:
        return next_calendar(key, self.unit, self.tz) if self.unit is not None else key + self.fixed

    def collect(self, doc: DocContext) -> None:
        for key in dict.fromkeys(self.round(v) for v in self.values(doc)):
            bucket = self.buckets.get(key)
            if bucket is None:
                bucket = self.buckets[key] = _Bucket(self.factory)
            bucket.collect(doc)

    def merge(self, other: _DateHistogram) -> None:
        for key, bucket in other.buckets.items():
            if key in self.buckets:
                self.buckets[key].merge(bucket)
            else:
                self.buckets[key] = bucket

    def render(self, typed_keys: bool) -> dict[str, Any]:
        min_count = self.spec.params.get("min_doc_count", 0)
        keys = sorted(self.buckets)
        if min_count == 0 and keys:
            filled, key = [], keys[0]
            while key <= keys[-1]:
                filled.append(key)
                if len(filled) > MAX_BUCKETS:
                    raise errors.EsError(400, "too_many_buckets_exception",
                                         f"Trying to create too many buckets. Must be less than or equal to: "
                                         f"[{MAX_BUCKETS}] but was [{len(filled)}]. This limit can be set by changing "
                                         "the [search.max_buckets] cluster level setting.", max_buckets=MAX_BUCKETS)
                key = self.next_key(key)
            keys = filled
        out = []
        for key in keys:
            bucket = self.buckets.get(key) or _Bucket(self.factory)
            if bucket.count < min_count:
                continue
            out.append({"key_as_string": self.fmt.format(key, self.tz), "key": key, **bucket.render(typed_keys)})
        return {"buckets": out}


def _terms_order(order: Any) -> list[tuple[str, bool]]:
    items = order if isinstance(order, list) else [order] if order else [{"_count": "desc"}]
    parsed = [(name, str(direction).lower() == "asc") for item in items for name, direction in item.items()]
    if parsed[-1][0] != "_key":
        parsed.append(("_key", True))  # ties go to the smaller key
    return parsed


def _key(agg: _Agg, typed_keys: bool) -> str:
    return f"{agg.typed_name()}#{agg.spec.name}" if typed_keys else agg.spec.name


def _bind(spec: AggSpec, mappings: Mappings, index: str) -> _Agg:
    """An aggregation ready to collect on one shard; field errors are shard failures."""
    fd = mappings.field(spec.params["field"])
    if fd is not None and (fd.is_object or mappings.in_nested(fd.path)):
        fd = None  # objects, and fields only a nested aggregation reaches, aggregate as unmapped
    kind = spec.type
    if fd is not None:
        if fd.type == "text" and not fd.param("fielddata"):
            raise fielddata_disabled(fd, index)
        supported = {"terms": None, "value_count": None, "cardinality": None,
                     "date_histogram": {"date"}}.get(kind, _NUMERIC_METRIC_TYPES)
        if supported is not None and fd.type not in supported:
            if kind == "date_histogram" and fd.type in INTEGER_TYPES | FLOAT_TYPES:
                raise errors.not_implemented("date_histogram on a numeric field")
            raise errors.java_exception("illegal_argument_exception",
                                        f"Field [{fd.path}] of type [{fd.type}] is not supported for aggregation [{kind}]")
    fmt = _format(spec, fd)
    missing = None
    if spec.params.get("missing") is not None and fd is not None:
        try:
            missing = convert(fd, spec.params["missing"])
        except Malformed as malformed:
            raise malformed.cause("") from None

    def factory() -> list[_Agg]:
        return [_bind(sub, mappings, index) for sub in spec.subs]

    if kind == "terms":
        return _Terms(spec, fd, missing, fmt, factory)
    if kind == "date_histogram":
        return _DateHistogram(spec, fd, missing, fmt or DateFormat(), factory)
    return _Metric(spec, fd, missing, fmt)


def _format(spec: AggSpec, fd: FieldDef | None) -> DateFormat | None:
    text = spec.params.get("format")
    if fd is None or fd.type != "date":
        if text is not None:
            raise errors.not_implemented("format on a non-date aggregation")
        return None
    try:
        return DateFormat(text) if text is not None else fd.date_format
    except ValueError as exc:
        raise errors.java_exception("illegal_argument_exception", f"Invalid format: [{text}]: {exc}") from None


class AggCollector:
    """The aggregations of one search on one shard: `collect` each matching document, then `result`."""

    def __init__(self, aggs_body: dict[str, Any] | None, mappings: Mappings, *, index: str = "",
                 specs: list[AggSpec] | None = None) -> None:
        self.specs = specs if specs is not None else parse_aggs(aggs_body or {})
        self.aggs = [_bind(spec, mappings, index) for spec in self.specs]

    def collect(self, doc_id: str, source: dict[str, Any]) -> None:
        self.collect_doc(DocContext(doc_id, source))

    def collect_doc(self, doc: DocContext) -> None:
        for agg in self.aggs:
            agg.collect(doc)

    def result(self, typed_keys: bool = False) -> dict[str, Any]:
        return reduce_aggregations([self], typed_keys)


def reduce_aggregations(collectors: list[AggCollector], typed_keys: bool = False) -> dict[str, Any]:
    """The `aggregations` of a response from the collectors of every shard searched."""
    out: dict[str, Any] = {}
    for position, spec in enumerate(collectors[0].specs):
        parts = [c.aggs[position] for c in collectors]
        merged = parts[0].shard_view(len(parts))
        for part in parts[1:]:
            merged.merge(part.shard_view(len(parts)))
        if isinstance(merged, _Terms) and len(parts) == 1:
            merged.error = 0  # a single shard's counts are exact
        out[_key(merged, typed_keys)] = merged.render(typed_keys)
    return out
