"""`report.html`: a run as an auditor reads it, one self-contained page built from the run folder alone.

    runs/<run id>/report.html   written by the runner before it seals the folder, so SHA256SUMS covers it

Top to bottom: the verdict and who ran what, when, against which clusters with which parameters; the
failing step (a failed run only); every check; every request that changed a cluster, as Kibana Dev
Tools shows it; each step's before/after cluster state; the lag and latency figures; then every
executed notebook. The page is read offline and years later, so it fetches nothing: images are inline
data: URIs, there is no script at all, and a Content-Security-Policy forbids the browser any load
that is not inline. A sealed folder is never rewritten: `python -m runbook_lib evidence report`
renders a run's page again elsewhere (a path, or stdout).
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from ..checks import show_value
from ..errors import RunbookError
from ..run_folder import read_run
from .bundle import EVIDENCE_FILE, build_evidence
from .notebook_html import notebook_html
from .seal import MANIFEST_FILE, read_manifest, sealed_runs, sha256_file

REPORT_FILE = "report.html"
_TEMPLATE_DIR = Path(__file__).with_name("templates")
_VERDICTS = {"passed": ("PASSED", "pass"), "failed": ("FAILED", "fail"), "interrupted": ("INTERRUPTED", "warn"),
             "running": ("UNFINISHED", "warn")}
_VERDICT_ORDER = ("fail", "warn", "pass", "info")
# Checks that carry the replication and cutover figures, by words in their names.
_FIGURE_WORDS = ("readable by realtime get", "found by search", "global checkpoint", "operations behind",
                 "catch-up", "write downtime", "step durations", "replication summary")
_IMAGE = re.compile(r'<img\b[^>]*\bsrc="(data:image/(?:png|jpeg|svg\+xml);base64,[^"]+)"[^>]*>', re.I)
_ALT = re.compile(r'\balt="([^"]*)"', re.I)
_TITLE = re.compile(r"<b>(.*?)</b>", re.I | re.S)
_SHOWN_CHARS = 400


def write_report(folder: str | os.PathLike[str]) -> Path:
    """Render the run folder's report into it; the runner calls this before sealing."""
    folder = Path(folder)
    if (folder / MANIFEST_FILE).is_file():
        raise RunbookError(f"{folder} is sealed: its report cannot be rewritten (render it elsewhere with "
                           f"`python -m runbook_lib evidence report {folder} -o PATH`)")
    path = folder / REPORT_FILE
    path.write_text(render_report(folder), encoding="utf-8")
    return path


def render_to(folder: str | os.PathLike[str], output: str | os.PathLike[str] | None) -> None:
    """`evidence report`: the page for inspection, on stdout or at `output`, which no sealed folder may hold."""
    page = render_report(folder)
    if output is None:
        sys.stdout.write(page)
        return
    target = Path(output).resolve()
    sealed = next((d for d in target.parents if (d / MANIFEST_FILE).is_file()), None)
    if sealed is not None:
        raise RunbookError(f"{target} is inside the sealed run folder {sealed}: writing there would break its seal "
                           "(`evidence verify` would report the change); choose a path outside it")
    target.write_text(page, encoding="utf-8")


def render_report(folder: str | os.PathLike[str]) -> str:
    """The report page for `folder`, as text: from its sealed evidence.json, or as the seal will write it."""
    folder = Path(folder).resolve()
    if not (folder / "run.json").is_file():
        raise RunbookError(f"{folder} is not a run folder: it has no run.json")
    sealed = (folder / MANIFEST_FILE).is_file() and (folder / EVIDENCE_FILE).is_file()
    evidence = json.loads((folder / EVIDENCE_FILE).read_text(encoding="utf-8")) if sealed \
        else build_evidence(folder)
    return _environment().get_template("report.html.j2").render(**report_context(folder, evidence))


def report_context(folder: Path, evidence: dict[str, Any]) -> dict[str, Any]:
    run = _read_run(folder)
    steps = _steps(folder, evidence, run)
    failing = next((s for s in steps if s["status"] in ("failed", "interrupted")), None)
    checks = evidence.get("checks") or []
    counts = {v: sum(1 for c in checks if c.get("verdict") == v) for v in _VERDICT_ORDER}
    label, tone = _VERDICTS.get(str(evidence.get("status")), (str(evidence.get("status", "unknown")).upper(), "warn"))
    if tone == "pass" and counts["warn"]:
        label = "PASSED WITH WARNINGS"
    notebooks = [s for s in steps if s["notebook_file"]]
    if failing is not None and failing in notebooks:  # the failure first: it is what the reader came for
        notebooks.remove(failing)
        notebooks.insert(0, failing)
    return {
        "ev": evidence,
        "verdict": {"label": label, "tone": tone, "dry_run": bool(evidence.get("dry_run")),
                    "interactive": evidence.get("mode") == "interactive"},
        "headline": _headline(evidence, steps, counts, failing),
        "duration": _duration(evidence.get("started"), evidence.get("ended")),
        "clusters": _clusters(evidence.get("clusters") or {}),
        "parameters": list(_flatten(evidence.get("parameters"))),
        "chain": _chain(folder),
        "steps": steps,
        "failing": _failing(folder, failing, checks, run) if failing else None,
        "counts": counts,
        "check_groups": _check_groups(steps, checks),
        "requests": evidence.get("requests") or [],
        "states": [_state(s) for s in steps if s["state"]],
        "figures": _figures(folder, steps, checks),
        "notebooks": [{**s, "html": notebook_html(folder / s["notebook_file"], s["anchor"])} for s in notebooks],
        "pygments_css": _pygments_css(),
        "css": (_TEMPLATE_DIR / "report.css").read_text(encoding="utf-8"),
    }


