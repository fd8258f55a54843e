"""Shared fixtures: practice clusters started for the test session, in their own home and ports.

When CCR_REMOTE_URL and CCR_LOCAL_URL are set, the runbook tests run against those clusters instead
(credentials from the variables the parameters name); tests that need a practice cluster's fault
controls are marked `sandbox_only` and skipped there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REAL_CLUSTERS = bool(os.environ.get("CCR_REMOTE_URL") and os.environ.get("CCR_LOCAL_URL"))


def run_sandbox(home: str, *args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "es_sandbox", "--home", home, *args]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=180)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


class Sandbox:
    """A started home of practice clusters; `url(name)` and `info(name)` read its state file."""

    def __init__(self, home: str) -> None:
        self.home = home

    @property
    def state(self) -> dict:
        with open(os.path.join(self.home, "clusters.json")) as fh:
            return json.load(fh)

    def info(self, name: str) -> dict:
        return self.state["clusters"][name]

    def url(self, name: str) -> str:
        return self.info(name)["http"]

    def run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return run_sandbox(self.home, *args, **kwargs)

    def client(self, name: str, **kwargs):
        from elasticsearch import Elasticsearch

        return Elasticsearch(self.url(name), request_timeout=30, **kwargs)

    def official_client(self, name: str):
        """The official client an application would use for this cluster's version: the 7.17 client
        (`elasticsearch7`) for 6.x and 7.x, the 8.19 client for 8.x and 9.x."""
        if int(self.info(name)["version"].split(".")[0]) >= 8:
            return self.client(name)
        from elasticsearch7 import Elasticsearch as Elasticsearch7

        return Elasticsearch7(self.url(name), timeout=30)


def version_options(clusters: dict[str, str], vendor: tuple[str, ...] = ()) -> list[str]:
    """`up` options for one home whose clusters each present their own version (`vendor`: the vendor's flavour)."""
    options = ["--clusters", ",".join(clusters)]
    for name, version in clusters.items():
        options += ["--cluster-option", f"{name}.version={version}"]
    for name in vendor:
        options += ["--cluster-option", f"{name}.flavour=vendor"]
    return options


@pytest.fixture(scope="session")
def start_sandbox(tmp_path_factory):
    """Starts a home of practice clusters with the given `up` options; all are stopped at the end."""
    started: list[Sandbox] = []

    def start(*options: str, env: dict | None = None) -> Sandbox:
        home = str(tmp_path_factory.mktemp("sandbox"))
        run_sandbox(home, "up", "--http-port", "0", "--transport-port", "0", *options, env=env)
        box = Sandbox(home)
        started.append(box)
        return box

    yield start
    for box in started:
        run_sandbox(box.home, "down", check=False)


@pytest.fixture(scope="session")
def start_versions(start_sandbox):
    """Starts one home of clusters of chosen versions: `start_versions({"a": "6.8.23"}, vendor=("a",))`."""

    def start(clusters: dict[str, str], vendor: tuple[str, ...] = ()) -> Sandbox:
        return start_sandbox(*version_options(clusters, vendor))

    return start


@pytest.fixture(scope="session")
def sandbox(start_sandbox) -> Sandbox:
    """The default pair, `remote` and `local`, shared by the whole session."""
    return start_sandbox()


@pytest.fixture
def unique_name():
    """Index names carry a run id so tests never collide, even against real clusters."""

    def make(prefix: str = "idx") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:8]}"

    return make
