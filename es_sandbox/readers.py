"""Open readers: the point-in-time and scroll contexts of a practice cluster (`cluster.services["readers"]`).

A reader holds, for each shard it covers, a shard context: a numeric id (what Elasticsearch names in
"No search context found for id [N]") and the refresh point the shard is read at. The points are
registered in `index.open_readers` so that merges keep every document version a reader still sees,
and removed when the reader is freed, expires or its index is closed or deleted (Elasticsearch frees
the contexts of a removed shard).

A reader expires `keep_alive` after its last use. Elasticsearch's reaper runs once a minute, so it may
keep an expired context a little longer; here each lookup checks expiry itself and a reaper frees
expired readers every second, so a practice cluster is never kinder.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import errors, shard_routing
from .cluster_settings_registry import ClusterSetting, int_setting, register, time_setting
from .humanize import time_value
from .units import parse_time_millis

if TYPE_CHECKING:
    from .cluster import Cluster
    from .index import Index

MAX_KEEP_ALIVE = "search.max_keep_alive"
MAX_OPEN_SCROLL_CONTEXT = "search.max_open_scroll_context"
for _setting in (ClusterSetting(MAX_KEEP_ALIVE, "24h", True, time_setting),
                 ClusterSetting("search.default_keep_alive", "5m", True, time_setting),
                 ClusterSetting(MAX_OPEN_SCROLL_CONTEXT, "500", True, int_setting(0))):
    register(_setting)

_UNCONSTRAINED = 2**62  # the point given for a shard a reader does not cover: it holds nothing back
_REAP_EVERY_S = 1.0


def time_param(value: str, name: str) -> int:
    """A time value from a URL parameter or body (TimeValue.parseTimeValue): parse_exception when malformed."""
    try:
        return parse_time_millis(value, name)
    except errors.EsError as exc:
        raise errors.EsError(400, "parse_exception", exc.reason, caused_by=exc.caused_by) from None


@dataclass
class ShardContext:
    id: int
    index: "Index"
    shard_id: int
    seq_no: int  # the refresh point this shard is read at
    node_id: str


@dataclass
class Reader:
    key: str
    kind: str  # "pit" or "scroll"
    contexts: list[ShardContext]
    keep_alive_ms: int
    last_used: float = field(default_factory=time.monotonic)
    state: dict[str, Any] = field(default_factory=dict)  # what a scroll needs between rounds
    registered: dict[str, "Index"] = field(default_factory=dict)  # indices whose open_readers name it
    lock: threading.Lock = field(default_factory=threading.Lock)  # one round of a scroll at a time

    def expired(self, now: float) -> bool:
        return now - self.last_used > self.keep_alive_ms / 1000.0


def context_missing(context_id: int) -> errors.EsError:
    return errors.EsError(404, "search_context_missing_exception", f"No search context found for id [{context_id}]")


class Readers:
    def __init__(self, cluster: "Cluster") -> None:
        self.cluster = cluster
        self._lock = threading.Lock()
        self._readers: dict[str, Reader] = {}
        self._by_context: dict[int, Reader] = {}
        self._ids = itertools.count(1)
        cluster.listeners.append(self._on_event)

    # --- opening ------------------------------------------------------------------------------

    def check_keep_alive(self, keep_alive_ms: int) -> None:
        """SearchService.checkKeepAliveLimit (a shard-level check: callers report it per shard)."""
        limit = parse_time_millis(self.cluster.cluster_setting(MAX_KEEP_ALIVE, "24h"), MAX_KEEP_ALIVE)
        if keep_alive_ms > limit:
            raise errors.java_exception(
                "illegal_argument_exception",
                f"Keep alive for request ({time_value(keep_alive_ms)}) is too large. It must be less than "
                f"({time_value(limit)}). This limit can be set by changing the [{MAX_KEEP_ALIVE}] cluster level setting.")

    def open(self, kind: str, shards: list[tuple["Index", int]], keep_alive_ms: int) -> Reader:
        """A reader over (index, shard id) pairs, each frozen at the shard's last refresh."""
        with self._lock, contextlib.ExitStack() as held:
            if kind == "scroll":
                self._check_scroll_limit(shards)
            # A merge computes what readers keep under the index's write lock: read the points and
            # register them under it too, so no merge runs in between.
            for index in sorted({i.uuid: i for i, _ in shards}.values(), key=lambda i: i.uuid):
                held.enter_context(index.store.write_lock)
            contexts = []
            for index, shard_id in shards:
                contexts.append(ShardContext(next(self._ids), index, shard_id, index.shards[shard_id].refreshed_seq_no,
                                             primary_node(self.cluster, index, shard_id)))
            reader = Reader(f"{kind}:{contexts[0].id if contexts else next(self._ids)}", kind, contexts, keep_alive_ms)
            self._readers[reader.key] = reader
            for context in contexts:
                self._by_context[context.id] = reader
            self._register_points(reader)
        return reader

    def _check_scroll_limit(self, shards: list[tuple["Index", int]]) -> None:
        limit = int(self.cluster.cluster_setting(MAX_OPEN_SCROLL_CONTEXT, "500"))
        open_per_node: dict[str, int] = {}
        for reader in self._readers.values():
            if reader.kind == "scroll":
                for context in reader.contexts:
                    open_per_node[context.node_id] = open_per_node.get(context.node_id, 0) + 1
        for index, shard_id in shards:
            node = primary_node(self.cluster, index, shard_id)
            if open_per_node.get(node, 0) >= limit:
                raise errors.EsError(
                    500, "exception", f"Trying to create too many scroll contexts. Must be less than or equal to: "
                    f"[{limit}]. This limit can be set by changing the [{MAX_OPEN_SCROLL_CONTEXT}] setting.")
            open_per_node[node] = open_per_node.get(node, 0) + 1

    # --- using --------------------------------------------------------------------------------

    def lookup(self, context_ids: list[int]) -> tuple[list[ShardContext], list[int]]:
        """The live contexts among `context_ids`, and the ids no longer open. Each use renews them."""
        self.reap()
        found, missing = [], []
        now = time.monotonic()
        with self._lock:
            for context_id in context_ids:
                reader = self._by_context.get(context_id)
                context = next((c for c in reader.contexts if c.id == context_id), None) if reader else None
                if context is None:
                    missing.append(context_id)
                else:
                    reader.last_used = now
                    found.append(context)
        return found, missing

    def reader_of(self, context_id: int) -> Reader | None:
        with self._lock:
            return self._by_context.get(context_id)

    def renew(self, contexts: list[ShardContext], keep_alive_ms: int) -> None:
        with self._lock:
            for reader in {id(r): r for r in (self._by_context.get(c.id) for c in contexts) if r}.values():
                reader.keep_alive_ms = keep_alive_ms
                reader.last_used = time.monotonic()

    # --- freeing ------------------------------------------------------------------------------

    def free_contexts(self, context_ids: list[int]) -> int:
        """Frees the given shard contexts; the number actually freed."""
        freed = 0
        with self._lock:
            for context_id in context_ids:
                reader = self._by_context.pop(context_id, None)
                if reader is None:
                    continue
                reader.contexts = [c for c in reader.contexts if c.id != context_id]
                freed += 1
                self._register_points(reader)
                if not reader.contexts:
                    self._readers.pop(reader.key, None)
        return freed

    def free_all(self, kind: str) -> int:
        with self._lock:
            ids = [c.id for r in self._readers.values() if r.kind == kind for c in r.contexts]
        return self.free_contexts(ids)

    def reap(self) -> None:
        now = time.monotonic()
        with self._lock:
            expired = [r for r in self._readers.values() if r.expired(now)]
            for reader in expired:
                if not reader.contexts:  # a point in time over no shard
                    self._readers.pop(reader.key, None)
        ids = [c.id for r in expired for c in r.contexts]
        if ids:
            self.free_contexts(ids)

    def open_contexts(self, kind: str | None = None) -> int:
        with self._lock:
            return sum(len(r.contexts) for r in self._readers.values() if kind in (None, r.kind))

    def start(self) -> None:
        def loop() -> None:
            while not self.cluster.stopping.wait(_REAP_EVERY_S):
                self.reap()

        threading.Thread(target=loop, daemon=True, name="reader-reaper").start()

    # --- bookkeeping --------------------------------------------------------------------------

    def _register_points(self, reader: Reader) -> None:
        """Mirrors the reader's refresh points into `index.open_readers` (callers hold the lock)."""
        by_index: dict[str, tuple["Index", list[int]]] = {}
        for context in reader.contexts:
            index, points = by_index.setdefault(
                context.index.uuid, (context.index, [_UNCONSTRAINED] * context.index.number_of_shards))
            points[context.shard_id] = min(points[context.shard_id], context.seq_no)
        # Copy-on-write: a merge may be iterating the old dict on another thread.
        for uuid, index in reader.registered.items():
            if uuid not in by_index:
                index.open_readers = {k: v for k, v in index.open_readers.items() if k != reader.key}
        for index, points in by_index.values():
            index.open_readers = {**index.open_readers, reader.key: points}
        reader.registered = {index.uuid: index for index, _ in by_index.values()}

    def _on_event(self, event: str, payload: Any) -> None:
        if event in ("index_deleted", "index_closed"):
            with self._lock:
                ids = [c.id for r in self._readers.values() for c in r.contexts if c.index.uuid == payload.uuid]
            self.free_contexts(ids)


def primary_node(cluster: "Cluster", index: "Index", shard_id: int) -> str:
    """The id of the node holding the shard's primary, where Elasticsearch keeps its search contexts."""
    for copy in shard_routing.copies(cluster.config, index):
        if copy.shard == shard_id and copy.primary and copy.node is not None:
            return copy.node.id
    return "_na_"


def register(cluster: "Cluster") -> Readers:
    readers = Readers(cluster)
    cluster.services["readers"] = readers
    cluster.__dict__.setdefault("starters", []).append(readers.start)
    return readers