def _environment():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATE_DIR), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters.update(value=_value, pretty=_pretty, when=_when, clock=_clock, seconds=_seconds, short=_short)
    return env


def _steps(folder: Path, evidence: dict[str, Any], run: dict[str, Any]) -> list[dict[str, Any]]:
    recorded = {s.get("step"): s for s in run.get("steps", [])}
    steps = []
    for step in evidence.get("steps") or []:
        name, notebook = str(step.get("step")), step.get("notebook")
        steps.append({
            **step,
            "anchor": "step-" + re.sub(r"[^A-Za-z0-9_-]", "-", name),
            # A step that stopped before papermill wrote its notebook has none to show.
            "notebook_file": notebook if notebook and (folder / notebook).is_file() else None,
            "failed_cell": (recorded.get(name) or {}).get("failed_cell"),
            "state": step.get("state") or None,
            "interactive": _interactive(step.get("interactive")),
        })
    return steps


def _interactive(flags: Any) -> dict[str, Any] | None:
    """An interactive step's flagged cells (run out of order, run twice), when there are any."""
    if not isinstance(flags, dict):
        return None
    shown = {k: v for k, v in flags.items() if v}
    return shown or None


def _headline(evidence: dict[str, Any], steps: list[dict[str, Any]], counts: dict[str, int],
              failing: dict[str, Any] | None) -> str:
    ran = [s for s in steps if s.get("status") not in ("skipped", "not run")]
    passed = sum(1 for s in ran if s.get("status") == "passed")
    text = f"{passed} of {len(ran)} step(s) passed"
    if failing is not None:
        text += f"; stopped at {failing['step']}"
    text += f". {sum(counts.values())} checks: {counts['pass']} passed, {counts['fail']} failed"
    text += f", {counts['warn']} warnings, {counts['info']} for information."
    changing = [r for r in evidence.get("requests") or [] if not r.get("dry_run")]
    text += f" {len(changing)} request(s) changed a cluster."
    if evidence.get("dry_run"):
        text += " Dry run: the changing requests were shown and recorded, none was sent."
    return text


