"""A scripted stand-in for a connected cluster, for unit tests of runbook_lib's operations.

`FakeCluster` is a real `connection.Cluster` (so dry runs, evidence and errors behave as in a
notebook) whose transport answers from handlers the test registers by method and path.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from runbook_lib.cluster_parameters import ClusterParameters
from runbook_lib.connection import Cluster, Identity
from runbook_lib.errors import ClusterRequestError

Answer = tuple[int, Any]


def error(status: int, error_type: str, reason: str) -> Answer:
    return status, {"error": {"root_cause": [{"type": error_type, "reason": reason}], "type": error_type,
                              "reason": reason}, "status": status}


class FakeCluster(Cluster):
    def __init__(self, role: str = "local", version: str = "8.19.3", dry_run: bool = False,
                 name: str | None = None) -> None:
        params = ClusterParameters(role=role, url=f"http://{role}.invalid:9200")
        identity = Identity(role, params.url, name or f"{role}-cluster", f"{role}-uuid", version, "node-0",
                            "tester", "realm")
        super().__init__(params, client=None, identity=identity, run_id="test", step="unit", dry_run=dry_run)
        self.handlers: dict[tuple[str, str], Callable[..., Answer] | Answer] = {}
        self.sent: list[dict[str, Any]] = []

    def on(self, method: str, path: str, answer: Callable[..., Answer] | Answer | Any = None) -> "FakeCluster":
        """Answer `method path` with `(status, body)`, a body (200), or `handler(params, body)`."""
        self.handlers[(method.upper(), path)] = answer if callable(answer) or isinstance(answer, tuple) else (200, answer)
        return self

    @property
    def changes(self) -> list[tuple[str, str]]:
        return [(r["method"], r["path"]) for r in self.sent if r["changes"]]

    def request(self, method, path, *, params=None, body=None, changes=False, ignore=(), timeout=None):
        self.sent.append({"method": method.upper(), "path": path, "params": dict(params or {}), "body": body,
                          "changes": changes, "dry_run": self.dry_run})
        return super().request(method, path, params=params, body=body, changes=changes, ignore=ignore, timeout=timeout)

    def _send(self, method, path, params, body, timeout):
        handler = self.handlers.get((method, path))
        if handler is None:
            status, answer = error(404, "index_not_found_exception", f"no such index [{path}]") \
                if "_cat/indices" in path or path.endswith("/_ccr/info") else (404, None)
        elif callable(handler):
            status, answer = handler(dict(params or {}), body)
        else:
            status, answer = handler
        if status >= 400:
            err = (answer or {}).get("error", {}) if isinstance(answer, dict) else {}
            err = err if isinstance(err, dict) else {"type": "error", "reason": str(err)}
            return status, answer, ClusterRequestError(method, path, status, err.get("type", "error"),
                                                       err.get("reason", ""), cluster=self.role, body=answer)
        return status, answer, None


def cat_row(name: str, uuid: str, status: str = "open") -> list[dict[str, str]]:
    return [{"index": name, "uuid": uuid, "status": status, "health": "green"}]


@pytest.fixture
def fake():
    return FakeCluster


@pytest.fixture
def cat():
    return cat_row


@pytest.fixture
def es_error():
    return error


# --- practice clusters for the tests that run notebooks (runner, chain, nbval, bad input, secrets) ---

import os  # noqa: E402 - this section's imports stay with it
from pathlib import Path  # noqa: E402

import yaml  # noqa: E402

from runbook_lib.demo import app_client  # noqa: E402
from runbook_lib.parameters import SANDBOX_PARAMETERS_FILE, load_parameters  # noqa: E402
from runbook_lib.sample_data import load_sample_index  # noqa: E402

# A base parameter set for real clusters (TLS, credential variable names); the practice clusters'
# own file otherwise.
BASE_PARAMETERS = Path(os.environ.get("CCR_TEST_PARAMETERS") or SANDBOX_PARAMETERS_FILE)


def cluster_fingerprint(client: Any) -> dict[str, Any]:
    """What a stopped runbook must leave as it was: indices (uuid, state, settings), aliases, cluster
    settings (remotes among them), auto-follow patterns and followers."""
    def get(path: str, **params: str) -> Any:
        answer = client.options(ignore_status=404).perform_request(
            "GET", path, params=params, headers={"accept": "application/json"})
        return answer.body if answer.meta.status != 404 else None

    rows = get("/_cat/indices", expand_wildcards="all", h="index,uuid,status", format="json") or []
    return {
        "indices": {r["index"]: (r["uuid"], r["status"]) for r in rows},
        "settings": get("/_all/_settings", expand_wildcards="all", flat_settings="true"),
        "aliases": get("/_alias", expand_wildcards="all"),
        "cluster_settings": get("/_cluster/settings", flat_settings="true"),
        "auto_follow": get("/_ccr/auto_follow"),
        "followers": get("/_all/_ccr/info") if rows else None,
    }


class PracticePair:
    """The two clusters the runbooks run against, reached as the notebooks reach them."""

    def __init__(self, base: dict[str, Any]) -> None:
        self.base = base
        params = load_parameters(base, cwd=Path(__file__).resolve().parents[2] / "notebooks")
        self.urls = {role: params.cluster(role).url for role in ("remote", "local")}
        self.clients = {role: app_client(params.cluster(role)) for role in ("remote", "local")}
        self.created: list[tuple[str, str]] = []

    def client(self, role: str) -> Any:
        return self.clients[role]

    def index(self, role: str, name: str) -> str:
        """An empty index, removed when the test ends."""
        self.client(role).indices.create(index=name)
        return self.remove_at_end(role, name)

    def remove_at_end(self, role: str, name: str) -> str:
        self.created.append((role, name))
        return name

    def remove_created(self) -> None:
        for role, name in self.created:
            self.client(role).options(ignore_status=404).indices.delete(index=name)

    def fingerprint(self) -> dict[str, Any]:
        return {role: cluster_fingerprint(client) for role, client in self.clients.items()}

    def leader(self, name: str, docs: int = 20) -> str:
        """A leader index created with the guide's settings, holding `docs` sample documents."""
        self.remove_at_end("remote", name)
        load_sample_index(self.client("remote"), name, docs, progress=lambda line: None)
        return name

    def parameters(self, folder: Path, name: str = "params.yaml", **fields: Any) -> Path:
        """A parameter file: the base set with `fields` replacing its top-level fields."""
        path = folder / name
        path.write_text(yaml.safe_dump({**self.base, **fields}, sort_keys=False))
        return path


