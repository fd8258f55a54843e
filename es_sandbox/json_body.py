"""Request bodies parsed as Elasticsearch's Jackson parser reads them, failing with its messages.

The fast path is the standard library's parser, with hooks for what Jackson refuses and Python
accepts (duplicate keys, NaN/Infinity, numbers longer than 1000 digits, nesting deeper than 1000).
When anything fails, a byte scanner walks the body the way Jackson's UTF-8 stream parser does and
reports the first error with Jackson's wording and location: Elasticsearch answers
`x_content_parse_exception` "[line:col] <Jackson message>" caused by `json_parse_exception` (or the
EOF variants), where the column is counted in bytes and points just past the offending character.
Content after the first complete value is ignored, as Elasticsearch's parsers stop there.
"""

from __future__ import annotations

import json
from typing import Any

from . import errors

MAX_DEPTH = 1000  # Jackson's StreamReadConstraints defaults
MAX_NUMBER_LENGTH = 1000
_MAX_SOURCE_IN_MESSAGE = 500
_VALUE_LIST = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
_WS = b" \t\r\n"


class _Refused(Exception):
    """Raised by a decoder hook for input Jackson would refuse; the scanner finds where."""


def _refuse_constant(_: str) -> Any:
    raise _Refused


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_LENGTH:
        raise _Refused
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_LENGTH:
        raise _Refused
    return float(text)


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _Refused
    return obj


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_object, parse_constant=_refuse_constant, parse_int=_parse_int,
                            parse_float=_parse_float)


def parse(raw: bytes) -> Any:
    """The first JSON value of `raw`, or the EsError Elasticsearch answers for it."""
    start = len(raw) - len(raw.lstrip(_WS))
    if raw.count(b"{", start) + raw.count(b"[", start) <= MAX_DEPTH:
        try:
            return _DECODER.raw_decode(raw[start:].decode("utf-8"))[0]
        except (ValueError, _Refused, RecursionError):
            pass  # the scanner below names the failure
    failure = _Scanner(raw).first_error()
    if failure is not None:
        raise failure
    try:  # many containers, none too deep: valid for Jackson, so for us
        return _DECODER.raw_decode(raw[start:].decode("utf-8"))[0]
    except (ValueError, _Refused, RecursionError) as exc:
        raise errors.EsError(400, "x_content_parse_exception", f"[1:1] {exc}") from None


def token_name(value: Any) -> str:
    """The XContentParser token a parsed value started with, as parser error messages name it."""
    if isinstance(value, dict):
        return "START_OBJECT"
    if isinstance(value, list):
        return "START_ARRAY"
    if isinstance(value, bool):
        return "VALUE_BOOLEAN"
    return "VALUE_NULL" if value is None else "VALUE_NUMBER" if isinstance(value, (int, float)) else "VALUE_STRING"


def _char_desc(code: int) -> str:
    if code < 32 or code == 127:
        return f"(CTRL-CHAR, code {code})"
    if code > 255:
        return f"'{chr(code)}' (code {code} / 0x{code:x})"
    return f"'{chr(code)}' (code {code})"


