"""Retention leases that keep a leader shard's history for its followers (CcrRetentionLeases).

A follower holds one lease per leader shard, renewed while it follows; the leader drops history
below the lowest lease, and drops a lease not renewed within `index.soft_deletes.retention_lease.period`.
These functions run on the leader's cluster.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .. import shard_routing
from ..errors import EsError
from ..index import RetentionLease
from . import errors as ccr_errors

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..index import Index

SOURCE = "ccr"


def lease_id(follower_cluster: str, follower_index: str, follower_uuid: str, alias: str, leader_index: str, leader_uuid: str) -> str:
    """CcrRetentionLeases.retentionLeaseId."""
    return f"{follower_cluster}/{follower_index}/{follower_uuid}-following-{alias}/{leader_index}/{leader_uuid}"


def _now_ms() -> int:
    return int(time.time() * 1000)


def add(index: "Index", shard: int, lease: str, retaining_seq_no: int) -> None:
    leases = index.shards[shard].leases
    if lease in leases:
        raise ccr_errors.lease_already_exists(lease)
    leases[lease] = RetentionLease(lease, retaining_seq_no, _now_ms(), SOURCE)
    index.persist()


def renew(index: "Index", shard: int, lease: str, retaining_seq_no: int) -> None:
    current = index.shards[shard].leases.get(lease)
    if current is None:
        raise ccr_errors.lease_not_found(lease)
    # A lease never moves backwards (ReplicationTracker.renewRetentionLease keeps the higher one).
    current.retaining_seq_no = max(current.retaining_seq_no, retaining_seq_no)
    current.timestamp = _now_ms()
    index.persist()


def remove(index: "Index", shard: int, lease: str) -> None:
    if index.shards[shard].leases.pop(lease, None) is None:
        raise ccr_errors.lease_not_found(lease)
    index.persist()


def forget_follower(index: "Index", body: dict[str, Any], leader_index: str) -> dict[str, Any]:
    """POST <leader>/_ccr/forget_follower: remove the follower's lease from every primary shard."""
    lease = lease_id(body["follower_cluster"], body["follower_index"], body["follower_index_uuid"],
                     body["leader_remote_cluster"], leader_index, index.uuid)
    failures = []
    for shard in index.shards:
        try:
            remove(index, shard.shard_id, lease)
        except EsError as exc:
            failures.append({"shard": shard.shard_id, "index": index.name, "status": "NOT_FOUND", "reason": exc.fragment()})
    header: dict[str, Any] = {"total": index.number_of_shards, "successful": index.number_of_shards - len(failures),
                              "failed": len(failures)}
    if failures:
        # ExceptionsHelper.groupBy: one entry per distinct failure (type and reason) of an index.
        distinct = {(f["reason"]["type"], f["reason"]["reason"]): f for f in reversed(failures)}
        header["failures"] = sorted(distinct.values(), key=lambda f: f["shard"])
    return {"_shards": header}


def describe(cluster: "Cluster", index: "Index", shard: int) -> str:
    """The shard's leases as RetentionLeases.leases() prints in Elasticsearch's messages: one peer
    recovery lease per shard copy (as `_stats` shows them), then the stored ones."""
    copies = [c for c in shard_routing.copies(cluster.config, index) if c.shard == shard and c.node is not None]
    checkpoint = index.shards[shard].global_checkpoint
    created = int(index.setting("index.creation_date") or 0)
    leases = [(f"peer_recovery/{c.node.id}", checkpoint + 1, created, "peer recovery") for c in copies]
    leases += [(l.id, l.retaining_seq_no, l.timestamp, l.source) for l in index.shards[shard].leases.values()]
    return "[" + ", ".join(
        f"RetentionLease{{id='{i}', retainingSequenceNumber={r}, timestamp={t}, source='{s}'}}" for i, r, t, s in leases
    ) + "]"
