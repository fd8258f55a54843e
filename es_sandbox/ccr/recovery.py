"""Remote recovery: the initial copy of a leader index into its new follower (CcrRepository restore).

The follower first takes a retention lease on every leader shard (so the history it will replay
stays), then fixes each shard's copy point (the leader's global checkpoint) and streams the documents
visible at that point in seq_no order, chunk by chunk, a fetch ahead of the writes. The copy points
are persisted: a copy interrupted by a crash of either cluster resumes after the last document the
follower holds. Progress is published in `index.recovery` for the `_recovery` APIs.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid as uuidlib
from typing import TYPE_CHECKING, Any, Callable

from ..errors import EsError
from ..shard_store import OP_INDEX, OP_NOOP, Operation
from .remote import Leader

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..index import Index

log = logging.getLogger(__name__)

CHUNK_DOCS = 10_000
_ATTEMPTS = 5  # then the shard stays unrecovered, as after index.allocation.max_retries failed allocations
_PREFETCH = 2


def _now_ms() -> int:
    return int(time.time() * 1000)


def initial_state(alias: str, leader_index: str, leader_version: str) -> dict[str, Any]:
    """The follower's `index.recovery` record (read by recovery_states for `_recovery`)."""
    return {
        "type": "SNAPSHOT",
        "stage": "INIT",
        "start_time_ms": _now_ms(),
        "source": {"repository": f"_ccr_{alias}", "snapshot": "_latest_", "version": leader_version,
                   "index": leader_index, "restoreUUID": uuidlib.uuid4().hex[:22]},
        "shards": {},
    }


class RemoteRecovery:
    """Copies the leader into `follower`, then calls `on_done(follower, succeeded)` and sets `done`
    (unless cancelled: the follower was deleted)."""

    def __init__(self, cluster: "Cluster", follower: "Index", lease_id: str,
                 on_done: Callable[["Index", bool], None]) -> None:
        self.cluster = cluster
        self.follower = follower
        self.lease_id = lease_id
        self.on_done = on_done
        self.done = threading.Event()
        self.succeeded = False
        self.cancelled = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._run, name=f"ccr-recovery-{self.follower.name}", daemon=True).start()

    def cancel(self) -> None:
        self.cancelled.set()

    def _run(self) -> None:
        try:
            failures = tries = 0
            while failures < _ATTEMPTS:
                tries += 1
                try:
                    self._copy()
                except EsError as exc:
                    # Each failure counts as a failed shard allocation would, except an alias not known
                    # yet: a restarted cluster applies its remote settings in the background.
                    failures += exc.type != "no_such_remote_cluster_exception"
                    log.warning("remote recovery of %s failed (attempt %d): %s", self.follower.name, tries, exc)
                    if self.cancelled.wait(min(0.5 * tries, 5.0)):
                        return
                    continue
                self.succeeded = not self.cancelled.is_set()
                break
        except Exception:  # noqa: BLE001 - a failed copy leaves the follower unrecovered, as a failed restore does
            log.exception("remote recovery of %s failed", self.follower.name)
        finally:
            if not self.cancelled.is_set():
                self.on_done(self.follower, self.succeeded)
            self.done.set()

    def _copy(self) -> None:
        meta = self.follower.ccr or {}
        leader = Leader(self.cluster, meta["remote_cluster"])
        uuid, name = meta["leader_index_uuid"], meta["leader_index"]
        for shard in range(self.follower.number_of_shards):
            leader.add_lease(uuid, name, shard, self.lease_id, 0)  # keep all history until following takes over
        restore = meta.get("restore")
        if restore is None:
            started = leader.restore_start(uuid, name)
            restore = meta["restore"] = {key: [s[key] for s in started["shards"]] for key in ("snapshot_seq_no", "docs", "size_in_bytes")}
            self.follower.persist()
        self._stage("INDEX")
        for shard in range(self.follower.number_of_shards):
            self._copy_shard(leader, uuid, name, shard, restore["snapshot_seq_no"][shard], restore)
            if self.cancelled.is_set():
                return
        self._stage("FINALIZE")
        self._stage("DONE")

    def _copy_shard(self, leader: Leader, uuid: str, name: str, shard: int, at: int, restore: dict[str, Any]) -> None:
        docs, size = restore["docs"][shard], restore["size_in_bytes"][shard]
        progress = self.follower.recovery["shards"].setdefault(str(shard), {
            "stage": "INDEX", "files_total": -(-docs // CHUNK_DOCS), "files_recovered": 0,
            "bytes_total": size, "bytes_recovered": 0})
        held = self.follower.shards[shard].max_seq_no
        if held < at:
            chunks: queue.Queue[Any] = queue.Queue(maxsize=_PREFETCH)
            threading.Thread(target=self._fetch, args=(leader, uuid, name, shard, at, held, chunks), daemon=True).start()
            per_doc = size // max(docs, 1)
            while True:
                chunk = chunks.get()
                if isinstance(chunk, EsError):
                    raise chunk
                if chunk is None or self.cancelled.is_set():
                    break
                ops = [Operation(shard, seq_no, doc_id, OP_INDEX, source, version, term, routing)
                       for seq_no, doc_id, source, version, term, routing in chunk]
                self.follower.bulk_load(shard, ops)
                progress["files_recovered"] = min(progress["files_recovered"] + 1, progress["files_total"])
                progress["bytes_recovered"] = min(progress["bytes_recovered"] + len(ops) * per_doc, size)
            if self.cancelled.is_set():
                return
            if self.follower.shards[shard].max_seq_no < at:
                # The copy holds the shard's history up to the copy point: mark it so following starts after it.
                self.follower.bulk_load(shard, [Operation(shard, at, None, OP_NOOP, None, 1, 1)])
        progress.update(stage="DONE", files_recovered=progress["files_total"], bytes_recovered=size, stop_time_ms=_now_ms())
        self.follower.persist()

    def _fetch(self, leader: Leader, uuid: str, name: str, shard: int, at: int, after: int, chunks: queue.Queue) -> None:
        try:
            while not self.cancelled.is_set():
                answer = leader.restore_chunk(uuid, name, shard, at, after, CHUNK_DOCS)
                if answer["docs"]:
                    chunks.put(answer["docs"])
                    after = answer["docs"][-1][0]
                if answer["done"]:
                    break
            chunks.put(None)
        except EsError as exc:
            chunks.put(exc)

    def _stage(self, stage: str) -> None:
        state = self.follower.recovery
        state["stage"] = stage
        if stage == "DONE":
            state["stop_time_ms"] = _now_ms()
        self.follower.persist()
