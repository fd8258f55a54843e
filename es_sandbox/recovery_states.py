"""Shard recovery states (what `_recovery` and `_cat/recovery` report), built from an index's
`recovery` metadata dict, whose shape is documented at the top of api/stats_api.py.

While a shard's stage is not DONE its primary is INITIALIZING and its replicas UNASSIGNED (see
shard_routing); once DONE everything is recovered and each replica reports a finished PEER recovery
from the primary's node.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import shard_routing

if TYPE_CHECKING:
    from .cluster import Cluster
    from .config import NodeConfig
    from .index import Index


@dataclass
class RecoveryState:
    index: "Index"
    shard: int
    primary: bool
    type: str
    stage: str
    start_ms: int
    stop_ms: int  # 0 while running
    source: dict[str, Any]  # SNAPSHOT source fields, or {} (PEER: see source_node)
    source_node: "NodeConfig | None"
    target_node: "NodeConfig"
    files_total: int
    files_recovered: int
    bytes_total: int
    bytes_recovered: int
    translog_total: int
    translog_recovered: int

    @property
    def done(self) -> bool:
        return self.stage == "DONE"

    @property
    def time_ms(self) -> int:
        end = self.stop_ms if self.stop_ms else int(time.time() * 1000)
        return max(0, end - self.start_ms)

    def files_percent(self) -> str:
        if self.files_total == 0:
            return "0.0%"
        return f"{self.files_recovered * 100.0 / self.files_total:.1f}%"

    def bytes_percent(self) -> str:
        if self.bytes_total == 0:
            return "0.0%"
        return f"{self.bytes_recovered * 100.0 / self.bytes_total:.1f}%"

    def translog_percent(self) -> str:
        if self.translog_total < 0:
            return "-1.0%"
        if self.translog_total == 0:
            return "100.0%"
        return f"{self.translog_recovered * 100.0 / self.translog_total:.1f}%"


def _primary_state(index: "Index", copy: shard_routing.ShardCopy) -> RecoveryState:
    rec = shard_routing.recovery_of(index, copy.shard)
    done = rec["stage"] == "DONE"
    start = int(rec.get("start_time_ms") or index.setting("index.creation_date") or 0)
    files, size, ops = int(rec.get("files_total", 0)), int(rec.get("bytes_total", 0)), int(rec.get("translog_ops", 0))
    return RecoveryState(
        index, copy.shard, True, rec["type"], rec["stage"], start,
        int(rec.get("stop_time_ms") or start) if done else 0,
        dict(rec.get("source", {})) if rec["type"] == "SNAPSHOT" else {}, None, copy.node,
        files, files if done else int(rec.get("files_recovered", 0)),
        size, size if done else int(rec.get("bytes_recovered", 0)),
        ops, ops if done else int(rec.get("translog_ops_recovered", 0)),
    )


def states(cluster: "Cluster", index: "Index") -> list[RecoveryState]:
    """The recovery of every assigned copy of the index, by shard, primary first."""
    out: list[RecoveryState] = []
    primaries: dict[int, RecoveryState] = {}
    for copy in shard_routing.copies(cluster.config, index):
        if copy.node is None:
            continue
        if copy.primary:
            primaries[copy.shard] = state = _primary_state(index, copy)
        else:
            primary = primaries[copy.shard]
            start = primary.stop_ms or primary.start_ms
            state = RecoveryState(
                index, copy.shard, False, "PEER", "DONE", start, start + 1, {},
                primary.target_node, copy.node, primary.files_total, primary.files_total, primary.bytes_total, primary.bytes_total, 0, 0,
            )
        out.append(state)
    return out
