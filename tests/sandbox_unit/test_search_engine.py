"""The practice cluster's search engine answers as Elasticsearch 8 does: what users rely on.

Each test builds the smallest index it needs (a mapping and a few documents on in-memory shards).
"""

from __future__ import annotations

import json

import pytest

from es_sandbox.aggs import AggCollector
from es_sandbox.analysis import analyze
from es_sandbox.errors import EsError
from es_sandbox.fieldvalues import field_values
from es_sandbox.mapping import Mappings
from es_sandbox.query import compile_query
from es_sandbox.query_parse import suggest
from es_sandbox.search import Doc, count, execute, filter_source, parse_search_request

NOW = 1_600_000_000_000  # 2020-09-13T12:26:40Z


class Shard:
    """An in-memory shard with the attributes execute() reads."""

    def __init__(self, index: str, mappings: Mappings, sources: list[dict], shard_id: int = 0,
                 shard_index: int = 0, first_id: int = 0) -> None:
        self.index, self.shard_id, self.shard_index, self.mappings = index, shard_id, shard_index, mappings
        self.stored = []
        for position, source in enumerate(sources):
            doc_id = str(first_id + position)
            mappings.apply_dynamic(doc_id, source)
            self.stored.append(Doc(seq_no=position, doc_id=doc_id, source=source, version=1, primary_term=1))

    def docs(self, after_seq_no):
        return (d for d in self.stored if after_seq_no is None or d.seq_no > after_seq_no)


def index_of(sources: list[dict], mapping: dict | None = None, name: str = "people") -> Shard:
    return Shard(name, Mappings.from_body(mapping), sources)


def search(shards: list[Shard] | Shard, body: dict | None = None, params: dict | None = None) -> dict:
    shards = shards if isinstance(shards, list) else [shards]
    return execute(parse_search_request(body, params or {}), shards, node_id="node-1", now_millis=NOW)


def ids(response: dict) -> list[str]:
    return [hit["_id"] for hit in response["hits"]["hits"]]


def error_of(call) -> dict:
    with pytest.raises(EsError) as caught:
        call()
    return caught.value.body()


PEOPLE = [
    {"name": "Jack Smith", "age": 30, "city": "Paris", "born": "1990-05-17", "active": True},
    {"name": "Jill Jones", "age": 40, "city": "Rome", "born": "1980-01-02", "active": False},
    {"name": "jack black", "age": 50, "city": "Paris", "born": "1970-12-31", "active": True},
]


# -- the standard analyzer -------------------------------------------------------------------


def test_standard_analyzer_matches_the_documented_example():
    text = "The 2 QUICK Brown-Foxes jumped over the lazy dog's bone."
    assert analyze(text) == ["the", "2", "quick", "brown", "foxes", "jumped", "over", "the", "lazy", "dog's", "bone"]


def test_standard_analyzer_keeps_word_joiners_and_splits_cjk_and_long_tokens():
    assert analyze("foo_bar example.com 3.14 1,000 wi-fi") == ["foo_bar", "example.com", "3.14", "1,000", "wi", "fi"]
    assert analyze("東京タワー") == ["東", "京", "タワー"]
    assert analyze("x" * 300) == ["x" * 255, "x" * 45]
    assert analyze("ΟΔΟΣ") == ["οδοσ"]  # per-character lowercasing, as Java's


# -- dynamic mapping --------------------------------------------------------------------------


