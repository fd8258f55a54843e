"""Small figures for the reports, embedded in the notebook as PNG with a text summary beside them.

Figures are drawn on a bare `matplotlib.figure.Figure` (no pyplot, no backend state) and shown as
one output holding the PNG inside HTML and a plain-text fallback, so an executed notebook carries
them whatever backend the kernel runs with, and a terminal still reads the figures as text.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Sequence

from matplotlib.figure import Figure

from .canaries import CanaryTiming
from .parity import ShardParity
from .records import emit_display

_SIZE = (8.0, 2.6)
_DPI = 80


def show_figure(figure: Figure, title: str, text: str) -> None:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, bbox_inches="tight")
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    emit_display(f"{title}\n{text}",
                 f'<b>{html.escape(title)}</b><br><img alt="{html.escape(text)}" src="data:image/png;base64,{png}">')


def replication_figure(timings: Sequence[CanaryTiming], shards: Sequence[tuple[str, Sequence[ShardParity]]]) -> Figure:
    """Left: each canary's time to be readable on the follower (GET, search). Right: lag per shard."""
    figure = Figure(figsize=_SIZE)
    latency, lag = figure.subplots(1, 2)
    labels = [f"{t.label}\n{t.follower}" if len({x.follower for x in timings}) > 1 else t.label for t in timings]
    positions = range(len(timings))
    latency.bar([p - 0.2 for p in positions], [t.get_ms or 0 for t in timings], width=0.4, label="realtime GET")
    latency.bar([p + 0.2 for p in positions], [t.search_ms or 0 for t in timings], width=0.4, label="search")
    latency.set_xticks(list(positions), labels)
    latency.set_ylabel("ms after the leader's ack")
    latency.set_title("canary readable on the follower", fontsize=9)
    if timings:
        latency.legend(fontsize=7)
    names = [f"{follower}[{row.shard}]" for follower, rows in shards for row in rows]
    lag.bar(range(len(names)), [row.lag for _, rows in shards for row in rows], color="tab:orange")
    lag.set_xticks(list(range(len(names))), names, rotation=30, fontsize=7)
    lag.set_ylabel("operations")
    lag.set_title("follower behind the leader's own max seq no", fontsize=9)
    figure.tight_layout()
    return figure


def timeline_figure(steps: Sequence[tuple[str, float, float]], downtime: tuple[float, float] | None) -> Figure:
    """Cutover steps as bars on one time axis (seconds from the first step); the write downtime shaded."""
    figure = Figure(figsize=(_SIZE[0], 0.35 * len(steps) + 1.0))
    axes = figure.subplots()
    for row, (name, start, duration) in enumerate(reversed(steps)):
        axes.barh(row, max(duration, 0.002), left=start, color="tab:blue")
        axes.text(start + duration, row, f" {duration * 1000:.0f} ms", va="center", fontsize=7)
    axes.set_yticks(list(range(len(steps))), [name for name, _, _ in reversed(steps)], fontsize=8)
    if downtime is not None:
        axes.axvspan(downtime[0], downtime[1], color="tab:red", alpha=0.15,
                     label=f"writes unavailable: {downtime[1] - downtime[0]:.2f} s")
        axes.legend(fontsize=7, loc="lower right")
    axes.set_xlabel("seconds from the write block")
    figure.tight_layout()
    return figure
