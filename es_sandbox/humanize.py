"""Elasticsearch's human-readable values: `ByteSizeValue` and `TimeValue` strings, `?human` fields.

Elasticsearch truncates (never rounds) to one decimal and drops a zero decimal: 1536 bytes is `1.5kb`,
1024 bytes is `1kb`, 175576 ms is `2.9m`. With `?human` a raw field (`size_in_bytes`) is preceded by
its readable twin (`size`).
"""

from __future__ import annotations

import time
from typing import Any

_BYTE_UNITS = [("pb", 1024**5), ("tb", 1024**4), ("gb", 1024**3), ("mb", 1024**2), ("kb", 1024)]
_TIME_UNITS = [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]


def _one_decimal(value: float) -> str:
    text = repr(float(value))
    whole, _, fraction = text.partition(".")
    digit = fraction[:1] if fraction and fraction[0].isdigit() else "0"
    return whole if digit == "0" else f"{whole}.{digit}"


def byte_size(n: int) -> str:
    for suffix, size in _BYTE_UNITS:
        if n >= size:
            return _one_decimal(n / size) + suffix
    return f"{n}b"


def time_value(millis: float) -> str:
    if millis < 0:
        return str(int(millis))
    if millis == 0:
        return "0s"
    for suffix, size in _TIME_UNITS:
        if millis >= size:
            return _one_decimal(millis / size) + suffix
    if millis >= 1:
        return _one_decimal(millis) + "ms"
    return _one_decimal(millis * 1000) + "micros"


def iso_millis(epoch_ms: int) -> str:
    """strict_date_time in UTC, as timestamps appear in Elasticsearch's JSON (`2024-05-01T10:00:00.123Z`)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_ms / 1000)) + f".{epoch_ms % 1000:03d}Z"


class Fields:
    """Builds a JSON object the way XContentBuilder does, honouring `?human`."""

    def __init__(self, human: bool) -> None:
        self.human = human
        self.out: dict[str, Any] = {}

    def put(self, key: str, value: Any) -> "Fields":
        self.out[key] = value
        return self

    def bytes(self, raw_key: str, readable_key: str, n: int) -> "Fields":
        if self.human:
            self.out[readable_key] = byte_size(n)
        self.out[raw_key] = n
        return self

    def millis(self, raw_key: str, readable_key: str, ms: int) -> "Fields":
        if self.human:
            self.out[readable_key] = time_value(ms)
        self.out[raw_key] = ms
        return self

    def timestamp(self, raw_key: str, readable_key: str, epoch_ms: int) -> "Fields":
        if self.human:
            self.out[readable_key] = iso_millis(epoch_ms)
        self.out[raw_key] = epoch_ms
        return self
