"""The search engine behind `_search` and `_count`: shards in, Elasticsearch's `hits` out.

`execute(request, shards)` runs a parsed request (see search_request.py) on each shard the way a
shard does (query, sort, search_after, aggregations), then merges the shards' results as the
coordinating node does. A check that fails on a shard is a shard failure; when every shard fails,
execute raises Elasticsearch's search_phase_execution_exception "all shards failed".

Besides `hits` (and `aggregations` when asked for), the result has `_shards`, since only the
engine knows which shards failed. Sort values and the order of hits are search_sort.py's.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Protocol

from . import errors
from .aggs import AggCollector, reduce_aggregations
from .fieldvalues import Malformed, ignored_fields
from .mapping import Mappings
from .matchers import DocContext, MatchAll, Matcher, Metadata, Stats
from .query import ShardContext, bind
from .query_parse import parse_query
from .search_request import ACCURATE, SearchRequest, SortSpec, parse_search_request
from .search_sort import Ranked, SortKey, float32
from .source_filter import filter_source

__all__ = ["Doc", "Shard", "SearchRequest", "parse_search_request", "execute", "count", "filter_source"]

# Match counts of queries that cannot be counted in SQL, by frozen shard view (see _ShardSearch.count_matches).
_COUNTS: OrderedDict[tuple[Any, ...], int] = OrderedDict()
_COUNTS_KEPT = 512


@dataclass(slots=True)
class Doc:
    """A document as a shard yields it to a search."""

    seq_no: int
    doc_id: str
    source: dict[str, Any]
    version: int = 1
    primary_term: int = 1
    routing: str | None = None


class Shard(Protocol):
    index: str
    shard_id: int
    shard_index: int
    mappings: Mappings

    def docs(self, after_seq_no: int | None) -> Iterator[Doc]: ...


class _ShardSearch:
    """The query phase on one shard: matching, counting, sorting, aggregating."""

    def __init__(self, request: SearchRequest, shard: Shard, now_millis: int) -> None:
        self.request, self.shard = request, shard
        ctx = ShardContext(shard.mappings, shard.index, now_millis, getattr(shard, "index_uuid", "_na_"),
                           getattr(shard, "index_matches", None))
        self.ctx = ctx
        self.matcher: Matcher = bind(request.query, ctx) if request.query is not None else MatchAll()
        self.collector = (AggCollector(None, shard.mappings, index=shard.index, specs=request.aggs)
                          if request.aggs else None)
        sort = request.sort or []
        self.keys = [SortKey(spec, shard, ctx) for spec in sort]
        # Without a sort, hits are ordered by score (then shard and document, as every order is).
        self.order = self.keys or [SortKey(SortSpec("_score", False), shard, ctx)]
        self.after = None
        if request.search_after is not None:
            if not self.keys:
                raise errors.java_exception("illegal_argument_exception", "Sort must contain at least one field.")
            if len(request.search_after) != len(self.keys):
                raise errors.java_exception("illegal_argument_exception", f"search_after has "
                                            f"{len(request.search_after)} value(s) but sort has {len(self.keys)}.")
            self.after = [self.after_value(key, value) for key, value in zip(self.keys, request.search_after)]
        window = getattr(shard, "max_result_window", request.max_result_window)
        if request.from_ + request.size > window:
            raise errors.java_exception(
                "illegal_argument_exception", f"Result window is too large, from + size must be less than or equal "
                f"to: [{window}] but was [{request.from_ + request.size}]. See the scroll api for a more efficient way "
                "to request large data sets. This limit can be set by changing the [index.max_result_window] index "
                "level setting.")
        self.scores_needed = request.size > 0 and (not sort or request.track_scores
                                                   or any(s.field == "_score" for s in sort))
        self.count = 0
        self.max_score: float | None = None
        self.top: list[Ranked] = []

    @staticmethod
    def after_value(key: SortKey, value: Any) -> Any:
        try:
            return key.parse(value)
        except (Malformed, ValueError, TypeError) as exc:  # DateParseError is a ValueError
            cause = exc.cause("") if isinstance(exc, Malformed) else None
            raise errors.java_exception("illegal_argument_exception",
                                        f"Failed to parse search_after value for field [{key.spec.field}].",
                                        cause) from None

    def docs(self, from_after: bool) -> Iterator[Doc]:
        """The shard's documents in seq_no order, within the query's `_seq_no` bounds; `from_after`
        starts past the search_after position when the sort is by _shard_doc (nothing before it is
        needed: it is neither counted here nor aggregated)."""
        after_seq_no = -1
        if from_after and self.after is not None and self.keys[0].kind == "_shard_doc" and self.keys[0].spec.ascending:
            after_shard, after_doc = self.after[0] >> 32, self.after[0] & 0xFFFFFFFF
            if self.shard.shard_index < after_shard:
                return iter(())
            if self.shard.shard_index == after_shard:
                after_seq_no = after_doc
        bounds = self.matcher.seq_no_bounds()
        if bounds is None:
            return self.shard.docs(None if after_seq_no < 0 else after_seq_no)
        low, high = bounds
        if low > high:
            return iter(())
        after_seq_no = max(after_seq_no, low - 1)
        docs = self.shard.docs(None if after_seq_no < 0 else after_seq_no)
        return itertools.takewhile(lambda doc: doc.seq_no <= high, docs)

    def in_sort_order(self) -> bool:
        """Whether matches arrive in sort order, so the top are the first ones: by _shard_doc, or by
        score when every match scores the same."""
        if self.keys:
            return self.keys[0].kind == "_shard_doc" and self.keys[0].spec.ascending
        return self.matcher.constant_score

    def run(self) -> None:
        keep = self.request.from_ + self.request.size
        counted = self.request.track_total_hits is not None
        # Counted apart from the hits when only the count needs every match (no aggregations, no
        # varying scores to rank or report) and the hits stream: a page of a point in time then reads
        # one page, not the shard.
        apart = (counted and self.collector is None and (self.matcher.constant_score or not self.scores_needed)
                 and (keep == 0 or self.in_sort_order()))
        if apart:
            self.count = self.count_matches()
            if self.scores_needed and self.count:
                self.max_score = float32(self.matcher.boost)
        stats = None
        wanted = self.matcher.scored_terms() if self.scores_needed else {}
        if wanted:
            stats = Stats(wanted)
            for doc in self.shard.docs(None):
                stats.add(DocContext(doc.doc_id, doc.source, doc.seq_no, doc.routing))
        # Otherwise every match is counted and aggregated here; only the top from + size are kept.
        exhaust = (counted and not apart) or self.collector is not None
        matches = self.matches(stats, counting=counted and not apart, from_after=not exhaust)
        if keep and self.in_sort_order() and not exhaust:
            self.top = list(itertools.islice(matches, keep))  # the first `keep` matches are the top ones
        elif keep:
            self.top = heapq.nsmallest(keep, matches)
        elif exhaust:
            for _ in matches:
                pass

    def count_matches(self) -> int:
        """The matches of the whole shard (search_after aside), up to what track_total_hits needs."""
        tracked = self.request.track_total_hits
        limit = None if tracked == ACCURATE else tracked + 1  # one more tells "gte" from "eq"
        exact = isinstance(self.matcher, MatchAll) or (isinstance(self.matcher, Metadata) and self.matcher.exact)
        count_visible = getattr(self.shard, "count_visible", None)
        if exact and count_visible is not None:
            bounds = self.matcher.seq_no_bounds() or (-1, None)
            if bounds[1] is not None and bounds[0] > bounds[1]:
                return 0
            return count_visible(max(bounds[0] - 1, -1), bounds[1], limit)
        key = getattr(self.shard, "view_key", None)
        if key is not None and self.ctx.cacheable:
            key = (key, self.shard.mappings.version, repr(self.request.query), limit)
            cached = _COUNTS.get(key)
            if cached is not None:
                return cached
        count = 0
        for doc in self.docs(False):
            if self.matcher.score(DocContext(doc.doc_id, doc.source, doc.seq_no, doc.routing), None) is not None:
                count += 1
                if count == limit:
                    break
        if key is not None and self.ctx.cacheable:
            _COUNTS[key] = count
            while len(_COUNTS) > _COUNTS_KEPT:
                _COUNTS.popitem(last=False)
        return count

    def matches(self, stats: Stats | None, counting: bool, from_after: bool) -> Iterator[Ranked]:
        for doc in self.docs(from_after):
            view = DocContext(doc.doc_id, doc.source, doc.seq_no, doc.routing)
            score = self.matcher.score(view, stats)
            if score is None:
                continue
            if counting:
                self.count += 1
            if self.collector is not None:
                self.collector.collect_doc(view)
            if self.scores_needed:
                score = float32(score)
                self.max_score = score if self.max_score is None else max(self.max_score, score)
            else:
                score = None
            ranked = Ranked([k.value(doc, view, score) for k in self.order], self.order, self.shard, doc, score)
            if self.after is not None and ranked.compare(self.after) <= 0:
                continue
            yield ranked


def execute(request: SearchRequest, shards: Iterable[Shard], *, node_id: str = "_na_",
            now_millis: int | None = None) -> dict[str, Any]:
    """Run a search on `shards`: {"hits", "aggregations" (if asked), "_shards"}."""
    shards = list(shards)
    now = now_millis if now_millis is not None else int(time.time() * 1000)
    searched: list[_ShardSearch] = []
    failures: list[tuple[int, str, str, errors.EsError]] = []
    for shard in shards:
        try:
            search = _ShardSearch(request, shard, now)
            search.run()
        except errors.EsError as failure:
            if failure.status == 501:
                raise
            failures.append((shard.shard_id, shard.index, getattr(shard, "node_id", node_id), failure))
            continue
        searched.append(search)
    if shards and not searched:
        raise errors.all_shards_failed(failures)
    response: dict[str, Any] = {"_shards": _shards_header(len(shards), failures), "hits": _hits(request, searched)}
    if request.aggs and searched:
        response["aggregations"] = reduce_aggregations([s.collector for s in searched], request.typed_keys)
    return response


def _shards_header(total: int, failures: list[tuple[int, str, str, errors.EsError]]) -> dict[str, Any]:
    header: dict[str, Any] = {"total": total, "successful": total - len(failures), "skipped": 0,
                              "failed": len(failures)}
    if failures:
        header["failures"] = [errors.shard_failure(*f) for f in errors.group_shard_failures(failures)]
    return header


def _hits(request: SearchRequest, searched: list[_ShardSearch]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if request.track_total_hits is not None:
        total = sum(s.count for s in searched)
        limit = request.track_total_hits
        if limit != ACCURATE and total > limit:
            out["total"] = {"value": limit, "relation": "gte"}
        else:
            out["total"] = {"value": total, "relation": "eq"}
        if request.rest_total_hits_as_int:
            out["total"] = total
    scores = [s.max_score for s in searched if s.max_score is not None]
    out["max_score"] = max(scores) if scores else (0.0 if not searched else None)
    # Each shard's top is in order already: merging them costs a comparison per hit, not a heap sort.
    ranked = list(itertools.islice(heapq.merge(*(s.top for s in searched)), request.from_ + request.size))
    out["hits"] = [_hit(request, r) for r in ranked[request.from_:]]
    return out


def _hit(request: SearchRequest, ranked: Ranked) -> dict[str, Any]:
    doc, shard = ranked.doc, ranked.shard
    hit: dict[str, Any] = {"_index": shard.index, "_id": doc.doc_id}
    if request.version:
        hit["_version"] = doc.version
    if request.seq_no_primary_term:
        hit["_seq_no"], hit["_primary_term"] = doc.seq_no, doc.primary_term
    hit["_score"] = ranked.score
    if doc.routing is not None:
        hit["_routing"] = doc.routing
    ignored = ignored_fields(shard.mappings, doc.source)
    if ignored:
        hit["_ignored"] = ignored
    if request.source is not False:
        hit["_source"] = filter_source(doc.source, request.source)
    if request.sort:
        hit["sort"] = [key.render(value) for key, value in zip(ranked.keys, ranked.values)]
    return hit


def count(query: dict[str, Any] | None, shards: Iterable[Shard], *, node_id: str = "_na_",
          now_millis: int | None = None, raw: bytes | str | None = None) -> int:
    """Documents matching `query` (the value of a _count body's "query"; None counts everything)."""
    node = parse_query(query, ("query",), {"query": query}, raw) if query is not None else None
    request = SearchRequest(query=node, size=0, track_total_hits=ACCURATE)
    return execute(request, shards, node_id=node_id, now_millis=now_millis)["hits"]["total"]["value"]
