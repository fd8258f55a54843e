"""Elasticsearch versions, and which leader versions a follower cluster can replicate.

The rule: the follower (local) cluster runs the leader's version or a newer one, compared down to
the patch number, within the documented compatibility matrix:

    follower 6.7, 6.8   follows leaders 6.7 .. its own version
    follower 7.0        follows leaders 6.7 .. 7.0
    follower 7.1-7.17   follows leaders 6.8 .. its own version
    follower 8.x        follows leaders 7.17 .. its own version
    follower 9.x        follows leaders 8.18 .. its own version

Leaders below 6.7 are not supported (the guide requires 6.7.0+, for soft deletes).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .errors import RunbookError

_VERSION = re.compile(r"\s*v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-.]?([A-Za-z][A-Za-z0-9.]*))?\s*")
# Pre-releases sort before the release; a SNAPSHOT build counts as the release it precedes.
_QUALIFIER_RANK = (("alpha", 0), ("beta", 1), ("rc", 2))

# (first follower minor, last follower minor, oldest leader minor), as (major, minor) pairs.
_MATRIX = (
    ((6, 7), (6, 7), (6, 7)),
    ((6, 8), (6, 8), (6, 7)),
    ((7, 0), (7, 0), (6, 7)),
    ((7, 1), (7, 17), (6, 8)),
    ((8, 0), (8, 99), (7, 17)),
    ((9, 0), (9, 99), (8, 18)),
)
OLDEST_LEADER = (6, 7)


@functools.total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int = 0
    qualifier: str = ""

    @classmethod
    def parse(cls, text: "str | Version") -> "Version":
        """`8.19.3`, `7.17.0-SNAPSHOT`, `9.0.0-beta1`; raise RunbookError for anything else."""
        if isinstance(text, Version):
            return text
        match = _VERSION.fullmatch(str(text))
        if not match:
            raise RunbookError(
                f"cannot read Elasticsearch version {text!r}: expected MAJOR.MINOR.PATCH such as 8.19.3"
            )
        major, minor, patch, qualifier = match.groups()
        return cls(int(major), int(minor), int(patch or 0), qualifier or "")

    @property
    def minor_key(self) -> tuple[int, int]:
        return (self.major, self.minor)

    def _key(self) -> tuple[int, int, int, int]:
        q = self.qualifier.lower()
        rank = next((r for prefix, r in _QUALIFIER_RANK if q.startswith(prefix)), 3)
        return (self.major, self.minor, self.patch, rank)

    def __lt__(self, other: "Version") -> bool:
        return self._key() < Version.parse(other)._key()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (Version, str)):
            return NotImplemented
        return self._key() == Version.parse(other)._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}" + (f"-{self.qualifier}" if self.qualifier else "")


@dataclass(frozen=True)
class Compatibility:
    """Whether `follower` can replicate from `leader`, and a sentence saying what would work."""

    verdict: str  # "compatible", "incompatible", "unsupported" or "unknown"
    leader: Version
    follower: Version
    explanation: str

    @property
    def ok(self) -> bool:
        return self.verdict == "compatible"

    @property
    def check_verdict(self) -> str:
        """The verdict as a Check verdict: unknown combinations are a warning, not a failure."""
        return {"compatible": "pass", "unknown": "warn"}.get(self.verdict, "fail")


def _series(minor_key: tuple[int, int]) -> str:
    return f"{minor_key[0]}.x" if minor_key[1] == 99 else f"{minor_key[0]}.{minor_key[1]}"


def _row(follower: Version):
    return next((row for row in _MATRIX if row[0] <= follower.minor_key <= row[1]), None)


def followers_for(leader: Version) -> str:
    """Which follower versions can replicate `leader` ("7.17.9 to 8.x")."""
    newest = max((row[1] for row in _MATRIX if row[2] <= leader.minor_key <= row[1]), default=None)
    if newest is None:
        return "none"
    return f"{leader} to {_series(newest)}" + (".x" if newest[1] != 99 else "")


def ccr_compatibility(leader: "str | Version", follower: "str | Version") -> Compatibility:
    """Apply the version rule and the documented matrix to a leader (remote) and follower (local)."""
    leader, follower = Version.parse(leader), Version.parse(follower)

    def verdict(kind: str, sentence: str) -> Compatibility:
        return Compatibility(kind, leader, follower, sentence)

    if leader.minor_key < OLDEST_LEADER:
        return verdict("unsupported", (
            f"The remote runs {leader}, but cross-cluster replication needs a leader on 6.7.0 or later "
            "(soft deletes and retention leases): upgrade the remote to 6.8 or later first, or move "
            "the data with reindex-from-remote or a snapshot."))
    if follower < leader:
        return verdict("incompatible", (
            f"The local cluster runs {follower}, older than the remote's {leader}: a follower must run "
            f"the leader's version or a newer one, down to the patch. Upgrade the local cluster to "
            f"{leader} or later (followers are upgraded first); versions that can follow it: "
            f"{followers_for(leader)}."))
    row = _row(follower)
    if row is None and follower.minor_key > _MATRIX[-1][1]:
        return verdict("unknown", (
            f"The local cluster runs {follower}, newer than any release in the documented matrix "
            f"(up to 9.x): check Elastic's compatibility table before following a {leader} leader."))
    if row is None:
        return verdict("unsupported", (
            f"The local cluster runs {follower}: these runbooks need a follower on 6.7.0 or later; "
            f"versions that can follow {leader}: {followers_for(leader)}."))
    oldest = f"{row[2][0]}.{row[2][1]}.0"
    if leader.minor_key < row[2]:
        return verdict("incompatible", (
            f"A follower on {follower} accepts leaders from {oldest} to {follower}, and the remote runs "
            f"{leader}. Upgrade the remote to {oldest} or later, or use a local cluster on "
            f"{followers_for(leader)}."))
    return verdict("compatible", (
        f"A follower on {follower} accepts leaders from {oldest} to {follower}; the remote runs {leader}."))


def client_module(version: "str | Version") -> str:
    """Which Python client talks to a server: `elasticsearch7` for 6.x-7.x, `elasticsearch` for 8.x+.

    The 8.x client refuses servers that do not send the product header (before 7.14) and sends
    `compatible-with=8`; the 7.17 client works with 6.x and 7.x servers.
    """
    return "elasticsearch7" if Version.parse(version).major < 8 else "elasticsearch"
