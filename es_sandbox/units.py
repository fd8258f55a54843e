"""Elasticsearch's time and byte-size values ("1s", "12h", "32mb"), with its parse errors."""

from __future__ import annotations

import re

from . import errors

_TIME_UNITS = {"nanos": 1e-6, "micros": 1e-3, "ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
# TimeValue.parseTimeValue tests suffixes in this order ("ms" before "s", "micros" before "s").
_TIME_SUFFIX_ORDER = ("nanos", "micros", "ms", "s", "m", "h", "d")
_BYTE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4, "pb": 1024**5}


def parse_time_millis(value: str, setting: str, allow_minus_one: bool = False) -> int:
    """TimeValue.parseTimeValue: suffixes tried in Elasticsearch's order, with its three refusals."""
    text = str(value).strip().lower()
    if allow_minus_one and text in ("-1", "-1ms", "-1s"):
        return -1
    if text == "0":
        return 0
    unit = next((u for u in _TIME_SUFFIX_ORDER if text.endswith(u)), None)
    if unit is None or (text == "-1" and not allow_minus_one):
        raise errors.illegal_argument(
            f"failed to parse setting [{setting}] with value [{value}] as a time value: unit is missing or unrecognized"
        )
    number = text[: -len(unit)].strip()
    if re.fullmatch(r"[+-]?\d+", number):
        amount = int(number)
        if amount < -1 or (amount == -1 and not allow_minus_one):
            raise errors.illegal_argument(
                f"failed to parse setting [{setting}] with value [{value}] as a time value: negative durations are not supported"
            )
        return int(amount * _TIME_UNITS[unit])
    try:
        float(number)
    except ValueError:
        cause = errors.java_exception("number_format_exception", f'For input string: "{number}"')
        raise errors.illegal_argument(f"failed to parse [{value}]", caused_by=cause) from None
    raise errors.illegal_argument(f"failed to parse [{value}], fractional time values are not supported",
                                  caused_by=errors.java_exception("number_format_exception", f'For input string: "{number}"'))


def parse_bytes(value: str, setting: str) -> int:
    text = str(value).strip().lower()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|pb)", text)
    if not match:
        raise errors.EsError(
            400,
            "parse_exception",
            f"failed to parse setting [{setting}] with value [{value}] as a size in bytes: unit is missing or unrecognized",
        )
    return int(float(match.group(1)) * _BYTE_UNITS[match.group(2)])


def format_bytes(n: int) -> str:
    for unit in ("pb", "tb", "gb", "mb", "kb"):
        size = _BYTE_UNITS[unit]
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return f"{n}b"
