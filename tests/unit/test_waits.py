"""wait_until: returns when the condition holds, says what it saw, and times out usefully."""

from __future__ import annotations

import pytest

from runbook_lib.errors import RunbookError, WaitTimedOut
from runbook_lib.waits import Poll, wait_until


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_returns_as_soon_as_the_condition_holds_and_prints_the_figures(capsys):
    clock, lags = FakeClock(), iter([300, 120, 0])

    def caught_up():
        lag = next(lags)
        return Poll(lag == 0, f"lag {lag} ops", 300 - lag)

    result = wait_until(caught_up, 60, 5, "myindex_follow to catch up", progress_total=300,
                        progress=False, clock=clock, sleep=clock.sleep)
    assert (result.polls, result.elapsed_s, result.state) == (3, 10.0, "lag 0 ops")
    out = capsys.readouterr().out
    assert "myindex_follow to catch up: done after 10.0 s (3 polls); progress 300/300; last state: lag 0 ops" in out


def test_timeout_names_what_was_awaited_and_the_last_state(capsys):
    clock = FakeClock()
    with pytest.raises(WaitTimedOut) as err:
        wait_until(lambda: (False, {"status": "paused"}), 30, 10, "myindex_follow to become active",
                   advice="GET myindex_follow/_ccr/stats shows fatal_exception", progress=False,
                   clock=clock, sleep=clock.sleep)
    exc = err.value
    assert isinstance(exc, RunbookError)
    assert exc.last_state == {"status": "paused"} and exc.polls == 4 and exc.elapsed_s == 30
    assert "waiting for myindex_follow to become active" in str(exc)
    assert "'status': 'paused'" in str(exc) and "fatal_exception" in str(exc)
    assert "NOT done after 30.0 s" in capsys.readouterr().out


def test_listed_exceptions_are_retried_others_propagate():
    clock, answers = FakeClock(), iter([ConnectionError("reset"), True])

    def flapping():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert wait_until(flapping, 10, 1, "remote", retry_on=(ConnectionError,), progress=False,
                      clock=clock, sleep=clock.sleep).polls == 2
    with pytest.raises(KeyError):
        wait_until(lambda: {}["x"], 10, 1, "x", progress=False, clock=clock, sleep=clock.sleep)


def test_a_progress_bar_when_asked(capsys):
    clock = FakeClock()
    wait_until(lambda: (clock.now >= 2, None, clock.now), 10, 1, "docs", progress_total=2, progress=True,
               clock=clock, sleep=clock.sleep)
    captured = capsys.readouterr()
    assert "docs: done after 2.0 s" in captured.out
    assert "docs" in captured.err  # tqdm draws on stderr outside a notebook