def test_dynamic_mapping_gives_elasticsearch_8_types():
    mappings = Mappings.from_body(None)
    assert mappings.to_body() == {}
    changed = mappings.apply_dynamic("1", {
        "name": "Jack", "age": 30, "score": 1.5, "ok": True, "born": "2020-01-01", "slash": "2015/09/02",
        "digits": "123", "user": {"first": "a"}, "empty": {}, "tags": ["x", "y"], "nothing": None, "none": [],
    })
    assert changed
    text_with_keyword = {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
    assert mappings.to_body() == {"properties": {
        "name": text_with_keyword,
        "age": {"type": "long"},
        "score": {"type": "float"},
        "ok": {"type": "boolean"},
        "born": {"type": "date"},
        "slash": {"type": "date", "format": "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis"},
        "digits": text_with_keyword,  # numeric strings are never detected as dates
        "user": {"properties": {"first": text_with_keyword}},
        "empty": {"type": "object"},
        "tags": text_with_keyword,
    }}
    assert mappings.field_type("name.keyword") == "keyword"
    assert mappings.field_type("user.first") == "text"


def test_version_grows_only_when_the_mapping_changes():
    mappings = Mappings.from_body(None)
    assert mappings.apply_dynamic("1", {"a": 1})
    version = mappings.version
    assert not mappings.apply_dynamic("2", {"a": 2})
    assert mappings.version == version
    assert mappings.apply_dynamic("3", {"b": "x"})
    assert mappings.version == version + 1
    assert not mappings.merge({"properties": {"a": {"type": "long"}}})
    assert mappings.merge({"properties": {"c": {"type": "keyword"}}})
    assert mappings.version == version + 2


def test_a_value_a_long_cannot_hold_is_refused_with_elasticsearch_8_wording():
    mappings = Mappings.from_body({"properties": {"age": {"type": "long"}}})
    body = error_of(lambda: mappings.apply_dynamic("1", {"age": "abc"}))
    reason = "[1:8] failed to parse field [age] of type [long] in document with id '1'. Preview of field's value: 'abc'"
    assert body == {"error": {
        "root_cause": [{"type": "document_parsing_exception", "reason": reason}],
        "type": "document_parsing_exception", "reason": reason,
        "caused_by": {"type": "illegal_argument_exception", "reason": 'For input string: "abc"'},
    }, "status": 400}


def test_error_location_follows_the_body_as_sent():
    mappings = Mappings.from_body({"properties": {"age": {"type": "long"}}})
    raw = '{\n  "name": "x",\n  "age": "abc"\n}'
    body = error_of(lambda: mappings.apply_dynamic("7", {"name": "x", "age": "abc"}, raw))
    assert body["error"]["reason"].startswith("[3:10] failed to parse field [age]")


def test_a_bad_date_names_the_format_and_a_refused_document_maps_nothing():
    mappings = Mappings.from_body(None)
    mappings.apply_dynamic("1", {"born": "2020-01-01"})
    before = mappings.to_body()
    error = error_of(lambda: mappings.apply_dynamic("2", {"new_field": 1, "born": "yesterday"}))["error"]
    assert error["caused_by"] == {
        "type": "illegal_argument_exception",
        "reason": "failed to parse date field [yesterday] with format [strict_date_optional_time||epoch_millis]",
        "caused_by": {"type": "date_time_parse_exception", "reason": "Failed to parse with all enclosed parsers"},
    }
    assert mappings.to_body() == before


def test_strict_and_false_dynamic_settings():
    strict = Mappings.from_body({"dynamic": "strict", "properties": {"name": {"type": "keyword"},
                                                                    "o": {"properties": {"a": {"type": "long"}}}}})
    error = error_of(lambda: strict.apply_dynamic("1", {"name": "x", "age": 1}))["error"]
    assert error["type"] == "strict_dynamic_mapping_exception"
    assert error["reason"] == "[1:19] mapping set to strict, dynamic introduction of [age] within [_doc] is not allowed"
    nested = error_of(lambda: strict.apply_dynamic("1", {"o": {"b": 1}}))["error"]["reason"]
    assert nested.endswith("dynamic introduction of [b] within [o] is not allowed")
    assert strict.to_body()["dynamic"] == "strict"

    ignoring = Mappings.from_body({"dynamic": False})
    assert not ignoring.apply_dynamic("1", {"anything": 1})
    assert ignoring.to_body() == {"dynamic": "false"}


def test_an_unknown_field_type_is_refused_as_elasticsearch_does():
    body = error_of(lambda: Mappings.from_body({"properties": {"bar": {"type": "foo"}}}))
    assert body["error"]["root_cause"] == [{"type": "mapper_parsing_exception",
                                           "reason": "No handler for type [foo] declared on field [bar]"}]
    assert body["error"]["reason"] == "Failed to parse mapping: No handler for type [foo] declared on field [bar]"


def test_put_mapping_conflicts():
    mappings = Mappings.from_body({"properties": {"age": {"type": "long"}, "id": {"type": "keyword"}}})
    error = error_of(lambda: mappings.merge({"properties": {"age": {"type": "text"}}}))["error"]
    assert (error["type"], error["reason"]) == ("illegal_argument_exception",
                                                "mapper [age] cannot be changed from type [long] to [text]")
    error = error_of(lambda: mappings.merge({"properties": {"age": {"type": "long", "index": False}}}))["error"]
    assert error["reason"] == "Mapper for [age] conflicts with existing mapper:\n\tCannot update parameter [index] from [true] to [false]"
    assert mappings.merge({"properties": {"id": {"type": "keyword", "ignore_above": 20}}})
    assert mappings.to_body()["properties"]["id"] == {"type": "keyword", "ignore_above": 20}


def test_field_values_read_multi_fields_from_their_parent_and_skip_ignore_above():
    mappings = Mappings.from_body(None)
    source = {"name": "Jack", "long": "y" * 300}
    mappings.apply_dynamic("1", source)
    assert field_values(mappings, "name.keyword", source) == ["Jack"]
    assert field_values(mappings, "long.keyword", source) == []  # over ignore_above: not indexed
    assert field_values(mappings, "long", source) == ["y" * 300]


# -- queries -----------------------------------------------------------------------------------


def test_term_on_a_text_field_does_not_find_capitalised_words():
    people = index_of(PEOPLE)
    assert search(people, {"query": {"term": {"name": "Jack"}}})["hits"]["total"]["value"] == 0
    assert ids(search(people, {"query": {"term": {"name": "jack"}}})) == ["0", "2"]
    assert ids(search(people, {"query": {"term": {"name.keyword": "Jack Smith"}}})) == ["0"]
    assert ids(search(people, {"query": {"match": {"name": "JACK"}}})) == ["0", "2"]


def test_match_operator_and_bool_defaults():
    people = index_of(PEOPLE)
    assert ids(search(people, {"query": {"match": {"name": {"query": "jack jones", "operator": "and"}}}})) == []
    assert set(ids(search(people, {"query": {"match": {"name": "jack jones"}}}))) == {"0", "1", "2"}
    should_only = {"bool": {"should": [{"term": {"city.keyword": "Rome"}}, {"term": {"age": 30}}]}}
    assert set(ids(search(people, {"query": should_only}))) == {"0", "1"}
    with_must = {"bool": {"must": [{"match_all": {}}], "should": [{"term": {"city.keyword": "Rome"}}]}}
    assert len(ids(search(people, {"query": with_must}))) == 3
    in_filter = {"bool": {"filter": [with_must]}}
    assert ids(search(people, {"query": in_filter})) == ["1"]  # in filter context a should clause is required


def test_scores_match_all_one_filter_zero_match_positive():
    people = index_of(PEOPLE)
    assert search(people)["hits"]["max_score"] == 1.0
    filtered = search(people, {"query": {"bool": {"filter": [{"range": {"age": {"gte": 35}}}]}}})
    assert [h["_score"] for h in filtered["hits"]["hits"]] == [0.0, 0.0]
    matched = search(people, {"query": {"match": {"name": "jones"}}})["hits"]
    assert matched["max_score"] > 0 and matched["hits"][0]["_score"] == matched["max_score"]


def test_range_on_dates_with_date_math_and_rounding():
    people = index_of(PEOPLE)
    assert ids(search(people, {"query": {"range": {"born": {"gte": "1980-01-01", "lt": "now-1y/y"}}}})) == ["0", "1"]
    # lte with a day rounds up to the end of that day
    assert ids(search(people, {"query": {"range": {"born": {"lte": "1970-12-31"}}}})) == ["2"]
    assert ids(search(people, {"query": {"term": {"born": "1990-05-17"}}})) == ["0"]


def test_exists_ids_and_terms():
    people = index_of(PEOPLE + [{"name": "nobody"}])
    assert ids(search(people, {"query": {"exists": {"field": "city"}}})) == ["0", "1", "2"]
    assert ids(search(people, {"query": {"ids": {"values": ["3", "1", "9"]}}})) == ["1", "3"]
    assert ids(search(people, {"query": {"terms": {"age": [30, "50"]}}})) == ["0", "2"]


def test_unknown_query_is_a_parsing_exception_located_like_elasticsearch():
    body = error_of(lambda: parse_search_request({"query": {"not_a_real_clause": {}}}, {}))
    assert body == {"error": {
        "root_cause": [{"type": "parsing_exception", "reason": "unknown query [not_a_real_clause]", "line": 1, "col": 31}],
        "type": "parsing_exception", "reason": "unknown query [not_a_real_clause]", "line": 1, "col": 31,
        "caused_by": {"type": "named_object_not_found_exception", "reason": "[1:31] unknown field [not_a_real_clause]"},
    }, "status": 400}


@pytest.mark.parametrize(("query", "kind", "reason"), [
    ({"term": {"a": "x", "b": "y"}}, "parsing_exception", "[term] query doesn't support multiple fields, found [a] and [b]"),
    ({"match_all": {}, "term": {"a": 1}}, "parsing_exception",
     "[match_all] malformed query, expected [END_OBJECT] but found [FIELD_NAME]"),
    ({"match": {"name": {"query": "x", "foo": 1}}}, "parsing_exception", "[match] query does not support [foo]"),
    ({"bool": {"mus": []}}, "x_content_parse_exception", "[1:19] [bool] unknown field [mus] did you mean [must]?"),
    ({"matc": {"name": "x"}}, "parsing_exception", "unknown query [matc] did you mean [match]?"),
])
def test_malformed_queries_get_elasticsearch_errors(query, kind, reason):
    error = error_of(lambda: parse_search_request({"query": query}, {}))["error"]
    assert (error["type"], error["reason"]) == (kind, reason)


def test_did_you_mean_follows_elasticsearch_suggestions():
    assert suggest("foo", ["bar", "baz"]) == ""
    assert suggest("foo", ["bar", "fop"]) == " did you mean [fop]?"
    assert suggest("foo", ["bar", "fop", "fou", "baz"]) == " did you mean any of [fop, fou]?"


def test_a_bad_value_for_a_numeric_field_fails_the_shard():
    error = error_of(lambda: search(index_of(PEOPLE), {"query": {"match": {"age": "abc"}}}))["error"]
    assert error["type"] == "search_phase_execution_exception"
    assert error["root_cause"][0]["type"] == "query_shard_exception"
    assert error["failed_shards"][0]["reason"]["caused_by"] == {
        "type": "number_format_exception", "reason": 'For input string: "abc"'}


def test_compiled_query_as_a_predicate():
    people = index_of(PEOPLE)
    matcher = compile_query({"range": {"age": {"gt": 30}}}, people.mappings, "people")
    assert [matcher.matches(d.doc_id, d.source) for d in people.stored] == [False, True, True]


# -- total hits, window, sort, paging -----------------------------------------------------------


def test_total_hits_stop_counting_at_ten_thousand():
    big = index_of([{"n": i} for i in range(10_001)], name="big")
    assert search(big)["hits"]["total"] == {"value": 10_000, "relation": "gte"}
    assert search(big, {"track_total_hits": True})["hits"]["total"] == {"value": 10_001, "relation": "eq"}
    assert search(big, {"track_total_hits": 100})["hits"]["total"] == {"value": 100, "relation": "gte"}
    assert "total" not in search(big, {"track_total_hits": False})["hits"]
    assert search(big, {"size": 0}, {"rest_total_hits_as_int": "true"})["hits"]["total"] == 10_001


def shard_failure_body(reason: str, index: str = "people") -> dict:
    cause = {"type": "illegal_argument_exception", "reason": reason}
    return {"error": {
        "root_cause": [cause], "type": "search_phase_execution_exception", "reason": "all shards failed",
        "phase": "query", "grouped": True,
        "failed_shards": [{"shard": 0, "index": index, "node": "node-1", "reason": cause}],
        "caused_by": {**cause, "caused_by": cause},
    }, "status": 400}


def test_result_window_is_refused_as_a_shard_failure():
    people = index_of(PEOPLE)
    assert len(search(people, {"from": 9_990, "size": 10})["hits"]["hits"]) == 0
    reason = ("Result window is too large, from + size must be less than or equal to: [10000] but was [10001]. "
              "See the scroll api for a more efficient way to request large data sets. This limit can be set by "
              "changing the [index.max_result_window] index level setting.")
    assert error_of(lambda: search(people, {"from": 10_000, "size": 1})) == shard_failure_body(reason)


def test_sorting_on_id_is_refused_on_8x():
    reason = ("Fielddata access on the _id field is disallowed, you can re-enable it by updating the dynamic "
              "cluster setting: indices.id_field_data.enabled")
    assert error_of(lambda: search(index_of(PEOPLE), {"sort": ["_id"]})) == shard_failure_body(reason)


def test_sorting_or_aggregating_on_text_needs_fielddata():
    reason = ("Fielddata is disabled on [name] in [people]. Text fields are not optimised for operations that "
              "require per-document field data like aggregations and sorting, so these operations are disabled by "
              "default. Please use a keyword field instead. Alternatively, set fielddata=true on [name] in order to "
              "load field data by uninverting the inverted index. Note that this can use significant memory.")
    assert error_of(lambda: search(index_of(PEOPLE), {"sort": "name"})) == shard_failure_body(reason)
    assert error_of(lambda: search(index_of(PEOPLE), {"aggs": {"n": {"terms": {"field": "name"}}}})) == \
        shard_failure_body(reason)


def test_request_validation_errors():
    def error(body, params=None):
        return error_of(lambda: parse_search_request(body, params or {}))["error"]

    assert error({"size": -1})["reason"] == "[size] parameter cannot be negative, found [-1]"
    assert error({"from": -1})["reason"] == "[from] parameter cannot be negative but was [-1]"
    assert error({"track_total_hits": -2})["reason"] == "[track_total_hits] parameter must be positive or equals to -1, got -2"
    assert error({"sizee": 1}) == {"root_cause": [{"type": "parsing_exception",
                                                   "reason": "Unknown key for a VALUE_NUMBER in [sizee].", "line": 1, "col": 10}],
                                   "type": "parsing_exception", "reason": "Unknown key for a VALUE_NUMBER in [sizee].",
                                   "line": 1, "col": 10}
    assert error({"from": 1, "search_after": [1], "sort": ["age"]})["reason"] == \
        "Validation Failed: 1: [from] parameter must be set to 0 when [search_after] is used;"
    assert error({"sort": ["_shard_doc"]})["reason"] == \
        "Validation Failed: 1: [_shard_doc] sort field cannot be used without [point in time];"
    assert error({}, {"size": "ten"})["reason"] == "Failed to parse int parameter [size] with value [ten]"


def test_field_sort_values_and_missing_values():
    people = index_of(PEOPLE + [{"name": "no age"}])
    response = search(people, {"sort": [{"age": "desc"}], "size": 4})
    assert [h["sort"] for h in response["hits"]["hits"]] == [[50], [40], [30], [-(2**63)]]
    assert response["hits"]["max_score"] is None and response["hits"]["hits"][0]["_score"] is None
    first = search(people, {"sort": [{"age": {"order": "asc", "missing": "_first"}}], "size": 1})
    assert ids(first) == ["3"] and first["hits"]["hits"][0]["sort"] == [-(2**63)]
    by_date = search(people, {"sort": [{"born": "asc"}, {"city.keyword": "asc"}], "size": 1})
    assert by_date["hits"]["hits"][0]["sort"] == [31449600000, "Paris"]  # dates sort as epoch millis
    assert search(people, {"sort": [{"active": "asc"}], "size": 1})["hits"]["hits"][0]["sort"] == [0]


def test_default_order_is_score_then_shard_then_document():
    first = Shard("a", Mappings.from_body(None), [{"t": "x"}, {"t": "x"}], shard_id=0, shard_index=1, first_id=0)
    second = Shard("b", Mappings.from_body(None), [{"t": "x"}], shard_id=0, shard_index=0, first_id=10)
    response = search([first, second])
    assert ids(response) == ["10", "0", "1"]
    assert [h["_index"] for h in response["hits"]["hits"]] == ["b", "a", "a"]


def test_search_after_pages_through_every_document_exactly_once():
    sources = [{"group": f"g{i % 3}", "n": i % 4} for i in range(20)]
    shards = [Shard("pages", Mappings.from_body(None), sources[:11], shard_id=0, shard_index=0, first_id=0),
              Shard("pages", Mappings.from_body(None), sources[11:], shard_id=1, shard_index=1, first_id=11)]
    body = {"size": 3, "sort": [{"group.keyword": "asc"}, {"n": "desc"}], "pit": {"id": "any"}}
    seen: list[str] = []
    after = None
    while True:
        page = search(shards, body | ({"search_after": after} if after else {}))
        hits = page["hits"]["hits"]
        if not hits:
            break
        assert len(hits[-1]["sort"]) == 3  # the point in time's implicit _shard_doc tiebreaker
        seen += [h["_id"] for h in hits]
        after = hits[-1]["sort"]
    assert sorted(seen, key=int) == [str(i) for i in range(20)]


def test_search_after_without_a_tiebreaker_skips_equal_documents_like_elasticsearch():
    people = index_of(PEOPLE)
    page = search(people, {"sort": [{"city.keyword": "asc"}], "search_after": ["Paris"]})
    assert ids(page) == ["1"]
    assert page["hits"]["total"]["value"] == 3  # search_after does not change the total
    error = error_of(lambda: search(people, {"sort": [{"age": "asc"}], "search_after": [1, 2]}))
    assert error["error"]["root_cause"][0]["reason"] == "search_after has 2 value(s) but sort has 1."


def test_seq_no_primary_term_and_version_in_hits():
    hit = search(index_of(PEOPLE), {"seq_no_primary_term": True, "version": True, "size": 1})["hits"]["hits"][0]
    assert list(hit) == ["_index", "_id", "_version", "_seq_no", "_primary_term", "_score", "_source"]
    assert (hit["_seq_no"], hit["_primary_term"], hit["_version"]) == (0, 1, 1)


# -- source filtering --------------------------------------------------------------------------


def test_source_filtering_forms():
    source = {"a": {"b": 1, "c": {"d": 2}}, "e": [{"f": 1, "g": 2}, {"f": 3}], "h": "x"}
    assert filter_source(source, True) == source
    assert filter_source(source, "h") == {"h": "x"}
    assert filter_source(source, ["a.b", "e.f"]) == {"a": {"b": 1}, "e": [{"f": 1}, {"f": 3}]}
    assert filter_source(source, {"includes": ["a"], "excludes": ["a.c"]}) == {"a": {"b": 1}}
    assert filter_source(source, {"excludes": ["*.f", "h"]}) == {"a": {"b": 1, "c": {"d": 2}}, "e": [{"g": 2}, {}]}
    assert filter_source(source, ["nothing"]) == {}
    people = index_of(PEOPLE)
    assert "_source" not in search(people, {"_source": False})["hits"]["hits"][0]
    assert search(people, {"_source": ["c*"], "size": 1})["hits"]["hits"][0]["_source"] == {"city": "Paris"}
    assert search(people, {"size": 1}, {"_source_excludes": "name,born,active"})["hits"]["hits"][0]["_source"] == \
        {"age": 30, "city": "Paris"}


# -- aggregations -------------------------------------------------------------------------------


def test_aggregation_shapes():
    response = search(index_of(PEOPLE), {"size": 0, "aggs": {
        "cities": {"terms": {"field": "city.keyword"}, "aggs": {"avg_age": {"avg": {"field": "age"}}}},
        "active": {"terms": {"field": "active"}},
        "oldest": {"min": {"field": "born"}},
        "total": {"sum": {"field": "age"}},
        "people": {"value_count": {"field": "name.keyword"}},
        "distinct": {"cardinality": {"field": "city.keyword"}},
        "unmapped_avg": {"avg": {"field": "nope"}},
        "unmapped_sum": {"sum": {"field": "nope"}},
    }})
    assert response["hits"] == {"total": {"value": 3, "relation": "eq"}, "max_score": None, "hits": []}
    assert response["aggregations"] == {
        "cities": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": [
            {"key": "Paris", "doc_count": 2, "avg_age": {"value": 40.0}},
            {"key": "Rome", "doc_count": 1, "avg_age": {"value": 40.0}}]},
        "active": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": [
            {"key": 1, "key_as_string": "true", "doc_count": 2},
            {"key": 0, "key_as_string": "false", "doc_count": 1}]},
        "oldest": {"value": 31449600000.0, "value_as_string": "1970-12-31T00:00:00.000Z"},
        "total": {"value": 120.0},
        "people": {"value": 3},
        "distinct": {"value": 2},
        "unmapped_avg": {"value": None},
        "unmapped_sum": {"value": 0.0},
    }


