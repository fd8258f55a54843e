"""The _cat table engine, after Elasticsearch's `Table` and `RestTable`.

Columns are declared with Elasticsearch's attribute strings (`alias:dc,docsCount;text-align:right;
default:false;desc:...`). Rendering honours `v`, `h` (names, aliases, wildcards, `pri` siblings),
`s` (`:asc`/`:desc`; an unknown key fails with 500 unsupported_operation_exception), `bytes`,
`time`, `ts`, `help` and `format=json|yaml` (or an Accept header asking for JSON). Text output pads
every column to its widest value, right-aligns numeric columns, and leaves no trailing spaces after a
left-aligned last column; JSON values are the rendered strings.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import time
from dataclasses import dataclass
from typing import Any

from . import errors
from .humanize import byte_size, time_value
from .rest import RestRequest, RestResponse

COMMON_PARAMS = ("format", "h", "help", "v", "s", "ts", "pri", "bytes", "size", "time", "local", "master_timeout")


@dataclass(frozen=True)
class ByteSize:
    n: int

    def __str__(self) -> str:
        return byte_size(self.n)


@dataclass(frozen=True)
class Duration:
    millis: int

    def __str__(self) -> str:
        return time_value(self.millis)


@dataclass
class Column:
    name: str
    attrs: dict[str, str]

    @property
    def aliases(self) -> list[str]:
        return [a for a in self.attrs.get("alias", "").split(",") if a]

    @property
    def default(self) -> bool:
        return self.attrs.get("default", "true") != "false"


def _parse_attrs(spec: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for part in spec.split(";") if spec else []:
        key, _, value = part.partition(":")
        attrs[key] = value
    return attrs


class Table:
    def __init__(self, columns: list[tuple[str, str]], with_timestamp: bool = False) -> None:
        specs = ([("epoch", "alias:t,time;desc:seconds since 1970-01-01 00:00:00"),
                  ("timestamp", "alias:ts,hms,hhmmss;desc:time in HH:MM:SS")] if with_timestamp else []) + columns
        self.columns = [Column(name, _parse_attrs(spec)) for name, spec in specs]
        self.by_name = {c.name: c for c in self.columns}
        self.with_timestamp = with_timestamp
        self.rows: list[list[Any]] = []

    def add_row(self, *values: Any) -> None:
        if self.with_timestamp:
            now = time.time()
            values = (int(now), time.strftime("%H:%M:%S", time.gmtime(now)), *values)
        if len(values) != len(self.columns):
            raise ValueError(f"row has {len(values)} cells for {len(self.columns)} columns")
        self.rows.append(list(values))

    def column(self, name: str) -> list[Any]:
        position = self.columns.index(self.by_name[name])
        return [row[position] for row in self.rows]


def _render(request: RestRequest, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, ByteSize):
        unit = request.params.get("bytes")
        divisors = {"b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3,
                    "t": 1024**4, "tb": 1024**4, "p": 1024**5, "pb": 1024**5}
        return str(value.n // divisors[unit]) if unit in divisors else str(value)
    if isinstance(value, Duration):
        unit = request.params.get("time")
        per = {"nanos": 1e-6, "micros": 1e-3, "ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
        return str(int(value.millis / per[unit])) if unit in per else str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _display_columns(table: Table, request: RestRequest) -> list[tuple[str, str]]:
    """(column name, displayed header) pairs, as RestTable.buildDisplayHeaders picks them."""
    show_ts = request.bool_param("ts", True)
    if "h" not in request.params:
        return [(c.name, c.name) for c in table.columns
                if c.default and (show_ts or c.name not in ("epoch", "timestamp"))]
    wanted: list[str] = []
    for header in [h for h in request.params["h"].split(",") if h]:
        if "*" in header:
            for c in table.columns:
                if fnmatch.fnmatchcase(c.name, header) or any(fnmatch.fnmatchcase(a, header) for a in c.aliases):
                    wanted.append(c.name)
        else:
            wanted.append(header)
    out: list[tuple[str, str]] = []
    for possibility in dict.fromkeys(wanted):
        if possibility in table.by_name:
            chosen = (possibility, possibility)
        else:
            owner = next((c for c in table.columns if possibility in c.aliases), None)
            if owner is None:
                continue  # Elasticsearch ignores an unknown header
            chosen = (owner.name, possibility)
        if chosen[0] in ("epoch", "timestamp") and not show_ts:
            continue
        out.append(chosen)
        sibling = table.by_name[chosen[0]].attrs.get("sibling")
        if sibling and f"{sibling}.{chosen[0]}" in table.by_name and request.bool_param(sibling):
            out.append((f"{sibling}.{chosen[0]}", f"{sibling}.{chosen[1]}"))
    return out


def _compare(a: Any, b: Any) -> int:
    if a is None or b is None:
        return (a is not None) - (b is not None)
    if isinstance(a, ByteSize) and isinstance(b, ByteSize):
        a, b = a.n, b.n
    elif isinstance(a, Duration) and isinstance(b, Duration):
        a, b = a.millis, b.millis
    elif type(a) is not type(b):
        a, b = str(a), str(b)
    return (a > b) - (a < b)


def _row_order(table: Table, request: RestRequest) -> list[int]:
    order = list(range(len(table.rows)))
    spec = request.param("s")
    if not spec:
        return order
    aliases = {c.name: c.name for c in table.columns}
    for c in table.columns:
        for a in c.aliases:
            aliases.setdefault(a, c.name)
    keys: list[tuple[int, bool]] = []
    for part in spec.split(","):
        reverse = part.endswith(":desc")
        name = part[: -len(":desc")] if reverse else part.removesuffix(":asc")
        if name not in aliases:
            raise errors.EsError(500, "unsupported_operation_exception", f"Unable to sort by unknown sort key `{name}`")
        keys.append((table.columns.index(table.by_name[aliases[name]]), reverse))

    def compare(i: int, j: int) -> int:
        for position, reverse in keys:
            result = _compare(table.rows[i][position], table.rows[j][position])
            if result:
                return -result if reverse else result
        return 0

    return sorted(order, key=functools.cmp_to_key(compare))


def _format(request: RestRequest) -> str:
    fmt = request.param("format")
    if fmt is not None:
        return fmt.lower() if fmt.lower() in ("json", "yaml") else "text"
    accept = (request.headers.get("accept") or "").split(",")[0].strip().lower()
    if "json" in accept:
        return "json"
    return "yaml" if "yaml" in accept else "text"


def _pad(text: str | None, width: int, right: bool, last: bool) -> str:
    text = text or ""
    if right:
        return text.rjust(width)
    return text if last else text.ljust(width)


def _help(table: Table) -> str:
    rows = [(c.name, c.attrs.get("alias", ""), c.attrs.get("desc", "not available")) for c in table.columns]
    widths = [max((len(r[i]) for r in rows), default=0) for i in range(3)]
    return "".join(f"{a.ljust(widths[0])} | {b.ljust(widths[1])} | {c.ljust(widths[2])}\n" for a, b, c in rows)


def respond(table: Table, request: RestRequest) -> RestResponse:
    if request.bool_param("help"):
        return RestResponse(200, _help(table))
    for name in ("v", "pri"):
        request.bool_param(name)
    columns = _display_columns(table, request)
    order = _row_order(table, request)
    positions = [table.columns.index(table.by_name[name]) for name, _ in columns]
    cells = [[_render(request, table.rows[r][p]) for p in positions] for r in order]
    fmt = _format(request)
    if fmt == "json":
        return RestResponse(200, [dict(zip([d for _, d in columns], row)) for row in cells])
    if fmt == "yaml":
        lines = ["---"] if cells else ["--- []"]
        for row in cells:
            for k, (display, value) in enumerate(zip([d for _, d in columns], row)):
                rendered = "null" if value is None else json.dumps(value)
                lines.append(f"{'- ' if k == 0 else '  '}{display}: {rendered}")
        return RestResponse(200, "\n".join(lines) + "\n", content_type="application/yaml")
    verbose = request.bool_param("v")
    widths = [max([len(d) if verbose else 0] + [len(row[k] or "") for row in cells]) for k, (_, d) in enumerate(columns)]
    right = [table.by_name[name].attrs.get("text-align") == "right" for name, _ in columns]
    last = len(columns) - 1
    lines = []
    if verbose:
        lines.append(" ".join(_pad(d, widths[k], right[k], k == last) for k, (_, d) in enumerate(columns)))
    for row in cells:
        lines.append(" ".join(_pad(v, widths[k], right[k], k == last) for k, v in enumerate(row)))
    return RestResponse(200, "".join(line + "\n" for line in lines))
