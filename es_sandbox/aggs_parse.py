"""Parsing the `aggs` of a search request, with the errors Elasticsearch raises before any shard runs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field
from typing import Any

from . import errors
from .jsonloc import Path, locate
from .query_parse import suggest

# Every aggregation Elasticsearch 8 registers: "did you mean" candidates, and names refused as not
# emulated rather than as unknown.
ES_AGG_NAMES = (
    "adjacency_matrix", "auto_date_histogram", "avg", "boxplot", "cardinality", "children",
    "composite", "date_histogram", "date_range", "diversified_sampler", "extended_stats", "filter",
    "filters", "frequent_item_sets", "geo_bounds", "geo_centroid", "geo_distance", "geohash_grid",
    "geo_line", "geotile_grid", "global", "histogram", "ip_prefix", "ip_range", "matrix_stats",
    "max", "median_absolute_deviation", "min", "missing", "multi_terms", "nested", "parent",
    "percentiles", "percentile_ranks", "random_sampler", "range", "rare_terms", "reverse_nested",
    "sampler", "significant_terms", "significant_text", "stats", "string_stats", "sum", "t_test",
    "terms", "time_series", "top_hits", "top_metrics", "value_count", "variable_width_histogram",
    "weighted_avg", "avg_bucket", "bucket_script", "bucket_selector", "bucket_sort", "cumulative_sum",
    "derivative", "extended_stats_bucket", "max_bucket", "min_bucket", "moving_fn",
    "moving_percentiles", "normalize", "percentiles_bucket", "serial_diff", "stats_bucket", "sum_bucket",
)
METRICS = ("min", "max", "avg", "sum", "value_count", "cardinality")
BUCKETS = ("terms", "date_histogram")
_VALUES_SOURCE = ("field", "missing", "format", "script", "value_type")
ALLOWED: dict[str, tuple[str, ...]] = {
    **{name: _VALUES_SOURCE for name in METRICS},
    "cardinality": _VALUES_SOURCE + ("precision_threshold", "execution_hint"),
    "terms": _VALUES_SOURCE + ("size", "shard_size", "min_doc_count", "shard_min_doc_count", "order",
                               "show_term_doc_count_error", "include", "exclude", "execution_hint",
                               "collect_mode"),
    "date_histogram": _VALUES_SOURCE + ("calendar_interval", "fixed_interval", "time_zone", "offset",
                                        "min_doc_count", "order", "keyed", "extended_bounds", "hard_bounds"),
}
CALENDAR_UNITS = {"minute": "m", "1m": "m", "hour": "h", "1h": "h", "day": "d", "1d": "d", "week": "w",
                  "1w": "w", "month": "M", "1M": "M", "quarter": "q", "1q": "q", "year": "y", "1y": "y"}
FIXED_INTERVAL = re.compile(r"(\d+)(ms|s|m|h|d)")
_NOT_EMULATED_PARAMS = ("script", "value_type", "include", "exclude", "shard_min_doc_count",
                        "extended_bounds", "hard_bounds", "offset", "keyed")


@dataclass
class AggSpec:
    """One aggregation of the request: its name, type, parameters and sub-aggregations."""

    name: str
    type: str
    params: dict[str, Any]
    subs: list[AggSpec] = dataclass_field(default_factory=list)


def parse_aggs(body: Any, path: Path = ("aggs",), root: Any = None, raw: bytes | str | None = None) -> list[AggSpec]:
    """Parse an `aggs` object found at `path` of the request body `root`."""
    root = {path[-1]: body} if root is None else root
    return _Parser(root, raw).aggs(body, path)


class _Parser:
    def __init__(self, root: Any, raw: bytes | str | None) -> None:
        self.root, self.raw = root, raw

    def at(self, path: Path, key: bool = False) -> tuple[int, int]:
        return locate(self.raw, self.root, path, key=key)

    def aggs(self, body: Any, path: Path) -> list[AggSpec]:
        if not isinstance(body, dict):
            raise errors.parsing(f"Expected [START_OBJECT] under [{path[-1]}], but got a [VALUE_STRING] in "
                                 f"[{path[-1]}]", *self.at(path))
        specs = []
        for name, definition in body.items():
            if re.search(r"[\[\]>]", name):
                raise errors.parsing(f"Invalid aggregation name [{name}]. Aggregation names can contain any "
                                     "character except '[', ']', and '>'", *self.at(path + (name,), key=True))
            specs.append(self.agg(name, definition, path + (name,)))
        return specs

    def agg(self, name: str, definition: Any, path: Path) -> AggSpec:
        if not isinstance(definition, dict):
            raise errors.parsing(f"Expected [START_OBJECT] under [{name}], but got a [VALUE_STRING] in [{name}]",
                                 *self.at(path))
        kind = None
        subs: list[AggSpec] = []
        for key, value in definition.items():
            here = path + (key,)
            if key in ("aggs", "aggregations"):
                subs = self.aggs(value, here)
                continue
            if key == "meta":
                raise errors.not_implemented("aggregation meta")
            if kind is not None:
                raise errors.parsing(f"Found two aggregation type definitions in [{name}]: [{kind}] and [{key}]",
                                     *self.at(here, key=True))
            if key not in ES_AGG_NAMES:
                line, col = self.at(here)
                raise errors.unknown_named_object(
                    f"Unknown aggregation type [{key}]{suggest(key, ES_AGG_NAMES)}", key, line, col)
            if key not in METRICS + BUCKETS:
                raise errors.not_implemented(f"{key} aggregation")
            kind = key
        if kind is None:
            raise errors.parsing(f"Missing definition for aggregation [{name}]", *self.at(path))
        params = self.params(kind, definition[kind], path + (kind,))
        if subs and kind in METRICS:
            raise errors.EsError(400, "aggregation_initialization_exception",
                                 f"Aggregator [{name}] of type [{kind}] cannot accept sub-aggregations")
        names = [s.name for s in subs]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate is not None:
            raise errors.illegal_argument(f"Two sibling aggregations cannot have the same name: [{duplicate}]")
        return AggSpec(name, kind, params, subs)

    def params(self, kind: str, body: Any, path: Path) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise errors.x_content_parse(f"[{kind}] Expected START_OBJECT but was: VALUE_STRING", *self.at(path))
        for key in body:
            if key not in ALLOWED[kind]:
                line, col = self.at(path + (key,), key=True)
                raise errors.x_content_parse(f"[{kind}] unknown field [{key}]{suggest(key, ALLOWED[kind])}", line, col)
            if key in _NOT_EMULATED_PARAMS:
                raise errors.not_implemented(f"{kind} aggregation parameter {key}")
        if "field" not in body:
            raise errors.illegal_argument("Required one of fields [field, script], but none were specified. ")
        if kind == "terms":
            self.terms(body, path)
        if kind == "date_histogram":
            self.date_histogram(body, path)
        return dict(body)

    def failed_field(self, kind: str, key: str, path: Path, reason: str) -> errors.EsError:
        line, col = self.at(path + (key,), key=True)
        return errors.EsError(400, "x_content_parse_exception", f"[{line}:{col}] [{kind}] failed to parse field [{key}]",
                              caused_by=errors.java_exception("illegal_argument_exception", reason))

    def terms(self, body: dict[str, Any], path: Path) -> None:
        for key in ("size", "shard_size"):
            if key in body and (not isinstance(body[key], int) or body[key] <= 0):
                raise self.failed_field("terms", key, path,
                                        f"[{key}] must be greater than 0. Found [{body[key]}] in [{path[-2]}]")
        if body.get("min_doc_count", 1) == 0:
            raise errors.not_implemented("terms aggregation min_doc_count 0")
        order = body.get("order", [])
        for item in order if isinstance(order, list) else [order]:
            for direction in (item.values() if isinstance(item, dict) else [None]):
                if str(direction).lower() not in ("asc", "desc"):
                    raise errors.parsing(f"Unknown terms order direction [{direction}] in terms aggregation "
                                         f"[{path[-2]}]", *self.at(path + ("order",)))

    def date_histogram(self, body: dict[str, Any], path: Path) -> None:
        if "calendar_interval" in body and "fixed_interval" in body:
            raise self.failed_field("date_histogram", "fixed_interval", path,
                                    "Cannot use [fixed_interval] with [calendar_interval] configuration option.")
        calendar = body.get("calendar_interval")
        if calendar is not None and calendar not in CALENDAR_UNITS:
            raise self.failed_field("date_histogram", "calendar_interval", path,
                                    f"The supplied interval [{calendar}] could not be parsed as a calendar interval.")
        if body.get("order") not in (None, {"_key": "asc"}):
            raise errors.not_implemented("date_histogram order")
