"""Matchers: a query bound to a shard, deciding per document whether it matches and its score.

Scores follow Lucene's BM25 (k1 1.2, b 0.75, idf = ln(1 + (N - n + 0.5) / (n + 0.5))) on the
shard's own statistics, with exact document lengths where Lucene stores them lossily, and without
the deleted documents Lucene still counts: close to Elasticsearch's scores, not always equal.
Clauses Elasticsearch scores as constants (numeric terms, range, exists, ids, terms) score their
boost; filter and must_not clauses score nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field as dataclass_field
from typing import Any, Callable

from .fieldvalues import terms, values
from .mapping import FieldDef

K1, B = 1.2, 0.75


class DocContext:
    """One document under evaluation, with its metadata; caches each field's terms and values."""

    __slots__ = ("doc_id", "source", "seq_no", "routing", "_terms", "_values")

    def __init__(self, doc_id: str, source: dict[str, Any], seq_no: int = -1, routing: str | None = None) -> None:
        self.doc_id = doc_id
        self.source = source
        self.seq_no = seq_no
        self.routing = routing
        self._terms: dict[str, list[Any]] = {}
        self._values: dict[str, list[Any]] = {}

    def terms(self, fd: FieldDef) -> list[Any]:
        if fd.path not in self._terms:
            self._terms[fd.path] = terms(fd, self.source)
        return self._terms[fd.path]

    def values(self, fd: FieldDef) -> list[Any]:
        if fd.path not in self._values:
            self._values[fd.path] = values(fd, self.source)
        return self._values[fd.path]


@dataclass
class FieldStats:
    doc_count: int = 0  # documents with at least one term in the field
    total_length: int = 0  # tokens (text) or distinct terms (keyword), summed over documents
    doc_freq: dict[Any, int] = dataclass_field(default_factory=dict)


class Stats:
    """Per-shard term statistics of the fields and terms a query scores."""

    def __init__(self, wanted: dict[str, tuple[FieldDef, set[Any]]]) -> None:
        self.wanted = wanted
        self.fields = {path: FieldStats() for path in wanted}

    def add(self, doc: DocContext) -> None:
        for path, (fd, wanted_terms) in self.wanted.items():
            doc_terms = doc.terms(fd)
            if not doc_terms:
                continue
            stats = self.fields[path]
            stats.doc_count += 1
            distinct = set(doc_terms)
            stats.total_length += len(doc_terms) if fd.type == "text" else len(distinct)
            for term in distinct & wanted_terms:
                stats.doc_freq[term] = stats.doc_freq.get(term, 0) + 1


class Matcher:
    """A query bound to a shard. `score` is None for a document that does not match."""

    boost = 1.0

    def score(self, doc: DocContext, stats: Stats | None) -> float | None:
        raise NotImplementedError

    def matches(self, doc_id: str, source: dict[str, Any]) -> bool:
        """Whether a document matches (scores aside): for delete/update by query and the like."""
        return self.score(DocContext(doc_id, source), None) is not None

    def scored_terms(self) -> dict[str, tuple[FieldDef, set[Any]]]:
        return {}

    def seq_no_bounds(self) -> tuple[int, int] | None:
        """The seq_no range every match lies in, when the query restricts `_seq_no` (else None)."""
        return None

    @property
    def constant_score(self) -> bool:
        """Whether every match scores the same (its boost), so any order of matches is score order."""
        return False


class MatchAll(Matcher):
    def __init__(self, boost: float = 1.0) -> None:
        self.boost = boost

    def score(self, doc: DocContext, stats: Stats | None) -> float | None:
        return self.boost

    constant_score = True


class MatchNone(Matcher):
    def score(self, doc: DocContext, stats: Stats | None) -> float | None:
        return None

    constant_score = True


class Metadata(Matcher):
    """A constant-score test of a document's metadata (`_id`, `_seq_no`, `_routing`, `_ignored`).

    `seq_no_range` bounds the matches of a query on `_seq_no`: (lowest, highest), both inclusive;
    `exact` when every document in that range matches (a range, or a single term).
    """

    constant_score = True

    def __init__(self, test: Callable[[DocContext], bool], boost: float,
                 seq_no_range: tuple[int, int] | None = None, exact: bool = False) -> None:
        self.test, self.boost, self.seq_no_range, self.exact = test, boost, seq_no_range, exact

    def score(self, doc: DocContext, stats: Stats | None) -> float | None:
        return self.boost if self.test(doc) else None

    def seq_no_bounds(self) -> tuple[int, int] | None:
        return self.seq_no_range