def test_terms_size_and_sum_other_doc_count():
    sources = [{"k": f"t{i}"} for i in range(5) for _ in range(i + 1)]  # t4 x5, t3 x4 ... t0 x1
    response = search(index_of(sources), {"size": 0, "aggs": {"k": {"terms": {"field": "k.keyword", "size": 2}}}})
    assert response["aggregations"]["k"] == {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 6, "buckets": [
        {"key": "t4", "doc_count": 5}, {"key": "t3", "doc_count": 4}]}


def test_date_histogram_fills_gaps_and_formats_keys():
    shard = index_of([{"at": "2020-01-01T10:00:00Z"}, {"at": "2020-01-03T11:00:00Z"}, {"at": "2020-01-03T12:00:00Z"}])
    aggs = {"per_day": {"date_histogram": {"field": "at", "calendar_interval": "day", "format": "yyyy-MM-dd"}}}
    buckets = search(shard, {"size": 0, "aggs": aggs})["aggregations"]["per_day"]["buckets"]
    assert buckets == [
        {"key_as_string": "2020-01-01", "key": 1577836800000, "doc_count": 1},
        {"key_as_string": "2020-01-02", "key": 1577923200000, "doc_count": 0},
        {"key_as_string": "2020-01-03", "key": 1578009600000, "doc_count": 2},
    ]
    fixed = search(shard, {"size": 0, "aggs": {"h": {"date_histogram": {"field": "at", "fixed_interval": "12h",
                                                                          "min_doc_count": 1}}}})
    assert [b["key_as_string"] for b in fixed["aggregations"]["h"]["buckets"]] == [
        "2020-01-01T00:00:00.000Z", "2020-01-03T00:00:00.000Z", "2020-01-03T12:00:00.000Z"]


