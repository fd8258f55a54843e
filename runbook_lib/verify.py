"""Step 4 of the guide, made rigorous: is every follower a faithful, current copy of its leader?

Each function here is one cell of `04_verify`: it reads both clusters, adds its checks to the step
and returns what it measured, for the report at the end. Only the canaries change anything: they
are written to the leader and removed again.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator, Sequence

from . import canaries, ccr_ops, content_compare, parity, plots
from .content_compare import ContentReport
from .index_parameters import IndexPair
from .leader_prep_apply import follow_target
from .step import Step
from .tables import show_table
from .waits import _interactive

LAG_ADVICE = "the follower is behind: look at its _ccr/stats read_exceptions, then run 04_verify again"


def pairs(step: Step) -> tuple[IndexPair, ...]:
    """The parameters' pairs, each leader resolved to the index its follower follows (after
    01_prepare_leader reindexed a leader, its name is an alias of the new index)."""
    if not step.params.indices:
        step.checks.expect("followers to verify", "at least one {leader, follower} pair in `indices`", "none",
                           advice="list the followers (also those an auto-follow pattern created) in `indices`")
        step.checks.raise_on_failure()
    return tuple(replace(p, leader=follow_target(step.remote, p.leader)) for p in step.params.indices)


def followers_ready(step: Step) -> None:
    """Every follower is following its leader, with no fatal error; otherwise stop here."""
    alias = step.params.remote_alias
    for pair in pairs(step):
        info = ccr_ops.follower_info(step.local, pair.follower)
        observed = "not a follower index" if info is None else (
            f"{info.get('status')}, following {info.get('remote_cluster')}:{info.get('leader_index')}")
        step.checks.expect(f"{pair.follower} follows {alias}:{pair.leader}", f"active, following {alias}:{pair.leader}",
                           observed, advice="run 03_follow first (or resume the follower) and then this notebook",
                           ok=info is not None and info.get("status") == "active"
                           and info.get("remote_cluster") == alias and info.get("leader_index") == pair.leader)
        stats = ccr_ops.follow_stats(step.local, pair.follower) or {}
        fatal = [f"shard {s.get('shard_id')}: {s['fatal_exception'].get('reason')}"
                 for s in stats.get("shards", []) if s.get("fatal_exception")]
        step.checks.expect(f"{pair.follower} has no fatal replication error", "none", "; ".join(fatal) or "none",
                           advice="the follow task stopped for good: see 06_rollback_or_cleanup to re-create it")
    step.checks.raise_on_failure()


def canary_latency(step: Step) -> list[canaries.CanaryTiming]:
    """Write each canary to every leader; time until the follower returns it by GET and by search."""
    p = step.params
    timings: list[canaries.CanaryTiming] = []
    for pair in pairs(step):
        interval = canaries.refresh_interval(step.local, pair.follower)
        measured = canaries.measure(step.remote, step.local, pair.leader, pair.follower, p.run_id,
                                    p.canary_documents, timeout_s=p.latency_timeout_s)
        timings += measured
        if p.dry_run:
            step.checks.info(f"{pair.follower}: canary latency", "not measured: a dry run writes no canary")
            continue
        limit = f"within {p.latency_timeout_s:g} s"
        for t in measured:
            step.checks.expect(f"{t.follower}: {t.label} readable by realtime GET", limit, _ms(t.get_ms),
                               advice=LAG_ADVICE, ok=t.get_ms is not None)
            step.checks.expect(f"{t.follower}: {t.label} found by search", limit, _ms(t.search_ms),
                               advice=f"search sees a document after the follower's next refresh (its "
                                      f"refresh_interval is {interval}); {LAG_ADVICE}", ok=t.search_ms is not None)
    if timings and not p.dry_run:
        show_table("Canary documents: time to be readable on the follower, after the leader acknowledged them",
                   ["follower", "canary", "id", "leader _seq_no", "realtime GET", "search"],
                   [[t.follower, t.label, t.doc_id, t.seq_no, _ms(t.get_ms), _ms(t.search_ms)] for t in timings])
    return timings


def remove_canaries(step: Step) -> None:
    """Delete this run's canaries from every leader and wait until the deletes reach the follower."""
    p = step.params
    ids = [canaries.canary_id(p.run_id, n) for n in range(len(p.canary_documents))]
    for pair in pairs(step):
        deleted = canaries.remove(step.remote, pair.leader, ids)
        if p.dry_run:
            step.checks.info(f"{pair.leader}: canaries to remove", deleted or "none on the leader")
            continue
        waited = canaries.wait_removed(step.local, pair.follower, ids, p.latency_timeout_s)
        step.checks.expect(f"{pair.follower}: this run's canaries are gone from leader and follower", "none left",
                           f"none left ({len(deleted)} deleted now; deletes replicated in {waited.elapsed_s:.2f} s)",
                           ok=True)


