"""The on-disk operation history of one index: every shard's operations by sequence number.

One SQLite file per index (WAL mode). A row is one operation (index, delete or no-op) of one shard,
keyed by (shard, seq_no), so the table is at once the document store, the soft-deletes history that
CCR replays, and a multi-version view for searches: a document version is visible at a refresh point R
when it was written at or before R and not yet superseded at R.

`superseded` holds the seq_no of the operation that replaced a row; the live version of a document is
its row with `superseded IS NULL`. Merges remove superseded rows and tombstones below the retained
sequence number, which is what makes old history unavailable to a lagging follower.

Sources are stored as compact JSON text. Readers that only pass documents on (CCR's changes and
remote recovery) ask for that text (`raw=True`) and `apply` stores text as it comes, so a replicated
document is never decoded and re-encoded on its way from the leader's store to the follower's.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterator

OP_INDEX = 1
OP_DELETE = 2
OP_NOOP = 3
OP_NAMES = {OP_INDEX: "index", OP_DELETE: "delete", OP_NOOP: "noop"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ops(
    shard INTEGER NOT NULL,
    seq_no INTEGER NOT NULL,
    id TEXT,
    op INTEGER NOT NULL,
    source TEXT,
    version INTEGER NOT NULL,
    primary_term INTEGER NOT NULL,
    superseded INTEGER,
    routing TEXT,
    PRIMARY KEY(shard, seq_no)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ops_live ON ops(shard, id) WHERE superseded IS NULL;
"""
# Lookups by id name `INDEXED BY ops_live`: without statistics SQLite prefers scanning the primary key
# range of the shard, which makes every write O(documents in the shard).
_VISIBLE = "shard=? AND seq_no>? AND seq_no<=? AND op=1 AND (superseded IS NULL OR superseded>?)"
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode
_WRITER_CACHE_KB = 32 * 1024  # the id index of a million documents stays in memory
_IDLE_READERS = 8
_COUNTS_KEPT = 256


@dataclass(frozen=True)
class Operation:
    """One operation of a shard's history. `source` is the document (a dict), or its stored JSON
    text when read with `raw=True`; `apply` takes either."""

    shard: int
    seq_no: int
    doc_id: str | None
    op: int
    source: dict | str | None
    version: int
    primary_term: int
    routing: str | None = None

    @property
    def op_name(self) -> str:
        return OP_NAMES[self.op]


@dataclass(frozen=True)
class LiveRow:
    seq_no: int
    op: int
    version: int
    primary_term: int
    source: dict | None
    routing: str | None = None

    @property
    def found(self) -> bool:
        return self.op == OP_INDEX


