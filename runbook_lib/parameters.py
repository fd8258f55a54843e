"""A migration's parameter set: typed, validated, and safe to write into an executed notebook.

A parameter set comes from a YAML file (`parameters/sandbox.yaml` by default) and/or a dict of
values papermill injected. Everything is checked here, and every problem names its field, before
any cluster is touched. A secret is never a parameter: the set names environment variables, and
`ClusterParameters.read_credentials()` reads them only when a connection is made.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import yaml

from . import naming
from .cluster_parameters import CLUSTER_FIELDS, ClusterParameters, read_cluster
from .errors import ConfirmationRequired, ParameterError
from .follower_settings import DEFAULTS as FOLLOWER_SETTING_DEFAULTS, parse_byte_size, setting_problem
from .index_parameters import AutoFollowPattern, IndexPair, read_auto_follow, read_indices
from .sandbox_state import SandboxCluster, UrlResolver
from .validation import Block, Problems, join

REPO_ROOT = Path(__file__).resolve().parent.parent
SANDBOX_PARAMETERS_FILE = REPO_ROOT / "parameters" / "sandbox.yaml"

DEFAULT_CANARIES = ({"name": "Jack", "age": 40}, {"name": "Pony", "age": 50})

TOP_FIELDS = (
    "run_id", "remote", "local", "remote_alias", "indices", "auto_follow", "seeds",
    "follower_settings", "canary_documents", "confirm", "dry_run", "follow_timeout_s",
    "catch_up_timeout_s", "latency_timeout_s", "min_free_disk_bytes",
)
TIMEOUT_DEFAULTS = {"follow_timeout_s": 120.0, "catch_up_timeout_s": 900.0, "latency_timeout_s": 60.0}
DEFAULT_MIN_FREE_DISK_BYTES = 1024**3


@dataclass(frozen=True)
class MigrationParameters:
    run_id: str
    remote: ClusterParameters
    local: ClusterParameters
    remote_alias: str
    indices: tuple[IndexPair, ...]
    auto_follow: AutoFollowPattern | None = None
    seeds: tuple[str, ...] = ()
    follower_settings: Mapping[str, Any] = field(default_factory=dict)
    canary_documents: tuple[Mapping[str, Any], ...] = DEFAULT_CANARIES
    confirm: str = ""
    dry_run: bool = False
    follow_timeout_s: float = TIMEOUT_DEFAULTS["follow_timeout_s"]
    catch_up_timeout_s: float = TIMEOUT_DEFAULTS["catch_up_timeout_s"]
    latency_timeout_s: float = TIMEOUT_DEFAULTS["latency_timeout_s"]
    min_free_disk_bytes: int = DEFAULT_MIN_FREE_DISK_BYTES
    # Not parameters: where the set came from, and warnings worth showing (never errors).
    source: str = "dict"
    notes: tuple[str, ...] = ()

    def cluster(self, role: str) -> ClusterParameters:
        return {"remote": self.remote, "local": self.local}[role]

    def to_public_dict(self) -> dict[str, Any]:
        """The parameter set as plain data, safe to display or save: it holds only variable *names*.

        Loading this dict again gives the same parameter set (resolved URLs and follower names
        included), which is what makes an executed notebook's record of it reproducible.
        """
        return {
            "run_id": self.run_id,
            "remote": self.remote.to_public_dict(),
            "local": self.local.to_public_dict(),
            "remote_alias": self.remote_alias,
            "indices": [{"leader": p.leader, "follower": p.follower, **({"aliases": list(p.aliases)} if p.aliases else {})}
                        for p in self.indices],
            "auto_follow": None if self.auto_follow is None else {
                "name": self.auto_follow.name,
                "leader_index_patterns": list(self.auto_follow.leader_index_patterns),
                "leader_index_exclusion_patterns": list(self.auto_follow.leader_index_exclusion_patterns),
                "follow_index_pattern": self.auto_follow.follow_index_pattern,
            },
            "seeds": list(self.seeds),
            "follower_settings": dict(self.follower_settings),
            "canary_documents": [dict(d) for d in self.canary_documents],
            "confirm": self.confirm,
            "dry_run": self.dry_run,
            "follow_timeout_s": self.follow_timeout_s,
            "catch_up_timeout_s": self.catch_up_timeout_s,
            "latency_timeout_s": self.latency_timeout_s,
            "min_free_disk_bytes": self.min_free_disk_bytes,
        }

    def require_confirmation(self, required: str, action: str) -> None:
        """Raise ConfirmationRequired unless `confirm` equals `required` (for destructive steps)."""
        if self.confirm != required:
            raise ConfirmationRequired(action, required, self.confirm)


def new_run_id(now: datetime | None = None) -> str:
    """`YYYYmmddTHHMMSSZ-xxxx`: sortable by time, unique enough for two runs in the same second."""
    now = now or datetime.now(timezone.utc)
    return f"{now.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


def load_parameters(
    source: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    check_paths: bool = True,
) -> MigrationParameters:
    """Read, merge and validate a parameter set; raise one ParameterError naming every bad field.

    `source` is a YAML file (default `parameters/sandbox.yaml`) or a dict. `overrides` (for example
    the values papermill injected) are merged over it, mappings key by key; None means "not given".
    Relative `ca_certs` paths are relative to the YAML file's folder, or to `cwd` for a dict.
    `check_paths=False` skips checking that `ca_certs` files exist (to validate a template).
    """
    cwd_path = Path.cwd() if cwd is None else Path(cwd)
    if source is None:
        source = SANDBOX_PARAMETERS_FILE
    if isinstance(source, Mapping):
        data, origin, base = dict(source), "dict", cwd_path
    else:
        path = Path(source)
        if not path.is_absolute():
            path = cwd_path / path
        data, origin, base = _read_yaml(path), str(path), path.parent
    data = _absolute_ca_certs(data, base)
    if overrides:
        data = _merge(data, _absolute_ca_certs(dict(overrides), cwd_path))
    return _build(data, origin, UrlResolver(environ, cwd_path), check_paths)


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ParameterError("parameters_file", "an existing YAML file", str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParameterError("parameters_file", "valid YAML", str(path), hint=str(exc)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError("parameters_file", "a YAML mapping of parameters", type(data).__name__)
    return data


def _absolute_ca_certs(data: dict[str, Any], base: Path) -> dict[str, Any]:
    for role in ("remote", "local"):
        block = data.get(role)
        if isinstance(block, Mapping) and isinstance(block.get("ca_certs"), str) and block["ca_certs"]:
            ca = Path(block["ca_certs"]).expanduser()
            data[role] = {**block, "ca_certs": str(ca if ca.is_absolute() else base / ca)}
    return data


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if value is None:
            continue
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _build(data: Any, origin: str, resolver: UrlResolver, check_paths: bool) -> MigrationParameters:
    problems = Problems()
    top = Block(data, "", TOP_FIELDS, problems)
    notes: list[str] = []
    run_id = top.text("run_id", rule=naming.run_id_problem, rules=naming.RUN_ID_RULES) or new_run_id()
    clusters: dict[str, ClusterParameters | None] = {}
    for role in ("remote", "local"):
        clusters[role] = read_cluster(
            Block(top.raw(role, {}), role, CLUSTER_FIELDS, problems), role, resolver, check_paths, notes)
    alias = top.text("remote_alias", rule=naming.remote_alias_problem, rules=naming.REMOTE_ALIAS_RULES)
    if alias is None and not top.given("remote_alias"):
        problems.add("remote_alias", naming.REMOTE_ALIAS_RULES, got_text="nothing")
    indices = read_indices(top, problems, notes)
    auto_follow = read_auto_follow(top, problems)
    if not indices and auto_follow is None:
        problems.add("indices", "at least one {leader, follower} pair (or an `auto_follow` pattern)",
                     got_text="none")
    seeds = _read_seeds(top, problems, notes)
    settings = _read_follower_settings(top, problems)
    canaries = _read_canaries(top, problems)
    confirm = top.raw("confirm", "")
    if not isinstance(confirm, str):
        problems.add("confirm", "a string (the name a destructive step asks for)", confirm)
        confirm = ""
    dry_run = top.boolean("dry_run", False)
    timeouts = {k: top.number(k, v) for k, v in TIMEOUT_DEFAULTS.items()}
    min_free = _read_min_free_disk(top, problems)
    problems.raise_if_any()
    assert clusters["remote"] is not None and clusters["local"] is not None and alias is not None
    return MigrationParameters(
        run_id=run_id, remote=clusters["remote"], local=clusters["local"], remote_alias=alias,
        indices=tuple(indices), auto_follow=auto_follow, seeds=tuple(seeds),
        follower_settings=settings, canary_documents=tuple(canaries), confirm=confirm,
        dry_run=dry_run, min_free_disk_bytes=min_free, source=origin, notes=tuple(notes), **timeouts,
    )


def _read_seeds(top: Block, problems: Problems, notes: list[str]) -> list[str]:
    seeds = []
    for i, seed in enumerate(top.items("seeds")):
        try:
            _, port = naming.parse_seed(seed if isinstance(seed, str) else "")
        except ValueError as exc:
            problems.add(join("seeds", i), naming.SEED_RULES, seed, why=str(exc))
            continue
        if port == naming.HTTP_DEFAULT_PORT:
            # A warning, not an error: ports are configurable, but 9200 is usually HTTP.
            notes.append(f"seeds[{i}] {seed!r} uses port 9200, the default HTTP port; seeds are "
                         "transport addresses (default 9300) and a seed on an HTTP port never connects.")
        seeds.append(seed.strip())
    return seeds


def _read_follower_settings(top: Block, problems: Problems) -> dict[str, Any]:
    block = Block(top.raw("follower_settings", {}), "follower_settings", FOLLOWER_SETTING_DEFAULTS, problems)
    settings = {}
    for key, value in block.data.items():
        if key not in FOLLOWER_SETTING_DEFAULTS or value is None:
            continue
        problem = setting_problem(key, value)
        if problem:
            problems.add(block.field(key), problem[0], value, why=problem[1])
        else:
            settings[key] = value
    return settings


def _read_canaries(top: Block, problems: Problems) -> list[dict[str, Any]]:
    if not top.given("canary_documents"):
        return [dict(d) for d in DEFAULT_CANARIES]
    docs, bad = [], 0
    for i, doc in enumerate(top.items("canary_documents")):
        try:
            ok = isinstance(doc, Mapping) and bool(doc) and json.dumps(doc) is not None
        except (TypeError, ValueError):
            ok = False
        if not ok:
            problems.add(join("canary_documents", i),
                         'a non-empty JSON object such as {"name": "Jack", "age": 40}', doc)
            bad += 1
        else:
            docs.append(dict(doc))
    if not docs and not bad:
        problems.add("canary_documents", "at least one document", got_text="an empty list")
    return docs


def _read_min_free_disk(top: Block, problems: Problems) -> int:
    value = top.raw("min_free_disk_bytes")
    if isinstance(value, str):
        try:
            return parse_byte_size(value)
        except ValueError:
            problems.add("min_free_disk_bytes", "a number of bytes, or a size such as `10gb`", value)
            return DEFAULT_MIN_FREE_DISK_BYTES
    return top.number("min_free_disk_bytes", DEFAULT_MIN_FREE_DISK_BYTES, integer=True, allow_zero=True)


__all__ = [
    "AutoFollowPattern", "ClusterParameters", "IndexPair", "MigrationParameters", "SandboxCluster",
    "SANDBOX_PARAMETERS_FILE", "load_parameters", "new_run_id",
]
