"""Single-document APIs on a practice cluster, answered as Elasticsearch 8 answers them: index and
create (ids, versions, seq_no, Location), optimistic concurrency, realtime GET, _source, delete,
_update, _mget, refresh semantics and automatic index creation."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # the shared helpers sit beside the tests (importlib import mode)
from rest_support import call, error  # noqa: E402


@pytest.fixture
def es(sandbox):
    return sandbox.url("remote")


@pytest.fixture
def index(es, unique_name):
    """An index that never refreshes on its own, with one replica (so `_shards` is 2/2)."""
    name = unique_name()
    call(es, "PUT", f"/{name}", {"settings": {"refresh_interval": "-1"}})
    return name


def uuid_of(es, name):
    return call(es, "GET", f"/{name}/_settings?flat_settings=true").body[name]["settings"]["index.uuid"]


def conflict(es, name, doc_id, reason):
    return error(409, "version_conflict_engine_exception", f"[{doc_id}]: version conflict, {reason}",
                 index_uuid=uuid_of(es, name), shard="0", index=name)


def test_index_with_and_without_id(es, index):
    auto = call(es, "POST", f"/{index}/_doc", {"a": 1})
    assert auto.status == 201 and len(auto.body["_id"]) == 20
    assert auto.headers["Location"] == f"/{index}/_doc/{auto.body['_id']}"
    first = call(es, "PUT", f"/{index}/_doc/1", {"a": 1})
    assert (first.status, first.body) == (201, {"_index": index, "_id": "1", "_version": 1, "result": "created",
                                                "_shards": {"total": 2, "successful": 2, "failed": 0},
                                                "_seq_no": 1, "_primary_term": 1})
    second = call(es, "PUT", f"/{index}/_doc/1?routing=r", {"a": 2})
    assert (second.status, second.body["result"], second.body["_version"], second.body["_seq_no"]) == (200, "updated", 2, 2)
    assert "Location" not in second.headers
    routed = call(es, "PUT", f"/{index}/_doc/x%2Fy?routing=r", {"a": 3})
    assert routed.headers["Location"] == f"/{index}/_doc/x%2Fy?routing=r"


def test_create_conflicts(es, index):
    call(es, "PUT", f"/{index}/_doc/1", {"a": 1})
    call(es, "PUT", f"/{index}/_doc/1", {"a": 2})
    expected = conflict(es, index, "1", "document already exists (current version [2])")
    assert call(es, "PUT", f"/{index}/_create/1", {"a": 3}).body == expected
    assert call(es, "PUT", f"/{index}/_doc/1?op_type=create", {"a": 3}).body == expected
    assert call(es, "POST", f"/{index}/_create/2", {"a": 3}).status == 201


def test_if_seq_no_and_if_primary_term(es, index):
    call(es, "PUT", f"/{index}/_doc/1", {"a": 1})
    stale = call(es, "PUT", f"/{index}/_doc/1?if_seq_no=5&if_primary_term=1", {"a": 2})
    assert stale.body == conflict(es, index, "1", "required seqNo [5], primary term [1]. current document has seqNo [0] "
                                                  "and primary term [1]")
    absent = call(es, "PUT", f"/{index}/_doc/9?if_seq_no=0&if_primary_term=1", {"a": 2})
    assert absent.body == conflict(es, index, "9", "required seqNo [0], primary term [1]. but no document was found")
    assert call(es, "PUT", f"/{index}/_doc/1?if_seq_no=0&if_primary_term=1", {"a": 2}).body["_seq_no"] == 1
    half = call(es, "PUT", f"/{index}/_doc/1?if_seq_no=1", {"a": 3})
    assert half.body == error(400, "action_request_validation_exception", "Validation Failed: 1: ifSeqNo is set, but primary term is [0];")
    create_cas = call(es, "PUT", f"/{index}/_create/5?if_seq_no=1&if_primary_term=1", {"a": 3})
    assert create_cas.body["error"]["reason"] == "Validation Failed: 1: create operations do not support compare and set. use index instead;"
    internal = call(es, "PUT", f"/{index}/_doc/1?version=3", {"a": 3})
    assert internal.body["error"]["reason"] == ("Validation Failed: 1: internal versioning can not be used for optimistic "
                                                "concurrency control. Please use `if_seq_no` and `if_primary_term` instead;")


def test_external_versions(es, index):
    assert call(es, "PUT", f"/{index}/_doc/1?version=5&version_type=external", {"a": 1}).body["_version"] == 5
    lower = call(es, "PUT", f"/{index}/_doc/1?version=5&version_type=external", {"a": 2})
    assert lower.body == conflict(es, index, "1", "current version [5] is higher or equal to the one provided [5]")
    assert call(es, "PUT", f"/{index}/_doc/1?version=5&version_type=external_gte", {"a": 2}).status == 200


def test_get_head_and_source(es, index):
    call(es, "PUT", f"/{index}/_doc/1", {"a": 1, "b": {"c": 2, "d": 3}})
    got = call(es, "GET", f"/{index}/_doc/1")  # realtime: no refresh needed
    assert got.body == {"_index": index, "_id": "1", "_version": 1, "_seq_no": 0, "_primary_term": 1, "found": True,
                        "_source": {"a": 1, "b": {"c": 2, "d": 3}}}
    assert call(es, "GET", f"/{index}/_doc/1?_source_includes=b.c").body["_source"] == {"b": {"c": 2}}
    assert call(es, "GET", f"/{index}/_doc/1?_source_excludes=b").body["_source"] == {"a": 1}
    assert "_source" not in call(es, "GET", f"/{index}/_doc/1?_source=false").body
    missing = call(es, "GET", f"/{index}/_doc/2")
    assert (missing.status, missing.body) == (404, {"_index": index, "_id": "2", "found": False})
    assert (call(es, "HEAD", f"/{index}/_doc/1").status, call(es, "HEAD", f"/{index}/_doc/1").raw) == (200, b"")
    assert call(es, "HEAD", f"/{index}/_doc/2").status == 404
    assert call(es, "GET", f"/{index}/_source/1?_source_includes=a").body == {"a": 1}
    assert call(es, "GET", f"/{index}/_source/2").body == error(404, "resource_not_found_exception",
                                                                f"Document not found [{index}]/[2]")


def test_delete_found_and_not_found(es, index):
    call(es, "PUT", f"/{index}/_doc/1", {"a": 1})
    deleted = call(es, "DELETE", f"/{index}/_doc/1")
    assert (deleted.status, deleted.body["result"], deleted.body["_version"], deleted.body["_seq_no"]) == (200, "deleted", 2, 1)
    missing = call(es, "DELETE", f"/{index}/_doc/nope")
    assert (missing.status, missing.body) == (404, {"_index": index, "_id": "nope", "_version": 1, "result": "not_found",
                                                    "_shards": {"total": 2, "successful": 2, "failed": 0},
                                                    "_seq_no": 2, "_primary_term": 1})
    assert call(es, "GET", f"/{index}/_doc/1").status == 404


def test_update(es, index):
    call(es, "PUT", f"/{index}/_doc/1", {"a": 1, "o": {"x": 1}})
    changed = call(es, "POST", f"/{index}/_update/1", {"doc": {"o": {"y": 2}}})
    assert (changed.body["result"], changed.body["_version"]) == ("updated", 2)
    assert call(es, "GET", f"/{index}/_doc/1").body["_source"] == {"a": 1, "o": {"x": 1, "y": 2}}
    noop = call(es, "POST", f"/{index}/_update/1", {"doc": {"a": 1}})
    assert noop.body == {"_index": index, "_id": "1", "_version": 2, "result": "noop",
                         "_shards": {"total": 0, "successful": 0, "failed": 0}, "_seq_no": 1, "_primary_term": 1}
    missing = call(es, "POST", f"/{index}/_update/2", {"doc": {"a": 1}})
    assert missing.body == error(404, "document_missing_exception", "[2]: document missing",
                                 index_uuid=uuid_of(es, index), shard="0", index=index)
    upserted = call(es, "POST", f"/{index}/_update/2", {"doc": {"a": 1}, "doc_as_upsert": True})
    assert (upserted.status, upserted.body["result"]) == (201, "created")
    assert call(es, "POST", f"/{index}/_update/3", {"doc": {"a": 1}, "upsert": {"a": 0}}).status == 201
    assert call(es, "GET", f"/{index}/_doc/3").body["_source"] == {"a": 0}
    unknown = call(es, "POST", f"/{index}/_update/1", raw=b'{"doc":{"a":1},\n  "dco":{}}')
    assert unknown.body == error(400, "x_content_parse_exception", "[2:3] [UpdateRequest] unknown field [dco]")
    assert call(es, "POST", f"/{index}/_update/1", {}).body["error"]["reason"] == "Validation Failed: 1: script or doc is missing;"


def test_mget(es, index, unique_name):
    call(es, "PUT", f"/{index}/_doc/1", {"a": 1, "b": 2})
    by_ids = call(es, "POST", f"/{index}/_mget", {"ids": ["1", "2"]})
    assert by_ids.body == {"docs": [
        {"_index": index, "_id": "1", "_version": 1, "_seq_no": 0, "_primary_term": 1, "found": True, "_source": {"a": 1, "b": 2}},
        {"_index": index, "_id": "2", "found": False}]}
    missing = unique_name()
    docs = call(es, "POST", "/_mget", {"docs": [{"_index": index, "_id": "1", "_source": ["b"]}, {"_index": missing, "_id": "1"}]})
    assert docs.body["docs"][0]["_source"] == {"b": 2}
    not_found = error(404, "index_not_found_exception", f"no such index [{missing}]", **{
        "resource.type": "index_or_alias", "resource.id": missing, "index_uuid": "_na_", "index": missing})
    assert docs.body["docs"][1] == {"_index": missing, "_id": "1", "error": not_found["error"]}
    no_index = call(es, "POST", "/_mget", {"docs": [{"_id": "1"}]})
    assert no_index.body == error(400, "action_request_validation_exception", "Validation Failed: 1: index is missing for doc 0;")


def count(es, index):
    return call(es, "GET", f"/{index}/_count").body["count"]


def test_refresh_false_true_and_wait_for(es, index):
    call(es, "PUT", f"/{index}/_doc/1", {"a": 1})
    assert count(es, index) == 0  # refresh_interval -1: not searchable yet, though GET sees it
    forced = call(es, "PUT", f"/{index}/_doc/2?refresh=true", {"a": 2})
    assert forced.body["forced_refresh"] is True and count(es, index) == 2
    call(es, "PUT", f"/{index}/_settings", {"index.refresh_interval": "200ms"})
    waited = call(es, "PUT", f"/{index}/_doc/3?refresh=wait_for", {"a": 3})
    assert "forced_refresh" not in waited.body and count(es, index) == 3
    bad = call(es, "PUT", f"/{index}/_doc/4?refresh=soon", {"a": 4})
    assert bad.body == error(400, "illegal_argument_exception", "Unknown value for refresh: [soon].")


def test_first_write_creates_the_index(es, unique_name):
    name = unique_name()
    assert call(es, "PUT", f"/{name}/_doc/1", {"n": 1, "s": "x"}).status == 201
    created = call(es, "GET", f"/{name}").body[name]
    assert created["mappings"]["properties"]["n"] == {"type": "long"}
    assert created["settings"]["index"]["number_of_shards"] == "1"
    assert call(es, "DELETE", f"/{unique_name()}/_doc/1").body["error"]["type"] == "index_not_found_exception"


def test_auto_create_index_setting(start_sandbox, unique_name):
    es = start_sandbox("--clusters", "docs").url("docs")
    try:
        call(es, "PUT", "/_cluster/settings", {"persistent": {"action.auto_create_index": "false"}})
        name = unique_name()
        refused = call(es, "PUT", f"/{name}/_doc/1", {"a": 1})
        assert refused.body == error(404, "index_not_found_exception",
                                     f"no such index [{name}] and [action.auto_create_index] is [false]", index_uuid="_na_", index=name)
        call(es, "PUT", "/_cluster/settings", {"persistent": {"action.auto_create_index": "+logs-*,-tmp-*"}})
        assert call(es, "PUT", "/logs-a/_doc/1", {"a": 1}).status == 201
        assert call(es, "PUT", "/tmp-a/_doc/1", {"a": 1}).body["error"]["reason"] == (
            "no such index [tmp-a] and [action.auto_create_index] contains [-tmp-*] which forbids automatic creation of the index")
        assert call(es, "PUT", "/other/_doc/1", {"a": 1}).body["error"]["reason"] == (
            "no such index [other] and [action.auto_create_index] ([+logs-*,-tmp-*]) doesn't match")
    finally:
        call(es, "PUT", "/_cluster/settings", {"persistent": {"action.auto_create_index": None}})
