"""Machine-readable evidence inside executed notebooks, and the reader that collects it.

Each check, each request that changed a cluster, the cluster identities `step.connect()` read and
the state fingerprints taken before and after each step (state_fingerprint.py) are displayed as one
output holding a MIME bundle: a JSON part for tools
(`application/vnd.ccr-runbooks.*.v1+json`), plus text/plain and text/html for people. Jupyter shows the HTML, papermill saves every part, and `read_records` turns the JSON parts
of an executed notebook back into a DataFrame. This is scrapbook's idea without the dependency.
Listeners (`on_record`) also receive each record as it is emitted: an interactive run's journal
(journal.py) writes them to the run folder as they happen.
"""

from __future__ import annotations

import html
import json
import os
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from .devtools import parse_body, render_request
from .redaction import redact

CHECK_MIME = "application/vnd.ccr-runbooks.check.v1+json"
REQUEST_MIME = "application/vnd.ccr-runbooks.request.v1+json"
IDENTITY_MIME = "application/vnd.ccr-runbooks.identity.v1+json"
STATE_MIME = "application/vnd.ccr-runbooks.state.v1+json"
KINDS = {CHECK_MIME: "check", REQUEST_MIME: "request", IDENTITY_MIME: "identity", STATE_MIME: "state"}
_listeners: list[Callable[[str, Mapping[str, Any]], None]] = []
_OUTPUT_TYPES = ("display_data", "execute_result")


def _publish(bundle: Mapping[str, Any]) -> None:
    """Display `bundle` as one output in a kernel; outside one, print its text (tests swap this)."""
    from IPython import get_ipython  # imported here: plain scripts need not pay for IPython

    if get_ipython() is None:
        print(bundle.get("text/plain", ""))
        return
    from IPython.display import display

    display(dict(bundle), raw=True)


def emit(mime: str, payload: Mapping[str, Any], text: str, html_text: str) -> None:
    """One output holding a record (`payload` under `mime`) and its text and HTML renderings."""
    _publish({mime: payload, "text/plain": text, "text/html": html_text})
    for listener in list(_listeners):
        listener(mime, payload)


def on_record(listener: Callable[[str, Mapping[str, Any]], None]) -> None:
    """Call `listener(mime, payload)` for every record emitted from now on (once, however often asked)."""
    if listener not in _listeners:
        _listeners.append(listener)


def emit_display(text: str, html_text: str) -> None:
    """One output without a record (headers, summaries)."""
    _publish({"text/plain": text, "text/html": html_text})


def json_safe(value: Any) -> Any:
    """`value` as plain JSON data (unknown types become strings), with secrets redacted."""
    plain = json.loads(json.dumps(value, default=str))
    return redact(plain)[0]


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def emit_request(
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    body: Any = None,
    status: int | None = None,
    cluster: str = "",
    step: str = "",
    run_id: str = "",
    response: Any = None,
    error: str = "",
    duration_ms: float | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Record a request that changed (or, in a dry run, would have changed) a cluster.

    Call it once the answer is known, error or not: evidence of a failed change matters as much.
    Body, parameters and response are redacted before they are displayed or returned.
    """
    devtools = render_request(method, path, params, body)
    payload = {
        "schema": "ccr-runbooks.request.v1",
        "run_id": run_id,
        "step": step,
        "cluster": cluster,
        "method": method.upper(),
        "path": path,
        "params": json_safe(dict(params or {})),
        "body": json_safe(parse_body(body)),
        "devtools": devtools,
        "status": status,
        "response": json_safe(response),
        "error": error,
        "duration_ms": duration_ms,
        "dry_run": dry_run,
        "time": now_iso(),
    }
    if dry_run:
        outcome = "not sent (dry run)"
    elif error:
        outcome = f"{status or 'no answer'}: {error}"
    else:
        outcome = f"{status}" + (f" in {duration_ms:.0f} ms" if duration_ms is not None else "")
    where = f"[{cluster}] " if cluster else ""
    text = f"{where}{devtools}\n-> {outcome}"
    color = "#9a6700" if dry_run else ("#cf222e" if error else "#1a7f37")
    html_text = (
        f'<div class="ccr-request"><pre style="margin:0">{html.escape(where + devtools)}</pre>'
        f'<div style="color:{color}">&rarr; {html.escape(outcome)}</div></div>'
    )
    emit(REQUEST_MIME, payload, text, html_text)
    return payload


def _load(notebook: Any) -> Mapping[str, Any]:
    if isinstance(notebook, (str, os.PathLike)):
        import nbformat

        return nbformat.read(os.fspath(notebook), as_version=4)
    if isinstance(notebook, Mapping):
        return notebook
    raise TypeError(f"expected a notebook path or node, got {type(notebook).__name__}")


def iter_records(notebook: Any):
    """(kind, cell_index, cell_id, output_index, payload) for every record, in notebook order."""
    for cell_index, cell in enumerate(_load(notebook).get("cells", [])):
        for output_index, output in enumerate(cell.get("outputs", []) or []):
            if output.get("output_type") not in _OUTPUT_TYPES:
                continue
            for mime, kind in KINDS.items():
                data = (output.get("data") or {}).get(mime)
                if data is None:
                    continue
                # nbformat keeps +json parts as objects; a hand-written notebook may hold a string.
                payload = json.loads(data) if isinstance(data, str) else dict(data)
                yield kind, cell_index, cell.get("id"), output_index, payload


def read_records(notebook: Any, kind: str | None = None):
    """Every check and request record of an executed notebook, as a pandas DataFrame.

    `notebook` is a path or an nbformat node. Columns: `kind` ("check", "request", "identity" or "state"), `cell_index`,
    `cell_id`, `output_index`, then the record's own fields (`time` parsed as a UTC timestamp).
    `kind` keeps only one kind of record.
    """
    import pandas as pd

    rows = [
        {"kind": k, "cell_index": ci, "cell_id": cid, "output_index": oi, **payload}
        for k, ci, cid, oi, payload in iter_records(notebook)
        if kind is None or k == kind
    ]
    frame = pd.DataFrame(rows, columns=None if rows else ["kind", "cell_index", "cell_id", "output_index"])
    if "time" in frame.columns:
        frame["time"] = pd.to_datetime(frame["time"], utc=True, errors="coerce")
    return frame
