"""The follower parameters (FollowParameters): parsing, validation, defaults and their JSON form.

Explicit values are kept apart from defaults: put-follow and resume store what was given, auto-follow
patterns echo only what was given, and follow info shows every effective value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import action_request_validation
from . import xcontent
from .xcontent import ByteSize, TimeValue

# In FollowParameters.toXContentFragment order.
NAMES = (
    "max_read_request_operation_count",
    "max_write_request_operation_count",
    "max_outstanding_read_requests",
    "max_outstanding_write_requests",
    "max_read_request_size",
    "max_write_request_size",
    "max_write_buffer_count",
    "max_write_buffer_size",
    "max_retry_delay",
    "read_poll_timeout",
)
KINDS = {
    name: ("bytes" if name.endswith("_size") else "time" if name in ("max_retry_delay", "read_poll_timeout") else "int")
    for name in NAMES
}
DEFAULTS: dict[str, Any] = {
    "max_read_request_operation_count": 5120,
    "max_write_request_operation_count": 5120,
    "max_outstanding_read_requests": 12,
    "max_outstanding_write_requests": 9,
    "max_read_request_size": ByteSize(32 * 1024**2, "32mb"),
    "max_write_request_size": ByteSize(2**63 - 1, "9223372036854775807b"),
    "max_write_buffer_count": 2**31 - 1,
    "max_write_buffer_size": ByteSize(512 * 1024**2, "512mb"),
    "max_retry_delay": TimeValue(500, "500ms"),
    "read_poll_timeout": TimeValue(60_000, "1m"),
}
_RETRY_DELAY_MAX_MS = 5 * 60_000
_VALIDATION_ORDER = (
    "max_read_request_operation_count",
    "max_read_request_size",
    "max_outstanding_read_requests",
    "max_write_request_operation_count",
    "max_write_request_size",
    "max_outstanding_write_requests",
    "max_write_buffer_count",
    "max_write_buffer_size",
)


@dataclass
class FollowParameters:
    explicit: dict[str, Any] = field(default_factory=dict)  # name -> int | ByteSize | TimeValue

    @classmethod
    def from_parsed(cls, values: dict[str, Any]) -> "FollowParameters":
        return cls({name: values[name] for name in NAMES if name in values})

    @classmethod
    def from_stored(cls, stored: dict[str, Any] | None) -> "FollowParameters":
        """From `to_stored()` output (persisted follower and pattern metadata)."""
        values = {}
        for name, value in (stored or {}).items():
            kind = KINDS[name]
            if kind == "bytes":
                value = xcontent.parse_byte_size(value, name)
            elif kind == "time":
                value = xcontent.parse_time_value(value, name)
            values[name] = value
        return cls(values)

    def get(self, name: str) -> Any:
        return self.explicit.get(name, DEFAULTS[name])

    def count(self, name: str) -> int:
        return self.get(name)

    def size_bytes(self, name: str) -> int:
        return self.get(name).bytes

    def millis(self, name: str) -> int:
        return self.get(name).millis

    def problems(self) -> list[str]:
        """FollowParameters.validate(), in its order."""
        out = []
        for name in _VALIDATION_ORDER:
            value = self.explicit.get(name)
            if value is not None and (value.bytes <= 0 if KINDS[name] == "bytes" else value < 1):
                out.append(f"{name} must be larger than 0")
        delay = self.explicit.get("max_retry_delay")
        if delay is not None and delay.millis <= 0:
            out.append(f"[max_retry_delay] must be positive but was [{delay.rep}]")
        if delay is not None and delay.millis > _RETRY_DELAY_MAX_MS:
            out.append(f"[max_retry_delay] must be less than [5m] but was [{delay.rep}]")
        return out

    def _json(self, values: dict[str, Any]) -> dict[str, Any]:
        return {name: (values[name].rep if KINDS[name] != "int" else values[name]) for name in NAMES if name in values}

    def to_stored(self) -> dict[str, Any]:
        """Only what was given, as Elasticsearch echoes it (auto-follow patterns)."""
        return self._json(self.explicit)

    def to_effective(self) -> dict[str, Any]:
        """Every parameter with defaults filled in (follow info of an active follower)."""
        return self._json({name: self.get(name) for name in NAMES})


def parse(parser: str, body: Any, raw: bytes | None, extra: dict[str, str] | None = None) -> tuple[FollowParameters, dict[str, Any]]:
    """(parameters, the other declared fields) of a body; raises ObjectParser's errors."""
    fields = {**(extra or {}), **KINDS}
    values = xcontent.parse_object(parser, body, raw, fields)
    others = {name: value for name, value in values.items() if name not in KINDS}
    return FollowParameters.from_parsed(values), others


def validate(parameters: FollowParameters, *request_problems: str) -> None:
    """Raises action_request_validation_exception listing parameter then request problems."""
    problems = parameters.problems() + [p for p in request_problems if p]
    if problems:
        raise action_request_validation(*problems)
