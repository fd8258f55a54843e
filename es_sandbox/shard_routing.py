"""Where each shard copy of an index lives, and the health that follows, as Elasticsearch allocates.

A practice cluster stores data once, but reports copies as Elasticsearch would place them: a primary
and its replicas never share a node, so with the two data nodes one replica per shard can be
assigned and any further replica stays UNASSIGNED (health yellow). Placement is deterministic
(index uuid and shard number), so every API reports the same node for the same copy.

An index whose `recovery` stage is not DONE (a follower's initial copy) has INITIALIZING primaries
and UNASSIGNED replicas; like Elasticsearch, a newly created or restored index that is still
initializing is yellow, not red. `recovery_of()` merges the index-level recovery dict with its
per-shard overrides (see stats_api for the dict's shape).
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cluster import Cluster
    from .config import ClusterConfig, NodeConfig
    from .index import Index

GREEN, YELLOW, RED = "green", "yellow", "red"
_ORDER = {GREEN: 0, YELLOW: 1, RED: 2}


@dataclass
class ShardCopy:
    index: "Index"
    shard: int
    primary: bool
    state: str  # STARTED, INITIALIZING or UNASSIGNED
    node: "NodeConfig | None"
    unassigned_reason: str | None  # INDEX_CREATED, NEW_INDEX_RESTORED (None once started)

    @property
    def active(self) -> bool:
        return self.state in ("STARTED", "RELOCATING")

    @property
    def allocation_id(self) -> str | None:
        if self.node is None:
            return None
        digest = hashlib.sha1(f"{self.index.uuid}/{self.shard}/{self.node.id}".encode()).digest()
        return base64.urlsafe_b64encode(digest).decode()[:22]


def data_nodes(config: "ClusterConfig") -> list["NodeConfig"]:
    return [n for n in config.nodes if "data" in n.roles]


def master_node(config: "ClusterConfig") -> "NodeConfig":
    return next((n for n in config.nodes if "master" in n.roles), config.nodes[0])


def recovery_of(index: "Index", shard: int) -> dict[str, Any]:
    """The recovery record of one shard's primary: index-level values with per-shard overrides."""
    base = {k: v for k, v in (index.recovery or {}).items() if k != "shards"}
    base.update(((index.recovery or {}).get("shards") or {}).get(str(shard), {}))
    base.setdefault("type", "EMPTY_STORE")
    base.setdefault("stage", "DONE")
    return base


def copies(config: "ClusterConfig", index: "Index") -> list["ShardCopy"]:
    """Every copy of every shard, by shard number, primary first."""
    nodes = data_nodes(config)
    offset = zlib.crc32(index.uuid.encode())
    out: list[ShardCopy] = []
    for shard in range(index.number_of_shards):
        recovery = recovery_of(index, shard)
        restoring = recovery["stage"] != "DONE"
        reason = "NEW_INDEX_RESTORED" if recovery["type"] == "SNAPSHOT" else "INDEX_CREATED"
        first = (offset + shard) % len(nodes) if nodes else 0
        for copy in range(1 + index.number_of_replicas):
            node = nodes[(first + copy) % len(nodes)] if copy < len(nodes) else None
            if node is None:
                out.append(ShardCopy(index, shard, copy == 0, "UNASSIGNED", None, reason))
            elif restoring and copy == 0:
                out.append(ShardCopy(index, shard, True, "INITIALIZING", node, reason))
            elif restoring:
                out.append(ShardCopy(index, shard, False, "UNASSIGNED", None, reason))
            else:
                out.append(ShardCopy(index, shard, copy == 0, "STARTED", node, None))
    return out


def worst(statuses: list[str]) -> str:
    return max(statuses, key=_ORDER.__getitem__, default=GREEN)


def shard_health(shard_copies: list[ShardCopy]) -> dict[str, Any]:
    primary = next(c for c in shard_copies if c.primary)
    active = sum(c.active for c in shard_copies)
    if primary.active:
        status = GREEN if active == len(shard_copies) else YELLOW
    else:
        # ClusterShardHealth.getInactivePrimaryHealth: a new index still being created or restored.
        status = YELLOW if primary.unassigned_reason in ("INDEX_CREATED", "NEW_INDEX_RESTORED") else RED
    return {
        "status": status,
        "primary_active": primary.active,
        "active_shards": active,
        "relocating_shards": 0,
        "initializing_shards": sum(c.state == "INITIALIZING" for c in shard_copies),
        "unassigned_shards": sum(c.state == "UNASSIGNED" for c in shard_copies),
        "unassigned_primary_shards": int(primary.state == "UNASSIGNED"),
    }


def index_health(config: "ClusterConfig", index: "Index") -> dict[str, Any]:
    """ClusterIndexHealth: counts over the index's copies, plus each shard's health."""
    by_shard: dict[int, list[ShardCopy]] = {}
    for c in copies(config, index):
        by_shard.setdefault(c.shard, []).append(c)
    shards = {sid: shard_health(cs) for sid, cs in by_shard.items()}
    return {
        "status": worst([s["status"] for s in shards.values()]),
        "number_of_shards": index.number_of_shards,
        "number_of_replicas": index.number_of_replicas,
        "active_primary_shards": sum(s["primary_active"] for s in shards.values()),
        "active_shards": sum(s["active_shards"] for s in shards.values()),
        "relocating_shards": 0,
        "initializing_shards": sum(s["initializing_shards"] for s in shards.values()),
        "unassigned_shards": sum(s["unassigned_shards"] for s in shards.values()),
        "unassigned_primary_shards": sum(s["unassigned_primary_shards"] for s in shards.values()),
        "shards": shards,
    }


def cluster_health(cluster: "Cluster", indices: list["Index"]) -> dict[str, Any]:
    """The numbers of ClusterHealthResponse over the given indices (all indices for the cluster)."""
    healths = {i.name: index_health(cluster.config, i) for i in indices}
    total = sum(i.number_of_shards * (1 + i.number_of_replicas) for i in indices)
    active = sum(h["active_shards"] for h in healths.values())
    return {
        "status": worst([h["status"] for h in healths.values()]),
        "number_of_nodes": len(cluster.config.nodes),
        "number_of_data_nodes": len(data_nodes(cluster.config)),
        "active_primary_shards": sum(h["active_primary_shards"] for h in healths.values()),
        "active_shards": active,
        "relocating_shards": 0,
        "initializing_shards": sum(h["initializing_shards"] for h in healths.values()),
        "unassigned_shards": sum(h["unassigned_shards"] for h in healths.values()),
        "unassigned_primary_shards": sum(h["unassigned_primary_shards"] for h in healths.values()),
        "active_shards_percent": 100.0 if total == 0 else active * 100.0 / total,
        "indices": healths,
    }
