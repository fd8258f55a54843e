"""Reading one block of a parameter set, with the full path of every field in every error.

A `Block` collects problems instead of stopping at the first one, so a user sees everything that is
wrong with a parameter file at once; getters return the default for a bad value so reading goes on.
"""

from __future__ import annotations

import difflib
import math
from typing import Any, Callable, Iterable, Mapping

from .errors import ParameterError
from .redaction import looks_like_secret_key

_SECRET_HINT = (
    "A secret is never a parameter (executed notebooks keep every parameter): put it in an "
    "environment variable and name that variable in `username_env`/`password_env`/`api_key_env`"
)


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class Problems(list):
    """ParameterErrors found so far; `raise_if_any` raises them as one."""

    def add(self, field: str, expected: str, got: Any = ..., **kwargs: Any) -> None:
        if got is ...:
            self.append(ParameterError(field, expected, **kwargs))
        else:
            self.append(ParameterError(field, expected, got, **kwargs))

    def raise_if_any(self) -> None:
        if self:
            raise ParameterError.combine(self)


class Block:
    """A mapping of parameters at `path` (for example `remote` or `indices[0]`)."""

    def __init__(self, data: Any, path: str, known: Iterable[str], problems: Problems) -> None:
        self.path = path
        self.problems = problems
        self.known = tuple(known)
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            problems.add(path or "parameters", f"a mapping with the fields {', '.join(self.known)}",
                         type(data).__name__)
            data = {}
        self.data = dict(data)
        for key in self.data:
            if key not in self.known:
                self._unknown(str(key))

    def _unknown(self, key: str) -> None:
        close = difflib.get_close_matches(key, self.known, n=1, cutoff=0.6)
        hint = f"Did you mean `{close[0]}`?" if close else ""
        if looks_like_secret_key(key):
            hint = (hint + " " if hint else "") + _SECRET_HINT
        where = f"`{self.path}`" if self.path else "a parameter set"
        # The value is never echoed: an unknown field may well be a pasted password.
        self.problems.add(join(self.path, key), f"one of the fields of {where}: {', '.join(self.known)}",
                          got_text="an unknown field", hint=hint)

    def field(self, key: str) -> str:
        return join(self.path, key)

    def given(self, key: str) -> bool:
        """Present and not None or "": papermill writes None for a parameter left at its default."""
        return self.data.get(key) not in (None, "")

    def raw(self, key: str, default: Any = None) -> Any:
        value = self.data.get(key)
        return default if value is None else value

    def text(self, key: str, default: str | None = None, *,
             rule: Callable[[str], str | None] | None = None, rules: str = "a string",
             conceal: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None or value == "":
            return default
        if not isinstance(value, str):
            self.problems.add(self.field(key), rules, value, conceal=conceal)
            return default
        value = value.strip()
        problem = rule(value) if rule else None
        if problem:
            self.problems.add(self.field(key), rules, value, why=problem, conceal=conceal)
            return default
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        # papermill's `-p name false` arrives as the string "false".
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        self.problems.add(self.field(key), "true or false", value)
        return default

    def number(self, key: str, default: float, *, minimum: float = 0.0, integer: bool = False,
               allow_zero: bool = False) -> Any:
        value = self.data.get(key)
        if value is None:
            return default
        kind = "a whole number" if integer else "a number"
        bound = f"{'at least' if allow_zero else 'greater than'} {minimum:g}"
        expected = f"{kind} {bound}"
        if isinstance(value, str):
            try:
                value = int(value) if integer else float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            integer and not float(value).is_integer()
        ):
            self.problems.add(self.field(key), expected, value)
            return default
        if not math.isfinite(value) or value < minimum or (value == minimum and not allow_zero):
            self.problems.add(self.field(key), expected, value)
            return default
        return int(value) if integer else float(value)

    def items(self, key: str) -> list[Any]:
        """A list field; a single scalar is accepted as a list of one (`seeds: 10.0.0.1:9300`)."""
        value = self.data.get(key)
        if value is None or value == "":
            return []
        if isinstance(value, (str, Mapping)):
            return [value]
        if not isinstance(value, (list, tuple)):
            self.problems.add(self.field(key), "a list", value)
            return []
        return list(value)
