"""Dates as Elasticsearch reads and prints them: formats (`a||b`), epoch millis, and date math.

A date is held as epoch milliseconds (int, UTC). Supported formats: the built-in names listed in
`_BUILTIN` and Java-style patterns made of y u M d H h m s S a Z X x and 'quoted text'. Printing
uses the first format of a `||` list, as Elasticsearch does.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_FORMAT = "strict_date_optional_time||epoch_millis"
UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december"]


class DateParseError(ValueError):
    """Raised when text matches none of a format's parsers; str() is Java's message."""


_OFFSET = r"(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)"
_ISO = (r"(?P<year>[+-]?\d{4,9})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
        r"(?:T(?:(?P<hour>\d{2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?)?"
        + _OFFSET + r"?)?)?)?)?")
_ISO_LENIENT = _ISO.replace(r"\d{2}", r"\d{1,2}").replace(r"[+-]?\d{4,9}", r"[+-]?\d{1,9}")
_DATE = r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
_TIME = r"(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})"

# name -> (regex for parsing, pattern for printing)
_BUILTIN: dict[str, tuple[str, str]] = {
    "strict_date_optional_time": (_ISO, "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"),
    "date_optional_time": (_ISO_LENIENT, "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"),
    "strict_date_optional_time_nanos": (_ISO, "yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSSXXX"),
    "strict_date": (_DATE, "yyyy-MM-dd"),
    "strict_date_time": (_DATE + "T" + _TIME + r"\.(?P<fraction>\d{3})" + _OFFSET,
                         "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"),
    "strict_date_time_no_millis": (_DATE + "T" + _TIME + _OFFSET, "yyyy-MM-dd'T'HH:mm:ssXXX"),
    "strict_date_hour_minute_second": (_DATE + "T" + _TIME, "yyyy-MM-dd'T'HH:mm:ss"),
    "strict_date_hour_minute_second_millis": (_DATE + "T" + _TIME + r"\.(?P<fraction>\d{3})",
                                              "yyyy-MM-dd'T'HH:mm:ss.SSS"),
    "strict_date_hour_minute": (_DATE + r"T(?P<hour>\d{2}):(?P<minute>\d{2})", "yyyy-MM-dd'T'HH:mm"),
    "strict_year_month": (r"(?P<year>\d{4})-(?P<month>\d{2})", "yyyy-MM"),
    "strict_year": (r"(?P<year>\d{4})", "yyyy"),
    "basic_date": (r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})", "yyyyMMdd"),
    "basic_date_time": (r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})T(?P<hour>\d{2})(?P<minute>\d{2})"
                        r"(?P<second>\d{2})\.(?P<fraction>\d{3})" + _OFFSET, "yyyyMMdd'T'HHmmss.SSSXX"),
}
for _strict in [name for name in _BUILTIN if name.startswith("strict_") and name != "strict_date_optional_time"]:
    _BUILTIN.setdefault(_strict[len("strict_"):], _BUILTIN[_strict])

_PATTERN_LETTERS = re.compile(r"'([^']*)'|([A-Za-z])\2*|[^A-Za-z']+")


def zone(name: str | None) -> tzinfo:
    """The zone of a `time_zone` parameter (an offset such as +01:00, or a region such as Europe/Paris)."""
    if name is None or name in ("Z", "UTC"):
        return UTC
    match = re.fullmatch(r"([+-])(\d{1,2})(?::?(\d{2}))?", name)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        minutes = int(match.group(2)) * 60 + int(match.group(3) or 0)
        return timezone(sign * timedelta(minutes=minutes))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time-zone ID: {name}") from None


class _Pattern:
    """One parser/printer: a built-in name or a Java-style pattern."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        if spec in ("epoch_millis", "epoch_second"):
            self.regex = re.compile(r"-?\d+(?:\.\d+)?")
            self.printer = spec
            return
        if spec in _BUILTIN:
            regex, self.printer = _BUILTIN[spec]
            self.regex = re.compile(regex)
            return
        self.printer = spec
        self.regex = re.compile(_pattern_regex(spec))

    def parse(self, text: str, round_up: bool, tz: tzinfo) -> int:
        match = self.regex.fullmatch(text)
        if match is None:
            raise DateParseError(f"Text '{text}' could not be parsed at index 0")
        if self.printer == "epoch_millis":
            return int(float(text)) if "." in text else int(text)
        if self.printer == "epoch_second":
            return int(float(text) * 1000)
        return _millis(match.groupdict(), round_up, tz)

    def print(self, millis: int, tz: tzinfo) -> str:
        if self.printer == "epoch_millis":
            return str(millis)
        if self.printer == "epoch_second":
            return str(millis // 1000) if millis % 1000 == 0 else str(millis / 1000)
        return _render(self.printer, from_millis(millis, tz))


def _pattern_regex(pattern: str) -> str:
    out = []
    for match in _PATTERN_LETTERS.finditer(pattern):
        quoted, letter, text = match.group(1), match.group(2), match.group(0)
        if quoted is not None:
            out.append(re.escape(quoted or "'"))
        elif letter is None:
            out.append(re.escape(text))
        else:
            out.append(_letter_regex(letter, len(text)))
    return "".join(out)


def _letter_regex(letter: str, count: int) -> str:
    groups = {"y": "year", "u": "year", "M": "month", "d": "day", "H": "hour", "h": "hour12",
              "m": "minute", "s": "second"}
    if letter in groups:
        name = groups[letter]
        if letter in "yu":
            return rf"(?P<{name}>\d{{2}})" if count == 2 else rf"(?P<{name}>[+-]?\d{{{max(count, 1)},9}})"
        if letter == "M" and count >= 3:
            return r"(?P<month_name>[A-Za-z]{3,9})"
        return rf"(?P<{name}>\d{{2}})" if count == 2 else rf"(?P<{name}>\d{{1,2}})"
    if letter == "S":
        return rf"(?P<fraction>\d{{{count}}})"
    if letter == "a":
        return r"(?P<ampm>[AaPp][Mm])"
    if letter in "ZXx":
        return r"(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)"
    raise ValueError(f"Unknown pattern letter: {letter}")


def _millis(fields: dict[str, str | None], round_up: bool, tz: tzinfo) -> int:
    # Missing parts default to the start of the period, or for a rounded-up bound (lte, gt) the
    # time of day defaults to its end, as Elasticsearch's DateMathParser does.
    year = int(fields["year"])
    if fields.get("year") and len(fields["year"]) == 2:
        year += 2000
    month = _month(fields)
    day = int(fields.get("day") or 1)
    hour = fields.get("hour")
    hour12 = fields.get("hour12")
    if hour is None and hour12 is not None:
        hour = str(int(hour12) % 12 + (12 if (fields.get("ampm") or "").lower() == "pm" else 0))
    end = round_up
    h = int(hour) if hour is not None else (23 if end else 0)
    mi = int(fields["minute"]) if fields.get("minute") is not None else (59 if end else 0)
    s = int(fields["second"]) if fields.get("second") is not None else (59 if end else 0)
    frac = fields.get("fraction")
    nanos = int(frac.ljust(9, "0")) if frac else (999_999_999 if end else 0)
    zone_text = fields.get("zone")
    zone_info = zone(zone_text) if zone_text else tz
    try:
        moment = datetime(year, month, day, h, mi, s, tzinfo=zone_info)
    except ValueError as exc:
        raise DateParseError(str(exc)) from None
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + nanos // 1_000_000


def _month(fields: dict[str, str | None]) -> int:
    name = fields.get("month_name")
    if name:
        key = name.lower()
        for i, (short, full) in enumerate(zip(_MONTHS, _MONTH_NAMES)):
            if key in (short, full):
                return i + 1
        raise DateParseError(f"Text '{name}' could not be parsed")
    return int(fields.get("month") or 1)


def _render(pattern: str, moment: datetime) -> str:
    out = []
    for match in _PATTERN_LETTERS.finditer(pattern):
        quoted, letter, text = match.group(1), match.group(2), match.group(0)
        if quoted is not None:
            out.append(quoted or "'")
        elif letter is None:
            out.append(text)
        else:
            out.append(_render_letter(letter, len(text), moment))
    return "".join(out)


def _render_letter(letter: str, count: int, moment: datetime) -> str:
    if letter in "yu":
        return f"{moment.year % 100:02d}" if count == 2 else f"{moment.year:0{count}d}"
    if letter == "M":
        if count >= 4:
            return _MONTH_NAMES[moment.month - 1].capitalize()
        if count == 3:
            return _MONTHS[moment.month - 1].capitalize()
    if letter == "S":
        return f"{moment.microsecond * 1000:09d}"[:count].ljust(count, "0")
    if letter == "a":
        return "AM" if moment.hour < 12 else "PM"
    if letter in "ZXx":
        return _render_offset(letter, count, moment.utcoffset() or timedelta(0))
    value = {"M": moment.month, "d": moment.day, "H": moment.hour, "h": (moment.hour % 12) or 12,
             "m": moment.minute, "s": moment.second}[letter]
    return f"{value:0{count}d}"


def _render_offset(letter: str, count: int, offset: timedelta) -> str:
    # Java: X prints Z for UTC; X/x one letter print hours only; XXX, xxx and ZZZZZ add a colon.
    if offset == timedelta(0) and letter == "X":
        return "Z"
    total = int(offset.total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    hh, mm = divmod(abs(total), 60)
    if letter in "Xx" and count == 1:
        return f"{sign}{hh:02d}"
    if (letter in "Xx" and count >= 3) or (letter == "Z" and count == 5):
        return f"{sign}{hh:02d}:{mm:02d}"
    return f"{sign}{hh:02d}{mm:02d}"


class DateFormat:
    """A date field's `format`: parsers tried in order, printing with the first."""

    def __init__(self, spec: str = DEFAULT_FORMAT) -> None:
        self.spec = spec
        self.parsers = [_Pattern(part) for part in spec.split("||")]  # ValueError on a bad pattern

    def parse(self, text: str, *, round_up: bool = False, tz: tzinfo = UTC) -> int:
        for parser in self.parsers:
            try:
                return parser.parse(text, round_up, tz)
            except DateParseError:
                continue
        if len(self.parsers) > 1:
            raise DateParseError("Failed to parse with all enclosed parsers")
        raise DateParseError(f"Text '{text}' could not be parsed at index 0")

    def format(self, millis: int, tz: tzinfo = UTC) -> str:
        return self.parsers[0].print(millis, tz)


_MATH = re.compile(r"([+-])(\d+)?([yMwdhHms])|/([yMwdhHms])")


def parse_math(text: str, fmt: DateFormat, now_millis: int, *, round_up: bool = False,
               tz: tzinfo = UTC) -> int:
    """A date or date-math expression (`now-1d/d`, `2020-01-01||+1M`) as epoch millis.

    `round_up` is true for `lte` and `gt` bounds: `/d` then means the last millisecond of the day.
    """
    if text.startswith("now"):
        base, math = now_millis, text[3:]
    elif "||" in text:
        anchor, math = text.split("||", 1)
        base = fmt.parse(anchor, tz=tz)
    else:
        return fmt.parse(text, round_up=round_up, tz=tz)
    moment = from_millis(base, tz)
    pos = 0
    while pos < len(math):
        match = _MATH.match(math, pos)
        if match is None:
            raise DateParseError(f"operator not supported for date math [{math}]")
        pos = match.end()
        if match.group(4):
            moment = _round(moment, match.group(4), round_up)
        else:
            amount = int(match.group(2) or 1) * (-1 if match.group(1) == "-" else 1)
            moment = _add(moment, match.group(3), amount)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _add(moment: datetime, unit: str, amount: int) -> datetime:
    if unit in "yM":
        months = moment.month - 1 + amount * (12 if unit == "y" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        day = min(moment.day, _days_in_month(year, month))
        local = moment.replace(tzinfo=None).replace(year=year, month=month, day=day)
        return _localize(local, moment.tzinfo)
    seconds = {"w": 604_800, "d": 86_400, "h": 3_600, "H": 3_600, "m": 60, "s": 1}[unit]
    if unit in "wd":  # calendar days keep the wall-clock time across DST changes
        return _localize(moment.replace(tzinfo=None) + timedelta(seconds=seconds * amount), moment.tzinfo)
    return (moment.astimezone(UTC) + timedelta(seconds=seconds * amount)).astimezone(moment.tzinfo)


def _round(moment: datetime, unit: str, round_up: bool) -> datetime:
    local = floor_local(moment.replace(tzinfo=None), unit)
    start = _localize(local, moment.tzinfo)
    if not round_up:
        return start
    return _add(start, {"H": "h"}.get(unit, unit), 1) - timedelta(milliseconds=1)


def floor_local(local: datetime, unit: str) -> datetime:
    """The start of the calendar `unit` (y q M w d h m s) holding a wall-clock time."""
    local = local.replace(microsecond=0)
    if unit == "s":
        return local
    local = local.replace(second=0)
    if unit == "m":
        return local
    local = local.replace(minute=0)
    if unit in "hH":
        return local
    local = local.replace(hour=0)
    if unit == "d":
        return local
    if unit == "w":
        return local - timedelta(days=local.weekday())
    if unit == "M":
        return local.replace(day=1)
    if unit == "q":
        return local.replace(day=1, month=(local.month - 1) // 3 * 3 + 1)
    return local.replace(day=1, month=1)


def _localize(local: datetime, tz: tzinfo | None) -> datetime:
    return local.replace(tzinfo=tz or UTC)


def _days_in_month(year: int, month: int) -> int:
    nxt = datetime(year + month // 12, month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day


def to_millis(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_millis(millis: int, tz: tzinfo = UTC) -> datetime:
    return (_EPOCH + timedelta(milliseconds=millis)).astimezone(tz)


def round_calendar(millis: int, unit: str, tz: tzinfo = UTC) -> int:
    """The start of the calendar unit (y q M w d h m s) holding `millis`, in `tz`."""
    local = from_millis(millis, tz).replace(tzinfo=None)
    return to_millis(_localize(floor_local(local, unit), tz))


def next_calendar(millis: int, unit: str, tz: tzinfo = UTC) -> int:
    """The start of the calendar unit after the one starting at `millis`."""
    moment = from_millis(millis, tz)
    if unit == "q":
        return to_millis(_add(moment, "M", 3))
    return to_millis(_add(moment, unit, 1))


def utc_offset_millis(millis: int, tz: tzinfo = UTC) -> int:
    offset = from_millis(millis, tz).utcoffset()
    return int(offset.total_seconds() * 1000) if offset else 0