def _pair(monkeypatch: pytest.MonkeyPatch, home: str | None, base: dict[str, Any],
          env: dict[str, str] | None = None) -> PracticePair:
    env = {**({"ES_SANDBOX_HOME": home} if home else {}), **(env or {})}
    for key, value in env.items():
        monkeypatch.setenv(key, value)  # the notebooks' kernels inherit the test's environment
    return PracticePair(base)


@pytest.fixture
def practice(request, monkeypatch):
    """The session's pair: practice clusters, or the real ones CCR_REMOTE_URL/CCR_LOCAL_URL name."""
    real = bool(os.environ.get("CCR_REMOTE_URL") and os.environ.get("CCR_LOCAL_URL"))
    home = None if real else request.getfixturevalue("sandbox").home
    pair = _pair(monkeypatch, home, yaml.safe_load(BASE_PARAMETERS.read_text()))
    yield pair
    pair.remove_created()


SECURED_PASSWORD = "Kn0wn-" + os.urandom(6).hex()  # known to the tests, so they can look for it


@pytest.fixture(scope="session")
def secured_password() -> str:
    return SECURED_PASSWORD


@pytest.fixture(scope="session")
def secured_sandbox(start_sandbox):
    """A second practice pair that requires authentication (user `elastic`, SECURED_PASSWORD)."""
    return start_sandbox("--security", env={"ES_SANDBOX_ELASTIC_PASSWORD": SECURED_PASSWORD})


@pytest.fixture
def secured(secured_sandbox, monkeypatch):
    base = {**yaml.safe_load(SANDBOX_PARAMETERS_FILE.read_text()),
            "remote": {"url": "", "username_env": "CCR_TEST_USER", "password_env": "CCR_TEST_PASSWORD"},
            "local": {"url": "", "username_env": "CCR_TEST_USER", "password_env": "CCR_TEST_PASSWORD"}}
    pair = _pair(monkeypatch, secured_sandbox.home, base,
                 {"CCR_TEST_USER": "elastic", "CCR_TEST_PASSWORD": SECURED_PASSWORD})
    yield pair
    pair.remove_created()
