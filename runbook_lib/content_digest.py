"""Order-independent digests of an index's documents, bucketed by id, and the differences they reveal.

Two copies of an index are scanned in whatever order each cluster returns them, so their documents
are summed into a fixed number of buckets chosen by a hash of the id: equal buckets hold equal
documents, whatever the shard layout or scan order, and memory does not grow with the number of
documents. Only the buckets that differ are scanned again, keeping each document of those buckets,
to name the documents that differ.

A document's digest covers its id (and custom routing), its `_seq_no` and its `_source`: CCR
replays each operation with the leader's sequence number, so a follower's copy of a document has
the same `_seq_no` as the leader's, while `_version` and `_primary_term` are the follower's own.
CCR copies `_source` as it is, so the comparison is exact: the same values in the same order,
integers and floats told apart. Digests are only ever compared within one process (both sides,
the re-scan and the look-ups of one comparison), never stored.
This module is pure: it never talks to a cluster.
"""

from __future__ import annotations

import hashlib
import marshal
import zlib
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

DEFAULT_BUCKETS = 4096
_MASK = (1 << 128) - 1
# marshal format 2: five times faster than JSON-encoding a parsed `_source` again, and with no
# back-references (format 3 and later share repeated objects, which depends on how the parser
# shared them), so equal values always give equal bytes.
_MARSHAL_FORMAT = 2
_ROUTING_SEPARATOR = "\x00"

MISSING_ON_FOLLOWER = "missing on the follower"
ONLY_ON_FOLLOWER = "only on the follower"
CONTENT_DIFFERS = "content differs"


@dataclass(frozen=True)
class DocVersion:
    """One copy of a document as a digest sees it."""

    seq_no: int
    digest: int


def doc_key(hit: Mapping[str, Any]) -> str:
    """The document's identity: its id, plus its routing when it has a custom one."""
    routing = hit.get("_routing")
    return hit["_id"] if routing is None else f"{hit['_id']}{_ROUTING_SEPARATOR}{routing}"


def split_key(key: str) -> tuple[str, str | None]:
    doc_id, sep, routing = key.partition(_ROUTING_SEPARATOR)
    return doc_id, (routing if sep else None)


def doc_digest(key: str, seq_no: int, source: Any) -> int:
    """128 bits of BLAKE2b over id, sequence number and `_source` (None when `_source` is disabled)."""
    data = marshal.dumps((key, seq_no, source), _MARSHAL_FORMAT)
    return int.from_bytes(hashlib.blake2b(data, digest_size=16).digest(), "little")


def bucket_of(key: str, buckets: int) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % buckets


class BucketDigests:
    """Per bucket, the sum (mod 2^128) of its documents' digests and their count.

    A sum, not an exclusive or: a document counted twice must not cancel itself out. Documents
    with a `_seq_no` above `seq_no_at_most` are counted in `beyond` and left out: filtering here
    rather than in the query keeps the comparison independent of how a cluster searches `_seq_no`.
    """

    def __init__(self, buckets: int = DEFAULT_BUCKETS, seq_no_at_most: int | None = None) -> None:
        if buckets < 1:
            raise ValueError("buckets must be at least 1")
        self.buckets = buckets
        self.seq_no_at_most = seq_no_at_most
        self.sums = [0] * buckets
        self.counts = [0] * buckets
        self.without_source = 0
        self.beyond = 0

    @property
    def documents(self) -> int:
        return sum(self.counts)

    def add_hits(self, hits: Iterable[Mapping[str, Any]]) -> int:
        # The hot loop of a comparison (every document of both indices): doc_key, doc_digest and
        # bucket_of inlined, since function calls are a fair share of its cost.
        sums, counts, buckets, bound, added = self.sums, self.counts, self.buckets, self.seq_no_at_most, 0
        dumps, blake2b, crc32, from_bytes = marshal.dumps, hashlib.blake2b, zlib.crc32, int.from_bytes
        for hit in hits:
            seq_no = hit["_seq_no"]
            if bound is not None and seq_no > bound:
                self.beyond += 1
                continue
            routing = hit.get("_routing")
            key = hit["_id"] if routing is None else f"{hit['_id']}{_ROUTING_SEPARATOR}{routing}"
            source = hit.get("_source")
            if source is None:
                self.without_source += 1
            digest = from_bytes(blake2b(dumps((key, seq_no, source), _MARSHAL_FORMAT), digest_size=16).digest(),
                                "little")
            bucket = crc32(key.encode("utf-8", "surrogatepass")) % buckets
            sums[bucket] = (sums[bucket] + digest) & _MASK
            counts[bucket] += 1
            added += 1
        return added

    def differing(self, other: "BucketDigests") -> list[int]:
        if other.buckets != self.buckets:
            raise ValueError("cannot compare digests with different numbers of buckets")
        return [b for b in range(self.buckets)
                if self.sums[b] != other.sums[b] or self.counts[b] != other.counts[b]]


