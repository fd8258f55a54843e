"""The machinery behind `_delete_by_query` and `_reindex`: a scroll over a frozen view, a bulk request
per batch, and BulkByScrollTask's counters and response.

The source is read as of its last refresh when the request starts (a scroll context, so documents
indexed since are not seen); each batch is `scroll_size` documents in shard order. A failed write
other than a version conflict, or a conflict with `conflicts=abort`, stops the request after its batch
and is listed in `failures`; the REST status is then the worst failure's, as in Elasticsearch.
`requests_per_second` throttles between batches; a cancelled task stops before its next batch.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator

from . import errors
from .query_parse import QueryNode
from .readers import Reader
from .search import execute
from .search_request import ACCURATE, SearchRequest, SortSpec
from .search_targets import ShardView
from .tasks import Task, TaskCancelled

if TYPE_CHECKING:
    from .cluster import Cluster
    from .index import Index

MAX_DOCS_ALL = -1


@dataclass
class Status:
    """BulkByScrollTask.Status: what `_tasks` shows while running and the response repeats at the end."""

    total: int = 0
    updated: int = 0
    created: int = 0
    deleted: int = 0
    batches: int = 0
    version_conflicts: int = 0
    noops: int = 0
    throttled_millis: int = 0
    requests_per_second: float = float("inf")
    canceled: str | None = None
    failures: list[dict[str, Any]] = field(default_factory=list)

    def render(self, updated: bool = True, created: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"total": self.total}
        if updated:
            out["updated"] = self.updated
        if created:
            out["created"] = self.created
        out.update(deleted=self.deleted, batches=self.batches, version_conflicts=self.version_conflicts,
                   noops=self.noops, retries={"bulk": 0, "search": 0}, throttled_millis=self.throttled_millis,
                   requests_per_second=-1.0 if self.requests_per_second == float("inf") else self.requests_per_second)
        if self.canceled is not None:
            out["canceled"] = self.canceled
        out["throttled_until_millis"] = 0
        return out

    def response(self, took_ms: int, updated: bool = True, created: bool = True) -> dict[str, Any]:
        return {"took": took_ms, "timed_out": False, **self.render(updated, created), "failures": self.failures}

    def http_status(self) -> int:
        return max([200, *(f["status"] for f in self.failures)])


@dataclass
class Options:
    query: QueryNode | None
    conflicts: str = "abort"
    scroll_size: int = 1000
    max_docs: int = MAX_DOCS_ALL
    requests_per_second: float = float("inf")


def parse_conflicts(value: str | None) -> str:
    if value in (None, "abort", "proceed"):
        return value or "abort"
    raise errors.illegal_argument(f"conflicts may only be \"proceed\" or \"abort\" but was [{value}]")


def parse_requests_per_second(value: str | None) -> float:
    if value is None or value in ("unlimited", "-1"):
        return float("inf")
    try:
        rps = float(value)
    except ValueError:
        raise errors.EsError(400, "number_format_exception", f'For input string: "{value}"') from None
    if rps <= 0:
        raise errors.illegal_argument("[requests_per_second] must be a float greater than 0. Use -1 to disable "
                                      "throttling.")
    return rps


def frozen_views(cluster: "Cluster", reader: Reader) -> list[ShardView]:
    return [ShardView(cluster, c.index, c.shard_id, n, c.seq_no, c.node_id) for n, c in enumerate(reader.contexts)]


def scan(views: list[ShardView], options: Options, status: Status) -> Iterator[list[dict[str, Any]]]:
    """Batches of hits (with _seq_no, _primary_term and _version) in shard order; sets `status.total`."""
    now = int(time.time() * 1000)
    counted = execute(SearchRequest(query=options.query, size=0, track_total_hits=ACCURATE), views, now_millis=now)
    total = counted["hits"]["total"]["value"]
    status.total = total if options.max_docs == MAX_DOCS_ALL else min(total, options.max_docs)
    request = SearchRequest(query=options.query, size=options.scroll_size, sort=[SortSpec("_shard_doc", True)],
                            track_total_hits=None, seq_no_primary_term=True, version=True)
    remaining = status.total
    while remaining > 0:
        hits = execute(dataclasses.replace(request, size=min(options.scroll_size, remaining)), views,
                       now_millis=now)["hits"]["hits"]
        if not hits:
            return
        remaining -= len(hits)
        yield hits
        request = dataclasses.replace(request, search_after=hits[-1]["sort"])


def run(views: list[ShardView], options: Options, status: Status, task: Task,
        write: Callable[[list[dict[str, Any]]], None]) -> None:
    """Feeds each batch to `write` (which updates `status`), throttling and stopping as Elasticsearch does."""
    status.requests_per_second = options.requests_per_second
    try:
        for hits in scan(views, options, status):
            task.check_cancelled()
            started = time.monotonic()
            status.batches += 1
            write(hits)
            if status.failures:
                return
            _throttle(len(hits), started, status, task)
    except TaskCancelled as cancelled:
        status.canceled = str(cancelled)


def _throttle(batch: int, started: float, status: Status, task: Task) -> None:
    if status.requests_per_second == float("inf"):
        return
    wait = batch / status.requests_per_second - (time.monotonic() - started)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        task.check_cancelled()
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
    status.throttled_millis += max(0, int(wait * 1000))


_COUNTERS = {"created": "created", "updated": "updated", "deleted": "deleted", "noop": "noops"}


def record(status: Status, index: "Index", outcomes: list[tuple[str, Any]], conflicts: str) -> None:
    """Counts a bulk's (document id, WriteResult or EsError) outcomes into `status`."""
    for doc_id, outcome in outcomes:
        if isinstance(outcome, errors.EsError):
            conflict = outcome.type == "version_conflict_engine_exception"
            if conflict:
                status.version_conflicts += 1
            if not conflict or conflicts == "abort":
                status.failures.append({"index": index.name, "id": doc_id, "cause": outcome.fragment(),
                                        "status": outcome.status})
        else:
            counter = _COUNTERS.get(outcome.result, "noops")
            setattr(status, counter, getattr(status, counter) + 1)
