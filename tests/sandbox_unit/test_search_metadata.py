"""Queries on metadata fields, and the per-hit and per-page costs of searching, as Elasticsearch 8 answers.

Shards are in memory (as in test_search_engine); a counting shard shows how many documents a search
reads, which is what keeps paging a point in time linear.
"""

from __future__ import annotations

import pytest

from es_sandbox.errors import EsError
from es_sandbox.fieldvalues import ignorable_fields
from es_sandbox.mapping import Mappings
from es_sandbox.search import Doc, execute, parse_search_request

NOW = 1_600_000_000_000


class Shard:
    """An in-memory shard: documents with seq_no, id and routing; counts the documents it yields."""

    def __init__(self, index: str, sources: list[dict], shard_index: int = 0, routing: dict[int, str] | None = None,
                 mappings: Mappings | None = None) -> None:
        self.index, self.shard_id, self.shard_index = index, shard_index, shard_index
        self.mappings = mappings or Mappings.from_body(None)
        self.read = 0
        self.stored = []
        for seq_no, source in enumerate(sources):
            doc_id = f"{index}-{shard_index}-{seq_no}"
            self.mappings.apply_dynamic(doc_id, source)
            self.stored.append(Doc(seq_no, doc_id, source, routing=(routing or {}).get(seq_no)))

    def docs(self, after_seq_no):
        for doc in self.stored:
            if after_seq_no is None or doc.seq_no > after_seq_no:
                self.read += 1
                yield doc


def search(shards, body: dict) -> dict:
    return execute(parse_search_request(body, {}), shards if isinstance(shards, list) else [shards],
                   node_id="node-1", now_millis=NOW)


def ids(response: dict) -> list[str]:
    return [hit["_id"] for hit in response["hits"]["hits"]]


def failure(shards, body: dict) -> dict:
    with pytest.raises(EsError) as caught:
        search(shards, body)
    return caught.value.body()["error"]["failed_shards"][0]["reason"]


def ten(index: str = "logs", **kwargs) -> Shard:
    return Shard(index, [{"n": i} for i in range(10)], **kwargs)


# --- _seq_no ----------------------------------------------------------------------------------


def test_range_term_and_terms_on_seq_no_select_by_sequence_number():
    shard = ten()
    assert ids(search(shard, {"query": {"range": {"_seq_no": {"lte": 2}}}, "sort": ["_doc"]})) == \
        ["logs-0-0", "logs-0-1", "logs-0-2"]
    assert search(shard, {"query": {"range": {"_seq_no": {"gt": 3, "lt": 6}}}})["hits"]["total"]["value"] == 2
    assert ids(search(shard, {"query": {"term": {"_seq_no": 7}}})) == ["logs-0-7"]
    assert ids(search(shard, {"query": {"terms": {"_seq_no": [1, "4"]}}, "sort": ["_doc"]})) == ["logs-0-1", "logs-0-4"]
    assert ids(search(shard, {"query": {"match": {"_seq_no": "9"}}})) == ["logs-0-9"]
    assert search(shard, {"query": {"exists": {"field": "_seq_no"}}})["hits"]["total"]["value"] == 10


def test_seq_no_values_parse_as_longs():
    shard = ten()
    reason = failure(shard, {"query": {"term": {"_seq_no": 2.5}}})
    assert reason["type"] == "query_shard_exception"
    assert reason["reason"] == "failed to create query: Value [2.5] has a decimal part"
    assert reason["caused_by"] == {"type": "illegal_argument_exception", "reason": "Value [2.5] has a decimal part"}
    reason = failure(shard, {"query": {"range": {"_seq_no": {"gte": "abc"}}}})
    assert reason["caused_by"] == {"type": "number_format_exception", "reason": 'For input string: "abc"'}
    # match reads its query as text: 3.0 is "3.0", which Long.parseLong refuses; term takes the number
    assert failure(shard, {"query": {"match": {"_seq_no": 3.0}}})["caused_by"]["reason"] == 'For input string: "3.0"'
    assert ids(search(shard, {"query": {"term": {"_seq_no": 3.0}}})) == ["logs-0-3"]


def test_a_seq_no_range_reads_only_the_documents_it_can_match():
    shard = Shard("big", [{"n": i} for i in range(1000)])
    body = {"query": {"range": {"_seq_no": {"gte": 100, "lte": 109}}}, "sort": ["_doc"], "size": 100}
    assert len(search(shard, body)["hits"]["hits"]) == 10
    assert shard.read <= 11  # from 100 on, stopping past 109


# --- _id, _index, _routing, _ignored ------------------------------------------------------------


def test_id_term_terms_and_ids_match_and_range_is_refused():
    shard = ten()
    assert ids(search(shard, {"query": {"term": {"_id": "logs-0-4"}}})) == ["logs-0-4"]
    assert ids(search(shard, {"query": {"terms": {"_id": ["logs-0-1", "logs-0-2", "nope"]}}, "sort": ["_doc"]})) == \
        ["logs-0-1", "logs-0-2"]
    assert ids(search(shard, {"query": {"ids": {"values": ["logs-0-9"]}}})) == ["logs-0-9"]
    assert search(shard, {"query": {"exists": {"field": "_id"}}})["hits"]["total"]["value"] == 10
    reason = failure(shard, {"query": {"range": {"_id": {"gte": "a"}}}})
    assert reason["reason"] == "failed to create query: Field [_id] of type [_id] does not support range queries"


