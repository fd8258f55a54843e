"""One follower shard replaying its leader shard (ShardFollowNodeTask), and the stats it reports.

A reader thread long-polls the leader for operations after the last one read and fills the write
buffer; a writer thread applies buffered operations in seq_no order. Transient failures are retried
with exponential backoff and listed in `read_exceptions`; anything else stops the task with a
`fatal_exception`. The leader's mapping, settings and aliases are copied when their versions move.
"""

from __future__ import annotations

import collections
import logging
import random
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from ..errors import EsError
from ..shard_store import Operation
from . import errors as ccr_errors
from . import replicated
from .parameters import FollowParameters
from .remote import Leader
from .xcontent import human_bytes, human_millis

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..index import Index

log = logging.getLogger(__name__)

_DELAY_MS = 50  # ShardFollowNodeTask.DELAY_MILLIS, the backoff step
# Python objects weigh several times the estimated operation size: keep the buffer to a few reads
# whatever max_write_buffer_count allows, so a large backlog streams through bounded memory.
_BUFFER_READS = 4


def backoff_ms(retry: int, max_delay_ms: int) -> int:
    """ShardFollowNodeTask.computeDelay: a random step count below 2^(retry-1), capped."""
    steps = random.randint(0, 2 ** (min(max(retry, 1), 24) - 1))
    return min(steps * _DELAY_MS, max_delay_ms)