class ShardStore:
    """SQLite persistence for the operations of every shard of one index.

    Writers serialise on `write_lock`; reads take a connection from a small pool, which WAL lets
    run beside the writer without blocking it.
    """

    def __init__(self, path: str, number_of_shards: int) -> None:
        self.path = path
        self.write_lock = threading.RLock()
        self._pool: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()
        self._closed = False
        self._writer = self._connect()
        self._writer.execute(f"PRAGMA cache_size=-{_WRITER_CACHE_KB}")
        self._writer.executescript(_SCHEMA)
        columns = {row[1] for row in self._writer.execute("PRAGMA table_info(ops)")}
        if "routing" not in columns:  # a data directory written before routing was kept
            self._writer.execute("ALTER TABLE ops ADD COLUMN routing TEXT")
        # Exact counts by (shard, refresh point): what is visible at a point never changes, except
        # through a merge, which clears them.
        self._counts: OrderedDict[tuple[int, int], int] = OrderedDict()
        self._changes = 0  # bumped by every write and merge
        self._history: dict[tuple[str, int], tuple[int, int]] = {}

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a committed transaction survives the death of the process (kill -9);
        # only an operating-system crash could lose the last transactions.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    @contextlib.contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        with self._pool_lock:
            conn = self._pool.pop() if self._pool else None
        if conn is None:
            conn = self._connect()
        try:
            yield conn
        finally:
            with self._pool_lock:
                keep = not self._closed and len(self._pool) < _IDLE_READERS
                if keep:
                    self._pool.append(conn)
            if not keep:
                conn.close()

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._reader() as conn:
            return conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._pool_lock:
            self._closed = True
            conns, self._pool = [self._writer, *self._pool], []
        for conn in conns:
            try:
                conn.close()
            except sqlite3.Error:
                pass

    # --- reads -------------------------------------------------------------------------------

    def max_seq_nos(self) -> dict[int, int]:
        return {shard: seq for shard, seq in self._read("SELECT shard, MAX(seq_no) FROM ops GROUP BY shard", ())}

    def live(self, shard: int, doc_id: str) -> LiveRow | None:
        rows = self._read(
            "SELECT seq_no, op, version, primary_term, source, routing FROM ops INDEXED BY ops_live "
            "WHERE shard=? AND id=? AND superseded IS NULL",
            (shard, doc_id),
        )
        if not rows:
            return None
        seq_no, op, version, term, source, routing = rows[0]
        return LiveRow(seq_no, op, version, term, json.loads(source) if source else None, routing)

    def visible_docs(self, shard: int, at_seq_no: int, after_seq_no: int = -1, batch: int = 1000, *,
                     up_to: int | None = None, raw: bool = False) -> Iterator[Operation]:
        """Documents visible at refresh point `at_seq_no`, in seq_no order, after `after_seq_no`
        (and written at or before `up_to`, when given)."""
        decode = (lambda text: text) if raw else json.loads
        for seq_no, doc_id, source, version, term, routing in self.visible_rows(shard, at_seq_no, after_seq_no,
                                                                                 batch, up_to=up_to):
            yield Operation(shard, seq_no, doc_id, OP_INDEX, decode(source), version, term, routing)

    def visible_rows(self, shard: int, at_seq_no: int, after_seq_no: int = -1, batch: int = 1000, *,
                     up_to: int | None = None) -> Iterator[tuple[int, str, str, int, int, str | None]]:
        """visible_docs as rows (seq_no, id, source JSON text, version, primary term, routing), for
        readers that build their own document objects."""
        last = at_seq_no if up_to is None else min(at_seq_no, up_to)
        cursor = after_seq_no
        while True:
            rows = self._read(
                f"SELECT seq_no, id, source, version, primary_term, routing FROM ops WHERE {_VISIBLE} "
                "ORDER BY seq_no LIMIT ?",
                (shard, cursor, last, at_seq_no, batch),
            )
            yield from rows
            if len(rows) < batch:
                return
            cursor = rows[-1][0]

    def visible_count(self, shard: int, at_seq_no: int, limit: int | None = None, *,
                      after_seq_no: int = -1, up_to: int | None = None) -> int:
        """Documents visible at `at_seq_no` (within the seq_no range given), counted up to `limit`."""
        last = at_seq_no if up_to is None else min(at_seq_no, up_to)
        params = (shard, after_seq_no, last, at_seq_no)
        if limit is not None:
            return self._read(f"SELECT COUNT(*) FROM (SELECT 1 FROM ops WHERE {_VISIBLE} LIMIT ?)",
                              (*params, limit))[0][0]
        key = (shard, at_seq_no) if after_seq_no == -1 and up_to is None else None
        if key is not None and key in self._counts:
            return self._counts[key]
        count = self._read(f"SELECT COUNT(*) FROM ops WHERE {_VISIBLE}", params)[0][0]
        if key is not None:
            self._counts[key] = count
            while len(self._counts) > _COUNTS_KEPT:
                self._counts.popitem(last=False)
        return count

    def deleted_count(self, shard: int) -> int:
        """Soft-deleted versions still held (what _cat/indices reports as docs.deleted)."""
        return self._history_count("SELECT COUNT(*) FROM ops WHERE shard=? AND op=1 AND superseded IS NOT NULL", shard)

    def tombstone_count(self, shard: int) -> int:
        """Delete operations still held."""
        return self._history_count("SELECT COUNT(*) FROM ops WHERE shard=? AND op=2", shard)

    def _history_count(self, sql: str, shard: int) -> int:
        # Whole-shard counts change only with writes and merges: stats calls between them reuse them.
        key, changes = (sql, shard), self._changes
        held = self._history.get(key)
        if held is None or held[0] != changes:
            held = self._history[key] = (changes, self._read(sql, (shard,))[0][0])
        return held[1]

    def size_in_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            try:
                total += os.path.getsize(self.path + suffix)
            except OSError:
                pass
        return total

    def changes(self, shard: int, from_seq_no: int, to_seq_no: int, *, raw: bool = False) -> list[Operation]:
        """Operations with from <= seq_no <= to that are still held; the caller checks for gaps,
        as Elasticsearch's changes snapshot does (live documents always remain, so an append-only
        history stays complete; merged-away versions leave holes)."""
        rows = self._read(
            "SELECT seq_no, id, op, source, version, primary_term, routing FROM ops "
            "WHERE shard=? AND seq_no>=? AND seq_no<=? ORDER BY seq_no",
            (shard, from_seq_no, to_seq_no),
        )
        decode = (lambda text: text) if raw else json.loads
        return [Operation(shard, s, i, o, decode(src) if src else None, v, t, r) for s, i, o, src, v, t, r in rows]

    # --- writes (callers hold write_lock) ----------------------------------------------------

    def apply(self, ops: list[Operation], new_ids: bool = False) -> None:
        """Append operations in one transaction; each supersedes the live row of its document.

        `new_ids`: the documents are known to be new (auto-generated ids), nothing to supersede.
        """
        rows: list[list[Any]] = []
        latest: dict[tuple[int, str], int] = {}  # (shard, id) -> its last row in this batch
        firsts: list[tuple[int, int, str]] = []  # (seq_no, shard, id) of each id's first operation
        for op in ops:
            source = op.source if op.source is None or isinstance(op.source, str) else _ENCODE(op.source)
            if op.doc_id is not None:
                key = (op.shard, op.doc_id)
                earlier = latest.get(key)
                if earlier is None:
                    firsts.append((op.seq_no, op.shard, op.doc_id))
                else:
                    rows[earlier][7] = op.seq_no  # replaced within the batch
                latest[key] = len(rows)
            rows.append([op.shard, op.seq_no, op.doc_id, op.op, source, op.version, op.primary_term, None, op.routing])
        conn = self._writer
        conn.execute("BEGIN")
        try:
            if firsts and not new_ids:
                conn.executemany("UPDATE ops INDEXED BY ops_live SET superseded=? WHERE shard=? AND id=? "
                                 "AND superseded IS NULL", firsts)
            conn.executemany("INSERT OR IGNORE INTO ops(shard, seq_no, id, op, source, version, primary_term, "
                             "superseded, routing) VALUES (?,?,?,?,?,?,?,?,?)", rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            self._changes += 1

    def trim(self, shard: int, retain_from_seq_no: int, oldest_reader_seq_no: int) -> int:
        """A merge: drop history below `retain_from_seq_no` that no open reader still sees."""
        conn = self._writer
        conn.execute("BEGIN")
        try:
            cur = conn.execute(
                "DELETE FROM ops WHERE shard=? AND seq_no<? AND ("
                "(superseded IS NOT NULL AND superseded<=?) OR (superseded IS NULL AND op!=1))",
                (shard, retain_from_seq_no, oldest_reader_seq_no),
            )
            removed = cur.rowcount
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if removed:
            self._changes += 1
            self._counts.clear()
        return removed
