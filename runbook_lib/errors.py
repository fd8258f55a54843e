"""Every error runbook_lib raises, under one root: `RunbookError`.

A notebook cell that fails shows only the exception's message, so each message says what happened
and, where we know it, what to do next. Structured fields stay on the exception for code and tests.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

# "No value was given" is not the same as None or "", which are values a user can write.
_NOT_GIVEN: Any = object()


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class RunbookError(Exception):
    """Raised for any failure of a runbook step; the root of every runbook_lib exception."""


class ParameterError(RunbookError):
    """Raised when a parameter is missing, unknown or malformed, before any cluster is touched."""

    def __init__(
        self,
        field: str,
        expected: str,
        got: Any = _NOT_GIVEN,
        *,
        why: str = "",
        hint: str = "",
        got_text: str = "",
        conceal: bool = False,
        problems: Sequence["ParameterError"] = (),
    ) -> None:
        """`got` is the offending value (shown as repr); `got_text` describes it instead ("nothing");
        `why` says what is wrong with it; `hint` says what to do; `conceal` hides the value."""
        self.field = field
        self.expected = expected
        self.why = why
        self.hint = hint
        self.got = None if conceal or got is _NOT_GIVEN else got
        if conceal:
            # A value written where an environment variable *name* belongs may be the secret itself.
            self.got_text = "a value that is not shown (it may be a secret)"
        elif got_text:
            self.got_text = got_text
        else:
            self.got_text = "" if got is _NOT_GIVEN else _short(got)
        self.problems: tuple[ParameterError, ...] = tuple(problems) or (self,)
        if len(self.problems) > 1:
            lines = [f"{len(self.problems)} parameters are wrong:"]
            lines += [f"  - {p.describe()}" for p in self.problems]
            message = "\n".join(lines)
        else:
            message = self.describe()
        super().__init__(message)

    def describe(self) -> str:
        """This problem alone, in one line."""
        text = f"parameter `{self.field}`: expected {self.expected}"
        if self.got_text:
            text += f"; got {self.got_text}"
        if self.why:
            text += f" ({self.why})"
        if self.hint:
            text += f". {self.hint}"
        return text

    @classmethod
    def combine(cls, problems: Iterable["ParameterError"]) -> "ParameterError":
        """One error naming every problem, so a user fixes a parameter file in one pass."""
        problems = [q for p in problems for q in p.problems]
        if len(problems) == 1:
            return problems[0]
        first = problems[0]
        return cls(first.field, first.expected, problems=problems)


class CheckFailed(RunbookError):
    """Raised when a check of a cluster's state fails; says what was observed and what to do next."""

    def __init__(
        self,
        check: str,
        advice: str,
        observed: Any = _NOT_GIVEN,
        expected: Any = _NOT_GIVEN,
        *,
        failed: Sequence[Any] = (),
    ) -> None:
        self.check = check
        self.advice = advice
        self.observed = None if observed is _NOT_GIVEN else observed
        self.expected = None if expected is _NOT_GIVEN else expected
        # The Check objects, when a CheckList raised this for several failures at once.
        self.failed = tuple(failed)
        if len(self.failed) > 1:
            lines = [f"{check}:"]
            for c in self.failed:
                lines.append(
                    f"  - {c.name}: observed {_short(c.observed)}, expected {_short(c.expected)}."
                    + (f" Next: {c.advice}" if c.advice else "")
                )
            message = "\n".join(lines)
        else:
            message = f"check failed: {check}"
            if observed is not _NOT_GIVEN:
                message += f": observed {_short(observed)}"
            if expected is not _NOT_GIVEN:
                message += f", expected {_short(expected)}"
            if advice:
                message += f". Next: {advice}"
        super().__init__(message)


