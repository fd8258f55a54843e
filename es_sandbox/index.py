"""One index of a practice cluster: metadata, shards, and the document operations on them.

Sequence numbers are assigned per shard under the index's write lock, so each shard's history is
contiguous and its global checkpoint equals its max seq_no (data is stored once; replicas are only
reported). Searches see a shard as of its last refresh; GET by id is realtime.
"""

from __future__ import annotations

import base64
import itertools
import os
import threading
import time
import uuid as uuidlib
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

from . import errors, index_settings
from .mapping import Mappings
from .shard_store import OP_DELETE, OP_INDEX, LiveRow, Operation, ShardStore
from .units import parse_time_millis

_id_counter = itertools.count()
_NODE_BYTES = os.urandom(6)  # what Elasticsearch's time-based ids take from the MAC address


def auto_id() -> str:
    """A 20-character, URL-safe, time-based id like Elasticsearch's auto-generated ones."""
    sequence = next(_id_counter) & 0xFFFFFF
    raw = int(time.time() * 1000).to_bytes(6, "big") + sequence.to_bytes(3, "big") + _NODE_BYTES
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def shard_for(doc_id: str, routing: str | None, number_of_shards: int) -> int:
    return zlib.crc32((routing or doc_id).encode()) % number_of_shards


@dataclass
class RetentionLease:
    id: str
    retaining_seq_no: int
    timestamp: int  # epoch millis of the last renewal
    source: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "retaining_seq_no": self.retaining_seq_no, "timestamp": self.timestamp, "source": self.source}


@dataclass
class Shard:
    shard_id: int
    max_seq_no: int = -1
    refreshed_seq_no: int = -1
    leases: dict[str, RetentionLease] = field(default_factory=dict)
    changed: threading.Condition = field(default_factory=threading.Condition)
    refreshed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def global_checkpoint(self) -> int:
        return self.max_seq_no

    def notify_written(self) -> None:
        with self.changed:
            self.changed.notify_all()


@dataclass
class WriteResult:
    doc_id: str
    shard: int
    seq_no: int
    version: int
    result: str  # created / updated / deleted / not_found / noop
    primary_term: int = 1