@dataclass(frozen=True)
class PairParity:
    pair: IndexPair
    leader_count: int
    follower_count: int
    shards: list[parity.ShardParity]
    mapping_differences: list[str]

    @property
    def lag(self) -> int:
        return sum(s.lag for s in self.shards)


def parity_checks(step: Step) -> list[PairParity]:
    """Document counts, per-shard checkpoints (the leader's own) and mappings, for every pair."""
    found = []
    for pair in pairs(step):
        # Counts must be equal only if the follower had everything before they were taken and the
        # leader took no write until after: read the sequence numbers on both sides of the counts.
        before = parity.shard_parity(parity.shard_seq_nos(step.remote, pair.leader),
                                     parity.shard_seq_nos(step.local, pair.follower))
        for cluster, index in ((step.local, pair.follower), (step.remote, pair.leader)):
            parity.refresh(cluster, index)
        counts = parity.doc_count(step.remote, pair.leader), parity.doc_count(step.local, pair.follower)
        ccr_shards = (ccr_ops.follow_stats(step.local, pair.follower) or {}).get("shards", [])
        leader_seq = parity.shard_seq_nos(step.remote, pair.leader)
        follower_seq = parity.shard_seq_nos(step.local, pair.follower)
        still = parity.caught_up(before) and [r.leader_max_seq_no for r in before] == [
            s.max_seq_no for s in leader_seq.values()]
        step.checks.expect(f"{pair.follower}: shards mirror the leader's", sorted(leader_seq), sorted(follower_seq),
                           advice="a follower has exactly its leader's shards: re-create it with 03_follow")
        mappings = parity.mapping_differences(parity.index_mapping(step.remote, pair.leader),
                                              parity.index_mapping(step.local, pair.follower))
        result = PairParity(pair, counts[0], counts[1], parity.shard_parity(leader_seq, follower_seq, ccr_shards),
                            mappings)
        found.append(result)
        _parity_checks(step, result, moving=not still)
    return found


def _parity_checks(step: Step, r: PairParity, *, moving: bool) -> None:
    f = r.pair.follower
    step.checks.expect(f"{f}: global checkpoint reaches the leader's own max seq no", "0 operations behind",
                       f"{r.lag} operation(s) behind", advice=LAG_ADVICE if not moving else
                       "the leader is taking writes, so a small lag is normal; the content check compares at the "
                       "follower's checkpoint", ok=r.lag == 0, warn_only=True)
    step.checks.expect(f"{f}: document count equals the leader's", r.leader_count, r.follower_count,
                       advice="the leader took writes while the counts were read, so they may differ; the content "
                              "comparison below names any document that really differs" if moving else
                              "the follower had every operation, yet holds another number of documents: "
                              "run 04_verify again, and do not cut over", warn_only=moving)
    step.checks.expect(f"{f}: mapping equals the leader's", "no difference", r.mapping_differences or "no difference",
                       advice="a follower takes the leader's mapping when it applies an operation that needs it",
                       ok=not r.mapping_differences, warn_only=moving)
    show_table(f"{r.pair.leader} -> {f}: sequence numbers per shard (the leader's from its own _stats)",
               ["shard", "leader max seq no", "leader global checkpoint", "follower global checkpoint",
                "follower's view of the leader", "behind"],
               [[s.shard, s.leader_max_seq_no, s.leader_global_checkpoint, s.follower_global_checkpoint,
                 s.follower_view_of_leader, s.lag] for s in r.shards])


