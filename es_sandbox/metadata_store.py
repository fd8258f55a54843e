"""Durable cluster metadata: index metadata by uuid, and named JSON records (cluster settings,
licence, auto-follow patterns, security objects, tasks). One SQLite file in WAL mode."""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any


class MetadataStore:
    def __init__(self, path: str) -> None:
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(
            "CREATE TABLE IF NOT EXISTS indices(uuid TEXT PRIMARY KEY, meta TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS records(kind TEXT, name TEXT, value TEXT NOT NULL, PRIMARY KEY(kind, name));"
        )

    def load_indices(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(m) for (m,) in self._conn.execute("SELECT meta FROM indices")]

    def save_index(self, uuid: str, meta: dict[str, Any]) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO indices(uuid, meta) VALUES (?, ?)", (uuid, json.dumps(meta)))

    def delete_index(self, uuid: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM indices WHERE uuid=?", (uuid,))

    def get(self, kind: str, name: str, default: Any = None) -> Any:
        with self._lock:
            row = self._conn.execute("SELECT value FROM records WHERE kind=? AND name=?", (kind, name)).fetchone()
        return json.loads(row[0]) if row else default

    def all(self, kind: str) -> dict[str, Any]:
        with self._lock:
            rows = self._conn.execute("SELECT name, value FROM records WHERE kind=? ORDER BY name", (kind,)).fetchall()
        return {name: json.loads(value) for name, value in rows}

    def put(self, kind: str, name: str, value: Any) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO records(kind, name, value) VALUES (?, ?, ?)", (kind, name, json.dumps(value))
            )

    def delete(self, kind: str, name: str) -> bool:
        with self._lock:
            return self._conn.execute("DELETE FROM records WHERE kind=? AND name=?", (kind, name)).rowcount > 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()