def test_aggregation_parse_errors():
    error = error_of(lambda: AggCollector({"x": {"termz": {"field": "a"}}}, Mappings.from_body(None)))["error"]
    assert (error["type"], error["reason"]) == ("parsing_exception", "Unknown aggregation type [termz] did you mean [terms]?")
    error = error_of(lambda: AggCollector({"x": {"terms": {}}}, Mappings.from_body(None)))["error"]
    assert error["reason"] == "Required one of fields [field, script], but none were specified. "


def test_terms_over_shards_reduce_as_the_coordinating_node_does():
    shards = [Shard("s", Mappings.from_body(None), [{"k": "a"}] * 3 + [{"k": "b"}], shard_id=0, shard_index=0),
              Shard("s", Mappings.from_body(None), [{"k": "b"}] * 2 + [{"k": "c"}], shard_id=1, shard_index=1)]
    terms = search(shards, {"size": 0, "aggs": {"k": {"terms": {"field": "k.keyword", "size": 1}}}})["aggregations"]["k"]
    # a and b both count 3: the tie goes to the smaller key; b's and c's documents are "other".
    assert terms == {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 4,
                     "buckets": [{"key": "a", "doc_count": 3}]}


def test_one_failing_index_is_a_partial_failure():
    text = Shard("texts", Mappings.from_body({"properties": {"city": {"type": "text"}}}), [{"city": "Rome"}])
    keywords = Shard("keywords", Mappings.from_body({"properties": {"city": {"type": "keyword"}}}), [{"city": "Rome"}])
    response = search([text, keywords], {"aggs": {"c": {"terms": {"field": "city"}}}})
    assert response["_shards"]["failed"] == 1 and response["_shards"]["successful"] == 1
    assert response["_shards"]["failures"][0]["index"] == "texts"
    assert response["aggregations"]["c"]["buckets"] == [{"key": "Rome", "doc_count": 1}]