class TermSet(Matcher):
    """Documents holding any of `wanted` in a field; BM25-scored on text, keyword and boolean."""

    def __init__(self, fd: FieldDef, wanted: list[Any], boost: float, scored: bool) -> None:
        self.fd, self.wanted, self.boost, self.scored = fd, wanted, boost, scored
        self.uses_terms = fd.type in ("text", "keyword", "boolean")

    def score(self, doc: DocContext, stats: Stats | None) -> float | None:
        held = doc.terms(self.fd) if self.uses_terms else doc.values(self.fd)
        matched = [term for term in self.wanted if term in held]
        if not matched:
            return None
        if not self.scored or stats is None:
            return self.boost
        return sum(self.bm25(term, held, stats.fields[self.fd.path]) for term in matched)

    def bm25(self, term: Any, held: list[Any], stats: FieldStats) -> float:
        df = stats.doc_freq.get(term, 0)
        idf = math.log(1 + (stats.doc_count - df + 0.5) / (df + 0.5))
        avg = stats.total_length / stats.doc_count
        if self.fd.type == "text":
            freq, length = held.count(term), len(held)
        else:  # norms and frequencies are not indexed: every document has length 1, freq 1
            freq, length = 1, 1
        norm = K1 * ((1 - B) + B * length / avg)
        return self.boost * idf * freq / (freq + norm)

    def scored_terms(self) -> dict[str, tuple[FieldDef, set[Any]]]:
        return {self.fd.path: (self.fd, set(self.wanted))} if self.scored else {}

    @property
    def constant_score(self) -> bool:
        return not self.scored


class Disjunction(Matcher):
    """The terms of an analyzed match query: `required` of them must match; scores add up."""

    def __init__(self, clauses: list[TermSet], required: int, boost: float) -> None:
        self.clauses, self.required, self.boost = clauses, required, boost

    def score(self, doc: DocContext, stats: Stats | None) -> float | None:
        scores = [s for s in (c.score(doc, stats) for c in self.clauses) if s is not None]
        if len(scores) < max(self.required, 1):
            return None
        return sum(scores) * self.boost

    def scored_terms(self) -> dict[str, tuple[FieldDef, set[Any]]]:
        return _union(c.scored_terms() for c in self.clauses)


class Range(Matcher):
    constant_score = True

    def __init__(self, fd: FieldDef, low: Any, low_inclusive: bool, high: Any, high_inclusive: bool,
                 boost: float) -> None:
        self.fd, self.boost = fd, boost
        self.low, self.low_inclusive, self.high, self.high_inclusive = low, low_inclusive, high, high_inclusive

    def score(self, doc: DocContext, stats: Stats | None) -> float | None:
        held = doc.terms(self.fd) if self.fd.type == "text" else doc.values(self.fd)
        return self.boost if any(self.contains(v) for v in held) else None

    def contains(self, value: Any) -> bool:
        if self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive)):
            return False
        return not (self.high is not None and (value > self.high or (value == self.high and not self.high_inclusive)))


class Exists(Matcher):
    constant_score = True

    def __init__(self, fields: list[FieldDef], boost: float) -> None:
        self.fields, self.boost = fields, boost

    def score(self, doc: DocContext, stats: Stats | None) -> float | None:
        return self.boost if any(doc.values(fd) for fd in self.fields) else None


class Ids(Matcher):
    constant_score = True

    def __init__(self, ids: set[str], boost: float) -> None:
        self.ids, self.boost = ids, boost

    def score(self, doc: DocContext, stats: Stats | None) -> float | None:
        return self.boost if doc.doc_id in self.ids else None


class Bool(Matcher):
    def __init__(self, must: list[Matcher], should: list[Matcher], must_not: list[Matcher],
                 filters: list[Matcher], minimum_should_match: int, boost: float) -> None:
        self.must, self.should, self.must_not, self.filters = must, should, must_not, filters
        self.minimum_should_match, self.boost = minimum_should_match, boost

    def score(self, doc: DocContext, stats: Stats | None) -> float | None:
        total = 0.0
        for clause in self.must:
            s = clause.score(doc, stats)
            if s is None:
                return None
            total += s
        if any(c.score(doc, None) is None for c in self.filters):
            return None
        if any(c.score(doc, None) is not None for c in self.must_not):
            return None
        matched = [s for s in (c.score(doc, stats) for c in self.should) if s is not None]
        if len(matched) < self.minimum_should_match:
            return None
        return (total + sum(matched)) * self.boost

    def scored_terms(self) -> dict[str, tuple[FieldDef, set[Any]]]:
        return _union(c.scored_terms() for c in self.must + self.should)

    def seq_no_bounds(self) -> tuple[int, int] | None:
        """Required clauses (must, filter) narrow the range; should and must_not do not."""
        bounds = None
        for clause in self.must + self.filters:
            narrower = clause.seq_no_bounds()
            if narrower is not None:
                bounds = narrower if bounds is None else (max(bounds[0], narrower[0]), min(bounds[1], narrower[1]))
        return bounds


def _union(parts: Any) -> dict[str, tuple[FieldDef, set[Any]]]:
    merged: dict[str, tuple[FieldDef, set[Any]]] = {}
    for part in parts:
        for path, (fd, wanted) in part.items():
            merged.setdefault(path, (fd, set()))[1].update(wanted)
    return merged
