"""Per-shard numbers behind _stats, _nodes/stats and the _cat tables, and their JSON shapes.

What is measured: documents visible to searches (as of the last refresh), soft-deleted versions
still held, the store size (the index file, shared out by shard), sequence numbers, and indexing
totals derived from the history (every operation takes one seq_no; deletes are counted from the
tombstones still held). Counters a practice cluster does not keep (search, get, merges, caches...)
are reported as zero rather than invented.

`common_stats()` renders Elasticsearch's CommonStats object for the requested metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from . import shard_routing
from .humanize import Fields

if TYPE_CHECKING:
    from .cluster import Cluster
    from .index import Index

# Metric names accepted in /_stats/{metric}, each with the key it is rendered under.
METRICS = {
    "docs": "docs", "store": "store", "indexing": "indexing", "get": "get", "search": "search",
    "merge": "merges", "refresh": "refresh", "flush": "flush", "warmer": "warmer",
    "query_cache": "query_cache", "fielddata": "fielddata", "completion": "completion",
    "segments": "segments", "translog": "translog", "request_cache": "request_cache",
    "recovery": "recovery", "bulk": "bulk", "shard_stats": "shard_stats", "mappings": "mappings",
    "dense_vector": "dense_vector", "sparse_vector": "sparse_vector",
}


@dataclass
class ShardNumbers:
    docs: int = 0
    deleted: int = 0
    store_bytes: int = 0
    index_total: int = 0
    delete_total: int = 0
    max_seq_no: int = -1
    global_checkpoint: int = -1
    shards: int = 0
    fields: int = 0

    def add(self, other: "ShardNumbers") -> "ShardNumbers":
        return ShardNumbers(
            self.docs + other.docs, self.deleted + other.deleted, self.store_bytes + other.store_bytes,
            self.index_total + other.index_total, self.delete_total + other.delete_total,
            max(self.max_seq_no, other.max_seq_no), max(self.global_checkpoint, other.global_checkpoint),
            self.shards + other.shards, self.fields + other.fields,
        )


def measure(index: "Index") -> list[ShardNumbers]:
    """One ShardNumbers per shard of an open index (a primary's view; replicas hold the same)."""
    counts = [index.store.visible_count(s.shard_id, s.refreshed_seq_no) for s in index.shards]
    deleted = [index.store.deleted_count(s.shard_id) for s in index.shards]
    tombstones = [index.store.tombstone_count(s.shard_id) for s in index.shards]
    size = index.store.size_in_bytes()
    fields = len(index.mappings.leaf_paths())
    out = []
    for s, count, gone, deletes in zip(index.shards, counts, deleted, tombstones):
        out.append(ShardNumbers(
            docs=count, deleted=gone, store_bytes=size // len(index.shards),
            index_total=s.max_seq_no + 1 - deletes, delete_total=deletes,
            max_seq_no=s.max_seq_no, global_checkpoint=s.global_checkpoint, shards=1, fields=fields,
        ))
    return out


def total(numbers: Iterable[ShardNumbers]) -> ShardNumbers:
    out = ShardNumbers()
    for n in numbers:
        out = out.add(n)
    return out


def common_stats(n: ShardNumbers, metrics: Iterable[str], human: bool) -> dict[str, Any]:
    """CommonStats.toXContent for the given metric names (keys of METRICS), in Elasticsearch's order."""
    wanted = set(metrics)
    out: dict[str, Any] = {}
    for name, key in METRICS.items():
        if name in wanted:
            out[key] = _RENDER[name](n, human)
    return out


def _docs(n: ShardNumbers, human: bool) -> dict[str, Any]:
    return Fields(human).put("count", n.docs).put("deleted", n.deleted).bytes(
        "total_size_in_bytes", "total_size", n.store_bytes if n.docs else 0).out


def _store(n: ShardNumbers, human: bool) -> dict[str, Any]:
    return (Fields(human).bytes("size_in_bytes", "size", n.store_bytes)
            .bytes("total_data_set_size_in_bytes", "total_data_set_size", n.store_bytes)
            .bytes("reserved_in_bytes", "reserved", 0).out)


def _indexing(n: ShardNumbers, human: bool) -> dict[str, Any]:
    f = Fields(human).put("index_total", n.index_total).millis("index_time_in_millis", "index_time", 0)
    f.put("index_current", 0).put("index_failed", 0).put("delete_total", n.delete_total)
    f.millis("delete_time_in_millis", "delete_time", 0).put("delete_current", 0).put("noop_update_total", 0)
    f.put("is_throttled", False).millis("throttle_time_in_millis", "throttle_time", 0)
    return f.put("write_load", 0.0).out


def _zeros(*keys: str) -> Any:
    def render(n: ShardNumbers, human: bool) -> dict[str, Any]:
        f = Fields(human)
        for key in keys:
            if key.endswith("_in_millis"):
                f.millis(key, key[: -len("_in_millis")], 0)
            elif key.endswith("_in_bytes"):
                f.bytes(key, key[: -len("_in_bytes")], 0)
            else:
                f.put(key, 0)
        return f.out

    return render


def _fielddata(n: ShardNumbers, human: bool) -> dict[str, Any]:
    f = Fields(human).bytes("memory_size_in_bytes", "memory_size", 0).put("evictions", 0)
    return f.put("global_ordinals", Fields(human).millis("build_time_in_millis", "build_time", 0).out).out


def _segments(n: ShardNumbers, human: bool) -> dict[str, Any]:
    f = Fields(human).put("count", n.shards if n.docs else 0)
    for key in ("memory", "terms_memory", "stored_fields_memory", "term_vectors_memory", "norms_memory",
                "points_memory", "doc_values_memory", "index_writer_memory", "version_map_memory",
                "fixed_bit_set"):
        f.bytes(f"{key}_in_bytes", key, 0)
    return f.put("max_unsafe_auto_id_timestamp", -1).put("file_sizes", {}).out


def _translog(n: ShardNumbers, human: bool) -> dict[str, Any]:
    return (Fields(human).put("operations", 0).bytes("size_in_bytes", "size", 0)
            .put("uncommitted_operations", 0).bytes("uncommitted_size_in_bytes", "uncommitted_size", 0)
            .put("earliest_last_modified_age", 0).out)


def _shard_stats(n: ShardNumbers, human: bool) -> dict[str, Any]:
    return {"total_count": n.shards}


def _mappings(n: ShardNumbers, human: bool) -> dict[str, Any]:
    return (Fields(human).put("total_count", n.fields)
            .bytes("total_estimated_overhead_in_bytes", "total_estimated_overhead", n.fields * 1024)
            .put("total_segments", n.shards if n.docs else 0).put("total_segment_fields", 0)
            .put("average_fields_per_segment", 0).out)


_RENDER = {
    "docs": _docs,
    "store": _store,
    "indexing": _indexing,
    "get": _zeros("total", "time_in_millis", "exists_total", "exists_time_in_millis", "missing_total",
                  "missing_time_in_millis", "current"),
    "search": _zeros("open_contexts", "query_total", "query_time_in_millis", "query_current", "fetch_total",
                     "fetch_time_in_millis", "fetch_current", "scroll_total", "scroll_time_in_millis",
                     "scroll_current", "suggest_total", "suggest_time_in_millis", "suggest_current"),
    "merge": _zeros("current", "current_docs", "current_size_in_bytes", "total", "total_time_in_millis",
                    "total_docs", "total_size_in_bytes", "total_stopped_time_in_millis",
                    "total_throttled_time_in_millis", "total_auto_throttle_in_bytes"),
    "refresh": _zeros("total", "total_time_in_millis", "external_total", "external_total_time_in_millis",
                      "listeners"),
    "flush": _zeros("total", "periodic", "total_time_in_millis", "total_time_excluding_waiting_on_lock_in_millis"),
    "warmer": _zeros("current", "total", "total_time_in_millis"),
    "query_cache": _zeros("memory_size_in_bytes", "total_count", "hit_count", "miss_count", "cache_size",
                          "cache_count", "evictions"),
    "fielddata": _fielddata,
    "completion": _zeros("size_in_bytes"),
    "segments": _segments,
    "translog": _translog,
    "request_cache": _zeros("memory_size_in_bytes", "evictions", "hit_count", "miss_count"),
    "recovery": _zeros("current_as_source", "current_as_target", "throttle_time_in_millis"),
    "bulk": _zeros("total_operations", "total_time_in_millis", "total_size_in_bytes", "avg_time_in_millis",
                   "avg_size_in_bytes"),
    "shard_stats": _shard_stats,
    "mappings": _mappings,
    "dense_vector": _zeros("value_count"),
    "sparse_vector": _zeros("value_count"),
}


def per_node(cluster: "Cluster") -> dict[str, ShardNumbers]:
    """The numbers of the started shard copies each data node holds (open indices)."""
    out = {n.id: ShardNumbers() for n in cluster.config.nodes}
    for index in list(cluster.indices.values()):
        if not index.is_open:
            continue
        numbers = measure(index)
        for copy in shard_routing.copies(cluster.config, index):
            if copy.node is not None and copy.active:
                out[copy.node.id] = out[copy.node.id].add(numbers[copy.shard])
    return out
