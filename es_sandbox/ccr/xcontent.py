"""Request bodies read as Elasticsearch's ObjectParser reads them, with its errors and locations.

Fields are read in body order and the first problem wins: an unknown field (with "did you mean"
suggestions), a value of a type the field does not take, or a value that does not parse. Sizes and
durations parse as ByteSizeValue and TimeValue do and keep their string form for echoing back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from .. import jsonloc
from ..errors import EsError

_TOKENS = {dict: "START_OBJECT", list: "START_ARRAY", str: "VALUE_STRING", bool: "VALUE_BOOLEAN", type(None): "VALUE_NULL"}
# Which JSON tokens each kind of field takes (ObjectParser.ValueType).
_SUPPORTED = {
    "string": {"VALUE_STRING"},
    "int": {"VALUE_NUMBER", "VALUE_STRING"},
    "bytes": {"VALUE_STRING"},
    "time": {"VALUE_STRING"},
    "object": {"START_OBJECT"},
    "string_array": {"START_ARRAY", "VALUE_STRING"},
}


@dataclass(frozen=True)
class ByteSize:
    bytes: int
    rep: str  # ByteSizeValue.getStringRep(): the number and unit as given


@dataclass(frozen=True)
class TimeValue:
    millis: int
    rep: str


def token_of(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return _TOKENS[type(value)]
    if isinstance(value, (int, float)):
        return "VALUE_NUMBER"
    return _TOKENS[type(value)]


def parse_error(raw: bytes | None, doc: Any, path: tuple, reason: str, *, key: bool = False,
                caused_by: EsError | None = None) -> EsError:
    line, col = jsonloc.locate(raw, doc, path, key=key)
    # A plain Java exception in Elasticsearch: the root cause is this one, not its cause.
    return EsError(400, "x_content_parse_exception", f"[{line}:{col}] {reason}", caused_by=caused_by)


def levenshtein_similarity(a: str, b: str) -> float:
    """Lucene's LevenshteinDistance.getDistance: 1 - edits / longest length."""
    if not a or not b:
        return 1.0 if a == b else 0.0
    previous = list(range(len(a) + 1))
    for j, cb in enumerate(b, start=1):
        current = [j] + [0] * len(a)
        for i, ca in enumerate(a, start=1):
            current[i] = min(current[i - 1] + 1, previous[i] + 1, previous[i - 1] + (ca != cb))
        previous = current
    return 1.0 - previous[len(a)] / max(len(a), len(b))


def suggestion(unknown: str, candidates: Iterable[str]) -> str:
    """SuggestingErrorOnUnknown: close names (similarity above 0.5), best first."""
    scored = [(levenshtein_similarity(unknown, c), c) for c in candidates]
    scored = sorted((s for s in scored if s[0] > 0.5), key=lambda s: (-s[0], s[1]))
    if not scored:
        return ""
    names = [c for _, c in scored]
    return f" did you mean [{names[0]}]?" if len(names) == 1 else f" did you mean any of [{', '.join(names)}]?"


def parse_object(parser: str, body: Any, raw: bytes | None, fields: dict[str, str]) -> dict[str, Any]:
    """The fields of `body` converted by kind (`fields`: name -> kind); raises as ObjectParser does."""
    if not isinstance(body, dict):
        raise parse_error(raw, body, (), f"[{parser}] Expected START_OBJECT but was: {token_of(body)}")
    out: dict[str, Any] = {}
    for name, value in body.items():
        kind = fields.get(name)
        if kind is None:
            raise parse_error(raw, body, (name,), f"[{parser}] unknown field [{name}]{suggestion(name, fields)}", key=True)
        token = token_of(value)
        if token not in _SUPPORTED[kind]:
            raise parse_error(raw, body, (name,), f"[{parser}] {name} doesn't support values of type: {token}")
        try:
            out[name] = _convert(kind, name, value)
        except EsError as cause:
            raise parse_error(raw, body, (name,), f"[{parser}] failed to parse field [{name}]", caused_by=cause) from None
    return out


