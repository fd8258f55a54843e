"""The documented CCR follower settings, with the checks Elasticsearch applies to them.

These settings go into the body of `PUT <follower>/_ccr/follow`, `resume_follow` and auto-follow
patterns. Checking them here means a typo fails with the setting's name before the first request.
"""

from __future__ import annotations

import re
from typing import Any

# Documented defaults, shown to users next to the values they chose.
DEFAULTS: dict[str, Any] = {
    "max_read_request_operation_count": 5120,
    "max_read_request_size": "32mb",
    "max_outstanding_read_requests": 12,
    "max_write_request_operation_count": 5120,
    "max_write_request_size": "9223372036854775807b",
    "max_outstanding_write_requests": 9,
    "max_write_buffer_count": 2147483647,
    "max_write_buffer_size": "512mb",
    "max_retry_delay": "500ms",
    "read_poll_timeout": "1m",
}

COUNTS = (
    "max_read_request_operation_count",
    "max_outstanding_read_requests",
    "max_write_request_operation_count",
    "max_outstanding_write_requests",
    "max_write_buffer_count",
)
SIZES = ("max_read_request_size", "max_write_request_size", "max_write_buffer_size")
TIMES = ("max_retry_delay", "read_poll_timeout")

_JAVA_INT_MAX = 2**31 - 1
_MAX_RETRY_DELAY_MS = 5 * 60 * 1000  # FollowParameters.RETRY_DELAY_MAX

_BYTE_UNITS = {"b": 1, "kb": 1024, "k": 1024, "mb": 1024**2, "m": 1024**2, "gb": 1024**3,
               "g": 1024**3, "tb": 1024**4, "t": 1024**4, "pb": 1024**5, "p": 1024**5}
_BYTE_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
_TIME_UNITS_MS = {"nanos": 1e-6, "micros": 1e-3, "ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000,
                  "d": 86_400_000}
_TIME_VALUE = re.compile(r"(\d+(?:\.\d+)?)\s*(nanos|micros|ms|s|m|h|d)")

BYTE_SIZE_RULES = "a size with a unit, such as `32mb`, `512kb` or `1gb` (b, kb, mb, gb, tb, pb)"
TIME_VALUE_RULES = "a duration with a unit, such as `500ms`, `30s` or `1m` (nanos, micros, ms, s, m, h, d)"


def parse_byte_size(text: str) -> int:
    """`32mb` -> 33554432; raise ValueError. Elasticsearch refuses a bare number, so do we."""
    match = _BYTE_SIZE.fullmatch(text.strip().lower())
    if not match or match.group(2) not in _BYTE_UNITS:
        raise ValueError(f"{text!r} is not a size with a unit")
    return int(float(match.group(1)) * _BYTE_UNITS[match.group(2)])


def parse_time_value_ms(text: str) -> float:
    match = _TIME_VALUE.fullmatch(text.strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not a duration with a unit")
    return float(match.group(1)) * _TIME_UNITS_MS[match.group(2)]


def setting_problem(name: str, value: Any) -> tuple[str, str] | None:
    """(expected, what is wrong) for a bad value of a known setting; None when it is fine."""
    if name in COUNTS:
        expected = f"a whole number from 1 to {_JAVA_INT_MAX} (default {DEFAULTS[name]})"
        if isinstance(value, bool) or not isinstance(value, int):
            return expected, "not a whole number"
        if not 1 <= value <= _JAVA_INT_MAX:
            return expected, "out of range"
        return None
    if name in SIZES:
        expected = f"{BYTE_SIZE_RULES}, larger than 0 (default {DEFAULTS[name]})"
        if not isinstance(value, str):
            return expected, "not a string with a unit"
        try:
            size = parse_byte_size(value)
        except ValueError as exc:
            return expected, str(exc)
        return (expected, "not larger than 0") if size <= 0 else None
    if name in TIMES:
        expected = f"{TIME_VALUE_RULES} (default {DEFAULTS[name]})"
        if name == "max_retry_delay":
            expected = f"{TIME_VALUE_RULES}, larger than 0 and at most 5m (default 500ms)"
        if not isinstance(value, str):
            return expected, "not a string with a unit"
        try:
            millis = parse_time_value_ms(value)
        except ValueError as exc:
            return expected, str(exc)
        if name == "max_retry_delay" and not 0 < millis <= _MAX_RETRY_DELAY_MS:
            return expected, "out of range"
        return None
    raise KeyError(name)