class _Scanner:
    """Jackson's UTF8StreamJsonParser error paths, over bytes, without recursion."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.pos = 0
        self.line = 1
        self.row_start = 0
        shown = raw[:_MAX_SOURCE_IN_MESSAGE].decode("utf-8", "replace")
        cut = len(raw) - _MAX_SOURCE_IN_MESSAGE
        self.source = f'(byte[])"{shown}"' + (f"[truncated {cut} bytes]" if cut > 0 else "")

    # --- errors -----------------------------------------------------------------------------

    def _where(self, line: int, col: int) -> str:
        return f"[Source: {self.source}; line: {line}, column: {col}]"

    def _fail(self, message: str, kind: str = "json_parse_exception", line: int | None = None, col: int | None = None) -> errors.EsError:
        line = self.line if line is None else line
        col = self.pos - self.row_start + 1 if col is None else col
        full = message if kind == "stream_constraints_exception" else f"{message}\n at {self._where(line, col)}"
        outer = "x_content_e_o_f_exception" if kind == "json_e_o_f_exception" else "x_content_parse_exception"
        return errors.EsError(400, outer, f"[{line}:{col}] {full}", caused_by=errors.java_exception(kind, full))

    def _unexpected(self, code: int, comment: str) -> errors.EsError:
        return self._fail(f"Unexpected character ({_char_desc(code)}): {comment}")

    def _eof(self, message: str) -> errors.EsError:
        return self._fail(f"Unexpected end-of-input{message}", "json_e_o_f_exception")

    def _invalid_token(self, begin: int) -> errors.EsError:
        end = begin
        while end < len(self.raw) and end - begin < 256 and (chr(self.raw[end]).isalnum() or self.raw[end] in b"_$"):
            end += 1
        self.pos = end
        token = self.raw[begin:end].decode("utf-8", "replace")
        return self._fail(f"Unrecognized token '{token}': was expecting {_VALUE_LIST}")

    # --- reading ----------------------------------------------------------------------------

    def _skip_ws(self) -> int:
        """The next significant byte (consumed), or -1 at the end of input."""
        raw = self.raw
        while self.pos < len(raw):
            c = raw[self.pos]
            self.pos += 1
            if c == 0x0A:
                self.line += 1
                self.row_start = self.pos
            elif c in (0x20, 0x09, 0x0D):
                continue
            elif c < 0x20:
                raise self._fail(f"Illegal character ({_char_desc(c)}): only regular white space (\\r, \\n, \\t) is allowed between tokens")
            elif c == 0x2F:
                raise self._unexpected(c, "maybe a (non-standard) comment? (not recognized as one since Feature 'ALLOW_COMMENTS' not enabled for parser)")
            else:
                return c
        return -1

    def first_error(self) -> errors.EsError | None:
        try:
            self._document()
        except errors.EsError as exc:
            return exc
        return None

    def _document(self) -> None:
        stack: list[list[Any]] = []  # frames: [kind, start line, start column, keys seen (objects), entries]
        c = self._skip_ws()
        if c < 0:
            return
        if c in (0x5D, 0x7D):
            self._close(stack, c)
        self._value(c, stack)
        while stack:
            frame = stack[-1]
            c = self._skip_ws()
            if c < 0:
                raise self._eof(f": expected close marker for {frame[0]} (start marker at {self._where(frame[1], frame[2])})")
            if c in (0x5D, 0x7D):
                self._close(stack, c)
                continue
            if frame[4]:
                if c != 0x2C:
                    raise self._unexpected(c, f"was expecting comma to separate {frame[0]} entries")
                c = self._skip_ws()
                if c < 0:
                    raise self._eof(f" within/between {frame[0]} entries")
            frame[4] += 1
            if frame[0] == "Object":
                c = self._field(frame[3], c)
            self._value(c, stack)

    def _value(self, c: int, stack: list[list[Any]]) -> None:
        if c in (0x7B, 0x5B):
            if len(stack) >= MAX_DEPTH:
                raise self._fail(
                    f"Document nesting depth ({len(stack) + 1}) exceeds the maximum allowed ({MAX_DEPTH}, from "
                    "`StreamReadConstraints.getMaxNestingDepth()`)", "stream_constraints_exception")
            kind = "Object" if c == 0x7B else "Array"
            stack.append([kind, self.line, self.pos - self.row_start, set() if kind == "Object" else None, 0])
        else:
            self._scalar(c)

    def _close(self, stack: list[list[Any]], c: int) -> None:
        want = "Object" if c == 0x7D else "Array"
        if not stack or stack[-1][0] != want:
            kind, line, col = (stack[-1][0], stack[-1][1], stack[-1][2]) if stack else ("root", 1, 0)
            expected = "]" if c == 0x7D else "}"
            raise self._fail(f"Unexpected close marker '{chr(c)}': expected '{expected}' (for {kind} starting at {self._where(line, col)})")
        stack.pop()

    def _field(self, seen: set[str], c: int) -> int:
        """Reads `"name":` (c is the byte after `{` or `,`); returns the value's first byte."""
        if c != 0x22:
            raise self._unexpected(c, "was expecting double-quote to start field name")
        name = self._string(" in field name")
        if name in seen:
            raise self._fail(f"Duplicate field '{name}'")
        seen.add(name)
        c = self._skip_ws()
        if c < 0:
            raise self._eof(" within/between Object entries")
        if c != 0x3A:
            raise self._unexpected(c, "was expecting a colon to separate field name and value")
        c = self._skip_ws()
        if c < 0:
            raise self._eof(" within/between Object entries")
        if c in (0x7D, 0x5D):
            raise self._unexpected(c, "expected a value" if c == 0x7D else f"expected a valid value {_VALUE_LIST}")
        return c

    def _scalar(self, c: int) -> None:
        if c == 0x22:
            self._string(" in VALUE_STRING")
        elif c == 0x2D or 0x30 <= c <= 0x39:
            self._number(c)
        elif c in (0x74, 0x66, 0x6E):
            literal = {0x74: b"true", 0x66: b"false", 0x6E: b"null"}[c]
            begin = self.pos - 1
            if self.raw[begin:begin + len(literal)] != literal:
                raise self._invalid_token(begin)
            self.pos = begin + len(literal)
            if self.pos < len(self.raw) and (chr(self.raw[self.pos]).isalnum() or self.raw[self.pos] in b"_$"):
                raise self._invalid_token(begin)
        elif c in (0x4E, 0x49) and self.raw.startswith(b"NaN" if c == 0x4E else b"Infinity", self.pos - 1):
            word = "NaN" if c == 0x4E else "Infinity"
            self.pos += len(word) - 1
            raise self._fail(f"Non-standard token '{word}': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow")
        elif c in (0x5D, 0x2C, 0x7D):
            raise self._unexpected(c, "expected a value")
        elif chr(c).isalpha() or c in b"_$" or c >= 0x80:
            raise self._invalid_token(self.pos - 1)
        else:
            raise self._unexpected(c, f"expected a valid value {_VALUE_LIST}")

    def _number(self, first: int) -> None:
        raw, begin = self.raw, self.pos - 1
        pos = self.pos
        if first == 0x2D:
            if pos >= len(raw) or not 0x30 <= raw[pos] <= 0x39:
                self.pos = pos + 1 if pos < len(raw) else pos
                if pos >= len(raw):
                    raise self._eof(" in a Number value")
                raise self._fail(f"Unexpected character ({_char_desc(raw[pos])}) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value")
            first = raw[pos]
            pos += 1
        if first == 0x30 and pos < len(raw) and 0x30 <= raw[pos] <= 0x39:
            self.pos = pos + 1
            raise self._fail("Invalid numeric value: Leading zeroes not allowed")
        while pos < len(raw) and 0x30 <= raw[pos] <= 0x39:
            pos += 1
        for marker, what in ((b".", "Decimal point"), (b"eE", "Exponent indicator")):
            if pos < len(raw) and raw[pos] in marker:
                pos += 1
                if marker == b"eE" and pos < len(raw) and raw[pos] in b"+-":
                    pos += 1
                if pos >= len(raw) or not 0x30 <= raw[pos] <= 0x39:
                    self.pos = min(pos + 1, len(raw))
                    got = _char_desc(raw[pos]) if pos < len(raw) else "end-of-input"
                    raise self._fail(f"Unexpected character ({got}) in numeric value: {what} not followed by a digit")
                while pos < len(raw) and 0x30 <= raw[pos] <= 0x39:
                    pos += 1
        self.pos = pos
        if pos - begin > MAX_NUMBER_LENGTH:
            raise self._fail(f"Number value length ({pos - begin}) exceeds the maximum allowed ({MAX_NUMBER_LENGTH}, from "
                             "`StreamReadConstraints.getMaxNumberLength()`)", "stream_constraints_exception")

    def _string(self, eof_message: str) -> str:
        raw, begin = self.raw, self.pos
        pos = begin
        while True:
            if pos >= len(raw):
                self.pos = pos
                raise self._eof(eof_message)
            c = raw[pos]
            pos += 1
            if c == 0x22:
                self.pos = pos
                body = raw[begin:pos - 1]
                return json.loads(b'"' + body + b'"') if b"\\" in body else body.decode("utf-8")
            if c == 0x5C:
                pos = self._escape(pos, eof_message)
            elif c < 0x20:
                self.pos = pos
                raise self._fail(f"Illegal unquoted character ({_char_desc(c)}): has to be escaped using backslash to be included in string value")
            elif c >= 0x80:
                pos = self._utf8(c, pos)

    def _escape(self, pos: int, eof_message: str) -> int:
        raw = self.raw
        if pos >= len(raw):
            self.pos = pos
            raise self._eof(eof_message)
        e = raw[pos]
        pos += 1
        if e != 0x75:
            if e not in b'"\\/bfnrt':
                self.pos = pos
                raise self._fail(f"Unrecognized character escape {_char_desc(e)}")
            return pos
        for offset in range(4):
            if pos + offset >= len(raw):
                self.pos = len(raw)
                raise self._eof(eof_message)
            d = raw[pos + offset]
            if chr(d) not in "0123456789abcdefABCDEF":
                self.pos = pos + offset + 1
                raise self._unexpected(d, "expected a hex-digit for character escape sequence")
        return pos + 4

    def _utf8(self, c: int, pos: int) -> int:
        raw = self.raw
        if 0xC2 <= c <= 0xDF:
            need = 1
        elif 0xE0 <= c <= 0xEF:
            need = 2
        elif 0xF0 <= c <= 0xF4:
            need = 3
        else:
            self.pos = pos
            raise self._fail(f"Invalid UTF-8 start byte 0x{c:x}")
        for _ in range(need):
            if pos >= len(raw):
                self.pos = pos
                raise self._eof(" in VALUE_STRING")
            if raw[pos] & 0xC0 != 0x80:
                self.pos = pos + 1
                raise self._fail(f"Invalid UTF-8 middle byte 0x{raw[pos]:x}")
            pos += 1
        return pos