def choose_buckets(differing: Iterable[int], leader: BucketDigests, follower: BucketDigests,
                   budget: int) -> tuple[list[int], list[int]]:
    """Split differing buckets into those to re-scan and those left out, holding at most `budget`
    documents per side in memory (a bucket bigger than the budget alone is still taken first,
    so at least one bucket is always named)."""
    chosen: list[int] = []
    left: list[int] = []
    held = 0
    for bucket in sorted(differing, key=lambda b: max(leader.counts[b], follower.counts[b])):
        size = max(leader.counts[bucket], follower.counts[bucket])
        if not chosen or held + size <= budget:
            chosen.append(bucket)
            held += size
        else:
            left.append(bucket)
    return chosen, left


class BucketDocuments:
    """Every document of the chosen buckets, by key: what a re-scan keeps to name differences."""

    def __init__(self, buckets: Iterable[int], total_buckets: int, seq_no_at_most: int | None = None) -> None:
        self.wanted = frozenset(buckets)
        self.total_buckets = total_buckets
        self.seq_no_at_most = seq_no_at_most
        self.docs: dict[str, DocVersion] = {}

    def add_hits(self, hits: Iterable[Mapping[str, Any]]) -> int:
        kept, bound = 0, self.seq_no_at_most
        for hit in hits:
            if bound is not None and hit["_seq_no"] > bound:
                continue
            key = doc_key(hit)
            if bucket_of(key, self.total_buckets) in self.wanted:
                seq_no = int(hit["_seq_no"])
                self.docs[key] = DocVersion(seq_no, doc_digest(key, seq_no, hit.get("_source")))
                kept += 1
        return kept


@dataclass(frozen=True)
class Difference:
    """A document whose two copies disagree: how, and what each side holds (None: nothing)."""

    key: str
    kind: str
    leader: DocVersion | None
    follower: DocVersion | None

    @property
    def doc_id(self) -> str:
        return split_key(self.key)[0]

    @property
    def routing(self) -> str | None:
        return split_key(self.key)[1]

    def describe(self) -> str:
        def side(version: DocVersion | None) -> str:
            return "none" if version is None else f"_seq_no {version.seq_no}"

        routing = f" (routing {self.routing})" if self.routing is not None else ""
        return f"{self.doc_id}{routing}: {self.kind} (leader {side(self.leader)}, follower {side(self.follower)})"


def differences(leader: Mapping[str, DocVersion], follower: Mapping[str, DocVersion]) -> list[Difference]:
    """The documents of two re-scans that differ, sorted by id."""
    found = []
    for key in sorted(set(leader) | set(follower)):
        mine, theirs = leader.get(key), follower.get(key)
        if mine == theirs:
            continue
        kind = MISSING_ON_FOLLOWER if theirs is None else ONLY_ON_FOLLOWER if mine is None else CONTENT_DIFFERS
        found.append(Difference(key, kind, mine, theirs))
    return found