def test_count():
    people = index_of(PEOPLE)
    assert count({"match": {"city": "paris"}}, [people]) == 2
    assert count(None, [people]) == 3


def test_no_shards_is_an_empty_answer():
    response = search([], {"query": {"match_all": {}}})
    assert response["hits"] == {"total": {"value": 0, "relation": "eq"}, "max_score": 0.0, "hits": []}
    json.dumps(response)


def test_paging_by_shard_doc_keeps_totals_and_aggregations_whole():
    shards = [Shard("p", Mappings.from_body(None), [{"k": "a"}] * 4, shard_id=0, shard_index=0, first_id=0),
              Shard("p", Mappings.from_body(None), [{"k": "b"}] * 4, shard_id=1, shard_index=1, first_id=4)]
    body = {"size": 2, "sort": ["_shard_doc"], "pit": {"id": "any"}, "aggs": {"k": {"terms": {"field": "k.keyword"}}}}
    first = search(shards, body)
    second = search(shards, body | {"search_after": first["hits"]["hits"][-1]["sort"]})
    assert ids(second) == ["2", "3"]
    assert second["hits"]["total"]["value"] == 8
    assert [b["doc_count"] for b in second["aggregations"]["k"]["buckets"]] == [4, 4]
    untracked = search(shards, {"size": 3, "sort": ["_shard_doc"], "pit": {"id": "any"}, "track_total_hits": False,
                                "search_after": [(1 << 32) | 0]})
    assert ids(untracked) == ["5", "6", "7"]


def test_hits_report_values_ignored_by_ignore_above():
    shard = index_of([{"note": "n" * 300}, {"note": "short"}])
    hits = search(shard)["hits"]["hits"]
    assert hits[0]["_ignored"] == ["note.keyword"] and "_ignored" not in hits[1]
    assert ids(search(shard, {"query": {"exists": {"field": "note.keyword"}}})) == ["1"]
