"""Elasticsearch's "contains unrecognized metric: [x] -> did you mean [y]?" message (BaseRestHandler
.unrecognized), with Lucene's Levenshtein similarity (1 - edits / longer length, suggested above 0.5)."""

from __future__ import annotations

from typing import Iterable


def _similarity(a: str, b: str) -> float:
    if not a or not b:
        return 1.0 if a == b else 0.0
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return 1.0 - previous[-1] / max(len(a), len(b))


def unrecognized(path: str, invalids: Iterable[str], candidates: Iterable[str], detail: str) -> str:
    invalid = sorted(set(invalids))
    parts = []
    for name in invalid:
        scored = sorted(((_similarity(name, c), c) for c in set(candidates)), key=lambda sc: (-sc[0], sc[1]))
        keys = [c for score, c in scored if score > 0.5]
        text = f"[{name}]"
        if len(keys) == 1:
            text += f" -> did you mean [{keys[0]}]?"
        elif keys:
            text += f" -> did you mean any of [{', '.join(keys)}]?"
        parts.append(text)
    return f"request [{path}] contains unrecognized {detail}{'s' if len(invalid) > 1 else ''}: {', '.join(parts)}"
