"""What 00_preflight reads from both clusters, as small facts a notebook checks one by one.

Nothing here changes a cluster. Each reader returns a dataclass with what was observed and, where
there is a verdict, `ok` plus the advice to show when it is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import dialect
from .ccr_ops import follower_info
from .checks import Check
from .connection import Cluster
from .content_scan import PIT_SINCE
from .index_ops import index_state
from .parameters import MigrationParameters
from .versions import Version, ccr_compatibility, client_module

CCR_LICENCES = ("platinum", "enterprise", "trial")
VENDOR_SETTING = "index.replication.type"
# Elasticsearch 7+ keeps an unknown setting of an upgraded index under `archived.`.
_VENDOR_KEYS = (VENDOR_SETTING, f"archived.{VENDOR_SETTING}")


@dataclass(frozen=True)
class Licence:
    type: str
    status: str

    @property
    def allows_ccr(self) -> bool:
        return self.type in CCR_LICENCES and self.status == "active"

    def __str__(self) -> str:
        return f"{self.type} ({self.status})"


_EXCLUSION_PATTERNS_SINCE = Version(7, 14, 0)


def version_checks(params: MigrationParameters, remote: Version, local: Version) -> list[Check]:
    """Whether the local cluster can follow the remote at all, and can do what the parameters ask."""
    compat = ccr_compatibility(remote, local)
    checks = [Check("local version can follow the remote's", "local >= remote, within the CCR matrix",
                    f"remote {remote}, local {local}", compat.check_verdict, compat.explanation)]
    auto = params.auto_follow
    if auto and auto.leader_index_exclusion_patterns:
        ok = local >= _EXCLUSION_PATTERNS_SINCE
        checks.append(Check("auto-follow exclusion patterns", "a local cluster on 7.14 or later", f"local {local}",
                            "pass" if ok else "fail",
                            "" if ok else "remove `leader_index_exclusion_patterns` from the parameters (narrow "
                                          "`leader_index_patterns` instead), or upgrade the local cluster to 7.14+"))
    return checks


def how_spoken(version: Version) -> str:
    """What the runbooks do differently for a cluster of `version` (shown by 00_preflight)."""
    notes = [f"client {client_module(version)}"]
    if dialect.has_mapping_types(version):
        notes += ["security and licence APIs under _xpack", "mappings and documents with their type",
                  "soft deletes only when set at creation"]
    if not dialect.has_block_api(version):
        notes.append("write block as the index.blocks.write setting")
    if not dialect.has_proxy_mode(version):
        notes.append("remote by seeds only (no connection modes)")
    notes.append("content compared with a point in time" if version >= PIT_SINCE else "content compared with a scroll")
    return f"{version}: " + "; ".join(notes)


def licence(cluster: Cluster) -> Licence:
    body = (cluster.request("GET", dialect.licence_path(cluster.version)).body or {}).get("license", {})
    return Licence(str(body.get("type", "none")).lower(), str(body.get("status", "unknown")).lower())


def licence_advice(role: str) -> str:
    return (f"CCR needs a platinum, enterprise or trial licence on both clusters; on the {role} cluster "
            "install one, or for a test start a trial: POST _license/start_trial?acknowledge=true")


def health(cluster: Cluster) -> dict[str, Any]:
    return cluster.request("GET", "/_cluster/health").body or {}


@dataclass(frozen=True)
class LeaderIndex:
    name: str
    uuid: str | None
    status: str = ""
    soft_deletes: bool | None = None
    vendor_setting: str | None = None  # the value of index.replication.type, when present
    vendor_key: str = ""
    shards: int = 0
    replicas: int = 0
    store_bytes: int = 0
    docs: int = 0

    @property
    def exists(self) -> bool:
        return self.uuid is not None


def leader_index(remote: Cluster, name: str) -> LeaderIndex:
    """The leader's identity, soft-deletes (defaults included), vendor setting and size."""
    state = index_state(remote, name)
    if state is None:
        return LeaderIndex(name, None)
    answer = remote.request("GET", f"/{name}/_settings", params={"include_defaults": "true", "flat_settings": "true"})
    entry = (answer.body or {}).get(name, {})
    settings, defaults = entry.get("settings", {}), entry.get("defaults", {})
    soft = settings.get("index.soft_deletes.enabled", defaults.get("index.soft_deletes.enabled"))
    vendor_key = next((k for k in _VENDOR_KEYS if k in settings), "")
    store_bytes = docs = 0
    if not state.closed:  # index stats refuse a closed index
        stats = remote.request("GET", f"/{name}/_stats/store,docs").body or {}
        totals = stats.get("indices", {}).get(name, {})
        store_bytes = int(totals.get("total", {}).get("store", {}).get("size_in_bytes", 0))
        docs = int(totals.get("primaries", {}).get("docs", {}).get("count", 0))
    return LeaderIndex(
        name, state.uuid, state.status,
        soft_deletes=None if soft is None else str(soft).lower() == "true",
        vendor_setting=settings.get(vendor_key) if vendor_key else None, vendor_key=vendor_key,
        shards=int(settings.get("index.number_of_shards", 0) or 0),
        replicas=int(settings.get("index.number_of_replicas", 0) or 0),
        store_bytes=store_bytes, docs=docs,
    )


