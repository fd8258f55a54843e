"""The cluster state as `GET _cluster/state` renders it in Elasticsearch 8: nodes, metadata,
routing table, routing nodes and blocks, from the practice cluster's indices and node layout.

The state version grows by one on every cluster-state change the cluster announces (`notify`).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from . import index_settings, shard_routing
from .humanize import iso_millis

if TYPE_CHECKING:
    from .cluster import Cluster
    from .config import NodeConfig
    from .index import Index

METRICS = ("version", "master_node", "blocks", "nodes", "metadata", "routing_table", "routing_nodes", "customs")

# Index blocks: setting -> (block id, description, retryable, levels), from IndexMetadata.
_BLOCKS = [
    ("index.blocks.read_only", "5", "index read-only (api)", False, ["write", "metadata_write"]),
    ("index.blocks.read", "7", "index read (api)", False, ["read"]),
    ("index.blocks.write", "8", "index write (api)", False, ["write"]),
    ("index.blocks.metadata", "9", "index metadata (api)", False, ["metadata_read", "metadata_write"]),
    ("index.blocks.read_only_allow_delete", "12",
     "disk usage exceeded flood-stage watermark, index has read-only-allow-delete block", False, ["write", "metadata_write"]),
]


class StateVersion:
    """Counts the cluster-state versions this process has published."""

    def __init__(self, cluster: "Cluster") -> None:
        self.version = 1 + len(cluster.indices)
        self.state_uuid = uuid.uuid4().hex[:22]
        cluster.listeners.append(self._changed)

    def _changed(self, event: str, payload: Any) -> None:
        self.version += 1
        self.state_uuid = uuid.uuid4().hex[:22]


def node_entry(cluster: "Cluster", node: "NodeConfig") -> dict[str, Any]:
    return {
        "name": node.name,
        "ephemeral_id": f"{node.id[:11]}{cluster.config.cluster_uuid[:11]}",
        "transport_address": node.transport_address,
        "external_id": node.name,
        "attributes": {"xpack.installed": "true"},
        "roles": sorted(node.roles),
        "version": str(cluster.version),
        "min_index_version": 7000099,
        "max_index_version": cluster.version.id,
    }


def blocks(indices: list["Index"]) -> dict[str, Any]:
    per_index: dict[str, Any] = {}
    for index in indices:
        found: dict[str, Any] = {}
        if not index.is_open:
            found["4"] = {"description": "index closed", "retryable": False, "levels": ["read", "write"]}
        for setting, block_id, description, retryable, levels in _BLOCKS:
            if index.setting(setting) == "true":
                found[block_id] = {"description": description, "retryable": retryable, "levels": levels}
        if found:
            per_index[index.name] = found
    return {"indices": per_index} if per_index else {}


def index_metadata(cluster: "Cluster", index: "Index", flat_settings: bool) -> dict[str, Any]:
    in_sync: dict[str, list[str]] = {str(s): [] for s in range(index.number_of_shards)}
    for copy in shard_routing.copies(cluster.config, index):
        if copy.active:
            in_sync[str(copy.shard)].append(copy.allocation_id)
    mappings = index.mappings.to_body()
    out = {
        "version": index.settings_version + index.mappings.version + index.aliases_version,
        "mapping_version": index.mappings.version,
        "settings_version": index.settings_version,
        "aliases_version": index.aliases_version,
        "routing_num_shards": index.number_of_shards * 1024 if index.number_of_shards == 1 else index.number_of_shards,
        "state": "open" if index.is_open else "close",
        "settings": dict(index.settings) if flat_settings else index_settings.nest(index.settings),
        "mappings": {"_doc": mappings} if mappings else {},
        "aliases": sorted(index.aliases),
        "primary_terms": {str(s): 1 for s in range(index.number_of_shards)},
        "in_sync_allocations": in_sync,
        "rollover_info": {},
        "system": False,
        "timestamp_range": {"shards": []},
        "event_ingested_range": {"shards": []},
    }
    if index.ccr:
        out["ccr"] = ccr_custom(index)
    return out


def ccr_custom(index: "Index") -> dict[str, str]:
    """The custom metadata Elasticsearch keeps on a follower index (removed again by unfollow)."""
    ccr = index.ccr or {}
    leader_uuid = ccr.get("leader_index_uuid", "")
    return {
        # One history uuid per leader shard; the practice leader has no Lucene history uuid to report,
        # so a stable stand-in is derived from the leader index uuid.
        "leader_index_shard_history_uuids": ",".join(f"{leader_uuid}-{s}" for s in range(index.number_of_shards)),
        "leader_index_uuid": leader_uuid,
        "leader_index_name": ccr.get("leader_index", ""),
        "remote_cluster_name": ccr.get("remote_cluster", ""),
    }


def shard_routing_entry(copy: shard_routing.ShardCopy) -> dict[str, Any]:
    out: dict[str, Any] = {
        "state": copy.state,
        "primary": copy.primary,
        "node": copy.node.id if copy.node else None,
        "relocating_node": None,
        "shard": copy.shard,
        "index": copy.index.name,
    }
    if copy.state != "STARTED":
        recovery = shard_routing.recovery_of(copy.index, copy.shard)
        if copy.primary and recovery["type"] == "SNAPSHOT":
            out["recovery_source"] = {"type": "SNAPSHOT", **recovery.get("source", {})}
        else:
            out["recovery_source"] = {"type": "EMPTY_STORE" if copy.primary else "PEER"}
        info: dict[str, Any] = {"reason": copy.unassigned_reason, "at": iso_millis(int(copy.index.setting("index.creation_date") or 0))}
        if copy.unassigned_reason == "NEW_INDEX_RESTORED":
            source = recovery.get("source", {})
            info["details"] = f"restore_source[{source.get('repository')}/{source.get('snapshot')}]"
        info.update({"delayed": False, "allocation_status": "no_attempt"})
        out["unassigned_info"] = info
    if copy.node is not None:
        out["allocation_id"] = {"id": copy.allocation_id}
    if copy.state == "STARTED":
        out["relocation_failure_info"] = {"failed_attempts": 0}
    return out


def render(cluster: "Cluster", metrics: set[str], indices: list["Index"], flat_settings: bool,
           version: StateVersion) -> dict[str, Any]:
    config = cluster.config
    master = shard_routing.master_node(config)
    out: dict[str, Any] = {"cluster_name": config.name, "cluster_uuid": config.cluster_uuid}
    if "version" in metrics:
        out["version"] = version.version
        out["state_uuid"] = version.state_uuid
    if "master_node" in metrics:
        out["master_node"] = master.id
    if "blocks" in metrics:
        out["blocks"] = blocks(list(cluster.indices.values()))
    if "nodes" in metrics:
        out["nodes"] = {n.id: node_entry(cluster, n) for n in config.nodes}
        out["nodes_versions"] = [{"node_id": n.id, "transport_version": str(cluster.version.id), "mappings_versions": {}}
                                 for n in config.nodes]
        out["nodes_features"] = [{"node_id": n.id, "features": []} for n in config.nodes]
    if "metadata" in metrics:
        out["metadata"] = {
            "cluster_uuid": config.cluster_uuid,
            "cluster_uuid_committed": True,
            "cluster_coordination": {
                "term": 1,
                "last_committed_config": [master.id],
                "last_accepted_config": [master.id],
                "voting_config_exclusions": [],
            },
            "templates": {},
            "indices": {i.name: index_metadata(cluster, i, flat_settings) for i in indices},
            "index-graveyard": {"tombstones": []},
            "reserved_state": {},
        }
    all_copies = [c for i in indices for c in shard_routing.copies(config, i)]
    if "routing_table" in metrics:
        table: dict[str, Any] = {}
        for c in all_copies:
            table.setdefault(c.index.name, {"shards": {}})["shards"].setdefault(str(c.shard), []).append(shard_routing_entry(c))
        out["routing_table"] = {"indices": table}
    if "routing_nodes" in metrics:
        nodes: dict[str, list[Any]] = {n.id: [] for n in shard_routing.data_nodes(config)}
        for c in all_copies:
            if c.node is not None:
                nodes[c.node.id].append(shard_routing_entry(c))
        out["routing_nodes"] = {
            "unassigned": [shard_routing_entry(c) for c in all_copies if c.node is None],
            "nodes": nodes,
        }
    return out
