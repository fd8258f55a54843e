"""The `standard` analyzer: Lucene's StandardTokenizer (Unicode UAX #29 word breaks) then lowercase.

The tokenizer is approximated by the UAX #29 rules that decide common text:

- letters and digits join (`2nd`, `x86`), and `_` (ExtendNumLet) joins them (`foo_bar`);
- `'` `.` and `:` join letters on both sides (`don't`, `example.com`, `foo:bar`);
- `.` `,` `;` and `'` join digits on both sides (`3.14`, `1,000`);
- every CJK ideograph and Hiragana character is a token of its own, Katakana runs stay together;
- combining marks stay with the character before them;
- a token longer than 255 characters is cut into 255-character pieces, as Lucene does.

Lowercasing is per character (Java's Character.toLowerCase), not Python's context-sensitive
str.lower(), so a final sigma stays `σ` as it does in Elasticsearch.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MAX_TOKEN_LENGTH = 255

_MID_LETTER = frozenset(":\u00b7\u0387\u05f4\u2027\ufe13\ufe55\uff1a")
_MID_NUM_LET = frozenset(".\u2018\u2019\u2024\ufe52\uff07\uff0e")
_MID_NUM = frozenset(",;\u037e\u0589\u060c\u060d\u066c\u07f8\u2044\ufe10\ufe14\ufe50\ufe54\uff0c\uff1b")
_SINGLE_QUOTE = "'"

# Character classes of UAX #29 that matter here.
_LETTER, _NUMERIC, _EXTEND_NUM_LET, _KATAKANA, _ALONE, _EXTEND, _OTHER = range(7)


@lru_cache(maxsize=4096)
def _klass(ch: str) -> int:
    code = ord(ch)
    if ch == "_" or unicodedata.category(ch) == "Pc":
        return _EXTEND_NUM_LET
    if unicodedata.category(ch) in ("Mn", "Mc", "Me", "Cf"):
        return _EXTEND
    if 0x30A0 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9F:
        return _KATAKANA
    if _ideographic(code) or 0x3040 <= code <= 0x309F or 0x1F300 <= code <= 0x1FAFF:
        return _ALONE
    if ch.isdigit() or unicodedata.category(ch) == "Nd":
        return _NUMERIC
    if ch.isalpha():
        return _LETTER
    return _OTHER


def _ideographic(code: int) -> bool:
    return (
        0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3FFFF
        or code in (0x3005, 0x3006, 0x3007)
    )


def _joins_across(mid: str, before: int, after: int) -> bool:
    """Whether the punctuation `mid` between two word characters keeps them in one token."""
    if before == after == _LETTER:
        return mid in _MID_LETTER or mid in _MID_NUM_LET or mid == _SINGLE_QUOTE
    if before == after == _NUMERIC:
        return mid in _MID_NUM or mid in _MID_NUM_LET or mid == _SINGLE_QUOTE
    return False


def _joins(prev: int, cur: int) -> bool:
    word = (_LETTER, _NUMERIC, _EXTEND_NUM_LET)
    if prev in word and cur in word:
        return True
    if prev == _KATAKANA and cur in (_KATAKANA, _EXTEND_NUM_LET):
        return True
    return prev == _EXTEND_NUM_LET and cur == _KATAKANA


# The same rules for ASCII text, which is most text and far faster as a regular expression.
_ASCII_TOKEN = re.compile(r"[A-Za-z0-9_]+(?:(?:(?<=[A-Za-z])[.:'](?=[A-Za-z])|(?<=[0-9])[.,;'](?=[0-9]))[A-Za-z0-9_]+)*")


def tokenize(text: str) -> list[str]:
    """StandardTokenizer's tokens of `text`, case preserved."""
    if text.isascii():
        found = [t for t in _ASCII_TOKEN.findall(text) if t.strip("_")]
        return [piece for token in found for piece in _split_long(token)]
    tokens: list[str] = []
    current: list[str] = []
    last = _OTHER  # class of the last base character of the current token
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        k = _klass(ch)
        if k == _EXTEND:
            if current:
                current.append(ch)
            i += 1
            continue
        if current and k == _OTHER and i + 1 < n:
            nxt = _klass(text[i + 1])
            if _joins_across(ch, last, nxt):
                current.append(ch)
                i += 1
                continue
        if current and not (k != _ALONE and last != _ALONE and _joins(last, k)):
            tokens.append("".join(current))
            current = []
        if k == _OTHER:
            last = _OTHER
        else:
            current.append(ch)
            last = k
        i += 1
    if current:
        tokens.append("".join(current))
    return [piece for token in tokens if _has_word_char(token) for piece in _split_long(token)]


def _has_word_char(token: str) -> bool:
    # Lucene emits no token made only of underscores.
    return any(_klass(ch) not in (_EXTEND_NUM_LET, _EXTEND) for ch in token)


def _split_long(token: str) -> list[str]:
    return [token[i : i + MAX_TOKEN_LENGTH] for i in range(0, len(token), MAX_TOKEN_LENGTH)]


def _lower(ch: str) -> str:
    lowered = ch.lower()
    return lowered[0] if len(lowered) != 1 else lowered


def analyze(text: str) -> list[str]:
    """The terms the `standard` analyzer indexes for `text`."""
    if text.isascii():
        return [token.lower() for token in tokenize(text)]
    return ["".join(_lower(ch) for ch in token) for token in tokenize(text)]
