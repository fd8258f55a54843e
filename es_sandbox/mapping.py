"""An index's mapping, as Elasticsearch 8 parses, prints, merges and reads it.

`Mappings` holds the field definitions; `documents.py` applies dynamic mapping and validates
documents against them; `fieldvalues.py` turns source values into what a field indexes.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Any

from . import errors
from .dates import DEFAULT_FORMAT, DateFormat
from .javatext import java_class, java_string

INTEGER_TYPES = frozenset({"long", "integer", "short", "byte"})
FLOAT_TYPES = frozenset({"double", "float", "half_float", "scaled_float"})
NUMERIC_TYPES = INTEGER_TYPES | FLOAT_TYPES
LEAF_TYPES = NUMERIC_TYPES | {"text", "keyword", "boolean", "date", "ip"}
OBJECT_TYPES = frozenset({"object", "nested"})
# Types Elasticsearch has that the practice cluster does not emulate: refused as not emulated,
# never as "No handler for type", which would be a false Elasticsearch answer.
_NOT_EMULATED_TYPES = frozenset({
    "match_only_text", "wildcard", "constant_keyword", "flattened", "unsigned_long", "version",
    "binary", "alias", "geo_point", "geo_shape", "point", "shape", "dense_vector", "sparse_vector",
    "rank_feature", "rank_features", "completion", "search_as_you_type", "token_count", "murmur3",
    "annotated_text", "histogram", "aggregate_metric_double", "date_nanos", "percolator", "join",
    "integer_range", "float_range", "long_range", "double_range", "date_range", "ip_range",
    "semantic_text", "counted_keyword", "passthrough",
})

_COMMON = {"index": True, "store": False, "doc_values": True, "meta": None}
_SCRIPTED = {"script": None, "on_script_error": "fail"}
# Parameters each type accepts, with the default a GET _mapping leaves out.
PARAMETERS: dict[str, dict[str, Any]] = {
    "text": {"index": True, "store": False, "meta": None, "analyzer": "default",
             "search_analyzer": "default", "search_quote_analyzer": "default", "fielddata": False,
             "norms": True, "index_options": "positions", "position_increment_gap": 100,
             "term_vector": "no", "similarity": "BM25", "eager_global_ordinals": False,
             "index_phrases": False, "index_prefixes": None, "fielddata_frequency_filter": None},
    "keyword": {**_COMMON, **_SCRIPTED, "ignore_above": 2147483647, "null_value": None,
                "eager_global_ordinals": False, "split_queries_on_whitespace": False, "norms": False,
                "index_options": "docs", "similarity": "BM25", "time_series_dimension": False},
    "date": {**_COMMON, **_SCRIPTED, "format": DEFAULT_FORMAT, "locale": "ROOT",
             "ignore_malformed": False, "null_value": None},
    "boolean": {**_COMMON, **_SCRIPTED, "null_value": None},
    "ip": {**_COMMON, **_SCRIPTED, "ignore_malformed": False, "null_value": None,
           "time_series_dimension": False},
}
for _numeric in NUMERIC_TYPES:
    PARAMETERS[_numeric] = {**_COMMON, **_SCRIPTED, "coerce": True, "ignore_malformed": False,
                            "null_value": None, "time_series_dimension": False,
                            "time_series_metric": None}
PARAMETERS["scaled_float"]["scaling_factor"] = None

# Parameters a PUT _mapping may change; any other difference is a conflict.
_UPDATABLE = frozenset({"ignore_above", "eager_global_ordinals", "split_queries_on_whitespace",
                        "meta", "fielddata", "fielddata_frequency_filter", "search_analyzer",
                        "search_quote_analyzer", "coerce", "ignore_malformed"})
# Parameters that change what a field matches: refused as not emulated rather than ignored.
_NOT_EMULATED_PARAMS = frozenset({"script", "normalizer", "copy_to", "index_prefixes",
                                  "index_phrases"})
_SUPPORTED_ANALYZERS = ("default", "standard")
_BUILTIN_ANALYZERS = frozenset({"simple", "whitespace", "stop", "keyword", "pattern",
                                "fingerprint", "english", "french", "german", "spanish"})
_ROOT_PARAMS = ("dynamic", "date_detection", "numeric_detection", "dynamic_date_formats",
                "_meta", "_source", "_routing", "runtime")
DYNAMIC_DATE_FORMATS = [DEFAULT_FORMAT, "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis"]
RUNTIME_TYPES = frozenset({"keyword", "long", "double", "boolean", "date", "ip"})


@functools.lru_cache(maxsize=256)
def _date_format(spec: str) -> DateFormat:
    """Formats are parsed once: every date value indexed or queried goes through one."""
    return DateFormat(spec)


@dataclass
class FieldDef:
    """One mapped field, object, multi-field or runtime field."""

    path: str  # full name, as queried (`name.keyword`)
    source_path: str  # where its values are in _source (`name`)
    type: str
    params: dict[str, Any] = field(default_factory=dict)  # as written, minus structure keys
    properties: dict[str, FieldDef] = field(default_factory=dict)
    fields: dict[str, FieldDef] = field(default_factory=dict)  # multi-fields
    dynamic: str | None = None  # objects only
    runtime: bool = False

    def param(self, name: str) -> Any:
        if name in self.params:
            return self.params[name]
        return PARAMETERS.get(self.type, {}).get(name)

    @property
    def is_object(self) -> bool:
        return self.type in OBJECT_TYPES

    @property
    def date_format(self) -> DateFormat:
        return _date_format(self.param("format") or DEFAULT_FORMAT)

    def to_body(self) -> dict[str, Any]:
        if self.is_object:
            out: dict[str, Any] = {}
            if self.type == "nested" or not self.properties:
                out["type"] = self.type
            if self.dynamic is not None:
                out["dynamic"] = self.dynamic
            out.update(self.params)
            if self.properties:
                out["properties"] = {n: f.to_body() for n, f in self.properties.items()}
            return out
        out = {"type": self.type}
        defaults = PARAMETERS.get(self.type, {})
        out.update({k: v for k, v in self.params.items() if k not in defaults or defaults[k] != v})
        if self.fields:
            out["fields"] = {n: f.to_body() for n, f in self.fields.items()}
        return out


def _unsupported(what: str, leftovers: dict[str, Any]) -> errors.EsError:
    listed = ", ".join(f"{k} : {java_string(v)}" for k, v in leftovers.items())
    return errors.mapper_parsing(f"{what} has unsupported parameters:  [{listed}]")


def _parse_dynamic(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.lower() in ("true", "false", "strict", "runtime"):
        return value.lower()
    raise errors.mapper_parsing("Could not convert [dynamic] to boolean")


def _parse_field(name: str, path: str, body: Any, multi_field_of: str | None = None) -> FieldDef:
    if not isinstance(body, dict):
        raise errors.mapper_parsing(f"Expected map for property [fields] on field [{name}] but got a "
                                    f"{java_class(body)}")
    spec = dict(body)
    declared = spec.pop("type", None)
    kind = declared if declared is not None else ("object" if multi_field_of is None else None)
    if kind is None:
        raise errors.mapper_parsing(f"No type specified for field [{name}]")
    if kind in _NOT_EMULATED_TYPES:
        raise errors.not_implemented(f"field type {kind}")
    if kind not in LEAF_TYPES and kind not in OBJECT_TYPES:
        raise errors.mapper_parsing(f"No handler for type [{kind}] declared on field [{name}]")
    source_path = multi_field_of or path
    if kind in OBJECT_TYPES:
        if multi_field_of is not None:
            raise errors.mapper_parsing(f"Type [{kind}] cannot be used in multi field")
        return _parse_object(name, path, kind, spec)
    definition = FieldDef(path=path, source_path=source_path, type=kind)
    subfields = spec.pop("fields", None)
    allowed = PARAMETERS[kind]
    for key, value in spec.items():
        if key not in allowed:
            raise errors.mapper_parsing(f"unknown parameter [{key}] on mapper [{name}] of type [{kind}]")
        if key in _NOT_EMULATED_PARAMS:
            raise errors.not_implemented(f"mapping parameter {key}")
        _check_param(key, value)
        definition.params[key] = value
    if kind == "scaled_float" and "scaling_factor" not in spec:
        raise errors.mapper_parsing("Field [scaling_factor] is required")
    if subfields is not None:
        if not isinstance(subfields, dict):
            raise errors.mapper_parsing(f"Expected map for property [fields] on field [{name}]")
        for sub_name, sub_body in subfields.items():
            definition.fields[sub_name] = _parse_field(sub_name, f"{path}.{sub_name}", sub_body, source_path)
    return definition


def _check_param(key: str, value: Any) -> None:
    if key in ("analyzer", "search_analyzer", "search_quote_analyzer") and value not in _SUPPORTED_ANALYZERS:
        if value in _BUILTIN_ANALYZERS:
            raise errors.not_implemented(f"analyzer {value}")
        raise errors.mapper_parsing(f"analyzer [{value}] has not been configured in mappings")
    if key == "format":
        try:
            DateFormat(value)
        except ValueError as exc:
            raise errors.mapper_parsing(f"Invalid format: [{value}]: {exc}") from None
    if key == "ignore_above" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise errors.mapper_parsing(f"[ignore_above] must be positive, got [{value}]")


def _parse_object(name: str, path: str, kind: str, spec: dict[str, Any]) -> FieldDef:
    definition = FieldDef(path=path, source_path=path, type=kind)
    if "dynamic" in spec:
        definition.dynamic = _parse_dynamic(spec.pop("dynamic"))
    properties = spec.pop("properties", None)
    allowed = {"enabled", "subobjects"} | ({"include_in_parent", "include_in_root"} if kind == "nested" else set())
    leftovers = {k: v for k, v in spec.items() if k not in allowed}
    if leftovers:
        raise _unsupported(f"Mapping definition for [{name}]", leftovers)
    definition.params.update(spec)
    if properties is not None:
        definition.properties = _parse_properties(properties, path)
    return definition


def _parse_properties(properties: Any, prefix: str) -> dict[str, FieldDef]:
    if not isinstance(properties, dict):
        raise errors.mapper_parsing("Expected map for property [properties]")
    parsed: dict[str, FieldDef] = {}
    for name, body in properties.items():
        if name == "":
            raise errors.mapper_parsing("field name cannot be an empty string")
        # A dotted name declares the objects on its path: {"a.b": {...}} is {"a": {"properties": {"b": ...}}}.
        head, _, rest = name.partition(".")
        full = f"{prefix}.{head}" if prefix else head
        if rest:
            inner = _parse_properties({rest: body}, full)
            holder = parsed.get(head) or FieldDef(path=full, source_path=full, type="object")
            _merge_into(holder, FieldDef(path=full, source_path=full, type="object", properties=inner))
            parsed[head] = holder
        else:
            parsed[head] = _parse_field(head, full, body)
    return parsed


class Mappings:
    """The mapping of one index; `version` grows by one on every change."""

    def __init__(self) -> None:
        self.properties: dict[str, FieldDef] = {}
        self.runtime: dict[str, FieldDef] = {}
        self.dynamic: str | None = None
        self.root_params: dict[str, Any] = {}
        self.version = 1
        self.type_name: str | None = None  # 6.x: the index's one mapping type, once named (mapping_types.py)

    @classmethod
    def from_body(cls, body: dict[str, Any] | None) -> Mappings:
        mappings = cls()
        mappings._load(body or {})
        return mappings

    def _load(self, body: dict[str, Any]) -> None:
        if set(body) == {"_doc"} and isinstance(body["_doc"], dict):
            body = body["_doc"]
        spec = dict(body)
        if "dynamic" in spec:
            self.dynamic = _parse_dynamic(spec.pop("dynamic"))
        if "dynamic_templates" in spec:
            raise errors.not_implemented("dynamic_templates")
        self.properties = _parse_properties(spec.pop("properties", {}), "")
        for name, definition in (spec.pop("runtime", None) or {}).items():
            self.runtime[name] = _parse_runtime(name, definition)
        leftovers = {k: v for k, v in spec.items() if k not in _ROOT_PARAMS}
        if leftovers:
            raise _unsupported("Root mapping definition", leftovers)
        for key in ("date_detection", "numeric_detection"):
            if key in spec and not isinstance(spec[key], bool):
                raise errors.mapper_parsing(f"Could not convert [{key}] to boolean")
        for fmt in spec.get("dynamic_date_formats", []):
            try:
                DateFormat(fmt)
            except ValueError as exc:
                raise errors.mapper_parsing(f"Invalid format: [{fmt}]: {exc}") from None
        self.root_params = spec

    def to_body(self) -> dict[str, Any]:
        """The mapping as GET _mapping shows it."""
        out: dict[str, Any] = {}
        if self.dynamic is not None:
            out["dynamic"] = self.dynamic
        out.update(self.root_params)
        if self.runtime:
            out["runtime"] = {name: {"type": f.type, **f.params} for name, f in self.runtime.items()}
        if self.properties:
            out["properties"] = {name: f.to_body() for name, f in self.properties.items()}
        return out

    def merge(self, body: dict[str, Any] | None) -> bool:
        """Apply a PUT _mapping body; refuse conflicts as Elasticsearch does. True if it changed."""
        incoming = Mappings.from_body(body)
        merged = copy.deepcopy(self)
        for name, definition in incoming.properties.items():
            if name in merged.properties:
                _merge_into(merged.properties[name], definition)
            else:
                merged.properties[name] = definition
        merged.runtime.update(incoming.runtime)
        if incoming.dynamic is not None:
            merged.dynamic = incoming.dynamic
        merged.root_params.update(incoming.root_params)
        return self._replace_with(merged)

    def _replace_with(self, other: Mappings) -> bool:
        if other.to_body() == self.to_body():
            return False
        self.properties, self.runtime = other.properties, other.runtime
        self.dynamic, self.root_params = other.dynamic, other.root_params
        self.version += 1
        return True

    def apply_dynamic(self, doc_id: str | None, source: dict[str, Any], raw: bytes | str | None = None) -> bool:
        """Validate a document and map the fields it introduces (see documents.apply_dynamic)."""
        from .documents import apply_dynamic  # documents builds on this module

        return apply_dynamic(self, doc_id, source, raw)

    # -- lookups ---------------------------------------------------------------------------

    def field(self, path: str) -> FieldDef | None:
        """The field queried as `path`: a property, a multi-field (`name.keyword`) or runtime field."""
        if path in self.runtime:
            return self.runtime[path]
        return _lookup(self.properties, path.split("."))

    def in_nested(self, path: str) -> bool:
        """Whether `path` lies inside a nested object: plain queries and aggregations never see it."""
        properties, parts = self.properties, path.split(".")
        while parts:
            for cut in range(len(parts), 0, -1):
                found = properties.get(".".join(parts[:cut]))
                if found is not None:
                    break
            else:
                return False
            parts = parts[cut:]
            if not found.is_object or not parts:
                return False
            if found.type == "nested":
                return True
            properties = found.properties
        return False

    def field_type(self, path: str) -> str | None:
        found = self.field(path)
        return found.type if found else None

    def leaf_paths(self) -> list[str]:
        """Every searchable field name, multi-fields included (for `*` patterns)."""
        out: list[str] = []
        _collect_leaves(self.properties, out)
        return out + list(self.runtime)

    @property
    def date_detection(self) -> bool:
        return self.root_params.get("date_detection", True)

    @property
    def numeric_detection(self) -> bool:
        return self.root_params.get("numeric_detection", False)

    @property
    def dynamic_date_formats(self) -> list[str]:
        return self.root_params.get("dynamic_date_formats", DYNAMIC_DATE_FORMATS)


def _parse_runtime(name: str, body: Any) -> FieldDef:
    if not isinstance(body, dict) or "type" not in body:
        raise errors.mapper_parsing(f"No type specified for runtime field [{name}]")
    spec = dict(body)
    kind = spec.pop("type")
    if "script" in spec:
        raise errors.not_implemented("runtime field scripts")
    if kind not in RUNTIME_TYPES:
        raise errors.mapper_parsing(f"No handler for type [{kind}] declared on runtime field [{name}]")
    return FieldDef(path=name, source_path=name, type=kind, params=spec, runtime=True)


def _lookup(properties: dict[str, FieldDef], parts: list[str]) -> FieldDef | None:
    for i in range(len(parts), 0, -1):
        head = ".".join(parts[:i])
        found = properties.get(head)
        if found is None:
            continue
        rest = parts[i:]
        if not rest:
            return None if found.is_object and found.param("enabled") is False else found
        if found.is_object:
            if found.param("enabled") is False:
                return None
            return _lookup(found.properties, rest)
        return _lookup(found.fields, rest)
    return None


def _collect_leaves(properties: dict[str, FieldDef], out: list[str]) -> None:
    for definition in properties.values():
        if definition.is_object:
            if definition.param("enabled") is not False:
                _collect_leaves(definition.properties, out)
            continue
        out.append(definition.path)
        _collect_leaves(definition.fields, out)


def _merge_into(existing: FieldDef, incoming: FieldDef) -> None:
    """Merge `incoming` into `existing` in place, raising Elasticsearch's conflict errors."""
    if existing.is_object != incoming.is_object:
        if existing.is_object:
            raise errors.illegal_argument(f"can't merge a non object mapping [{existing.path}] with an object mapping")
        raise errors.illegal_argument(
            f"mapper [{existing.path}] cannot be changed from type [{existing.type}] to [ObjectMapper]")
    if existing.is_object:
        if existing.type != incoming.type:
            raise errors.illegal_argument(
                f"can't merge a non-nested mapping [{existing.path}] with a nested mapping"
                if existing.type == "object" else
                f"can't merge a nested mapping [{existing.path}] with a non-nested mapping")
        if incoming.dynamic is not None:
            existing.dynamic = incoming.dynamic
        existing.params.update(incoming.params)
        for name, definition in incoming.properties.items():
            if name in existing.properties:
                _merge_into(existing.properties[name], definition)
            else:
                existing.properties[name] = definition
        return
    if existing.type != incoming.type:
        raise errors.illegal_argument(
            f"mapper [{existing.path}] cannot be changed from type [{existing.type}] to [{incoming.type}]")
    conflicts = []
    for key in PARAMETERS[existing.type]:
        before, after = existing.param(key), incoming.param(key)
        if before != after and key not in _UPDATABLE and not (key == "norms" and before and not after):
            conflicts.append(f"Cannot update parameter [{key}] from [{java_string(before)}] to [{java_string(after)}]")
    if conflicts:
        raise errors.illegal_argument(
            f"Mapper for [{existing.path}] conflicts with existing mapper:\n\t" + "\n\t".join(conflicts))
    existing.params = dict(incoming.params)
    for name, definition in incoming.fields.items():
        if name in existing.fields:
            _merge_into(existing.fields[name], definition)
        else:
            existing.fields[name] = definition
