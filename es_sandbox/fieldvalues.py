"""What a field makes of the values in `_source`: coercion, indexed terms and doc values.

Values are coerced as Elasticsearch's field mappers do (a string "5" in a long field is 5, a float
field holds float32). Index-time validation raises `Malformed`; search-time readers skip values a
field could not have indexed (malformed, or keyword values longer than `ignore_above`).
"""

from __future__ import annotations

import ipaddress
import math
import struct
from typing import Any, Iterator

from . import errors
from .analysis import analyze
from .dates import DateParseError
from .javatext import java_string
from .mapping import FLOAT_TYPES, INTEGER_TYPES, FieldDef, Mappings

_RANGES = {"long": (-(2**63), 2**63 - 1, "a long"), "integer": (-(2**31), 2**31 - 1, "an integer"),
           "short": (-(2**15), 2**15 - 1, "a short"), "byte": (-128, 127, "a byte")}
_FLOAT_LIMITS = {"float": 3.4028234663852886e38, "half_float": 65504.0}
_STRING_TYPES = frozenset({"text", "keyword"})


class Malformed(Exception):
    """Raised when a value cannot be indexed by its field; carries the Java exception ES reports.

    A reason containing `{at}` is completed with the value's "line:col" by the caller.
    """

    def __init__(self, type_: str, reason: str, inner: tuple[str, str] | None = None) -> None:
        super().__init__(reason)
        self.type = type_
        self.reason = reason
        self.inner = inner

    def cause(self, at: str) -> errors.EsError:
        inner = errors.java_exception(*self.inner) if self.inner else None
        return errors.java_exception(self.type, self.reason.replace("{at}", at), inner)


def source_values(source: Any, path: str) -> list[Any]:
    """The leaf values at a dotted path of `_source`, arrays flattened; dotted keys are followed too."""
    if type(source) is dict and "." not in path:  # the common case, without the walk
        if path not in source:
            return []
        value = source[path]
        if type(value) is not list:
            return [value]
    out: list[Any] = []
    _collect(source, path.split("."), out)
    return out


def _collect(node: Any, parts: list[str], out: list[Any]) -> None:
    if isinstance(node, list):
        for item in node:
            _collect(item, parts, out)
        return
    if not parts:
        out.append(node)
        return
    if not isinstance(node, dict):
        return
    for i in range(1, len(parts) + 1):
        key = ".".join(parts[:i])
        if key in node:
            _collect(node[key], parts[i:], out)


def _token(value: Any) -> str:
    if isinstance(value, bool):
        return "VALUE_BOOLEAN"
    if isinstance(value, (int, float)):
        return "VALUE_NUMBER"
    if isinstance(value, dict):
        return "START_OBJECT"
    return "VALUE_STRING"