class ClusterRequestError(RunbookError):
    """Raised when a cluster answers a request with an error, or cannot be reached at all."""

    def __init__(
        self,
        method: str,
        path: str,
        status: int | None,
        error_type: str,
        reason: str,
        *,
        cluster: str = "",
        caused_by: str = "",
        body: Any = None,
    ) -> None:
        self.method = method.upper()
        self.path = path
        self.status = status
        self.error_type = error_type
        self.reason = reason
        self.cluster = cluster
        self.caused_by = caused_by
        self.body = body
        where = f"{cluster}: " if cluster else ""
        answer = f"{status} {error_type}" if status is not None else error_type
        message = f"{where}{self.method} {path} failed with {answer}: {reason}"
        if caused_by:
            message += f" (caused by: {caused_by})"
        super().__init__(message)

    @classmethod
    def from_client_error(
        cls, exc: BaseException, method: str, path: str, cluster: str = ""
    ) -> "ClusterRequestError":
        """Read status, type and reason from an `elasticsearch` (8.x) or `elasticsearch7` error.

        Duck-typed so that this module needs neither client: 8.x ApiError has `.meta.status` and
        `.body`; 7.x TransportError has `.status_code` ('N/A' for connection errors) and `.info`;
        connection errors of both carry no Elasticsearch body at all.
        """
        status: Any = None
        body: Any = None
        meta = getattr(exc, "meta", None)
        if meta is not None and hasattr(meta, "status"):
            status, body = meta.status, getattr(exc, "body", None)
        elif hasattr(exc, "status_code") and len(getattr(exc, "args", ())) >= 3:
            status, body = exc.status_code, exc.args[2]
        if not isinstance(status, int):
            status = None
        error_type, reason, caused_by = _read_error_body(body)
        if error_type is None:
            # No Elasticsearch body: a connection failure, TLS failure, timeout or HEAD answer.
            error_type = type(exc).__name__
            reason = _describe_failure(exc)
        return cls(method, path, status, error_type, reason or "", cluster=cluster,
                   caused_by=caused_by, body=body if isinstance(body, (dict, str)) else None)


def _describe_failure(exc: BaseException) -> str:
    # elastic_transport's str() of an error without a cause is generic ("Connection error"); its
    # `message` holds what was actually reported.
    text = str(exc)
    message = getattr(exc, "message", None)
    if isinstance(message, str) and message and message not in text:
        text = f"{text}: {message}" if text else message
    return text or "no response body"


def _read_error_body(body: Any) -> tuple[str | None, str | None, str]:
    """(type, reason, caused_by) from Elasticsearch's error body shapes."""
    if not isinstance(body, dict) or "error" not in body:
        return None, None, ""
    error = body["error"]
    if isinstance(error, str):
        # An unknown path answers {"error": "no handler found for uri ...", "status": 400}.
        return "error", error, ""
    if not isinstance(error, dict):
        return None, None, ""
    error_type = str(error.get("type", "error"))
    reason = error.get("reason")
    if reason is None:
        roots = error.get("root_cause") or [{}]
        reason = roots[0].get("reason") if isinstance(roots[0], dict) else None
    caused = error.get("caused_by")
    caused_by = ""
    if isinstance(caused, dict):
        caused_by = f"{caused.get('type', 'error')}: {caused.get('reason')}"
    return error_type, str(reason) if reason is not None else "", caused_by


class WrongCluster(RunbookError):
    """Raised when a connection reaches a cluster other than the one the parameters name."""

    def __init__(self, role: str, expected: str, observed: str, detail: str = "") -> None:
        self.role, self.expected, self.observed = role, expected, observed
        message = (
            f"the {role} cluster is not the one the parameters pin: expected {expected}, "
            f"reached {observed}"
        )
        message += f". {detail}" if detail else (
            ". Check the URL, or update the pin if the cluster was rebuilt.")
        super().__init__(message)


class ConfirmationRequired(RunbookError):
    """Raised when a destructive step runs without `confirm` set to the name it requires."""

    def __init__(self, action: str, required: str, got: str) -> None:
        self.action, self.required, self.got = action, required, got
        super().__init__(
            f"{action} cannot be undone: set parameter `confirm` to {required!r} to run it "
            f"(it is {got!r}). Run with dry_run=True first to see the requests it would send."
        )


class UnsafeState(RunbookError):
    """Raised when a cluster is in a state in which the next action would lose data or break replication."""

    def __init__(self, what: str, state: str, advice: str) -> None:
        self.what, self.state, self.advice = what, state, advice
        super().__init__(f"refusing to {what}: {state}. Next: {advice}")


class WaitTimedOut(RunbookError):
    """Raised when a condition awaited by `wait_until` does not hold before its timeout."""

    def __init__(
        self, describe: str, timeout_s: float, elapsed_s: float, last_state: Any, polls: int,
        advice: str = "",
    ) -> None:
        self.describe, self.timeout_s, self.elapsed_s = describe, timeout_s, elapsed_s
        self.last_state, self.polls, self.advice = last_state, polls, advice
        message = (
            f"timed out after {elapsed_s:.1f} s (limit {timeout_s:g} s, {polls} polls) waiting for "
            f"{describe}; last observed: "
            f"{last_state if isinstance(last_state, str) else _short(last_state, 200)}"
        )
        if advice:
            message += f". Next: {advice}"
        super().__init__(message)
