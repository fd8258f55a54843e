"""`_bulk` on a practice cluster, answered as Elasticsearch 8 answers it: per-item results and status,
`errors`, the parser's refusals (which fail the whole request), item failures, and speed."""

from __future__ import annotations

import json
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # the shared helpers sit beside the tests (importlib import mode)
from rest_support import call, error, ndjson  # noqa: E402


@pytest.fixture
def es(sandbox):
    return sandbox.url("remote")


def bulk(es, body: bytes, path: str = "/_bulk"):
    return call(es, "POST", path, raw=body, content_type="application/x-ndjson")


def test_mixed_actions_items_and_errors(es, unique_name):
    name = unique_name()
    answer = bulk(es, ndjson(
        {"index": {"_index": name, "_id": "1"}}, {"a": 1},
        {"create": {"_index": name, "_id": "1"}}, {"a": 2},
        {"delete": {"_index": name, "_id": "2"}},
        {"update": {"_index": name, "_id": "1"}}, {"doc": {"b": 2}},
        {"update": {"_index": name, "_id": "1"}}, {"doc": {"b": 2}},
        {"update": {"_index": name, "_id": "3"}}, {"doc": {"b": 2}},
        {"index": {"_index": name}}, {"a": 3},
    ))
    assert answer.status == 200
    assert list(answer.body) == ["errors", "took", "items"] and answer.body["errors"] is True
    items = answer.body["items"]
    shards = {"total": 2, "successful": 2, "failed": 0}
    assert items[0] == {"index": {"_index": name, "_id": "1", "_version": 1, "result": "created", "_shards": shards,
                                  "_seq_no": 0, "_primary_term": 1, "status": 201}}
    uuid = call(es, "GET", f"/{name}/_settings?flat_settings=true").body[name]["settings"]["index.uuid"]
    assert items[1] == {"create": {"_index": name, "_id": "1", "status": 409, "error": {
        "type": "version_conflict_engine_exception", "reason": "[1]: version conflict, document already exists (current version [1])",
        "index_uuid": uuid, "shard": "0", "index": name}}}
    assert items[2]["delete"]["result"] == "not_found" and items[2]["delete"]["status"] == 404
    assert (items[3]["update"]["result"], items[3]["update"]["status"]) == ("updated", 200)
    assert items[4] == {"update": {"_index": name, "_id": "1", "_version": 2, "result": "noop",
                                   "_shards": {"total": 0, "successful": 0, "failed": 0}, "_seq_no": 2, "_primary_term": 1,
                                   "status": 200}}
    assert items[5]["update"]["status"] == 404 and items[5]["update"]["error"]["type"] == "document_missing_exception"
    assert items[6]["index"]["status"] == 201 and len(items[6]["index"]["_id"]) == 20


def test_default_index_refresh_and_update_upsert_creates_the_index(es, unique_name):
    name, other = unique_name(), unique_name()
    answer = bulk(es, ndjson({"index": {"_id": "1"}}, {"a": 1},
                             {"update": {"_index": other, "_id": "1"}}, {"doc": {"a": 1}, "doc_as_upsert": True}),
                  path=f"/{name}/_bulk?refresh=true")
    first, second = (next(iter(item.values())) for item in answer.body["items"])
    assert first["_index"] == name and first["forced_refresh"] is True
    assert list(first)[:5] == ["_index", "_id", "_version", "result", "forced_refresh"]
    assert (second["_index"], second["result"], second["status"]) == (other, "created", 201)
    assert call(es, "GET", f"/{name}/_count").body["count"] == 1


@pytest.mark.parametrize("body,reason", [
    (b'{"index":{"_index":"x","_id":"1"}}\n{"a":1}', "The bulk request must be terminated by a newline [\\n]"),
    (b'{"upsert":{"_index":"x"}}\n{"a":1}\n',
     "Malformed action/metadata line [1], expected field [create], [delete], [index] or [update] but found [upsert]"),
    (b'"index"\n', "Malformed action/metadata line [1], expected START_OBJECT but found [VALUE_STRING]"),
    (b'{}\n', "Malformed action/metadata line [1], expected FIELD_NAME but found [END_OBJECT]"),
    (b'{"index":"x"}\n{"a":1}\n', "Malformed action/metadata line [1], expected START_OBJECT or END_OBJECT but found [VALUE_STRING]"),
    (b'\n{"index":{"_index":"x","ttl":1}}\n{"a":1}\n', "Action/metadata line [2] contains an unknown parameter [ttl]"),
    (b'{"index":{"_index":"x","_id":[1]}}\n{"a":1}\n',
     "Malformed action/metadata line [1], expected a simple value for field [_id] but found [START_ARRAY]"),
])
def test_malformed_lines_fail_the_whole_request(es, body, reason):
    answer = bulk(es, body)
    assert (answer.status, answer.body) == (400, error(400, "illegal_argument_exception", reason))