def test_index_term_matches_the_shard_index_by_name_or_pattern():
    shards = [ten("logs-a"), ten("logs-b", shard_index=1)]
    assert search(shards, {"query": {"term": {"_index": "logs-a"}}})["hits"]["total"]["value"] == 10
    assert search(shards, {"query": {"terms": {"_index": ["logs-b", "x"]}}})["hits"]["total"]["value"] == 10
    assert search(shards, {"query": {"term": {"_index": "logs-*"}}})["hits"]["total"]["value"] == 20
    assert search(shards, {"query": {"term": {"_index": "remote:logs-a"}}})["hits"]["total"]["value"] == 0
    reason = failure(shards, {"query": {"range": {"_index": {"gte": "a"}}}})
    assert reason["reason"] == "failed to create query: Field [_index] of type [_index] does not support range queries"


def test_routing_is_queryable_and_shown_on_hits():
    shard = ten(routing={2: "user-7", 5: "user-9"})
    found = search(shard, {"query": {"term": {"_routing": "user-7"}}})["hits"]["hits"]
    assert [(h["_id"], h["_routing"]) for h in found] == [("logs-0-2", "user-7")]
    assert search(shard, {"query": {"exists": {"field": "_routing"}}})["hits"]["total"]["value"] == 2
    assert search(shard, {"query": {"range": {"_routing": {"gt": "user-7"}}}})["hits"]["total"]["value"] == 1
    assert "_routing" not in search(shard, {"query": {"term": {"_seq_no": 0}}})["hits"]["hits"][0]


def test_ignored_names_the_fields_a_document_ignored():
    mappings = Mappings.from_body({"properties": {"tag": {"type": "keyword", "ignore_above": 3}}})
    shard = Shard("t", [{"tag": "ab"}, {"tag": "abcdef"}], mappings=mappings)
    assert ids(search(shard, {"query": {"exists": {"field": "_ignored"}}})) == ["t-0-1"]
    assert ids(search(shard, {"query": {"term": {"_ignored": "tag"}}})) == ["t-0-1"]
    assert search(shard, {"query": {"term": {"_id": "t-0-1"}}})["hits"]["hits"][0]["_ignored"] == ["tag"]


def test_version_and_source_are_not_searchable():
    shard = ten()
    for query in ({"term": {"_version": 1}}, {"terms": {"_version": [1]}}):
        reason = failure(shard, {"query": query})
        assert (reason["type"], reason["reason"]) == ("query_shard_exception", "The _version field is not searchable")
    assert failure(shard, {"query": {"exists": {"field": "_source"}}})["reason"] == "The _source field is not searchable"
    assert failure(shard, {"query": {"match": {"_version": 1}}})["reason"] == \
        "failed to create query: Field [_version] of type [_version] does not support match queries"
    assert search(shard, {"query": {"exists": {"field": "_version"}}})["hits"]["total"]["value"] == 10


def test_other_metadata_fields_are_refused_as_not_emulated():
    with pytest.raises(EsError) as caught:
        search(ten(), {"query": {"term": {"_field_names": "n"}}})
    assert caught.value.status == 501


# --- costs ------------------------------------------------------------------------------------


def test_ignorable_fields_are_found_once_per_mapping_version():
    mappings = Mappings.from_body({"properties": {"a": {"type": "keyword"}, "n": {"type": "long", "ignore_malformed": True}}})
    assert [f.path for f in ignorable_fields(mappings)] == ["n"]
    mappings.merge({"properties": {"a": {"type": "keyword", "ignore_above": 5}}})
    assert [f.path for f in ignorable_fields(mappings)] == ["a", "n"]


def test_pages_by_shard_doc_with_default_totals_read_one_page_not_the_shard():
    shards = [Shard("p", [{"n": i} for i in range(500)]), Shard("p", [{"n": i} for i in range(500)], shard_index=1)]
    body = {"size": 50, "sort": ["_shard_doc"], "pit": {"id": "any"}, "query": {"range": {"_seq_no": {"lte": 399}}}}
    first = search(shards, body)
    assert first["hits"]["total"] == {"value": 800, "relation": "eq"}
    for shard in shards:
        shard.read = 0
    page = search(shards, body | {"search_after": first["hits"]["hits"][-1]["sort"]})
    assert page["hits"]["total"] == {"value": 800, "relation": "eq"}
    assert ids(page)[0] == "p-0-50"
    # the count reads each shard's matches (this engine's shards cannot count in SQL), the page 51 more
    assert shards[0].read <= 400 + 51 and shards[1].read <= 400 + 51


def test_a_constant_score_search_without_sort_takes_the_first_matches():
    shard = Shard("p", [{"n": i} for i in range(300)])
    answer = search(shard, {"size": 3, "query": {"match_all": {"boost": 2}}, "track_total_hits": 100})
    assert ids(answer) == ["p-0-0", "p-0-1", "p-0-2"]
    assert answer["hits"]["total"] == {"value": 100, "relation": "gte"}
    assert answer["hits"]["max_score"] == 2.0 and answer["hits"]["hits"][0]["_score"] == 2.0
