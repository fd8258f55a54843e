"""Parsing the query DSL into `QueryNode`s, with Elasticsearch's parse errors and their locations.

Parsing is what the coordinating node does before any shard sees the request: its errors are
top-level 400s (parsing_exception, x_content_parse_exception), never shard failures. What a
query means for a field's type is decided later, by `query.bind`.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field
from typing import Any

from . import errors
from .jsonloc import Path, locate

# Every query Elasticsearch 8 registers: the candidates of "did you mean", and the names refused
# as not emulated rather than as unknown.
ES_QUERY_NAMES = (
    "match_all", "match_none", "match", "match_phrase", "match_phrase_prefix", "match_bool_prefix",
    "multi_match", "combined_fields", "nested", "has_child", "has_parent", "parent_id", "dis_max",
    "ids", "term", "terms", "terms_set", "fuzzy", "regexp", "range", "prefix", "wildcard",
    "constant_score", "function_score", "script_score", "simple_query_string", "query_string",
    "boosting", "bool", "exists", "span_term", "span_first", "span_or", "span_not", "span_near",
    "span_within", "span_containing", "span_multi", "field_masking_span", "more_like_this",
    "wrapper", "distance_feature", "geo_distance", "geo_bounding_box", "geo_polygon", "geo_shape",
    "geo_grid", "shape", "script", "intervals", "pinned", "rank_feature", "knn", "sparse_vector",
    "text_expansion", "weighted_tokens", "rule", "semantic", "percolate",
)
EMULATED = frozenset({"match_all", "match_none", "match", "term", "terms", "range", "exists", "ids", "bool"})


@dataclass
class QueryNode:
    """One parsed query clause: its kind, the field it targets and its parameters."""

    kind: str
    field: str | None = None
    params: dict[str, Any] = dataclass_field(default_factory=dict)
    children: dict[str, list[QueryNode]] = dataclass_field(default_factory=dict)  # bool clauses

    @property
    def boost(self) -> float:
        return float(self.params.get("boost", 1.0))


class _Parser:
    def __init__(self, root: Any, raw: bytes | str | None) -> None:
        self.root = root
        self.raw = raw

    def at(self, path: Path, key: bool = False) -> tuple[int, int]:
        return locate(self.raw, self.root, path, key=key)

    def parsing(self, message: str, path: Path, key: bool = False) -> errors.EsError:
        return errors.parsing(message, *self.at(path, key))

    def query(self, body: Any, path: Path) -> QueryNode:
        """A query object `{"<name>": {...}}` found at `path` of the request body."""
        if not isinstance(body, dict):
            raise self.parsing(f"[_na] query malformed, must start with start_object", path)
        if not body:
            line, col = self.at(path)
            raise errors.parsing(f"query malformed, empty clause found at [{line}:{col}]", line, col)
        names = list(body)
        name = names[0]
        if name not in ES_QUERY_NAMES:
            line, col = self.at(path + (name,))
            raise errors.unknown_named_object(f"unknown query [{name}]{suggest(name, ES_QUERY_NAMES)}", name, line, col)
        if len(names) > 1:
            raise self.parsing(f"[{name}] malformed query, expected [END_OBJECT] but found [FIELD_NAME]",
                               path + (names[1],), key=True)
        if name not in EMULATED:
            raise errors.not_implemented(f"{name} query")
        inner = body[name]
        here = path + (name,)
        if not isinstance(inner, dict):
            raise self.parsing(f"[{name}] query malformed, no start_object after query name", here)
        return getattr(self, "_" + name)(inner, here)

    # -- leaf queries ----------------------------------------------------------------------

    def _match_all(self, body: dict[str, Any], path: Path) -> QueryNode:
        return QueryNode("match_all", params=self.plain(body, path, "match_all", ("boost",)))

    def _match_none(self, body: dict[str, Any], path: Path) -> QueryNode:
        return QueryNode("match_none", params=self.plain(body, path, "match_none", ("boost",)))

    def plain(self, body: dict[str, Any], path: Path, name: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        for key, value in body.items():
            self.refuse_name(key)
            if key not in allowed:
                raise self.parsing(f"[{name}] query does not support [{key}]", path + (key,))
        return dict(body)

    @staticmethod
    def refuse_name(key: str) -> None:
        if key == "_name":
            raise errors.not_implemented("named queries (_name)")

    def single_field(self, body: dict[str, Any], path: Path, name: str,
                     options: tuple[str, ...] = ()) -> tuple[str, Any, Path]:
        """The one field a query names; any other key is a second field, unless it is an option."""
        fields = [k for k in body if k not in options]
        if not fields:
            raise self.parsing(f"[{name}] query malformed, no field", path)
        if len(fields) > 1:
            raise self.parsing(f"[{name}] query doesn't support multiple fields, found [{fields[0]}] and "
                               f"[{fields[1]}]", path + (fields[1],))
        return fields[0], body[fields[0]], path + (fields[0],)

    def _match(self, body: dict[str, Any], path: Path) -> QueryNode:
        field_name, spec, here = self.single_field(body, path, "match")
        allowed = ("query", "operator", "minimum_should_match", "boost", "lenient", "zero_terms_query",
                   "analyzer", "auto_generate_synonyms_phrase_query", "fuzzy_transpositions",
                   "max_expansions", "prefix_length", "fuzziness", "fuzzy_rewrite", "_name")
        params = self.field_params(spec, here, "match", allowed, "query")
        if "fuzziness" in params:
            raise errors.not_implemented("match query fuzziness")
        if params.get("analyzer") not in (None, "standard", "default"):
            raise errors.not_implemented(f"analyzer {params['analyzer']}")
        operator = str(params.get("operator", "or")).lower()
        if operator not in ("or", "and"):
            raise errors.illegal_argument(f"No enum constant org.elasticsearch.index.query.Operator.{operator.upper()}")
        params["operator"] = operator
        if "query" not in params:
            raise self.parsing("No text specified for text query", here)
        return QueryNode("match", field_name, params)

    def field_params(self, spec: Any, path: Path, name: str, allowed: tuple[str, ...], short: str) -> dict[str, Any]:
        """The long form `{"field": {"query": ...}}` or the short form `{"field": value}`."""
        if not isinstance(spec, dict):
            if isinstance(spec, list):
                raise self.parsing(f"[{name}] unknown token [START_ARRAY] after [{short}]", path)
            return {short: spec}
        for key, value in spec.items():
            self.refuse_name(key)
            if key not in allowed:
                raise self.parsing(f"[{name}] query does not support [{key}]", path + (key,))
            if isinstance(value, (dict, list)):
                token = "START_OBJECT" if isinstance(value, dict) else "START_ARRAY"
                raise self.parsing(f"[{name}] unknown token [{token}] after [{key}]", path + (key,))
        return dict(spec)

    def _term(self, body: dict[str, Any], path: Path) -> QueryNode:
        field_name, spec, here = self.single_field(body, path, "term")
        params = self.field_params(spec, here, "term", ("value", "boost", "case_insensitive", "_name"), "value")
        if "value" not in params or params["value"] is None:
            raise errors.illegal_argument("value cannot be null")
        if params.get("case_insensitive"):
            raise errors.not_implemented("term query case_insensitive")
        return QueryNode("term", field_name, params)

    def _terms(self, body: dict[str, Any], path: Path) -> QueryNode:
        field_name = None
        params: dict[str, Any] = {}
        for key, value in body.items():
            self.refuse_name(key)
            if isinstance(value, list):
                if field_name is not None:
                    raise self.parsing(f"[terms] query does not support multiple fields", path + (key,))
                field_name, params["values"] = key, value
            elif isinstance(value, dict):
                raise errors.not_implemented("terms lookup")
            elif key == "boost":
                params["boost"] = value
            else:
                raise self.parsing(f"[terms] query does not support [{key}]", path + (key,))
        if field_name is None:
            raise self.parsing("[terms] query requires a field with an array of values", path)
        if any(v is None for v in params["values"]):
            raise errors.illegal_argument("No value specified for terms query")
        return QueryNode("terms", field_name, params)

    def _range(self, body: dict[str, Any], path: Path) -> QueryNode:
        field_name, spec, here = self.single_field(body, path, "range", ("boost", "_name"))
        self.refuse_name("_name" if "_name" in body else "")
        if not isinstance(spec, dict):
            raise self.parsing(f"[range] query does not support [{field_name}]", here)
        allowed = ("gt", "gte", "lt", "lte", "from", "to", "include_lower", "include_upper", "format",
                   "time_zone", "boost", "relation", "_name")
        params = self.field_params(spec, here, "range", allowed, "gte")
        if "boost" in body:
            params.setdefault("boost", body["boost"])
        if params.get("relation", "intersects").lower() != "intersects":
            raise errors.not_implemented("range relation on non-range fields")
        # from/to with include_* are the older spelling of gt/gte/lt/lte.
        if "from" in params:
            params["gte" if params.get("include_lower", True) else "gt"] = params.pop("from")
        if "to" in params:
            params["lte" if params.get("include_upper", True) else "lt"] = params.pop("to")
        return QueryNode("range", field_name, params)

    def _exists(self, body: dict[str, Any], path: Path) -> QueryNode:
        params = self.object_params(body, path, "exists", ("field", "boost", "_name"))
        if not params.get("field"):
            raise errors.illegal_argument("[exists] must be provided with a [field]")
        return QueryNode("exists", params["field"], params)

    def _ids(self, body: dict[str, Any], path: Path) -> QueryNode:
        params = self.object_params(body, path, "ids", ("values", "boost", "_name"))
        values = params.get("values", [])
        if not isinstance(values, list):
            raise errors.x_content_parse(f"[ids] failed to parse field [values]", *self.at(path + ("values",)))
        params["values"] = [v if isinstance(v, str) else str(v) for v in values]
        return QueryNode("ids", params=params)

    def object_params(self, body: dict[str, Any], path: Path, name: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        """Parameters of a query Elasticsearch reads with an ObjectParser (x_content_parse_exception)."""
        for key in body:
            self.refuse_name(key)
            if key not in allowed:
                line, col = self.at(path + (key,), key=True)
                raise errors.x_content_parse(f"[{name}] unknown field [{key}]{suggest(key, allowed)}", line, col)
        return dict(body)

    # -- compound --------------------------------------------------------------------------

    def _bool(self, body: dict[str, Any], path: Path) -> QueryNode:
        allowed = ("must", "filter", "should", "must_not", "minimum_should_match", "boost",
                   "adjust_pure_negative", "_name")
        params = self.object_params(body, path, "bool", allowed)
        node = QueryNode("bool", params={k: v for k, v in params.items() if k not in
                                         ("must", "filter", "should", "must_not")})
        for occur in ("must", "filter", "should", "must_not"):
            clauses = params.get(occur, [])
            here = path + (occur,)
            if isinstance(clauses, dict):
                node.children[occur] = [self.query(clauses, here)]
            else:
                node.children[occur] = [self.query(c, here + (i,)) for i, c in enumerate(clauses)]
        return node


def parse_query(body: Any, path: Path = ("query",), root: Any = None, raw: bytes | str | None = None) -> QueryNode:
    """Parse the query found at `path` of the request body `root` (the body itself if None)."""
    return _Parser(body if root is None else root, raw).query(body, path)


def suggest(unknown: str, candidates: tuple[str, ...] | list[str]) -> str:
    """Elasticsearch's " did you mean [x]?" (Levenshtein similarity above 0.5), or ""."""
    scored = []
    for candidate in candidates:
        similarity = 1 - _levenshtein(unknown, candidate) / max(len(unknown), len(candidate))
        if similarity > 0.5:
            scored.append((-similarity, candidate))
    if not scored:
        return ""
    keys = [c for _, c in sorted(scored)]
    return f" did you mean [{keys[0]}]?" if len(keys) == 1 else f" did you mean any of [{', '.join(keys)}]?"


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