def _clusters(by_role: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    rows = []
    for role in sorted(by_role, key=lambda r: {"remote": 0, "local": 1}.get(r, 2)):
        found = by_role[role]
        for identity in found:
            rows.append({**identity, "role": role, "ambiguous": len(found) > 1})
    return rows


def _flatten(value: Any, path: str = "") -> Iterator[dict[str, Any]]:
    """Parameters as (field, value) rows; a redacted value is marked with its reason."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _flatten(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
        for i, item in enumerate(value):
            yield from _flatten(item, f"{path}[{i}]")
    elif path:
        text = '""' if value == "" else _value(value)
        yield {"field": path, "value": text, "redacted": "<redacted" in text, "empty": value in (None, "", [], {})}


def _chain(folder: Path) -> dict[str, Any] | None:
    """The run this one follows in the evidence chain: recorded in the manifest, or the one the seal will name."""
    if (folder / MANIFEST_FILE).is_file():
        try:
            return read_manifest(folder).get("previous")
        except (OSError, ValueError):
            return None
    previous = next((f for f in reversed(sealed_runs(folder.parent)) if f != folder), None)
    if previous is None:
        return None
    return {"run_id": previous.name, "manifest_sha256": sha256_file(previous / MANIFEST_FILE)}


def _failing(folder: Path, step: dict[str, Any], checks: list[dict[str, Any]], run: dict[str, Any]) -> dict[str, Any]:
    failed = [c for c in checks if c.get("step") == step["step"] and c.get("verdict") in ("fail", "warn")]
    errors = []
    if step["notebook_file"]:
        errors = list(_errors(folder / step["notebook_file"]))
    return {**step, "failed_checks": failed, "errors": errors}


def _errors(notebook: Path) -> Iterator[dict[str, Any]]:
    """The error outputs of an executed notebook, tracebacks with their colours as HTML."""
    import nbformat
    from markupsafe import Markup
    from nbconvert.filters.ansi import ansi2html

    for cell in nbformat.read(notebook, as_version=4).cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                yield {"cell_id": cell.get("id"), "execution_count": cell.get("execution_count"),
                       "ename": output.get("ename", ""), "evalue": output.get("evalue", ""),
                       "traceback": Markup(ansi2html("\n".join(output.get("traceback", []))))}


def _state(step: dict[str, Any]) -> dict[str, Any]:
    """A step's before/after fingerprints per cluster, with its `changed` lines sorted to their cluster."""
    before, after = step["state"].get("before") or {}, step["state"].get("after") or {}
    changed = [str(line) for line in step["state"].get("changed") or []]
    rows, claimed = [], set()
    for role in sorted(dict.fromkeys([*before, *after]), key=lambda r: {"remote": 0, "local": 1}.get(r, 2)):
        mine = [line for line in changed if line.startswith(f"{role}:")]
        claimed.update(mine)
        first, last = before.get(role) or {}, after.get(role) or {}
        rows.append({"role": role, "before": first, "after": last, "changed": first.get("digest") != last.get("digest"),
                     "changes": [line.split(":", 1)[1].strip() for line in mine]})
    unread = [f"{role} {moment}: {item}" for moment, side in (("before", before), ("after", after))
              for role, fp in side.items() for item in (fp or {}).get("unread") or []]
    return {"step": step["step"], "rows": rows, "other": [line for line in changed if line not in claimed],
            "unread": unread}


def _check_groups(steps: list[dict[str, Any]], checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups = []
    for step in steps:
        mine = [c for c in checks if c.get("step") == step["step"]]
        if mine:
            groups.append({"step": step, "checks": mine})
    return groups


def _figures(folder: Path, steps: list[dict[str, Any]], checks: list[dict[str, Any]]) -> dict[str, Any]:
    """The lag and latency checks, and every figure the notebooks drew (inline PNGs), with their titles."""
    figure_checks = [c for c in checks if any(w in str(c.get("name", "")).lower() for w in _FIGURE_WORDS)]
    images = []
    for step in steps:
        if step["notebook_file"]:
            images += [{**image, "step": step["step"]} for image in _images(folder / step["notebook_file"])]
    return {"checks": figure_checks, "images": images}


def _images(notebook: Path) -> Iterator[dict[str, str]]:
    import nbformat

    for cell in nbformat.read(notebook, as_version=4).cells:
        for output in cell.get("outputs", []):
            data = output.get("data") or {}
            if "image/png" in data:
                yield {"src": "data:image/png;base64," + "".join(data["image/png"]).replace("\n", ""),
                       "title": "", "alt": str(data.get("text/plain", ""))}
                continue
            markup = data.get("text/html", "")
            markup = "".join(markup) if isinstance(markup, list) else str(markup)
            for match in _IMAGE.finditer(markup):
                title = _TITLE.search(markup)
                alt = _ALT.search(match.group(0))
                yield {"src": match.group(1), "title": html.unescape(title.group(1)) if title else "",
                       "alt": html.unescape(alt.group(1)) if alt else ""}


def _read_run(folder: Path) -> dict[str, Any]:
    try:
        return read_run(folder)
    except (OSError, ValueError):
        return {}


def _pygments_css() -> str:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style="default").get_style_defs(".highlight")


def _value(value: Any) -> str:
    return show_value(value, _SHOWN_CHARS)


def _pretty(value: Any, depth: int = 0) -> Any:
    """A check's value for reading: a mapping as one `key: value` line per key (nested once), a list of
    sentences one per line, else as text."""
    from markupsafe import Markup, escape

    if isinstance(value, dict) and value and depth < 2:
        lines = (Markup('<div class="kv"><span class="k">{}</span> {}</div>').format(key, _pretty(item, depth + 1))
                 for key, item in value.items())
        return Markup("").join(lines)
    if isinstance(value, list) and value and depth < 2 and all(isinstance(item, str) for item in value):
        return Markup("").join(Markup('<div class="kv">{}</div>').format(item) for item in value)
    return escape(_value(value))


def _parse(iso: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(iso))
    except ValueError:
        return None


def _when(iso: Any) -> str:
    moment = _parse(iso)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else (str(iso) if iso else "\u2014")


def _clock(iso: Any) -> str:
    moment = _parse(iso)
    return moment.strftime("%H:%M:%S.%f")[:-3] if moment else (str(iso) if iso else "")


def _seconds(value: Any) -> str:
    if value is None:
        return ""
    value = float(value)
    return f"{value:.1f} s" if value < 120 else f"{int(value // 60)} min {value % 60:.0f} s"


def _duration(started: Any, ended: Any) -> str:
    first, last = _parse(started), _parse(ended)
    return _seconds((last - first).total_seconds()) if first and last else "\u2014"


def _short(digest: Any, length: int = 12) -> str:
    return str(digest)[:length] if digest else "\u2014"