def token_locations(raw: bytes) -> dict[tuple[Any, ...], tuple[int, int]]:
    """Where the tokens of a valid JSON body start, as Elasticsearch's parsers report them.

    Keys are paths of object keys and array positions: `path + ("name",)` is the field name of the
    object entry at `path`, `path + ("value",)` its value, and `path + ("end",)` the closing bracket
    of the container at `path`. Locations are (line, 1-based byte column).
    """
    found: dict[tuple[Any, ...], tuple[int, int]] = {}
    stack: list[list[Any]] = []  # [path, kind, next array index, pending key]
    line, row_start, pos, n = 1, 0, 0, len(raw)
    while pos < n:
        c = raw[pos]
        where = (line, pos - row_start + 1)
        if c == 0x0A:
            line, row_start = line + 1, pos + 1
        if c in b" \t\r\n,:":
            pos += 1
            continue
        top = stack[-1] if stack else None
        if c in b"]}":
            found[top[0] + ("end",)] = where
            stack.pop()
            pos += 1
            continue
        if top is not None and top[1] == "{" and top[3] is None:
            end = _string_end(raw, pos)
            top[3] = json.loads(raw[pos:end])
            found[top[0] + (top[3], "name")] = where
            pos = end
            continue
        if top is None:
            path: tuple[Any, ...] = ()
        elif top[1] == "{":
            path, top[3] = top[0] + (top[3],), None
        else:
            path, top[2] = top[0] + (top[2],), top[2] + 1
        found[path + ("value",)] = where
        if c in b"{[":
            stack.append([path, chr(c), 0, None])
            pos += 1
        elif c == 0x22:
            pos = _string_end(raw, pos)
        else:
            while pos < n and raw[pos] not in b" \t\r\n,]}":
                pos += 1
    return found


def _string_end(raw: bytes, pos: int) -> int:
    pos += 1
    while raw[pos] != 0x22:
        pos += 2 if raw[pos] == 0x5C else 1
    return pos + 1