def compare_content(step: Step, *, live: bool = True,
                    page_size: int = content_compare.PAGE_SIZE) -> list[ContentReport]:
    """Every document at or below the follower's checkpoint, leader against follower."""
    reports = []
    for pair in pairs(step):
        with scan_progress(f"{pair.leader} vs {pair.follower}") as progress:
            report = content_compare.compare_content(
                step.remote, step.local, pair.leader, pair.follower, live=live, page_size=page_size,
                settle_timeout_s=step.params.latency_timeout_s, progress=progress)
        print(f"{pair.follower}: {report.summary()}")
        reports.append(report)
        content_checks(step, report, live=live)
    return reports


def content_checks(step: Step, report: ContentReport, *, live: bool, advice: str = "") -> None:
    at = "at the follower's checkpoint" if live else "against the write-blocked leader"
    if live and report.checkpoint is not None and report.checkpoint < 0:
        step.checks.expect(f"{report.follower}: documents to compare {at}", "a checkpoint of 0 or more",
                           report.checkpoint, advice="some shard of the follower holds no operation yet: wait for "
                           "03_follow's initial copy, then run this cell again", warn_only=True)
    step.checks.expect(f"{report.follower}: content equals the leader's {at}", "no differing document",
                       content_compare.named(report) or report.summary(), ok=report.matched,
                       advice=advice or "the documents named differ between leader and follower: compare them with "
                       "GET <index>/_doc/<id> on both clusters before cutting over")
    for reason, count in content_compare.explained_counts(report).items():
        step.checks.info(f"{report.follower}: documents that changed while compared", f"{count}: {reason}")
    if report.without_source:
        step.checks.info(f"{report.follower}: documents without _source",
                         f"{report.without_source}: compared by id and sequence number only")


def report(step: Step, timings: Sequence[canaries.CanaryTiming], parities: Sequence[PairParity],
           contents: Sequence[ContentReport]) -> dict[str, Any]:
    """Latency, lag and parity per follower, as a table, a figure and one record for the run summary."""
    rows, summary = [], {}
    for r in parities:
        mine = [t for t in timings if t.follower == r.pair.follower]
        content = next((c for c in contents if c.follower == r.pair.follower), None)
        entry = {
            "canary_get_ms": _worst([t.get_ms for t in mine]),
            "canary_search_ms": _worst([t.search_ms for t in mine]),
            "lag_operations": r.lag, "leader_count": r.leader_count, "follower_count": r.follower_count,
            "mapping_equal": not r.mapping_differences,
            "content_compared": None if content is None else content.leader_docs,
            "content_differences": None if content is None else len(content.differences) + content.unnamed_docs,
            "content_docs_per_s": None if content is None else round(content.docs_per_s),
        }
        summary[r.pair.follower] = entry
        latency = (["not measured (dry run)"] * 2 if step.params.dry_run
                   else [_ms(entry["canary_get_ms"]), _ms(entry["canary_search_ms"])])
        rows.append([f"{r.pair.leader} -> {r.pair.follower}", *latency, r.lag,
                     f"{r.leader_count:,} / {r.follower_count:,}", "equal" if entry["mapping_equal"] else "differs",
                     "not compared" if content is None else
                     f"{content.leader_docs:,} compared, {entry['content_differences']} differ"])
    show_table("Replication: latency, lag and parity",
               ["pair", "slowest canary GET", "slowest canary search", "operations behind",
                "documents leader / follower", "mapping", "content"], rows)
    if not step.params.dry_run:
        figure = plots.replication_figure(timings, [(r.pair.follower, r.shards) for r in parities])
        plots.show_figure(figure, "Latency and lag", "; ".join(
            f"{f}: canary GET {_ms(e['canary_get_ms'])}, search {_ms(e['canary_search_ms'])}, "
            f"{e['lag_operations']} operations behind" for f, e in summary.items()))
    step.checks.info("replication summary", summary)
    return summary


def _ms(value: float | None) -> str:
    return "not seen" if value is None else f"{value:.0f} ms"


def _worst(values: list[float | None]) -> float | None:
    if not values or any(v is None for v in values):
        return None
    return round(max(v for v in values if v is not None), 1)


@contextmanager
def scan_progress(describe: str) -> Iterator[Callable[[str, int], None] | None]:
    """A documents-read counter drawn while a comparison runs, when someone is watching."""
    if not _interactive():
        yield None
        return
    from tqdm.auto import tqdm

    bar = tqdm(desc=describe, unit=" docs", unit_scale=True)
    try:
        yield lambda side, n: bar.update(n)
    finally:
        bar.close()
