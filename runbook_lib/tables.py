"""Small tables shown in a notebook (plans, per-index findings) as text and HTML in one output."""

from __future__ import annotations

import html
from typing import Any, Sequence

from .checks import show_value
from .records import emit_display

_CELL = 'style="text-align:left;vertical-align:top;padding:2px 8px"'


def table_text(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[show_value(v, limit=200) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()  # noqa: E731
    return "\n".join([title, line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def show_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    head = "".join(f"<th {_CELL}>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td {_CELL}>{html.escape(show_value(v, limit=400))}</td>" for v in row)
                   + "</tr>" for row in rows)
    emit_display(table_text(title, columns, rows),
                 f"<b>{html.escape(title)}</b><table><tr>{head}</tr>{body}</table>")
