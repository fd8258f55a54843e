"""Requests written the way Kibana Dev Tools shows them, so an analyst can replay or compare them.

    PUT myindex_follow/_ccr/follow?wait_for_active_shards=1
    {
      "remote_cluster": "remote",
      "leader_index": "myindex"
    }

Bodies for `_bulk`-style endpoints (a list of objects) are written one JSON object per line.
Secrets are replaced by `"<redacted: reason>"` before anything is rendered (see `redaction`).
"""

from __future__ import annotations

import json
from typing import Any, Mapping
from urllib.parse import quote

from .redaction import redact

__all__ = ["format_body", "format_query", "parse_body", "redact", "render_request"]

# Characters Dev Tools users write unescaped in paths and query strings (`_cat/indices/log*,metrics*`).
_SAFE = "/,*:-_.~"


def format_query(params: Mapping[str, Any] | None) -> str:
    """`?a=1&b=true` from a mapping; None values are left out, lists are comma-joined."""
    if not params:
        return ""
    parts = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        parts.append(f"{quote(str(key), safe=_SAFE)}={quote(str(value), safe=_SAFE)}")
    return "?" + "&".join(parts) if parts else ""


def format_body(body: Any) -> str:
    """Pretty JSON for an object; one compact line per item for a list (ndjson); text as given."""
    if body is None:
        return ""
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", errors="replace")
    if isinstance(body, str):
        return _format_text_body(body)
    if isinstance(body, (list, tuple)):
        return "\n".join(json.dumps(item, ensure_ascii=False, default=str) for item in body)
    return json.dumps(body, indent=2, ensure_ascii=False, default=str)


def _format_text_body(text: str) -> str:
    """A body already serialised: reformat one JSON document, keep ndjson lines, keep other text."""
    stripped = text.strip()
    if not stripped:
        return ""
    try:
        return format_body(json.loads(stripped))
    except ValueError:
        pass
    lines = [line for line in stripped.splitlines() if line.strip()]
    try:
        return format_body([json.loads(line) for line in lines])
    except ValueError:
        return stripped


def parse_body(body: Any) -> Any:
    """A JSON text body as data, so that secrets inside it can be found; anything else unchanged."""
    if not isinstance(body, (str, bytes, bytearray)):
        return body
    text = body.decode("utf-8", errors="replace") if isinstance(body, (bytes, bytearray)) else body
    try:
        return json.loads(text)
    except ValueError:
        lines = [line for line in text.splitlines() if line.strip()]
        try:
            return [json.loads(line) for line in lines]
        except ValueError:
            return text


def render_request(
    method: str,
    path: str,
    params: Mapping[str, Any] | None = None,
    body: Any = None,
) -> str:
    """The request as Dev Tools text: `METHOD path?query`, then the body. Secrets are redacted.

    `path` may already carry a query string; `params` are appended to it.
    """
    params, _ = redact(dict(params or {}))
    body, _ = redact(parse_body(body))
    shown_path = path.lstrip("/") or "/"
    query = format_query(params)
    if query and "?" in shown_path:
        query = "&" + query[1:]
    line = f"{method.upper()} {shown_path}{query}"
    text = format_body(body)
    return f"{line}\n{text}" if text else line
