"""Fresh practice clusters for one benchmark: a temporary home, stopped and removed afterwards."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent


def sandbox(home: str, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "es_sandbox", "--home", home, *args], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """Sets environment variables for the block, then restores what was there."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def practice_clusters(prefix: str) -> Iterator[tuple[str, dict]]:
    """Yields (home, clusters.json's clusters); runbook_lib finds them through ES_SANDBOX_HOME."""
    home = tempfile.mkdtemp(prefix=prefix)
    try:
        sandbox(home, "up", "--http-port", "0", "--transport-port", "0")
        state = json.loads((Path(home) / "clusters.json").read_text())["clusters"]
        with environment(ES_SANDBOX_HOME=home):
            yield home, state
    finally:
        sandbox(home, "down")
        shutil.rmtree(home, ignore_errors=True)
