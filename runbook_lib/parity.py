"""Leader and follower side by side: sequence numbers per shard, document counts, mappings.

The leader's checkpoints are read from the leader itself (`GET <leader>/_stats?level=shards`), not
from the follower's `_ccr/stats`: the follower's `leader_global_checkpoint` and `leader_max_seq_no`
are what the leader told it in its last answer, and stay old while the leader is idle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .connection import Cluster
from .dialect import untyped_mappings


@dataclass(frozen=True)
class ShardSeqNo:
    """A primary shard's sequence numbers, as the index's own `_stats` reports them."""

    shard: int
    max_seq_no: int
    local_checkpoint: int
    global_checkpoint: int


def shard_seq_nos(cluster: Cluster, index: str) -> dict[int, ShardSeqNo]:
    """Per shard number, the primary's sequence numbers (replicas report the same history later)."""
    answer = cluster.request("GET", f"/{index}/_stats", params={"level": "shards"})
    shards = (answer.body or {}).get("indices", {}).get(index, {}).get("shards", {})
    found = {}
    for shard_id, copies in shards.items():
        for copy in copies:
            if (copy.get("routing") or {}).get("primary") and copy.get("seq_no"):
                seq = copy["seq_no"]
                found[int(shard_id)] = ShardSeqNo(int(shard_id), int(seq["max_seq_no"]),
                                                  int(seq["local_checkpoint"]), int(seq["global_checkpoint"]))
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class ShardParity:
    """One shard of a pair: how far the follower is behind what the leader itself holds."""

    shard: int
    leader_max_seq_no: int
    leader_global_checkpoint: int
    follower_global_checkpoint: int
    follower_view_of_leader: int | None  # the follower's `leader_global_checkpoint`, possibly stale

    @property
    def lag(self) -> int:
        """Operations the leader holds that the follower has not made durable yet."""
        return max(0, self.leader_max_seq_no - self.follower_global_checkpoint)


def shard_parity(leader: Mapping[int, ShardSeqNo], follower: Mapping[int, ShardSeqNo],
                 ccr_shards: list[Mapping[str, Any]] | None = None) -> list[ShardParity]:
    """Leader's own numbers against the follower's, shard by shard (a follower mirrors the leader's
    shards one for one); a shard missing on one side shows -1 there."""
    view = {int(s["shard_id"]): s.get("leader_global_checkpoint") for s in ccr_shards or ()}
    rows = []
    for shard in sorted(set(leader) | set(follower)):
        mine, theirs = leader.get(shard), follower.get(shard)
        rows.append(ShardParity(
            shard,
            mine.max_seq_no if mine else -1,
            mine.global_checkpoint if mine else -1,
            theirs.global_checkpoint if theirs else -1,
            view.get(shard),
        ))
    return rows


def caught_up(rows: list[ShardParity]) -> bool:
    return bool(rows) and all(r.follower_global_checkpoint >= r.leader_max_seq_no for r in rows)


def refresh(cluster: Cluster, index: str) -> None:
    """Make every operation processed so far visible to search (it changes no data)."""
    cluster.request("POST", f"/{index}/_refresh")


def doc_count(cluster: Cluster, index: str) -> int:
    return int(cluster.request("GET", f"/{index}/_count").body["count"])


def index_mapping(cluster: Cluster, index: str) -> dict[str, Any]:
    """The index's mapping without a 6.x type level, so that any two versions compare."""
    answer = cluster.request("GET", f"/{index}/_mapping")
    return untyped_mappings((answer.body or {}).get(index, {}).get("mappings", {}))


def mapping_differences(leader: Any, follower: Any, path: str = "") -> list[str]:
    """The paths at which two mappings differ, such as `properties.age.type: long != integer`."""
    if isinstance(leader, Mapping) and isinstance(follower, Mapping):
        found = []
        for key in sorted(set(leader) | set(follower), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in follower:
                found.append(f"{where}: only on the leader")
            elif key not in leader:
                found.append(f"{where}: only on the follower")
            else:
                found.extend(mapping_differences(leader[key], follower[key], where))
        return found
    if leader != follower:
        return [f"{path or '(mapping)'}: {leader!r} on the leader, {follower!r} on the follower"]
    return []