def test_validation_errors_are_collected(es):
    answer = bulk(es, ndjson({"index": {"_index": "x", "_id": "1", "version": 2}}, {"a": 1}, {"index": {}}, {"a": 1}))
    assert answer.body == error(400, "action_request_validation_exception",
                                "Validation Failed: 1: internal versioning can not be used for optimistic concurrency control. "
                                "Please use `if_seq_no` and `if_primary_term` instead;2: index is missing;")
    assert bulk(es, b"\n\n").body == error(400, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
    assert call(es, "POST", "/_bulk", raw=b"").body == error(400, "parse_exception", "request body is required")


def test_action_without_document_is_dropped(es, unique_name):
    name = unique_name()
    answer = bulk(es, ndjson({"index": {"_index": name, "_id": "1"}}, {"a": 1}, {"index": {"_index": name, "_id": "2"}}))
    assert [next(iter(i.values()))["_id"] for i in answer.body["items"]] == ["1"]


def test_bad_documents_fail_their_item_only(es, unique_name):
    name = unique_name()
    answer = bulk(es, b'{"index":{"_index":"%s","_id":"1"}}\n{"a":1\n{"index":{"_index":"%s","_id":"2"}}\n\n'
                      b'{"index":{"_index":"Bad","_id":"3"}}\n{"a":1}\n{"index":{"_index":"%s","_id":"4"}}\n{"a":1}\n'
                  % (name.encode(), name.encode(), name.encode()))
    items = [next(iter(i.values())) for i in answer.body["items"]]
    assert items[0]["status"] == 400 and items[0]["error"]["type"] == "x_content_e_o_f_exception"
    assert items[1]["error"] == {"type": "document_parsing_exception", "reason": "[0:0] failed to parse, document is empty"}
    assert items[2]["error"]["type"] == "invalid_index_name_exception"
    assert items[3]["status"] == 201


def test_update_line_errors_fail_the_whole_request(es, unique_name):
    answer = bulk(es, ndjson({"update": {"_index": unique_name(), "_id": "1"}}, {"dok": {"a": 1}}))
    assert answer.body == error(400, "x_content_parse_exception", "[1:2] [UpdateRequest] unknown field [dok]")
    versioned = bulk(es, ndjson({"update": {"_index": "x", "_id": "1", "version": 3}}, {"doc": {}}))
    assert versioned.body["error"]["reason"] == ("Update requests do not support versioning. "
                                                 "Please use `if_seq_no` and `if_primary_term` instead")


def test_items_for_blocked_closed_and_missing_indices(es, unique_name):
    blocked, closed, missing = unique_name(), unique_name(), unique_name()
    call(es, "PUT", f"/{blocked}/_doc/1", {"a": 1})
    call(es, "PUT", f"/{blocked}/_block/write")
    call(es, "PUT", f"/{closed}")
    call(es, "POST", f"/{closed}/_close")
    answer = bulk(es, ndjson({"index": {"_index": blocked, "_id": "2"}}, {"a": 2},
                             {"delete": {"_index": blocked, "_id": "1"}},
                             {"index": {"_index": closed, "_id": "1"}}, {"a": 1},
                             {"delete": {"_index": missing, "_id": "1"}}))
    items = [next(iter(i.values())) for i in answer.body["items"]]
    block = {"type": "cluster_block_exception", "reason": f"index [{blocked}] blocked by: [FORBIDDEN/8/index write (api)];"}
    assert items[0] == {"_index": blocked, "_id": "2", "status": 403, "error": block}
    assert items[1]["error"] == block
    assert (items[2]["status"], items[2]["error"]["type"]) == (400, "index_closed_exception")
    assert items[3]["error"]["reason"] == f"no such index [{missing}]" and items[3]["status"] == 404
    assert call(es, "HEAD", f"/{missing}").status == 404  # a delete never creates the index


def test_official_client_bulk(sandbox, unique_name):
    client = sandbox.client("remote")
    name = unique_name()
    answer = client.bulk(operations=[{"index": {"_index": name, "_id": "1"}}, {"a": 1}], refresh=True)
    assert answer["errors"] is False and client.count(index=name)["count"] == 1


def test_thousand_documents_well_under_a_second(es, unique_name):
    name = unique_name()
    lines = []
    for n in range(1000):
        lines += [{"index": {"_index": name, "_id": str(n)}}, {"n": n, "title": f"document {n}", "tags": ["a", "b"]}]
    body = ndjson(*lines)
    started = time.monotonic()
    answer = bulk(es, body)
    elapsed = time.monotonic() - started
    assert answer.body["errors"] is False and len(answer.body["items"]) == 1000
    assert elapsed < 0.8, f"1,000-document bulk took {elapsed:.2f}s"
    assert json.loads(call(es, "GET", f"/{name}/_doc/999").raw)["_source"]["n"] == 999