@dataclass(frozen=True)
class FollowerName:
    name: str
    verdict: str  # "free", "following" (a rerun: it already follows that leader) or "taken"
    detail: str

    @property
    def ok(self) -> bool:
        return self.verdict != "taken"


def follower_name(local: Cluster, name: str, alias: str, leader: str) -> FollowerName:
    """Whether `name` is free on the local cluster: no index (open or closed) and no alias."""
    state = index_state(local, name)
    if state is not None:
        info = follower_info(local, name)
        if info and info.get("remote_cluster") == alias and info.get("leader_index") == leader:
            return FollowerName(name, "following", f"{name} ({state.uuid}) already follows {alias}:{leader} "
                                                   f"({info.get('status')}): 03_follow ran before")
        kind = "closed index" if state.closed else "index"
        return FollowerName(name, "taken", f"an {kind} {name} ({state.uuid}) exists"
                            + (" (a closed index of the same name would be restored over)" if state.closed else ""))
    if local.request("HEAD", f"/_alias/{name}", ignore=(404,)).status == 200:
        return FollowerName(name, "taken", f"{name} is an alias on the local cluster")
    return FollowerName(name, "free", "no index or alias of that name")


@dataclass(frozen=True)
class DiskFit:
    data_nodes: int
    needed_bytes: int
    min_free_bytes: int
    tightest_node: str
    tightest_free_after: int

    @property
    def ok(self) -> bool:
        return self.data_nodes > 0 and self.tightest_free_after >= self.min_free_bytes


def disk_fit(local: Cluster, needed_bytes: int, min_free_bytes: int) -> DiskFit:
    """Assume the followers spread evenly over the local data nodes; each must keep `min_free_bytes`."""
    body = local.request("GET", "/_nodes/stats/fs").body or {}
    nodes = [n for n in body.get("nodes", {}).values()
             if any(r.startswith("data") for r in n.get("roles", ["data"]))]
    if not nodes:
        return DiskFit(0, needed_bytes, min_free_bytes, "(no data node)", 0)
    share = needed_bytes // len(nodes)
    free_after = {n.get("name", "?"): int(n.get("fs", {}).get("total", {}).get("available_in_bytes", 0)) - share
                  for n in nodes}
    tightest = min(free_after, key=free_after.get)
    return DiskFit(len(nodes), needed_bytes, min_free_bytes, tightest, free_after[tightest])


def gib(n: int) -> str:
    return f"{n / 1024**3:.2f} GiB" if abs(n) >= 1024**3 else f"{n / 1024**2:.1f} MiB"
