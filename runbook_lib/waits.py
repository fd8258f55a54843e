"""Waiting for a cluster to reach a state, with visible progress and a useful timeout error.

`wait_until` polls a condition until it holds or the time is up. In an interactive session it draws
a tqdm progress bar; it always prints the final figures as text too, because a saved notebook shows
only a progress widget's *initial* state in its plain-text fallback.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

from .errors import WaitTimedOut

__all__ = ["Poll", "WaitResult", "WaitTimedOut", "wait_until"]

_STATE_CHARS = 60


@dataclass(frozen=True)
class Poll:
    """One look at the condition: whether it holds, what was seen, and how far along it is."""

    done: bool
    state: Any = None
    progress: float | None = None


@dataclass(frozen=True)
class WaitResult:
    describe: str
    elapsed_s: float
    polls: int
    state: Any
    progress: float | None = None


def as_poll(value: Any) -> Poll:
    """A condition may return a Poll, a bool, `(done, state)` or `(done, state, progress)`."""
    if isinstance(value, Poll):
        return value
    if isinstance(value, tuple) and 1 <= len(value) <= 3:
        return Poll(bool(value[0]), *value[1:])
    return Poll(bool(value))


def _interactive() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency, but plain scripts may lack it
        return sys.stderr.isatty()
    shell = get_ipython()
    return (shell is not None and hasattr(shell, "kernel")) or sys.stderr.isatty()


def wait_until(
    condition: Callable[[], Any],
    timeout_s: float,
    interval_s: float = 1.0,
    describe: str = "the condition",
    progress_total: float | None = None,
    *,
    advice: str = "",
    retry_on: tuple[type[BaseException], ...] = (),
    progress: bool | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> WaitResult:
    """Poll `condition` every `interval_s` until it holds; raise WaitTimedOut after `timeout_s`.

    `describe` names what is awaited ("myindex_follow to catch up"). With `progress_total` the
    bar counts the condition's `progress` towards it (documents, operations); without, it counts
    seconds towards the timeout. Exceptions of the `retry_on` types (a connection that flaps) are
    recorded as the last state and polling goes on; any other exception propagates at once.
    `progress` forces the bar on or off (default: on in a kernel or a terminal).
    """
    if timeout_s <= 0 or interval_s <= 0:
        raise ValueError("timeout_s and interval_s must be greater than 0")
    show_bar = _interactive() if progress is None else progress
    bar = _bar(describe, timeout_s, progress_total) if show_bar else None
    start, polls, poll = clock(), 0, Poll(False)
    try:
        while True:
            polls += 1
            try:
                poll = as_poll(condition())
            except retry_on as exc:
                poll = Poll(False, f"{type(exc).__name__}: {exc}", poll.progress)
            elapsed = clock() - start
            if bar is not None:
                _advance(bar, poll, elapsed, timeout_s, progress_total)
            if poll.done:
                print(_figures("done", describe, elapsed, polls, poll, progress_total))
                return WaitResult(describe, elapsed, polls, poll.state, poll.progress)
            if elapsed >= timeout_s:
                print(_figures("NOT done", describe, elapsed, polls, poll, progress_total))
                raise WaitTimedOut(describe, timeout_s, elapsed, poll.state, polls, advice)
            sleep(min(interval_s, timeout_s - elapsed))
    finally:
        if bar is not None:
            bar.close()


def _figures(outcome: str, describe: str, elapsed: float, polls: int, poll: Poll,
             progress_total: float | None) -> str:
    text = f"{describe}: {outcome} after {elapsed:.1f} s ({polls} polls)"
    if progress_total is not None and poll.progress is not None:
        text += f"; progress {poll.progress:g}/{progress_total:g}"
    if poll.state is not None:
        text += f"; last state: {poll.state}"
    return text


def _bar(describe: str, timeout_s: float, progress_total: float | None):
    from tqdm.auto import tqdm  # imported here: only interactive runs draw a bar

    if progress_total is not None:
        return tqdm(total=progress_total, desc=describe, leave=True)
    return tqdm(total=timeout_s, desc=describe, unit="s", leave=True,
                bar_format="{desc}: {bar} {n:.0f}/{total:.0f} s {postfix}")


def _advance(bar: Any, poll: Poll, elapsed: float, timeout_s: float, progress_total: float | None) -> None:
    if progress_total is not None:
        bar.n = min(poll.progress or 0, progress_total)
    else:
        bar.n = min(elapsed, timeout_s)
    if poll.state is not None:
        state = str(poll.state)
        bar.set_postfix_str(state if len(state) <= _STATE_CHARS else state[: _STATE_CHARS - 1] + "\u2026",
                            refresh=False)
    bar.refresh()
