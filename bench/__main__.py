"""`python -m bench [NAME ...]`: run every benchmark (`bench/*_bench.py`) in turn, save and show the figures.

Each benchmark module has `run() -> dict`, whose defaults are the figures the README quotes. The
results go to `bench/results/<name>.json` (with when, where and how long), and one table of every
figure is printed at the end. A benchmark that fails is reported and the others still run; the exit
status is then 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import socket
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"


def available() -> list[str]:
    return sorted(p.stem for p in BENCH_DIR.glob("*_bench.py"))


def run_one(name: str) -> dict[str, Any]:
    started, clock = datetime.now(timezone.utc), time.monotonic()
    record: dict[str, Any] = {"bench": name, "started": started.isoformat(timespec="seconds"),
                              "host": socket.gethostname(), "python": platform.python_version()}
    try:
        record["results"] = importlib.import_module(f"bench.{name}").run()
    except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others' figures
        record["error"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    record["duration_s"] = round(time.monotonic() - clock, 1)
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def flatten(value: Any, path: str = "") -> Iterable[tuple[str, Any]]:
    """("steady[0].lag_p50_s", 0.12) rows; a list of records keyed by a name uses that name."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from flatten(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, item in enumerate(value):
            key = next((k for k in ("notebook", "name", "step") if k in item), None)
            label = str(item[key]) if key else str(i)
            yield from flatten({k: v for k, v in item.items() if k != key}, f"{path}[{label}]")
    else:
        yield path, value


def table(records: list[dict[str, Any]]) -> str:
    lines = []
    for record in records:
        lines.append(f"{record['bench']}  ({record['duration_s']:.0f} s)")
        if "error" in record:
            lines.append(f"  FAILED: {record['error']}")
            continue
        rows = list(flatten(record["results"]))
        width = max((len(k) for k, _ in rows), default=0)
        lines += [f"  {key:<{width}}  {_show(value)}" for key, value in rows]
    return "\n".join(lines)


def _show(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    names = available()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run (default all: {', '.join(names)})")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in names]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; available: {', '.join(names)}")
    records = []
    for name in args.names or names:
        print(f"running {name} ...", flush=True)
        records.append(run_one(name))
    print(table(records))
    print(f"results: {RESULTS_DIR}/")
    return 1 if any("error" in r for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
