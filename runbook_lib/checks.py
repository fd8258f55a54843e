"""Checks of a step: what was expected, what was observed, the verdict, and what to do about it.

A notebook step builds a `CheckList`, adds checks as it observes the clusters, and ends with
`raise_on_failure()`. Each check is displayed as soon as it is added (so a later exception cannot
hide the evidence gathered before it) as one output carrying its JSON record for `read_records`.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .errors import CheckFailed
from .records import CHECK_MIME, emit, emit_display, json_safe

VERDICTS = ("pass", "warn", "fail", "info")
_ICONS = {"pass": "\u2714", "warn": "\u26a0", "fail": "\u2718", "info": "\u2139"}
_COLORS = {"pass": "#1a7f37", "warn": "#9a6700", "fail": "#cf222e", "info": "#0969da"}
_SHOWN_CHARS = 120
# Same column widths in every row's table, so rows displayed one by one line up as one table.
_COLUMNS = (("", "7em"), ("check", "24%"), ("expected", "20%"), ("observed", "20%"), ("next step", "auto"))
_TABLE = '<table class="ccr-checks" style="width:100%;table-layout:fixed;border-collapse:collapse;margin:0">'
_CELL = 'style="text-align:left;vertical-align:top;padding:2px 6px;overflow-wrap:anywhere"'


def show_value(value: Any, limit: int = _SHOWN_CHARS) -> str:
    """A value as a person reads it: text as is, None as a dash, data as compact JSON."""
    if value is None:
        text = "\u2014"
    elif isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        text = f"{value:,}" if isinstance(value, int) and abs(value) >= 10_000 else str(value)
    else:
        text = json.dumps(json_safe(value), ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


@dataclass
class Check:
    name: str
    expected: Any
    observed: Any
    verdict: str
    advice: str = ""
    time: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {self.verdict!r}")
        # Evidence must never hold a secret, whatever a caller passed as "observed".
        self.expected = json_safe(self.expected)
        self.observed = json_safe(self.observed)

    @property
    def failed(self) -> bool:
        return self.verdict == "fail"

    def to_record(self, step: str = "", run_id: str = "") -> dict[str, Any]:
        return {
            "schema": "ccr-runbooks.check.v1", "run_id": run_id, "step": step, "name": self.name,
            "expected": self.expected, "observed": self.observed, "verdict": self.verdict,
            "advice": self.advice, "time": self.time.isoformat(timespec="milliseconds"),
        }

    def to_text(self) -> str:
        line = f"{_ICONS[self.verdict]} {self.verdict.upper():4}  {self.name}: "
        if self.verdict == "info" and self.expected is None:
            line += show_value(self.observed)
        else:
            line += f"observed {show_value(self.observed)}; expected {show_value(self.expected)}"
        if self.advice and self.verdict in ("fail", "warn"):
            line += f"\n        next: {self.advice}"
        return line

    def to_html(self) -> str:
        color = _COLORS[self.verdict]
        cells = [
            f'<td {_CELL}><b style="color:{color}">{_ICONS[self.verdict]} {self.verdict.upper()}</b></td>',
            *(f"<td {_CELL}>{html.escape(text)}</td>" for text in (
                self.name, show_value(self.expected), show_value(self.observed),
                self.advice if self.verdict != "pass" else "")),
        ]
        return f"{_TABLE}{_colgroup()}<tr>{''.join(cells)}</tr></table>"


def _colgroup() -> str:
    return "<colgroup>" + "".join(f'<col style="width:{w}">' for _, w in _COLUMNS) + "</colgroup>"


class CheckList:
    """The checks of one step; displays each as it is added, then a summary."""

    def __init__(self, step: str, run_id: str = "", *, live: bool = True) -> None:
        self.step, self.run_id, self.live = step, run_id, live
        self.checks: list[Check] = []
        self._shown = 0
        self._header_shown = False
        self._summary_shown_for = -1

    def add(self, name: str, expected: Any, observed: Any, verdict: str, advice: str = "") -> Check:
        return self.add_check(Check(name, expected, observed, verdict, advice))

    def add_check(self, check: Check) -> Check:
        self.checks.append(check)
        if self.live:
            self._show_new()
        return check

    def expect(self, name: str, expected: Any, observed: Any, advice: str = "", *,
               ok: bool | None = None, warn_only: bool = False) -> Check:
        """Pass when `ok` (default: observed == expected), else fail (or warn when `warn_only`)."""
        ok = (observed == expected) if ok is None else ok
        return self.add(name, expected, observed, "pass" if ok else ("warn" if warn_only else "fail"), advice)

    def info(self, name: str, observed: Any, advice: str = "") -> Check:
        return self.add(name, None, observed, "info", advice)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.verdict == "fail"]

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks if c.verdict == "warn"]

    def summary(self) -> str:
        counts = {v: sum(c.verdict == v for c in self.checks) for v in VERDICTS}
        parts = [f"{counts['pass']} passed", f"{counts['warn']} warning(s)", f"{counts['fail']} failed"]
        if counts["info"]:
            parts.append(f"{counts['info']} for information")
        return f"{self.step}: " + ", ".join(parts)

    def render(self) -> None:
        """Display the checks not yet displayed, then the summary (again only if checks were added)."""
        self._show_new()
        if self._summary_shown_for != len(self.checks):
            self._summary_shown_for = len(self.checks)
            color = _COLORS["fail" if self.failures else "warn" if self.warnings else "pass"]
            text = self.summary()
            emit_display(text, f'<p style="color:{color};margin:4px 0"><b>{html.escape(text)}</b></p>')

    def raise_on_failure(self) -> None:
        """Display what is left, then raise CheckFailed naming every failed check and what to do."""
        self.render()
        failed = self.failures
        if len(failed) == 1:
            c = failed[0]
            raise CheckFailed(f"{self.step}: {c.name}", c.advice, c.observed, c.expected, failed=failed)
        if failed:
            raise CheckFailed(f"{self.step}: {len(failed)} checks failed", "see each check", failed=failed)

    def to_text(self) -> str:
        return "\n".join([f"Checks of {self.step}", *(c.to_text() for c in self.checks), self.summary()])

    def to_html(self) -> str:
        rows = "".join(c.to_html() for c in self.checks)
        return _header_html(self.step) + rows

    def to_records(self) -> list[dict[str, Any]]:
        return [c.to_record(self.step, self.run_id) for c in self.checks]

    def _show_new(self) -> None:
        if not self._header_shown and self._shown < len(self.checks):
            self._header_shown = True
            emit_display(f"Checks of {self.step}", _header_html(self.step))
        for check in self.checks[self._shown:]:
            emit(CHECK_MIME, check.to_record(self.step, self.run_id), check.to_text(), check.to_html())
        self._shown = len(self.checks)

    def __str__(self) -> str:
        return self.to_text()


def _header_html(step: str) -> str:
    heads = "".join(f"<th {_CELL}>{html.escape(title)}</th>" for title, _ in _COLUMNS)
    return (f'<div style="font-weight:bold;margin-top:4px">Checks of {html.escape(step)}</div>'
            f"{_TABLE}{_colgroup()}<tr>{heads}</tr></table>")
