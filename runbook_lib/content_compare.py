"""Compare the content of a leader index and its follower (or promoted copy), document by document.

Both indices are read at the same time, each on its own cluster, each from a consistent view: the
follower's view is opened first and the leader's just after, so the leader's view holds every
operation the follower's does. While the leader still takes writes, only documents whose
`_seq_no` is at or below the follower's global checkpoint are compared (a hit does not say which
shard it came from, so the lowest per-shard checkpoint is used): below it, the follower has applied
every operation the leader made, so each document's latest version must be the same on both sides.
Documents above it are read but only counted: filtering as they arrive, not in the query, keeps
the comparison independent of how a cluster searches `_seq_no` (an index may keep no points for it).

A document that differs may still have been changed on the leader around the checkpoint. Each one
is settled: read it on the leader, wait until the follower has every operation the leader holds
now, read it on the follower. If the follower then holds the leader's version (or a newer one),
it was a change in flight; otherwise it is a real difference, named in the report.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from . import content_digest as cd
from .connection import Cluster
from .content_scan import PAGE_SIZE, IndexSnapshot, Page, scan_together
from .parity import refresh, shard_seq_nos
from .waits import wait_until

_MGET_CHUNK = 500
Progress = Callable[[str, int], None]


@dataclass
class ContentReport:
    leader: str
    follower: str
    checkpoint: int | None  # the `_seq_no` bound compared (None: every document)
    leader_docs: int = 0  # documents compared on each side
    follower_docs: int = 0
    leader_beyond: int = 0  # documents read but above the checkpoint: changed since, not compared
    follower_beyond: int = 0
    differing_buckets: int = 0
    unnamed_buckets: int = 0  # differing buckets not re-scanned (over the memory budget)
    unnamed_docs: int = 0
    differences: list[cd.Difference] = field(default_factory=list)
    explained: list[tuple[cd.Difference, str]] = field(default_factory=list)
    without_source: int = 0
    scan_seconds: float = 0.0
    rescan_seconds: float = 0.0
    settle_seconds: float = 0.0

    @property
    def matched(self) -> bool:
        return not self.differences and not self.unnamed_buckets

    @property
    def docs_per_s(self) -> float:
        read = self.leader_docs + self.follower_docs + self.leader_beyond + self.follower_beyond
        return read / self.scan_seconds if self.scan_seconds else 0.0

    def summary(self) -> str:
        at = "every document" if self.checkpoint is None else f"documents with _seq_no <= {self.checkpoint}"
        text = (f"{self.leader_docs:,} leader and {self.follower_docs:,} follower documents compared ({at}) "
                f"in {self.scan_seconds:.1f} s, {self.docs_per_s:,.0f} docs/s")
        if self.leader_beyond or self.follower_beyond:
            text += (f"; {self.leader_beyond:,} leader and {self.follower_beyond:,} follower documents were written "
                     "after the checkpoint")
        if self.explained:
            text += f"; {len(self.explained)} changed while compared and agree now"
        return text


def comparable_checkpoint(remote: Cluster, local: Cluster, leader: str, follower: str) -> int:
    """The lowest follower global checkpoint over shards that hold anything on either side."""
    leader_seq, follower_seq = shard_seq_nos(remote, leader), shard_seq_nos(local, follower)
    bounds = [s.global_checkpoint for n, s in follower_seq.items()
              if s.global_checkpoint >= 0 or (leader_seq.get(n) and leader_seq[n].max_seq_no >= 0)]
    return min(bounds) if bounds else -1


def compare_content(remote: Cluster, local: Cluster, leader: str, follower: str, *, live: bool,
                    page_size: int = PAGE_SIZE, buckets: int = cd.DEFAULT_BUCKETS, name_budget: int = 20_000,
                    settle_timeout_s: float = 60.0, progress: Progress | None = None) -> ContentReport:
    """Digest both indices in one pass; name and settle the documents of buckets that differ.

    `live`: the leader still takes writes, so compare at the follower's checkpoint; otherwise (a
    write-blocked leader) compare every document.
    """
    bound = comparable_checkpoint(remote, local, leader, follower) if live else None
    report = ContentReport(leader, follower, bound)
    candidates: list[cd.Difference] = []
    refresh(local, follower)  # every operation up to the checkpoint must be in the follower's view
    with IndexSnapshot(local, follower, page_size=page_size) as theirs:
        refresh(remote, leader)
        with IndexSnapshot(remote, leader, page_size=page_size) as mine:
            started = time.monotonic()
            digests = (cd.BucketDigests(buckets, bound), cd.BucketDigests(buckets, bound))
            _scan(mine, theirs, digests, progress)
            report.scan_seconds = time.monotonic() - started
            report.leader_docs, report.follower_docs = digests[0].documents, digests[1].documents
            report.leader_beyond, report.follower_beyond = digests[0].beyond, digests[1].beyond
            report.without_source = max(digests[0].without_source, digests[1].without_source)
            differing = digests[0].differing(digests[1])
            report.differing_buckets = len(differing)
            chosen, left = cd.choose_buckets(differing, digests[0], digests[1], name_budget)
            report.unnamed_buckets = len(left)
            report.unnamed_docs = sum(max(digests[0].counts[b], digests[1].counts[b]) for b in left)
            if chosen:
                started = time.monotonic()
                kept = (cd.BucketDocuments(chosen, buckets, bound), cd.BucketDocuments(chosen, buckets, bound))
                _scan(mine, theirs, kept, None)
                report.rescan_seconds = time.monotonic() - started
                candidates = cd.differences(kept[0].docs, kept[1].docs)
    if candidates:
        started = time.monotonic()
        report.differences, report.explained = settle(remote, local, leader, follower, candidates,
                                                      timeout_s=settle_timeout_s)
        report.settle_seconds = time.monotonic() - started
    return report


def _scan(mine: IndexSnapshot, theirs: IndexSnapshot, sinks: tuple[Any, Any], progress: Progress | None) -> None:
    def consumer(side: str, sink: Any) -> Callable[[Page], None]:
        def consume(page: Page) -> None:
            sink.add_hits(page)
            if progress is not None:
                progress(side, len(page))
        return consume

    scan_together([(mine.pages(), consumer("leader", sinks[0])), (theirs.pages(), consumer("follower", sinks[1]))])


def lookup(cluster: Cluster, index: str, keys: Iterable[str]) -> dict[str, cd.DocVersion | None]:
    """Each document's current version (realtime `_mget`, so no refresh is needed); None when absent."""
    keys = list(keys)
    found: dict[str, cd.DocVersion | None] = {}
    for start in range(0, len(keys), _MGET_CHUNK):
        chunk = keys[start:start + _MGET_CHUNK]
        docs = []
        for key in chunk:
            doc_id, routing = cd.split_key(key)
            docs.append({"_id": doc_id} if routing is None else {"_id": doc_id, "routing": routing})
        answer = cluster.request("POST", f"/{index}/_mget", body={"docs": docs},
                                 params={"filter_path": "docs.found,docs._seq_no,docs._source"})
        for key, doc in zip(chunk, (answer.body or {}).get("docs", [])):
            seq_no = int(doc["_seq_no"]) if doc.get("found") else None
            found[key] = (None if seq_no is None
                          else cd.DocVersion(seq_no, cd.doc_digest(key, seq_no, doc.get("_source"))))
    return found