def _convert(kind: str, name: str, value: Any) -> Any:
    if kind == "int":
        return parse_int(value)
    if kind == "bytes":
        return parse_byte_size(value, name)
    if kind == "time":
        return parse_time_value(value, name)
    if kind == "string_array":
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in values):
            raise EsError(400, "illegal_state_exception", "expected value but got [START_OBJECT]")
        return values
    return value


def parse_int(value: Any) -> int:
    if isinstance(value, (int, float)):
        return int(value)
    try:
        return int(float(value)) if "." in value or "e" in value.lower() else int(value)
    except ValueError:
        raise EsError(400, "number_format_exception", f'For input string: "{value}"') from None


_BYTE_UNITS = [("pb", 1024**5), ("tb", 1024**4), ("gb", 1024**3), ("mb", 1024**2), ("kb", 1024),
               ("p", 1024**5), ("t", 1024**4), ("g", 1024**3), ("m", 1024**2), ("k", 1024), ("b", 1)]


def parse_byte_size(text: str, setting: str) -> ByteSize:
    """ByteSizeValue.parseBytesSizeValue, with its error wording."""
    lower = text.lower().strip()
    for suffix, factor in _BYTE_UNITS:
        if lower.endswith(suffix):
            number = lower[: -len(suffix)].strip()
            unit = "b" if factor == 1 else (suffix if len(suffix) == 2 else suffix + "b")
            try:
                return ByteSize(int(number) * factor, f"{int(number)}{unit}")
            except ValueError:
                pass
            try:
                size = int(float(number) * factor)
            except ValueError:
                raise EsError(400, "parse_exception", f"failed to parse setting [{setting}] with value [{text}]") from None
            return ByteSize(size, f"{size}b")
    if lower == "-1":
        return ByteSize(-1, "-1")
    if lower == "0":
        return ByteSize(0, "0b")
    raise EsError(400, "parse_exception",
                  f"failed to parse setting [{setting}] with value [{text}] as a size in bytes: unit is missing or unrecognized")


_TIME_UNITS = [("nanos", 1e-6), ("micros", 1e-3), ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]


def parse_time_value(text: str, setting: str) -> TimeValue:
    """TimeValue.parseTimeValue, with its error wording."""
    lower = text.lower().strip()
    for suffix, factor in _TIME_UNITS:
        if lower.endswith(suffix):
            number = lower[: -len(suffix)].strip()
            try:
                value = int(number)
            except ValueError:
                try:
                    float(number)
                    reason = f"failed to parse [{text}], fractional time values are not supported"
                except ValueError:
                    reason = f"failed to parse [{text}]"
                raise EsError(400, "parse_exception", reason) from None
            if value < -1:
                raise EsError(400, "illegal_argument_exception", f"failed to parse setting [{setting}] with value [{text}] "
                              "as a time value: negative durations are not supported")
            return TimeValue(int(value * factor), f"{value}{suffix}")
    if lower == "-1":
        return TimeValue(-1, "-1")
    if lower == "0":
        return TimeValue(0, "0s")
    raise EsError(400, "parse_exception",
                  f"failed to parse setting [{setting}] with value [{text}] as a time value: unit is missing or unrecognized")


def human_bytes(n: int) -> str:
    """ByteSizeValue.toString(): the largest unit with one decimal, trailing `.0` dropped."""
    for unit, size in (("pb", 1024**5), ("tb", 1024**4), ("gb", 1024**3), ("mb", 1024**2), ("kb", 1024)):
        if n >= size:
            return _one_decimal(n / size) + unit
    return f"{n}b"


def human_millis(ms: int) -> str:
    """TimeValue.toString(): the largest unit with one decimal, trailing `.0` dropped."""
    if ms < 0:
        return "-1"
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms >= size:
            return _one_decimal(ms / size) + unit
    return f"{ms}ms"


def _one_decimal(value: float) -> str:
    text = f"{int(value * 10) / 10:.1f}"
    return text[:-2] if text.endswith(".0") else text