class Index:
    def __init__(self, meta: dict[str, Any], data_dir: str, flavour: str) -> None:
        self.name: str = meta["name"]
        self.uuid: str = meta["uuid"]
        self.settings: dict[str, str] = meta["settings"]
        self.mappings = Mappings.from_body(meta.get("mappings"))
        self.mappings.version = meta.get("mapping_version", 1)
        self.mappings.type_name = meta.get("mapping_type")  # 6.x indices (mapping_types.py)
        self.aliases: dict[str, dict[str, Any]] = meta.get("aliases", {})
        self.state: str = meta.get("state", "open")
        self.ccr: dict[str, Any] | None = meta.get("ccr")  # follower metadata, None for a plain index
        self.settings_version: int = meta.get("settings_version", 1)
        self.aliases_version: int = meta.get("aliases_version", 1)
        self.recovery: dict[str, Any] = meta.get("recovery", {"type": "EMPTY_STORE"})
        self.flavour = flavour
        self.path = os.path.join(data_dir, "indices", f"{self.uuid}.sqlite")
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.store = ShardStore(self.path, self.number_of_shards)
        maxes = self.store.max_seq_nos()
        self.shards = [Shard(i, maxes.get(i, -1), maxes.get(i, -1)) for i in range(self.number_of_shards)]
        for shard_id, leases in meta.get("leases", {}).items():
            self.shards[int(shard_id)].leases = {l["id"]: RetentionLease(**l) for l in leases}
        self.last_refresh = time.monotonic()
        self.on_metadata_change: Callable[["Index"], None] = lambda index: None
        self.open_readers: dict[str, list[int]] = {}  # PIT / scroll id -> per-shard refresh points

    # --- metadata ---------------------------------------------------------------------------

    def meta(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "uuid": self.uuid,
            "settings": self.settings,
            "mappings": self.mappings.to_body(),
            "mapping_version": self.mappings.version,
            "mapping_type": self.mappings.type_name,
            "aliases": self.aliases,
            "state": self.state,
            "ccr": self.ccr,
            "settings_version": self.settings_version,
            "aliases_version": self.aliases_version,
            "recovery": self.recovery,
            "leases": {str(s.shard_id): [l.as_json() for l in s.leases.values()] for s in self.shards},
        }

    def persist(self) -> None:
        self.on_metadata_change(self)

    def setting(self, key: str) -> str:
        value = self.settings.get(key)
        if value is None:
            # The registered default (what index_settings.defaults() lists), without building that
            # dict: the write path reads settings for every document.
            known = index_settings.lookup(key)
            value = known.default if known is not None and known.default is not None else ""
        return value

    @property
    def number_of_shards(self) -> int:
        return int(self.settings["index.number_of_shards"])

    @property
    def number_of_replicas(self) -> int:
        return int(self.setting("index.number_of_replicas"))

    @property
    def is_follower(self) -> bool:
        return self.setting("index.xpack.ccr.following_index") == "true"

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    def refresh_interval_ms(self) -> int:
        return parse_time_millis(self.setting("index.refresh_interval"), "index.refresh_interval", allow_minus_one=True)

    def check_open(self) -> None:
        if not self.is_open:
            raise errors.index_closed(self.name, self.uuid)

    def write_block(self) -> str | None:
        if self.setting("index.blocks.read_only") == "true":
            return "FORBIDDEN/5/index read-only (api)"
        if self.setting("index.blocks.read_only_allow_delete") == "true":
            return "TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block"
        if self.setting("index.blocks.write") == "true":
            return "FORBIDDEN/8/index write (api)"
        return None

    def check_writable(self, replicated: bool = False) -> None:
        self.check_open()
        block = self.write_block()
        if block is not None and not replicated:
            status = 429 if block.startswith("TOO_MANY") else 403
            raise errors.cluster_block(status, f"index [{self.name}] blocked by: [{block}];")
        if self.is_follower and not replicated:
            raise errors.status(403, "a following engine does not accept operations without an assigned sequence number")

    # --- writes -----------------------------------------------------------------------------

    def _prepare_source(self, doc_id: str, source: Any) -> None:
        if not isinstance(source, dict):
            raise errors.EsError(400, "mapper_parsing_exception", "failed to parse", caused_by=errors.EsError(
                400, "not_x_content_exception", "Compressor detection can only be called on some xcontent bytes or compressed xcontent bytes"))
        if self.mappings.apply_dynamic(doc_id, source):
            self.persist()

    def write_batch(self, requests: list[dict[str, Any]]) -> list[WriteResult | errors.EsError]:
        """Index / create / delete many documents; each request fails or succeeds on its own.

        A request is {"op": "index"|"create"|"delete", "id", "source", "routing", "if_seq_no",
        "if_primary_term", optionally "version" and "version_type"}; results come back in request order.
        """
        self.check_writable()
        results: list[WriteResult | errors.EsError | None] = [None] * len(requests)
        by_shard: dict[int, list[int]] = {}
        for position, req in enumerate(requests):
            if req.get("id") is None:
                req["id"] = auto_id()
                req["auto_id"] = True
            by_shard.setdefault(shard_for(req["id"], req.get("routing"), self.number_of_shards), []).append(position)
        with self.store.write_lock:
            for shard_id, positions in by_shard.items():
                shard = self.shards[shard_id]
                ops: list[Operation] = []
                pending: dict[str, LiveRow | None] = {}
                replaced: set[str] = set()
                for position in positions:
                    req = requests[position]
                    try:
                        results[position] = self._one_write(shard, req, ops, pending, replaced)
                    except errors.EsError as exc:
                        results[position] = exc
                if ops:
                    # Ids looked up and found absent need no supersede step in the store.
                    self.store.apply(ops, new_ids=not replaced)
                    shard.max_seq_no = ops[-1].seq_no
                    shard.notify_written()
        return results  # type: ignore[return-value]

    def _one_write(self, shard: Shard, req: dict[str, Any], ops: list[Operation], pending: dict[str, LiveRow | None],
                   replaced: set[str]) -> WriteResult:
        doc_id = req["id"]
        if req["op"] != "delete":
            self._prepare_source(doc_id, req.get("source"))
        if req.get("auto_id"):
            current = None
        elif doc_id in pending:
            current = pending[doc_id]
        else:
            current = self.store.live(shard.shard_id, doc_id)
            if current is not None:
                replaced.add(doc_id)
        found = current is not None and current.found
        self._check_conditions(doc_id, req, current)
        if req["op"] == "create" and found:
            raise errors.version_conflict(
                self.name, self.uuid, doc_id, f"version conflict, document already exists (current version [{current.version}])"
            )
        version = self._external_version(doc_id, req, current)
        if version is None:
            version = (current.version + 1) if current is not None else 1
        seq_no = (ops[-1].seq_no if ops else shard.max_seq_no) + 1
        routing = req.get("routing")
        if req["op"] == "delete":
            op = Operation(shard.shard_id, seq_no, doc_id, OP_DELETE, None, version, 1, routing)
            result = "deleted" if found else "not_found"
        else:
            op = Operation(shard.shard_id, seq_no, doc_id, OP_INDEX, req["source"], version, 1, routing)
            result = "updated" if found else "created"
        ops.append(op)
        pending[doc_id] = LiveRow(seq_no, op.op, version, 1, op.source, routing)
        return WriteResult(doc_id, shard.shard_id, seq_no, version, result)

    def _external_version(self, doc_id: str, req: dict[str, Any], current: LiveRow | None) -> int | None:
        """VersionType EXTERNAL / EXTERNAL_GTE: the caller's version, refused unless it moves forward."""
        kind, given = req.get("version_type"), req.get("version")
        if kind not in ("external", "external_gt", "external_gte") or given is None:
            return None
        if current is not None:
            if kind == "external_gte" and current.version > given:
                raise errors.version_conflict(self.name, self.uuid, doc_id,
                                              f"version conflict, current version [{current.version}] is higher than the one provided [{given}]")
            if kind != "external_gte" and current.version >= given:
                raise errors.version_conflict(self.name, self.uuid, doc_id,
                                              f"version conflict, current version [{current.version}] is higher or equal to the one provided [{given}]")
        return given

    def _check_conditions(self, doc_id: str, req: dict[str, Any], current: LiveRow | None) -> None:
        if req.get("if_seq_no") is None and req.get("if_primary_term") is None:
            return
        want_seq, want_term = req.get("if_seq_no"), req.get("if_primary_term")
        if current is None or not current.found:
            raise errors.version_conflict(
                self.name, self.uuid, doc_id,
                f"version conflict, required seqNo [{want_seq}], primary term [{want_term}]. but no document was found",
            )
        if current.seq_no != want_seq or current.primary_term != want_term:
            raise errors.version_conflict(
                self.name, self.uuid, doc_id,
                f"version conflict, required seqNo [{want_seq}], primary term [{want_term}]. "
                f"current document has seqNo [{current.seq_no}] and primary term [{current.primary_term}]",
            )

    def apply_replicated(self, shard_id: int, ops: list[Operation]) -> None:
        """A follower's write path: operations keep the leader's seq_no and version."""
        self.check_open()
        with self.store.write_lock:
            shard = self.shards[shard_id]
            fresh = [op for op in ops if op.seq_no > shard.max_seq_no]
            if not fresh:
                return
            self.store.apply(fresh)
            shard.max_seq_no = fresh[-1].seq_no
        shard.notify_written()

    def bulk_load(self, shard_id: int, ops: list[Operation]) -> None:
        """The initial copy of a follower (remote recovery): documents land as the leader has them.

        A copy holds one version per document and resumes after the last one it wrote, so every
        document is new to the follower."""
        with self.store.write_lock:
            self.store.apply(ops, new_ids=True)
            shard = self.shards[shard_id]
            shard.max_seq_no = max(shard.max_seq_no, max(op.seq_no for op in ops))

    # --- reads ------------------------------------------------------------------------------

    def get(self, doc_id: str, routing: str | None = None) -> tuple[int, LiveRow | None]:
        self.check_open()
        shard_id = shard_for(doc_id, routing, self.number_of_shards)
        return shard_id, self.store.live(shard_id, doc_id)

    # --- refresh ----------------------------------------------------------------------------

    def refresh(self) -> None:
        for shard in self.shards:
            with shard.refreshed:
                shard.refreshed_seq_no = shard.max_seq_no
                shard.refreshed.notify_all()
        self.last_refresh = time.monotonic()

    def wait_for_refresh(self, shard_id: int, seq_no: int, timeout_s: float = 30.0) -> None:
        shard = self.shards[shard_id]
        deadline = time.monotonic() + timeout_s
        with shard.refreshed:
            while shard.refreshed_seq_no < seq_no:
                if self.refresh_interval_ms() < 0:
                    break  # refresh disabled: Elasticsearch forces one when a listener would wait forever
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                shard.refreshed.wait(remaining)
        if shard.refreshed_seq_no < seq_no:
            self.refresh()

    # --- history ----------------------------------------------------------------------------

    def retained_from(self, shard: Shard) -> int:
        """The lowest seq_no the shard must keep: leases and index.soft_deletes.retention.operations."""
        operations = int(self.setting("index.soft_deletes.retention.operations"))
        keep = shard.global_checkpoint + 1 - operations
        for lease in shard.leases.values():
            keep = min(keep, lease.retaining_seq_no)
        return max(keep, 0)

    def expire_leases(self, now_ms: int) -> bool:
        period = parse_time_millis(self.setting("index.soft_deletes.retention_lease.period"), "period")
        expired = False
        for shard in self.shards:
            for lease_id, lease in list(shard.leases.items()):
                if lease.source == "ccr" and now_ms - lease.timestamp > period:
                    del shard.leases[lease_id]
                    expired = True
        if expired:
            self.persist()
        return expired

    def merge(self) -> int:
        """A merge: drops superseded versions and tombstones that no lease or open reader retains."""
        removed = 0
        with self.store.write_lock:
            for shard in self.shards:
                readers = [points[shard.shard_id] for points in self.open_readers.values()]
                oldest_reader = min([shard.refreshed_seq_no, *readers])
                removed += self.store.trim(shard.shard_id, self.retained_from(shard), oldest_reader)
        return removed

    def close_store(self) -> None:
        self.store.close()


def new_index_meta(name: str, settings: dict[str, str | None], mappings: dict | None, aliases: dict | None, version_id: int) -> dict[str, Any]:
    flat = {k: v for k, v in settings.items() if v is not None}
    flat.setdefault("index.number_of_shards", "1")
    flat.setdefault("index.number_of_replicas", "1")
    flat.setdefault("index.routing.allocation.include._tier_preference", "data_content")
    index_uuid = base64.urlsafe_b64encode(uuidlib.uuid4().bytes).decode().rstrip("=")[:22]
    flat.update(
        {
            "index.uuid": index_uuid,
            "index.creation_date": str(int(time.time() * 1000)),
            "index.version.created": str(version_id),
            "index.provided_name": name,
        }
    )
    return {"name": name, "uuid": index_uuid, "settings": flat, "mappings": mappings, "aliases": aliases or {}, "state": "open"}
