"""The demo's closing summary: step verdicts, the runbook's own figures, and the application's view.

Latency, parity and the cutover's write downtime are what the notebooks measured and recorded as
checks (read back from the executed notebooks, so the summary and the evidence never disagree); the
application's figures (acknowledged, rejected, lost) come from the demo's writer.
"""

from __future__ import annotations

from typing import Any, Iterable

from .app_writer import WriterStats
from .checks import show_value
from .evidence.report import REPORT_FILE
from .index_parameters import IndexPair
from .records import iter_records
from .runner import RunResult, StepResult

# Which of a step's checks the summary shows, by words in the check's name.
FIGURES = {
    "Replication latency": ("04_verify", ("readable by realtime get", "found by search")),
    "Parity while the leader takes writes": ("04_verify", ("global checkpoint", "document count", "mapping equals",
                                                           "content equals")),
    "Cutover": ("05_cutover", ("document count equals", "max seq no per shard", "content", "step durations",
                               "write downtime")),
}
_MGET_BATCH = 1000


def lost_writes(client: Any, index: str, ids: list[str]) -> list[str]:
    """The acknowledged ids that `index` does not hold (an empty list: nothing was lost)."""
    lost = []
    for start in range(0, len(ids), _MGET_BATCH):
        batch = ids[start:start + _MGET_BATCH]
        answer = client.mget(index=index, body={"ids": batch}, source=False)
        docs = getattr(answer, "body", answer)["docs"]
        lost += [doc["_id"] for doc in docs if not doc.get("found")]
    return lost


def summary_lines(result: RunResult, stats: WriterStats, lost: list[str] | None, *, load_s: float, docs: int,
                  pair: IndexPair, local: Any, remote: Any) -> Iterable[str]:
    yield ""
    yield f"== Demo summary: migration run {result.run_id} {result.status.upper()} =="
    yield f"Sample data: {docs:,} documents loaded into {pair.leader} in {load_s:.0f} s ({docs / max(load_s, 1e-9):,.0f}/s)"
    yield "Steps:"
    for step in result.steps:
        yield f"  {step.step:<22} {_verdict(step):<8} {_counts(step):<40} {_seconds(step.duration_s)}"
        if step.message:
            yield f"      {step.message}"
    checks = {step.step: _checks(step) for step in result.steps if step.notebook}
    for title, (step_name, words) in FIGURES.items():
        found = [c for c in checks.get(step_name, []) if any(w in c["name"].lower() for w in words)]
        if found:
            yield f"{title} ({step_name}):"
            yield from (f"  {c['verdict']:<5} {c['name']}: {show_value(c['observed'], 160)}" for c in found)
    yield from _application_lines(stats, lost, pair)
    yield from _count_lines(result, pair, local, remote, expected=docs + stats.acknowledged)
    yield f"Executed notebooks: {result.folder}/"
    report = result.folder / REPORT_FILE
    if report.is_file():
        yield f"Auditor's report: {report} (one page, opens offline in any browser)"
    if result.head:
        yield (f"Evidence chain head: {result.head} (check it later with: python -m runbook_lib evidence verify "
               f"{result.folder} --head {result.head})")
    failed = result.failed_step
    if failed:
        yield f"The migration stopped at {failed.step}; open {failed.notebook} to see why."


def _application_lines(stats: WriterStats, lost: list[str] | None, pair: IndexPair) -> Iterable[str]:
    outage = stats.cutover_outage
    yield (f"Application writer: {stats.acknowledged:,} documents acknowledged by {pair.leader}, "
           f"{stats.rejected_total:,} rejected, {stats.unknown:,} without an answer "
           f"({stats.achieved_rate:.0f}/s for {stats.running_s:.0f} s)")
    if outage is not None:
        yield (f"  writes unavailable at cutover: {outage.seconds:.2f} s, from the first rejected write "
               f"({outage.first_error}) to the promoted index being open for writes")
    for other in (o for o in stats.outages if o is not outage):
        yield f"  writes also rejected for {other.seconds or 0:.2f} s from {other.started_at}: {other.first_error}"
    if lost is None:
        yield "  acknowledged writes were not checked on the follower: the migration did not finish"
    elif lost:
        yield f"  LOST: {len(lost):,} acknowledged documents are missing from {pair.follower}: {', '.join(lost[:10])}"
    else:
        yield f"  every acknowledged document is on the promoted index {pair.follower}: 0 lost"


def _count_lines(result: RunResult, pair: IndexPair, local: Any, remote: Any, expected: int) -> Iterable[str]:
    counts = []
    for client, index, role in ((remote, pair.leader, "leader"), (local, pair.follower, "promoted" if result.passed else "follower")):
        try:
            client.indices.refresh(index=index)  # a count sees only what a refresh has made searchable
            answer = client.count(index=index)
            counts.append(f"{index} ({role}) {getattr(answer, 'body', answer)['count']:,}")
        except Exception as exc:  # noqa: BLE001 - a summary line must not hide the rest of the summary
            counts.append(f"{index} ({role}) not counted: {type(exc).__name__}")
    yield f"Documents: {'; '.join(counts)} (expected {expected:,}: the sample plus every acknowledged write)"


def _checks(step: StepResult) -> list[dict[str, Any]]:
    try:
        return [payload for kind, *_, payload in iter_records(step.notebook) if kind == "check"]
    except OSError:
        return []


def _verdict(step: StepResult) -> str:
    if step.status == "passed" and step.checks.get("warn"):
        return "warnings"
    return step.status


def _counts(step: StepResult) -> str:
    c = step.checks
    if not c:
        return ""
    parts = [f"{c.get('pass', 0)} passed"]
    if c.get("warn"):
        parts.append(f"{c['warn']} warnings")
    if c.get("fail"):
        parts.append(f"{c['fail']} failed")
    if c.get("info"):
        parts.append(f"{c['info']} for information")
    return ", ".join(parts)


def _seconds(value: float | None) -> str:
    return f"{value:7.1f} s" if value is not None else ""
