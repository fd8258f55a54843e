"""The on-disk operation history of one index: every shard's operations by sequence number.

One SQLite file per index (WAL mode). A row is one operation (index, delete or no-op) of one shard,
keyed by (shard, seq_no), so the table is at once the document store, the soft-deletes history that
CCR replays, and a multi-version view for searches: a document version is visible at a refresh point R
when it was written at or before R and not yet superseded at R.

`superseded` holds the seq_no of the operation that replaced a row; the live version of a document is
its row with `superseded IS NULL`. Merges remove superseded rows and tombstones below the retained
sequence number, which is what makes old history unavailable to a lagging follower.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from dataclasses import dataclass
from typing import Iterator

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
    PRIMARY KEY(shard, seq_no)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ops_live ON ops(shard, id) WHERE superseded IS NULL;
"""
# Lookups by id name `INDEXED BY ops_live`: without statistics SQLite prefers scanning the primary key
# range of the shard, which makes every write O(documents in the shard).


@dataclass(frozen=True)
class Operation:
    shard: int
    seq_no: int
    doc_id: str | None
    op: int
    source: dict | None
    version: int
    primary_term: int

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

    @property
    def found(self) -> bool:
        return self.op == OP_INDEX


class ShardStore:
    """SQLite persistence for the operations of every shard of one index.

    Writers serialise on `write_lock`; readers use a connection per thread, which WAL lets run
    beside the writer without blocking it.
    """

    def __init__(self, path: str, number_of_shards: int) -> None:
        self.path = path
        self.write_lock = threading.RLock()
        self._local = threading.local()
        self._closed = False
        self._writer = self._connect()
        self._writer.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a committed transaction survives the death of the process (kill -9);
        # only an operating-system crash could lose the last transactions.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            readers = self.__dict__.setdefault("_readers", [])
            readers.append(conn)
        return conn

    def close(self) -> None:
        self._closed = True
        for conn in [self._writer, *self.__dict__.get("_readers", [])]:
            try:
                conn.close()
            except sqlite3.Error:
                pass

    # --- reads -------------------------------------------------------------------------------

    def max_seq_nos(self) -> dict[int, int]:
        rows = self._reader().execute("SELECT shard, MAX(seq_no) FROM ops GROUP BY shard").fetchall()
        return {shard: seq for shard, seq in rows}

    def live(self, shard: int, doc_id: str, conn: sqlite3.Connection | None = None) -> LiveRow | None:
        row = (conn or self._reader()).execute(
            "SELECT seq_no, op, version, primary_term, source FROM ops INDEXED BY ops_live "
            "WHERE shard=? AND id=? AND superseded IS NULL",
            (shard, doc_id),
        ).fetchone()
        if row is None:
            return None
        return LiveRow(row[0], row[1], row[2], row[3], json.loads(row[4]) if row[4] else None)

    def visible_docs(
        self, shard: int, at_seq_no: int, after_seq_no: int = -1, batch: int = 1000
    ) -> Iterator[Operation]:
        """Documents visible at refresh point `at_seq_no`, in seq_no order, after `after_seq_no`."""
        conn = self._reader()
        cursor = after_seq_no
        while True:
            rows = conn.execute(
                "SELECT seq_no, id, source, version, primary_term FROM ops "
                "WHERE shard=? AND seq_no>? AND seq_no<=? AND op=1 "
                "AND (superseded IS NULL OR superseded>?) ORDER BY seq_no LIMIT ?",
                (shard, cursor, at_seq_no, at_seq_no, batch),
            ).fetchall()
            for seq_no, doc_id, source, version, term in rows:
                yield Operation(shard, seq_no, doc_id, OP_INDEX, json.loads(source), version, term)
            if len(rows) < batch:
                return
            cursor = rows[-1][0]

    def visible_count(self, shard: int, at_seq_no: int) -> int:
        return self._reader().execute(
            "SELECT COUNT(*) FROM ops WHERE shard=? AND seq_no<=? AND op=1 "
            "AND (superseded IS NULL OR superseded>?)",
            (shard, at_seq_no, at_seq_no),
        ).fetchone()[0]

    def deleted_count(self, shard: int) -> int:
        """Soft-deleted versions still held (what _cat/indices reports as docs.deleted)."""
        return self._reader().execute(
            "SELECT COUNT(*) FROM ops WHERE shard=? AND op=1 AND superseded IS NOT NULL", (shard,)
        ).fetchone()[0]

    def size_in_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            try:
                total += os.path.getsize(self.path + suffix)
            except OSError:
                pass
        return total

    def changes(self, shard: int, from_seq_no: int, to_seq_no: int) -> list[Operation]:
        """Operations with from <= seq_no <= to that are still held; the caller checks for gaps,
        as Elasticsearch's changes snapshot does (live documents always remain, so an append-only
        history stays complete; merged-away versions leave holes)."""
        rows = self._reader().execute(
            "SELECT seq_no, id, op, source, version, primary_term FROM ops "
            "WHERE shard=? AND seq_no>=? AND seq_no<=? ORDER BY seq_no",
            (shard, from_seq_no, to_seq_no),
        ).fetchall()
        return [
            Operation(shard, s, i, o, json.loads(src) if src else None, v, t)
            for s, i, o, src, v, t in rows
        ]

    # --- writes (callers hold write_lock) ----------------------------------------------------

    def apply(self, ops: list[Operation], superseded_by_id: bool = True) -> None:
        """Append operations in one transaction; each supersedes the live row of its document."""
        conn = self._writer
        conn.execute("BEGIN")
        try:
            for op in ops:
                if op.doc_id is not None and superseded_by_id:
                    conn.execute(
                        "UPDATE ops INDEXED BY ops_live SET superseded=? WHERE shard=? AND id=? AND superseded IS NULL",
                        (op.seq_no, op.shard, op.doc_id),
                    )
                conn.execute(
                    "INSERT OR IGNORE INTO ops(shard, seq_no, id, op, source, version, primary_term) "
                    "VALUES (?,?,?,?,?,?,?)",
                    (
                        op.shard,
                        op.seq_no,
                        op.doc_id,
                        op.op,
                        json.dumps(op.source, separators=(",", ":")) if op.source is not None else None,
                        op.version,
                        op.primary_term,
                    ),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def append_new(self, ops: list[Operation]) -> None:
        """Append operations for documents known to be new (auto-generated ids): no supersede step."""
        self.apply(ops, superseded_by_id=False)

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
        return removed
