"""The Elasticsearch version a practice cluster presents, and what of it shows in its answers."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

DEFAULT_VERSION = "8.19.3"

# Lucene release shipped with each line (from Elasticsearch's release notes).
_LUCENE = {(6, 7): "7.7.0", (6, 8): "7.7.3", (7, 10): "8.7.0", (7, 17): "8.11.3", (8, 19): "9.12.2", (9, 0): "10.1.0"}
_BUILD_DATES = {(8, 19): "2025-08-26T02:32:41.185437541Z"}


@functools.total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> "Version":
        parts = text.split("-")[0].split(".")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise ValueError(f"not a version: [{text}] (expected MAJOR.MINOR.PATCH, e.g. {DEFAULT_VERSION})")
        return cls(int(parts[0]), int(parts[1]), int(parts[2]))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def __lt__(self, other: "Version") -> bool:
        return (self.major, self.minor, self.patch) < (other.major, other.minor, other.patch)

    @property
    def id(self) -> int:
        """Elasticsearch's numeric version id (as in index.version.created)."""
        return self.major * 1_000_000 + self.minor * 10_000 + self.patch * 100 + 99

    @property
    def lucene(self) -> str:
        return _LUCENE.get((self.major, self.minor), "9.12.2" if self.major == 8 else "10.1.0")

    @property
    def build_hash(self) -> str:
        return hashlib.sha1(f"es-sandbox-{self}".encode()).hexdigest()

    @property
    def minimum_wire_compatibility(self) -> str:
        return {9: "8.18.0", 8: "7.17.0", 7: "6.8.0", 6: "5.6.0"}.get(self.major, "7.17.0")

    @property
    def minimum_index_compatibility(self) -> str:
        return {9: "8.0.0", 8: "7.0.0", 7: "6.0.0-beta1", 6: "5.0.0"}.get(self.major, "7.0.0")

    def build_info(self) -> dict:
        return {
            "number": str(self),
            "build_flavor": "default",
            "build_type": "tar",
            "build_hash": self.build_hash,
            "build_date": _BUILD_DATES.get((self.major, self.minor), "2025-08-26T02:32:41.185437541Z"),
            "build_snapshot": False,
            "lucene_version": self.lucene,
            "minimum_wire_compatibility_version": self.minimum_wire_compatibility,
            "minimum_index_compatibility_version": self.minimum_index_compatibility,
        }
