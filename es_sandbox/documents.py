"""Index-time parsing of a document against a mapping: dynamic mapping and value validation.

The document is walked in source order, as Elasticsearch's DocumentParser reads it, so the first
failure reported is the one Elasticsearch reports, with the `[line:col]` of the offending token.
A refused document changes nothing; an accepted one adds the fields it introduced, all at once.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from . import errors
from .dates import DEFAULT_FORMAT, DateFormat, DateParseError
from .fieldvalues import Malformed, convert
from .javatext import java_string
from .jsonloc import Path, locate
from .mapping import FieldDef, Mappings

_METADATA_FIELDS = frozenset({"_id", "_index", "_source", "_routing", "_ignored", "_seq_no",
                              "_primary_term", "_version", "_field_names", "_nested_path", "_tier"})
# What Java's Long.parseLong and Double.parseDouble accept: dynamic mapping never detects a date in
# a string either would parse.
_JAVA_LONG = re.compile(r"[+-]?\d+")
_JAVA_DOUBLE = re.compile(r"\s*[+-]?(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?)\s*")


def apply_dynamic(mappings: Mappings, doc_id: str | None, source: dict[str, Any],
                  raw: bytes | str | None = None) -> bool:
    """Validate `source` and add the fields it introduces. True if the mapping changed.

    `raw` is the body as the client sent it, for exact `[line:col]` locations in errors.
    """
    walker = _Walker(mappings, doc_id, source, raw)
    root = _Scope(mappings.properties, "", mappings.dynamic or "true", "_doc", fresh=False)
    walker.walk_object(source, root, ())
    if not walker.added:
        return False
    updated = copy.deepcopy(mappings)
    for parent_path, definition in walker.added:
        if definition.runtime:
            updated.runtime[definition.path] = definition
            continue
        parent = updated.properties if not parent_path else updated.field(parent_path).properties
        parent[definition.path.rsplit(".", 1)[-1]] = definition
    return mappings._replace_with(updated)


_SCALARS = frozenset({str, int, float, bool})
_STRING_TYPES = frozenset({"text", "keyword"})


def _takes_any_string(definition: FieldDef) -> bool:
    return definition.type in _STRING_TYPES and all(f.type in _STRING_TYPES for f in definition.fields.values())


@dataclass
class _Scope:
    """The object being walked: its mapped properties and the dynamic setting that applies."""

    properties: dict[str, FieldDef]
    path: str  # full path of the object, "" at the root
    dynamic: str
    name: str  # as strict_dynamic_mapping_exception names it: "_doc" at the root
    fresh: bool  # created by this document, so not part of the mapping yet

    def child(self, definition: FieldDef, fresh: bool) -> _Scope:
        return _Scope(definition.properties, definition.path, definition.dynamic or self.dynamic,
                      definition.path, fresh)


class _Walker:
    def __init__(self, mappings: Mappings, doc_id: str | None, source: dict[str, Any],
                 raw: bytes | str | None) -> None:
        self.mappings = mappings
        self.doc_id = doc_id
        self.source = source
        self.raw = raw
        self.pending: dict[str, FieldDef] = {}  # new fields whose parent is already mapped
        self.added: list[tuple[str, FieldDef]] = []  # (parent path, field) in creation order

    def at(self, json_path: Path) -> tuple[int, int]:
        return locate(self.raw, self.source, json_path)

    def walk_object(self, obj: dict[str, Any], scope: _Scope, json_path: Path) -> None:
        properties = scope.properties
        for key, value in obj.items():
            # The common case first: a plain key naming a mapped leaf, with a scalar value. Text and
            # keyword fields take any string; other values are checked as walk_value would.
            known = properties.get(key)
            if (known is not None and type(value) in _SCALARS and not known.is_object and not known.runtime
                    and "." not in key and (scope.path or not key.startswith("_"))):
                if type(value) is not str or not _takes_any_string(known):
                    self.check_leaf(known, value, json_path + (key,))
                continue
            here = json_path + (key,)
            if key.strip(".") == "":
                raise errors.document_parsing("field name cannot be an empty string", *self.at(here))
            if not scope.path and key in _METADATA_FIELDS:
                raise errors.document_parsing(
                    f"Field [{key}] is a metadata field and cannot be added inside a document. "
                    "Use the index API request parameters.", *self.at(here))
            self.walk_value(value, key.split("."), scope, here)

    def lookup(self, name: str, scope: _Scope) -> FieldDef | None:
        full = f"{scope.path}.{name}" if scope.path else name
        return (scope.properties.get(name) or self.pending.get(full) or self.mappings.runtime.get(full))

    def walk_value(self, value: Any, parts: list[str], scope: _Scope, json_path: Path) -> None:
        name = parts[0]
        existing = self.lookup(name, scope)
        if len(parts) > 1:
            # A dotted key ("a.b") goes through object "a", created if dynamic allows.
            if existing is None:
                existing = self.create(name, {}, scope, json_path)
                if existing is None:
                    return
                fresh = True
            else:
                fresh = scope.fresh or existing.path in self.pending
            if not existing.is_object:
                full = ".".join([existing.path, *parts[1:]])
                raise errors.document_parsing(
                    f"Could not dynamically add mapping for field [{full}]. Existing mapping for "
                    f"[{existing.path}] must be of type object but found [{existing.type}].", *self.at(json_path))
            if existing.param("enabled") is not False:
                self.walk_value(value, parts[1:], scope.child(existing, fresh), json_path)
            return
        if isinstance(value, list):
            if existing is None and scope.dynamic == "strict":
                self.strict(name, scope, json_path)
            for index, item in enumerate(value):
                self.walk_value(item, parts, scope, json_path + (index,))
            return
        if value is None:
            if existing is None and scope.dynamic == "strict":
                self.strict(name, scope, json_path)
            return
        fresh = scope.fresh
        if existing is None:
            existing = self.create(name, value, scope, json_path)
            if existing is None:
                return
            fresh = True
        elif existing.path in self.pending:
            fresh = True
        if existing.runtime:
            return  # runtime fields read _source at search time: nothing is indexed, nothing refused
        if not existing.is_object:
            self.check_leaf(existing, value, json_path)
            return
        if not isinstance(value, dict):
            raise errors.document_parsing(
                f"object mapping for [{existing.path}] tried to parse field [{name}] as object, "
                "but found a concrete value", *self.at(json_path))
        if existing.param("enabled") is not False:
            self.walk_object(value, scope.child(existing, fresh), json_path)

    def check_leaf(self, definition: FieldDef, value: Any, json_path: Path) -> None:
        for target in [definition, *definition.fields.values()]:
            try:
                convert(target, value)
            except Malformed as malformed:
                if target.param("ignore_malformed") is not True:
                    self.fail(target, value, json_path, malformed)

    def fail(self, definition: FieldDef, value: Any, json_path: Path, malformed: Malformed) -> None:
        line, col = self.at(json_path)
        described = "document" if self.doc_id is None else f"document with id '{self.doc_id}'"
        raise errors.document_parsing(
            f"failed to parse field [{definition.path}] of type [{definition.type}] in {described}. "
            f"Preview of field's value: '{java_string(value)}'",
            line, col, malformed.cause(f"{line}:{col}"))

    def strict(self, name: str, scope: _Scope, json_path: Path) -> None:
        raise errors.strict_dynamic_mapping(name, scope.name, *self.at(json_path))

    def create(self, name: str, value: Any, scope: _Scope, json_path: Path) -> FieldDef | None:
        """Map a new field from its first value, as dynamic mapping does; None when ignored."""
        if scope.dynamic == "strict":
            self.strict(name, scope, json_path)
        if scope.dynamic == "false":
            return None
        full = f"{scope.path}.{name}" if scope.path else name
        if isinstance(value, dict):
            definition = FieldDef(path=full, source_path=full, type="object")
        else:
            definition = self.leaf(full, value, runtime=scope.dynamic == "runtime")
        if definition.runtime:
            self.pending[full] = definition
            self.added.append((scope.path, definition))
        elif scope.fresh:
            scope.properties[name] = definition
        else:
            self.pending[full] = definition
            self.added.append((scope.path, definition))
        return definition

    def leaf(self, full: str, value: Any, runtime: bool) -> FieldDef:
        kind, date_format = self.detect(value)
        if runtime:
            kind = {"text": "keyword", "float": "double"}.get(kind, kind)
        definition = FieldDef(path=full, source_path=full, type=kind, runtime=runtime)
        if kind == "text":
            definition.fields["keyword"] = FieldDef(path=f"{full}.keyword", source_path=full, type="keyword",
                                                    params={"ignore_above": 256})
        if date_format is not None and date_format != DEFAULT_FORMAT:
            definition.params["format"] = date_format
        return definition

    def detect(self, value: Any) -> tuple[str, str | None]:
        if isinstance(value, bool):
            return "boolean", None
        if isinstance(value, int):
            return "long", None
        if isinstance(value, float):
            return "float", None
        text = value if isinstance(value, str) else java_string(value)
        as_long = bool(_JAVA_LONG.fullmatch(text)) and -(2**63) <= int(text) < 2**63
        as_double = bool(_JAVA_DOUBLE.fullmatch(text))
        if self.mappings.numeric_detection and (as_long or as_double):
            return ("long" if as_long else "float"), None
        if not as_long and not as_double and self.mappings.date_detection:
            for spec in self.mappings.dynamic_date_formats:
                try:
                    DateFormat(spec).parse(text)
                except DateParseError:
                    continue
                return "date", spec
        return "text", None
