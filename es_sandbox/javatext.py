"""How Elasticsearch's Java code prints values inside its messages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def java_string(value: Any) -> str:
    """Java's toString of a parsed JSON value (a document's object parses into a java.util.HashMap)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_string(value[k])}" for k in _hash_map_order(list(value))) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(java_string(v) for v in value) + "]"
    if isinstance(value, float):
        return _double(value)
    return str(value)


def _double(value: float) -> str:
    """Double.toString: plain between 10^-3 and 10^7, else scientific (1.0E20)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), -float("inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if 1e-3 <= abs(value) < 1e7 or value == 0:
        return repr(value)
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{len(text) + int(exponent) - 1}"


def _hash_map_order(keys: list[str]) -> list[str]:
    """The iteration order of a java.util.HashMap holding `keys`: by bucket, then insertion."""
    capacity = 16
    while len(keys) > capacity * 3 // 4:
        capacity *= 2

    def bucket(key: str) -> int:
        h = 0
        for unit in key.encode("utf-16-be").hex(" ", 2).split():
            h = (31 * h + int(unit, 16)) & 0xFFFFFFFF
        return (h ^ (h >> 16)) & (capacity - 1)

    return [k for _, _, k in sorted((bucket(k), i, k) for i, k in enumerate(keys))]


def java_class(value: Any) -> str:
    """`value.getClass()` as Java prints it, for a parsed JSON value."""
    if isinstance(value, bool):
        return "class java.lang.Boolean"
    if isinstance(value, int):
        return "class java.lang.Integer" if -(2**31) <= value < 2**31 else "class java.lang.Long"
    if isinstance(value, float):
        return "class java.lang.Double"
    if isinstance(value, list):
        return "class java.util.ArrayList"
    return "class java.lang.String"
