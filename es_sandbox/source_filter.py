"""Source filtering (`_source` includes/excludes) as Elasticsearch applies it to hits and GETs.

A pattern names a dotted path, `*` matches any characters (dots included), and naming an object
includes or excludes everything under it. An object left empty by includes is dropped, unless its
own path was included.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any


def filter_source(source: dict[str, Any], spec: Any) -> dict[str, Any]:
    """`source` filtered by `spec`: True, a pattern, a list of patterns, or {"includes", "excludes"}."""
    if spec is True or spec is None:
        return source
    if isinstance(spec, str):
        spec = [spec]
    if isinstance(spec, list):
        spec = {"includes": spec}
    includes = list(spec.get("includes") or spec.get("include") or [])
    excludes = list(spec.get("excludes") or spec.get("exclude") or [])
    if isinstance(includes, str):
        includes = [includes]
    if not includes and not excludes:
        return source
    return _filter_map(source, "", includes, excludes)


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def _matches(patterns: list[str], path: str) -> bool:
    return any(_regex(p).fullmatch(path) for p in patterns)


def _could_extend(patterns: list[str], prefix: str) -> bool:
    """Whether some pattern could match a path under `prefix` (`prefix.` plus anything)."""
    text = prefix + "."
    for pattern in patterns:
        states = _close({0}, pattern)
        for ch in text:
            states = _close({s if pattern[s] == "*" else s + 1 for s in states
                             if s < len(pattern) and pattern[s] in ("*", ch)}, pattern)
        if states:
            return True
    return False


def _close(states: set[int], pattern: str) -> set[int]:
    # A star may match nothing: being before it is being after it too.
    closed = set(states)
    for state in states:
        while state < len(pattern) and pattern[state] == "*":
            state += 1
            closed.add(state)
    return closed


def _filter_map(node: dict[str, Any], prefix: str, includes: list[str], excludes: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        path = prefix + key
        if excludes and _matches(excludes, path):
            continue
        included = not includes or _matches(includes, path)
        inner_includes = [] if included else includes
        if not included and not (isinstance(value, (dict, list)) and _could_extend(includes, path)):
            continue
        if isinstance(value, dict):
            filtered = _filter_map(value, path + ".", inner_includes, excludes)
            if included or filtered:
                out[key] = filtered
        elif isinstance(value, list):
            filtered_list = _filter_list(value, path, inner_includes, excludes, included)
            if included or filtered_list:
                out[key] = filtered_list
        else:
            out[key] = value
    return out


def _filter_list(items: list[Any], path: str, includes: list[str], excludes: list[str], included: bool) -> list[Any]:
    out = []
    for item in items:
        if isinstance(item, dict):
            filtered = _filter_map(item, path + ".", includes, excludes)
            if included or filtered:
                out.append(filtered)
        elif isinstance(item, list):
            nested = _filter_list(item, path, includes, excludes, included)
            if included or nested:
                out.append(nested)
        elif included:
            out.append(item)
    return out
