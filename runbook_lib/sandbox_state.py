"""Where a cluster's URL comes from when the parameters leave it empty.

In order: the parameter itself; the environment variable `CCR_REMOTE_URL` / `CCR_LOCAL_URL`; the
practice clusters' state file `clusters.json`, in `$ES_SANDBOX_HOME` if that is set, else in the
nearest `.sandbox/` folder found walking up from the working directory. The practice clusters write
that file when they start (`python -m es_sandbox up`); this module only reads it, as JSON:

    {"clusters": {"remote": {"http": "http://127.0.0.1:PORT", "transport": ["HOST:PORT", ...],
                             "pid": N, "version": "8.19.3", "data": "PATH",
                             "credentials_env": {"username_env": ..., "password_env": ...}},
                  "local": {...}}}
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import ParameterError

STATE_FILE = "clusters.json"
STATE_DIR = ".sandbox"
HOME_ENV = "ES_SANDBOX_HOME"
URL_ENV = {"remote": "CCR_REMOTE_URL", "local": "CCR_LOCAL_URL"}
START_HINT = "Start the practice clusters with `python -m es_sandbox up`"
# Only these names are taken from `credentials_env`; they name variables, never hold secrets.
CREDENTIAL_KEYS = ("username_env", "password_env", "api_key_env")


@dataclass(frozen=True)
class SandboxCluster:
    """One practice cluster as its state file describes it."""

    role: str
    http: str
    transport: tuple[str, ...] = ()
    pid: int | None = None
    version: str | None = None
    data: str | None = None
    credentials_env: Mapping[str, str] = field(default_factory=dict)

    def process_alive(self) -> bool | None:
        """Whether the recorded process still exists (None when no pid was recorded)."""
        if not self.pid:
            return None
        try:
            os.kill(self.pid, 0)  # signal 0 only asks whether the process exists
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


@dataclass(frozen=True)
class ResolvedUrl:
    url: str
    source: str  # "parameters", "env:CCR_REMOTE_URL" or "sandbox:/path/clusters.json"
    sandbox: SandboxCluster | None = None

    @property
    def origin(self) -> str:
        """The variable name or state file path, without its kind prefix."""
        return self.source.partition(":")[2] or self.source


def find_state_file(environ: Mapping[str, str], cwd: Path) -> tuple[Path | None, str]:
    """The state file to read, or None and a sentence saying where we looked."""
    home = environ.get(HOME_ENV, "").strip()
    if home:
        # An explicit home is never second-guessed: falling back to another .sandbox/ could reach
        # a different pair of practice clusters than the one the user pointed at.
        path = Path(home).expanduser() / STATE_FILE
        if path.is_file():
            return path, ""
        return None, f"{HOME_ENV}={home} has no {STATE_FILE}"
    for folder in (cwd, *cwd.parents):
        candidate = folder / STATE_DIR
        if candidate.is_dir():
            path = candidate / STATE_FILE
            if path.is_file():
                return path, ""
            return None, f"the nearest {STATE_DIR}/ folder ({candidate}) has no {STATE_FILE}"
    return None, f"{HOME_ENV} is not set and no {STATE_DIR}/ folder was found in {cwd} or any parent"


def read_state(path: Path, field_name: str) -> dict[str, SandboxCluster]:
    """Every cluster in a state file; a damaged file is reported against the field being resolved."""
    def broken(why: str) -> ParameterError:
        return ParameterError(field_name, "a URL, or a readable practice clusters' state file",
                              hint=f"{path} {why}. {START_HINT} again, or set the URL")

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise broken(f"cannot be read as JSON ({exc})") from None
    clusters = document.get("clusters") if isinstance(document, dict) else None
    if not isinstance(clusters, dict):
        raise broken('has no "clusters" object')
    out: dict[str, SandboxCluster] = {}
    for role, entry in clusters.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("http"), str):
            raise broken(f'has no "http" address for the {role} cluster')
        creds = entry.get("credentials_env") or {}
        out[role] = SandboxCluster(
            role=role,
            http=entry["http"],
            transport=tuple(str(t) for t in entry.get("transport") or ()),
            pid=entry.get("pid") if isinstance(entry.get("pid"), int) else None,
            version=entry.get("version"),
            data=entry.get("data"),
            credentials_env={k: v for k, v in creds.items() if k in CREDENTIAL_KEYS and isinstance(v, str)}
            if isinstance(creds, dict) else {},
        )
    return out


class UrlResolver:
    """Resolves empty URLs, reading the state file at most once for both clusters."""

    def __init__(self, environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> None:
        self.environ = os.environ if environ is None else environ
        self.cwd = Path.cwd() if cwd is None else Path(cwd)
        self._state: tuple[Path | None, str, dict[str, SandboxCluster] | None] | None = None

    def resolve(self, role: str, given: str | None) -> ResolvedUrl:
        if given:
            return ResolvedUrl(given, "parameters")
        env_name = URL_ENV[role]
        from_env = self.environ.get(env_name, "").strip()
        if from_env:
            return ResolvedUrl(from_env, f"env:{env_name}")
        field_name = f"{role}.url"
        path, where = self._find()
        if path is None:
            raise ParameterError(
                field_name,
                f"the URL of the {role} cluster",
                got_text="nothing",
                hint=f"The parameter is empty, {env_name} is not set, and no practice clusters' "
                f"state file was found: {where}. {START_HINT}, or set `{field_name}` or {env_name}",
            )
        clusters = self._clusters(path, field_name)
        if role not in clusters:
            raise ParameterError(
                field_name, f"the URL of the {role} cluster", got_text="nothing",
                hint=f"{path} describes no {role} cluster (it has: {', '.join(clusters) or 'none'}). "
                f"{START_HINT}, or set `{field_name}` or {env_name}",
            )
        return ResolvedUrl(clusters[role].http, f"sandbox:{path}", clusters[role])

    def _find(self) -> tuple[Path | None, str]:
        if self._state is None:
            path, where = find_state_file(self.environ, self.cwd)
            self._state = (path, where, None)
        return self._state[0], self._state[1]

    def _clusters(self, path: Path, field_name: str) -> dict[str, SandboxCluster]:
        assert self._state is not None
        if self._state[2] is None:
            self._state = (path, "", read_state(path, field_name))
        return self._state[2]  # type: ignore[return-value]


def public_state(cluster: SandboxCluster) -> dict[str, Any]:
    """What a notebook may show about a practice cluster."""
    return {"http": cluster.http, "transport": list(cluster.transport), "pid": cluster.pid,
            "version": cluster.version, "data": cluster.data}