def settle(remote: Cluster, local: Cluster, leader: str, follower: str, candidates: list[cd.Difference], *,
           timeout_s: float) -> tuple[list[cd.Difference], list[tuple[cd.Difference, str]]]:
    """Split candidate differences into real ones and changes that were in flight while scanning."""
    keys = [d.key for d in candidates]
    before = lookup(remote, leader, keys)
    target = {n: s.max_seq_no for n, s in shard_seq_nos(remote, leader).items()}
    newest = max(target.values(), default=-1)

    def follower_has_it_all() -> tuple[bool, str]:
        have = {n: s.global_checkpoint for n, s in shard_seq_nos(local, follower).items()}
        behind = {n: seq - have.get(n, -1) for n, seq in target.items() if have.get(n, -1) < seq}
        return not behind, f"operations behind per shard: {behind}" if behind else "caught up"

    wait_until(follower_has_it_all, timeout_s, interval_s=0.2,
               describe=f"{follower} to hold every operation {leader} held when its differences were read",
               advice="the follower is lagging: check 03_follow's lag figures, then run this cell again")
    after = lookup(local, follower, keys)
    leader_moved = [k for k in keys if after[k] is None and before[k] is not None]
    again = lookup(remote, leader, leader_moved) if leader_moved else {}
    real, explained = [], []
    for difference in candidates:
        key = difference.key
        reason = _in_flight(before[key], after[key], again.get(key, before[key]), newest)
        if reason:
            explained.append((difference, reason))
        else:
            real.append(_now(key, before[key], after[key]))
    return real, explained


def _in_flight(leader: cd.DocVersion | None, follower: cd.DocVersion | None, leader_again: cd.DocVersion | None,
               newest: int) -> str:
    """Why a difference seen while scanning is not one now ("" when it still is)."""
    if follower == leader:
        return "changed while being compared; both copies agree now"
    if follower is not None and leader is not None and follower.seq_no > leader.seq_no:
        return "changed again after it was read on the leader; the follower already has the newer version"
    if follower is not None and leader is None and follower.seq_no > newest:
        return "deleted on the leader, then written again; the follower already has the new version"
    if follower is None and leader is not None and leader_again != leader:
        return "changed on the leader while it was being verified"
    return ""


def _now(key: str, leader: cd.DocVersion | None, follower: cd.DocVersion | None) -> cd.Difference:
    kind = (cd.MISSING_ON_FOLLOWER if follower is None else cd.ONLY_ON_FOLLOWER if leader is None
            else cd.CONTENT_DIFFERS)
    return cd.Difference(key, kind, leader, follower)


def named(report: ContentReport, limit: int = 20) -> list[str]:
    """The differing documents, as a person reads them, at most `limit` of them."""
    lines = [d.describe() for d in report.differences[:limit]]
    if len(report.differences) > limit:
        lines.append(f"... and {len(report.differences) - limit} more")
    if report.unnamed_buckets:
        lines.append(f"{report.unnamed_buckets} more differing bucket(s) holding about {report.unnamed_docs:,} "
                     "documents were not re-scanned (over the memory budget)")
    return lines


def explained_counts(report: ContentReport) -> Mapping[str, int]:
    counts: dict[str, int] = {}
    for _, reason in report.explained:
        counts[reason] = counts.get(reason, 0) + 1
    return counts
