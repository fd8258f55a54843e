"""Where a value sits in a JSON body, as Jackson reports it in Elasticsearch's `[line:col]` messages.

Elasticsearch reports the location of the token it was reading when it failed: 1-based line, and
1-based column counted in bytes of the UTF-8 body. Handlers that keep the raw body should pass it;
without it the body is assumed to be compact JSON (`separators=(",", ":")`, UTF-8), which is what
the official Python client sends.
"""

from __future__ import annotations

import json
from json.decoder import scanstring
from typing import Any

Path = tuple[Any, ...]  # object keys (str) and array positions (int) from the root


def locate(raw: bytes | str | None, doc: Any, path: Path, *, key: bool = False) -> tuple[int, int]:
    """(line, col) of the value at `path`, or of its field name when `key` is true."""
    for text in _candidates(raw, doc):
        index = _find(text, path, key)
        if index is not None:
            return _line_col(text, index)
    return 1, 1


def _candidates(raw: bytes | str | None, doc: Any) -> list[str]:
    texts = []
    if raw is not None:
        texts.append(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw)
    texts.append(json.dumps(doc, separators=(",", ":"), ensure_ascii=False))
    return texts


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    start = text.rfind("\n", 0, index) + 1
    return line, len(text[start:index].encode("utf-8")) + 1


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _find(text: str, target: Path, key: bool) -> int | None:
    try:
        found, _ = _walk(text, _skip_ws(text, 0), (), target, key)
    except (ValueError, IndexError):
        return None
    return found


def _walk(text: str, pos: int, here: Path, target: Path, key: bool) -> tuple[int | None, int]:
    """Scan the value starting at `pos`; return (index of the target if inside, end of value)."""
    if here == target and not key:
        return pos, _end(text, pos)
    opener = text[pos]
    if opener not in "{[" or target[: len(here)] != here:
        return None, _end(text, pos)
    pos = _skip_ws(text, pos + 1)
    position = 0
    while text[pos] not in "}]":
        if opener == "{":
            key_at = pos
            name, pos = scanstring(text, pos + 1)
            pos = _skip_ws(text, _skip_ws(text, pos) + 1)  # past the colon
            step: Any = name
        else:
            key_at, step = pos, position
        if here + (step,) == target and key:
            return key_at, pos
        found, pos = _walk(text, pos, here + (step,), target, key)
        if found is not None:
            return found, pos
        pos = _skip_ws(text, pos)
        if text[pos] == ",":
            pos = _skip_ws(text, pos + 1)
        position += 1
    return None, pos + 1


def _end(text: str, pos: int) -> int:
    """The index just past the JSON value starting at `pos`."""
    if text[pos] == '"':
        return scanstring(text, pos + 1)[1]
    if text[pos] in "{[":
        depth = 0
        while True:
            ch = text[pos]
            if ch == '"':
                pos = scanstring(text, pos + 1)[1]
                continue
            if ch in "{[":
                depth += 1
            elif ch in "}]":
                depth -= 1
                if depth == 0:
                    return pos + 1
            pos += 1
    while pos < len(text) and text[pos] not in ",}] \t\r\n":
        pos += 1
    return pos