class ShardFollowTask:
    def __init__(self, cluster: "Cluster", follower: "Index", shard_id: int, params: FollowParameters) -> None:
        meta = follower.ccr or {}
        self.cluster = cluster
        self.follower = follower
        self.shard_id = shard_id
        self.params = params
        self.alias: str = meta["remote_cluster"]
        self.leader_index: str = meta["leader_index"]
        self.leader_uuid: str = meta["leader_index_uuid"]
        self.stopped = threading.Event()
        self.fatal: EsError | None = None
        self._cond = threading.Condition()
        self._buffer: collections.deque[tuple[Operation, int]] = collections.deque()
        self._buffer_bytes = 0
        checkpoint = follower.shards[shard_id].global_checkpoint
        self.leader_checkpoint = self.leader_max_seq_no = checkpoint
        self.last_requested = checkpoint
        self.outstanding_reads = self.outstanding_writes = 0
        self.versions = {"mapping": 0, "settings": 0, "aliases": 0}
        self.read_exceptions: collections.OrderedDict[int, tuple[int, EsError]] = collections.OrderedDict()
        self.counters = collections.Counter()
        self.last_fetch: float | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        name = f"ccr-{self.follower.name}-{self.shard_id}"
        threading.Thread(target=self._guard, args=(self._read_loop,), name=f"{name}-read", daemon=True).start()
        threading.Thread(target=self._guard, args=(self._write_loop,), name=f"{name}-write", daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()
        with self._cond:
            self._cond.notify_all()

    @property
    def running(self) -> bool:
        return not self.stopped.is_set() and self.fatal is None and not self.cluster.stopping.is_set()

    def _guard(self, loop: Callable[[], None]) -> None:
        try:
            loop()
        except Exception as exc:  # noqa: BLE001 - a bug must show as the task's failure, not vanish
            log.exception("shard follow task %s[%s] failed", self.follower.name, self.shard_id)
            self._fail(EsError(500, "es_sandbox_internal_error", f"{type(exc).__name__}: {exc}"))

    def _fail(self, error: EsError) -> None:
        log.warning("shard follow task %s[%s] stopped: %s", self.follower.name, self.shard_id, error)
        self.fatal = error
        with self._cond:
            self._cond.notify_all()

    def _retry_or_fail(self, error: EsError, retry: int) -> bool:
        """Sleep before the next attempt of a transient failure; False when the task must stop."""
        if not ccr_errors.is_retryable(error):
            self._fail(error)
            return False
        self.stopped.wait(backoff_ms(retry, self.params.millis("max_retry_delay")) / 1000)
        return self.running

    def leader(self) -> Leader:
        return Leader(self.cluster, self.alias)

    # --- reading ------------------------------------------------------------------------------

    def _read_loop(self) -> None:
        if not self._sync_metadata(None):
            return
        from_seq_no = self.follower.shards[self.shard_id].global_checkpoint + 1
        max_ops = self.params.count("max_read_request_operation_count")
        while self.running:
            if not self._wait_for_buffer_room(max_ops):
                return
            if from_seq_no <= self.leader_checkpoint:
                self.last_requested = max(self.last_requested, min(self.leader_checkpoint, from_seq_no + max_ops - 1))
            response = self._fetch(from_seq_no, max_ops)
            if response is None:
                continue
            self.leader_checkpoint = max(self.leader_checkpoint, response["global_checkpoint"])
            self.leader_max_seq_no = max(self.leader_max_seq_no, response["max_seq_no"])
            if not self._sync_metadata(response):
                return
            ops = response["ops"]
            if ops:
                self._buffer_ops(ops, response["bytes"])
                from_seq_no = ops[-1][0] + 1
                self.last_requested = max(self.last_requested, ops[-1][0])

    def _wait_for_buffer_room(self, max_ops: int) -> bool:
        limit_count = min(self.params.count("max_write_buffer_count"), _BUFFER_READS * max_ops)
        limit_bytes = self.params.size_bytes("max_write_buffer_size")
        with self._cond:
            while self.running and (len(self._buffer) > limit_count or self._buffer_bytes >= limit_bytes):
                self._cond.wait(0.5)
        return self.running

    def _fetch(self, from_seq_no: int, max_ops: int) -> dict[str, Any] | None:
        started = time.monotonic()
        self.last_fetch = started
        self.outstanding_reads = 1
        try:
            response = self.leader().shard_changes(
                self.leader_uuid, self.leader_index, self.shard_id, from_seq_no, max_ops,
                self.params.millis("read_poll_timeout"), self.params.size_bytes("max_read_request_size"))
        except EsError as exc:
            self.outstanding_reads = 0
            self.counters["total_read_time_millis"] += int((time.monotonic() - started) * 1000)
            self.counters["failed_read_requests"] += 1
            # `retries` counts the retries scheduled for this read, as ShardFollowNodeTask's counter does.
            with self._cond:
                retry = self.read_exceptions.get(from_seq_no, (0, exc))[0] + ccr_errors.is_retryable(exc)
                self.read_exceptions[from_seq_no] = (retry, exc)
                while len(self.read_exceptions) > self.params.count("max_outstanding_read_requests"):
                    self.read_exceptions.popitem(last=False)
            self._retry_or_fail(exc, retry)
            return None
        self.outstanding_reads = 0
        with self._cond:
            self.read_exceptions.pop(from_seq_no, None)
        if response["ops"]:  # polls that found nothing do not count as reads
            self.counters["total_read_remote_exec_time_millis"] += response["took_in_millis"]
            self.counters["total_read_time_millis"] += int((time.monotonic() - started) * 1000)
            self.counters["successful_read_requests"] += 1
            self.counters["operations_read"] += len(response["ops"])
            self.counters["bytes_read"] += response["bytes"]
        return response

    def _buffer_ops(self, ops: list[list[Any]], size: int) -> None:
        each = size // len(ops)
        with self._cond:
            for seq_no, kind, doc_id, source, version, term, routing in ops:
                self._buffer.append((Operation(self.shard_id, seq_no, doc_id, kind, source, version, term, routing), each))
            self._buffer_bytes += each * len(ops)
            self._cond.notify_all()

    def _sync_metadata(self, response: dict[str, Any] | None) -> bool:
        """Copy the leader's aliases, settings and mapping when a response shows newer versions
        (all of them at start); retried like reads, fatal when the copy itself is refused."""
        wanted = {k: (response or {}).get(f"{k}_version", 0) for k in self.versions}
        if response is not None and all(wanted[k] <= self.versions[k] for k in wanted):
            return True
        retry = 0
        while self.running:
            try:
                meta = self.leader().index_metadata(self.leader_index)
                replicated.sync_aliases(self.follower, meta["aliases"])
                replicated.sync_settings(self.cluster, self.follower, meta["settings"])
                typed = self.cluster.version.has_mapping_types
                replicated.sync_mappings(self.follower, meta["mappings"], meta.get("mapping_type") if typed else None)
            except EsError as exc:
                retry += 1
                if not self._retry_or_fail(exc, retry):
                    return False
                continue
            self.versions = {"mapping": meta["mapping_version"], "settings": meta["settings_version"],
                             "aliases": meta["aliases_version"]}
            return True
        return False

    # --- writing ------------------------------------------------------------------------------

    def _write_loop(self) -> None:
        while self.running:
            batch = self._take_batch()
            if not batch:
                continue
            ops = [op for op, _ in batch]
            retry = 0
            while self.running:
                started = time.monotonic()
                try:
                    self._apply(ops)
                except EsError as exc:
                    self.counters["total_write_time_millis"] += int((time.monotonic() - started) * 1000)
                    self.counters["failed_write_requests"] += 1
                    retry += 1
                    if not self._retry_or_fail(exc, retry):
                        return
                    continue
                self.counters["total_write_time_millis"] += int((time.monotonic() - started) * 1000)
                self.counters["successful_write_requests"] += 1
                self.counters["operations_written"] += len(ops)
                break
            with self._cond:
                self.outstanding_writes = 0
                self._cond.notify_all()

    def _take_batch(self) -> list[tuple[Operation, int]]:
        max_ops = self.params.count("max_write_request_operation_count")
        max_bytes = self.params.size_bytes("max_write_request_size")
        with self._cond:
            while self.running and not self._buffer:
                self._cond.wait(0.5)
            batch, size = [], 0
            while self._buffer and len(batch) < max_ops:
                op, weight = self._buffer.popleft()
                batch.append((op, weight))
                size += weight
                if size > max_bytes:
                    break
            self._buffer_bytes -= size
            self.outstanding_writes = 1 if batch else 0
            self._cond.notify_all()
        return batch

    def _apply(self, ops: list[Operation]) -> None:
        shard = self.follower.shards[self.shard_id]
        if ops[0].seq_no > shard.max_seq_no + 1:
            raise EsError(500, "illegal_state_exception",
                          f"operations from [{ops[0].seq_no}] would leave a gap after [{shard.max_seq_no}]")
        self.follower.apply_replicated(self.shard_id, ops)

    # --- stats --------------------------------------------------------------------------------

    def status(self, human: bool = False) -> dict[str, Any]:
        """ShardFollowNodeTaskStatus, field for field."""
        shard = self.follower.shards[self.shard_id]
        since = int((time.monotonic() - self.last_fetch) * 1000) if self.last_fetch is not None else -1
        c = self.counters
        out: dict[str, Any] = {
            "remote_cluster": self.alias,
            "leader_index": self.leader_index,
            "follower_index": self.follower.name,
            "shard_id": self.shard_id,
            "leader_global_checkpoint": self.leader_checkpoint,
            "leader_max_seq_no": self.leader_max_seq_no,
            "follower_global_checkpoint": shard.global_checkpoint,
            "follower_max_seq_no": shard.max_seq_no,
            "last_requested_seq_no": self.last_requested,
            "outstanding_read_requests": self.outstanding_reads,
            "outstanding_write_requests": self.outstanding_writes,
            "write_buffer_operation_count": len(self._buffer),
        }
        _human(out, human, "write_buffer_size", human_bytes(self._buffer_bytes), "write_buffer_size_in_bytes", self._buffer_bytes)
        out["follower_mapping_version"] = self.versions["mapping"]
        out["follower_settings_version"] = self.versions["settings"]
        out["follower_aliases_version"] = self.versions["aliases"]
        _human(out, human, "total_read_time", human_millis(c["total_read_time_millis"]), "total_read_time_millis",
               c["total_read_time_millis"])
        _human(out, human, "total_read_remote_exec_time", human_millis(c["total_read_remote_exec_time_millis"]),
               "total_read_remote_exec_time_millis", c["total_read_remote_exec_time_millis"])
        out["successful_read_requests"] = c["successful_read_requests"]
        out["failed_read_requests"] = c["failed_read_requests"]
        out["operations_read"] = c["operations_read"]
        _human(out, human, "total_read", human_bytes(c["bytes_read"]), "bytes_read", c["bytes_read"])
        _human(out, human, "total_write_time", human_millis(c["total_write_time_millis"]), "total_write_time_millis",
               c["total_write_time_millis"])
        out["successful_write_requests"] = c["successful_write_requests"]
        out["failed_write_requests"] = c["failed_write_requests"]
        out["operations_written"] = c["operations_written"]
        with self._cond:
            failures = sorted(self.read_exceptions.items())
        out["read_exceptions"] = [
            {"from_seq_no": seq_no, "retries": retries, "exception": error.fragment()} for seq_no, (retries, error) in failures
        ]
        _human(out, human, "time_since_last_read", human_millis(since), "time_since_last_read_millis", since)
        if self.fatal is not None:
            out["fatal_exception"] = self.fatal.fragment()
        return out


def _human(out: dict[str, Any], human: bool, readable: str, text: str, raw: str, value: int) -> None:
    """XContentBuilder.humanReadableField: the readable form first, only with ?human."""
    if human:
        out[readable] = text
    out[raw] = value