def to_float32(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


def to_float16(value: float) -> float:
    return struct.unpack("e", struct.pack("e", value))[0]


def convert(fd: FieldDef, value: Any) -> Any:
    """The value a field indexes for one JSON scalar (or object, which most fields refuse)."""
    kind = fd.type
    if kind in _STRING_TYPES:
        if type(value) is str:
            return value
        if isinstance(value, (dict, list)):
            raise Malformed("illegal_state_exception", f"Can't get text on a {_token(value)} at {{at}}")
        return value if isinstance(value, str) else java_string(value)
    if kind in INTEGER_TYPES:
        return _integer(fd, value)
    if kind in FLOAT_TYPES:
        return _float(fd, value)
    if kind == "boolean":
        return _boolean(value)
    if kind == "date":
        return _date(fd, value)
    if kind == "ip":
        return _ip(value)
    raise Malformed("illegal_state_exception", f"Can't get text on a {_token(value)} at {{at}}")


def _number_text(value: Any) -> str:
    if isinstance(value, (dict, bool)):
        raise Malformed("illegal_argument_exception",
                        f"Current token ({_token(value)}) not numeric, can not use numeric value accessors")
    return value if isinstance(value, str) else java_string(value)


def _integer(fd: FieldDef, value: Any) -> int:
    low, high, name = _RANGES[fd.type]
    if type(value) is int and low <= value <= high:
        return value
    text = _number_text(value)
    if isinstance(value, int):
        number: float | int = value
    else:
        try:
            number = int(text) if text.lstrip("+-").isdigit() else float(text)
        except ValueError:
            # Long parsing goes through Numbers.toLong (IllegalArgumentException); the smaller
            # types through Double.parseDouble (NumberFormatException).
            kind = "illegal_argument_exception" if fd.type == "long" else "number_format_exception"
            raise Malformed(kind, f'For input string: "{text}"') from None
    if isinstance(number, float):
        if math.isnan(number) or math.isinf(number) or not low <= number <= high:
            raise Malformed("illegal_argument_exception", f"Value [{text}] is out of range for {name}")
        if fd.param("coerce") is False and number != int(number):
            raise Malformed("illegal_argument_exception", f"Value [{text}] has a decimal part")
        number = int(number)
    if not low <= number <= high:
        raise Malformed("illegal_argument_exception", f"Value [{text}] is out of range for {name}")
    return number


def _float(fd: FieldDef, value: Any) -> float:
    if type(value) in (int, float):
        number = float(value)
    else:
        text = _number_text(value)
        try:
            number = float(text.strip())
        except ValueError:
            raise Malformed("number_format_exception", f'For input string: "{text}"') from None
    if math.isnan(number) or math.isinf(number):
        raise Malformed("illegal_argument_exception",
                        f"[{fd.type}] supports only finite values, but got [{java_string(number)}]")
    limit = _FLOAT_LIMITS.get(fd.type)
    if limit is not None and abs(number) > limit:
        raise Malformed("illegal_argument_exception",
                        f"[{fd.type}] supports only finite values, but got [Infinity]")
    if fd.type == "float":
        return to_float32(number)
    if fd.type == "half_float":
        return to_float16(number)
    if fd.type == "scaled_float":
        factor = float(fd.param("scaling_factor"))
        return round(number * factor) / factor
    return number


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value in ("true", "false", ""):
            return value == "true"
        raise Malformed("illegal_argument_exception",
                        f"Failed to parse value [{value}] as only [true] or [false] are allowed.")
    raise Malformed("illegal_argument_exception", f"Current token ({_token(value)}) not of boolean type")


def _date(fd: FieldDef, value: Any) -> int:
    if isinstance(value, (dict, bool)):
        raise Malformed("illegal_state_exception", f"Can't get text on a {_token(value)} at {{at}}")
    text = value if isinstance(value, str) else java_string(value)
    fmt = fd.date_format
    try:
        return fmt.parse(text)
    except DateParseError as exc:
        raise Malformed("illegal_argument_exception", f"failed to parse date field [{text}] with format [{fmt.spec}]",
                        ("date_time_parse_exception", str(exc))) from None


def _ip(value: Any) -> int:
    if isinstance(value, dict):
        raise Malformed("illegal_state_exception", f"Can't get text on a {_token(value)} at {{at}}")
    text = value if isinstance(value, str) else java_string(value)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise Malformed("illegal_argument_exception", f"'{text}' is not an IP string literal.") from None
    if isinstance(address, ipaddress.IPv4Address):
        return int(address) | 0xFFFF00000000
    return int(address)


def render_ip(value: int) -> str:
    address = ipaddress.IPv6Address(value)
    return str(address.ipv4_mapped or address)


def _values(fd: FieldDef, source: Any) -> Iterator[Any]:
    """Typed values of a field in one document; unparseable values skipped as ES never indexed them."""
    for raw in source_values(source, fd.source_path):
        if raw is None:
            raw = fd.param("null_value")
            if raw is None:
                continue
        try:
            value = convert(fd, raw)
        except Malformed:
            continue
        if fd.type == "keyword" and len(value) > fd.param("ignore_above"):
            continue
        yield value


def values(fd: FieldDef, source: Any) -> list[Any]:
    """A field's typed values in one document: what exists, range, sorting and aggregations read."""
    return list(_values(fd, source))


def field_values(mappings: Mappings, path: str, source: Any) -> list[Any]:
    """The values field `path` indexes for a document (`name.keyword` reads `name`); [] if unmapped."""
    fd = mappings.field(path)
    return [] if fd is None or fd.is_object else values(fd, source)


def terms(fd: FieldDef, source: Any) -> list[Any]:
    """The terms the inverted index holds: analyzed tokens for text, the values otherwise."""
    if fd.type == "text":
        return [token for value in _values(fd, source) for token in analyze(value)]
    return list(_values(fd, source))


_NO_LIMIT = 2147483647  # ignore_above's default: no string is longer


def ignorable_fields(mappings: Mappings) -> list[FieldDef]:
    """The fields that can ignore a value (keyword ignore_above, ignore_malformed), computed once
    per mapping version: most mappings have few or none, and every hit asks."""
    cached = mappings.__dict__.get("_ignorable")
    if cached is not None and cached[0] == mappings.version:
        return cached[1]
    found = []
    for path in mappings.leaf_paths():
        fd = mappings.field(path)
        if fd is None or fd.runtime:
            continue
        if fd.param("ignore_malformed") is True or (fd.type == "keyword" and fd.param("ignore_above") < _NO_LIMIT):
            found.append(fd)
    mappings.__dict__["_ignorable"] = (mappings.version, found)
    return found


def ignored_fields(mappings: Mappings, source: Any) -> list[str]:
    """The `_ignored` of a document: fields holding a value over ignore_above, or a malformed one ignored."""
    ignored = set()
    for fd in ignorable_fields(mappings):
        for raw in source_values(source, fd.source_path):
            if raw is None:
                continue
            try:
                value = convert(fd, raw)
            except Malformed:
                if fd.param("ignore_malformed") is True:
                    ignored.add(fd.path)
                continue
            if fd.type == "keyword" and len(value) > fd.param("ignore_above"):
                ignored.add(fd.path)
    return sorted(ignored)
