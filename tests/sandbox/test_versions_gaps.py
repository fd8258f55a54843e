"""Version differences the first pass left out: `_shard_doc` before 7.12, points in time before 7.10,
7.x's typed document endpoints, and endpoints a version does not have yet."""

from __future__ import annotations

import json

import pytest

from es_sandbox.api.bulk_api import TYPES_WARNING
from es_sandbox.api.typed_documents_api import DELETE_WARNING, GET_WARNING, INDEX_WARNING

from .test_versions_indices import call

pytest.importorskip("elasticsearch7")

CLUSTERS = {"g68": "6.8.23", "g710": "7.10.2", "g717": "7.17.29"}


@pytest.fixture(scope="module")
def home(start_versions):
    return start_versions(CLUSTERS)


def es7(home, name: str):
    return home.official_client(name)


def _warned(header: str | None, message: str) -> bool:
    return header is not None and f'"{message}"' in header


def _seed(home, cluster: str, name: str) -> None:
    call(home, cluster, "PUT", f"/{name}", {"mappings": {"properties": {"f": {"type": "keyword"}}}})
    for n in range(3):
        call(home, cluster, "PUT", f"/{name}/_doc/{n}?refresh=true", {"f": "same"})


# --- _shard_doc and points in time ----------------------------------------------------------------


def test_shard_doc_is_an_unmapped_field_before_712(home, unique_name):
    name = unique_name("sd710")
    _seed(home, "g710", name)
    client = es7(home, "g710")
    pit = client.open_point_in_time(index=name, keep_alive="1m")["id"]
    for body in ({"pit": {"id": pit}, "sort": [{"_shard_doc": "asc"}]}, {"sort": [{"_shard_doc": "asc"}]}):
        path = "/_search" if "pit" in body else f"/{name}/_search"
        status, _, answer = call(home, "g710", "POST", path, body)
        assert (status, answer["error"]["type"], answer["error"]["reason"]) == (
            400, "search_phase_execution_exception", "all shards failed")
        root = answer["error"]["root_cause"][0]
        assert (root["type"], root["reason"], root["index"]) == (
            "query_shard_exception", "No mapping found for [_shard_doc] in order to sort on", name)
    unmapped = client.search(index=name, sort=[{"_shard_doc": {"order": "asc", "unmapped_type": "long"}}])
    assert unmapped["hits"]["total"]["value"] == 3
    # No implicit tiebreaker: a hit's sort values are the request's own.
    paged = client.search(pit={"id": pit}, sort=[{"f": "asc"}], size=2)
    assert [hit["sort"] for hit in paged["hits"]["hits"]] == [["same"], ["same"]]
    client.close_point_in_time(body={"id": pit})


def test_shard_doc_tiebreaker_from_712(home, unique_name):
    name = unique_name("sd717")
    _seed(home, "g717", name)
    client = es7(home, "g717")
    pit = client.open_point_in_time(index=name, keep_alive="1m")["id"]
    paged = client.search(pit={"id": pit}, sort=[{"f": "asc"}], size=2)
    assert [len(hit["sort"]) for hit in paged["hits"]["hits"]] == [2, 2]
    status, _, answer = call(home, "g717", "POST", f"/{name}/_search", {"sort": [{"_shard_doc": "asc"}]})
    assert (status, answer["error"]["reason"]) == (
        400, "Validation Failed: 1: [_shard_doc] sort field cannot be used without [point in time];")
    client.close_point_in_time(body={"id": pit})


def test_pit_is_an_unknown_search_key_on_6x(home, unique_name):
    name = unique_name("pit68")
    call(home, "g68", "PUT", f"/{name}")
    status, _, answer = call(home, "g68", "POST", f"/{name}/_search", {"pit": {"id": "abc"}})
    assert (status, answer["error"]["type"], answer["error"]["reason"]) == (
        400, "parsing_exception", "Unknown key for a START_OBJECT in [pit].")


# --- typed document endpoints on 7.x --------------------------------------------------------------


def test_typed_documents_on_7x_warn_and_echo_the_type(home, unique_name):
    name = unique_name("typed7")
    status, warning, body = call(home, "g710", "PUT", f"/{name}/mytype/1", {"f": "x"})
    assert (status, body["_type"], body["result"]) == (201, "mytype", "created")
    assert _warned(warning, INDEX_WARNING)
    status, warning, body = call(home, "g710", "GET", f"/{name}/mytype/1")
    assert (status, body["_type"], body["_source"]) == (200, "mytype", {"f": "x"}) and _warned(warning, GET_WARNING)
    status, warning, body = call(home, "g710", "GET", f"/{name}/_doc/1")
    assert (status, body["_type"], warning) == (200, "_doc", None)
    status, _, body = call(home, "g710", "GET", f"/{name}/other/1")
    assert (status, body) == (404, {"_index": name, "_type": "other", "_id": "1", "found": False})
    status, warning, body = call(home, "g710", "PUT", f"/{name}/mytype/2/_create", {"f": "y"})
    assert (status, body["_type"]) == (201, "mytype") and _warned(warning, INDEX_WARNING)
    status, _, body = call(home, "g710", "PUT", f"/{name}/mytype/2/_create", {"f": "y"})
    assert (status, body["error"]["type"]) == (409, "version_conflict_engine_exception")
    status, warning, body = call(home, "g710", "DELETE", f"/{name}/mytype/2")
    assert (status, body["_type"], body["result"]) == (200, "mytype", "deleted") and _warned(warning, DELETE_WARNING)
    client = es7(home, "g710")
    with pytest.warns(Warning):
        created = client.index(index=name, doc_type="mytype", body={"f": "z"})
    assert (created["_type"], created["result"]) == ("mytype", "created")


def test_a_second_type_is_refused_on_7x(home, unique_name):
    name = unique_name("onetype7")
    call(home, "g710", "PUT", f"/{name}", {"mappings": {"properties": {"f": {"type": "keyword"}}}})
    status, _, body = call(home, "g710", "PUT", f"/{name}/other/1", {"f": "x"})
    assert (status, body["error"]["type"]) == (400, "illegal_argument_exception")
    assert body["error"]["reason"].startswith(f"Rejecting mapping update to [{name}] as the final mapping would have "
                                              "more than 1 type: [")
    assert sorted(body["error"]["reason"].rsplit("[", 1)[1].rstrip("]").split(", ")) == ["_doc", "other"]


def test_typed_bulk_on_7x(home, unique_name):
    name = unique_name("bulk7")
    lines = (json.dumps({"index": {"_id": "1"}}) + "\n" + json.dumps({"f": 1}) + "\n").encode()
    status, warning, body = call(home, "g710", "POST", f"/{name}/mytype/_bulk", ndjson=lines)
    assert status == 200 and _warned(warning, TYPES_WARNING)
    assert (body["items"][0]["index"]["_type"], body["items"][0]["index"]["status"]) == ("mytype", 201)
    typed_line = (json.dumps({"index": {"_index": name, "_type": "mytype", "_id": "2"}}) + "\n{}\n").encode()
    status, warning, body = call(home, "g710", "POST", "/_bulk", ndjson=typed_line)
    assert (status, body["items"][0]["index"]["_type"]) == (200, "mytype") and _warned(warning, TYPES_WARNING)
    plain = (json.dumps({"index": {"_index": name, "_id": "3"}}) + "\n{}\n").encode()
    status, warning, body = call(home, "g710", "POST", "/_bulk", ndjson=plain)
    assert (status, body["items"][0]["index"]["_type"], warning) == (200, "_doc", None)
    other = (json.dumps({"index": {"_index": name, "_type": "other", "_id": "4"}}) + "\n{}\n").encode()
    status, _, body = call(home, "g710", "POST", "/_bulk", ndjson=other)
    item = body["items"][0]["index"]
    assert (item["status"], item["_type"], item["error"]["type"]) == (400, "other", "illegal_argument_exception")


# --- endpoints a version does not have yet --------------------------------------------------------


@pytest.mark.parametrize("cluster, path, status, error", [
    # Routed as ES routes any unknown path: into `GET /{index}`, the 7.x `POST /{index}/{type}`, or nowhere.
    ("g717", "/_health_report", 404, "no such index [_health_report]"),
    ("g710", "/_features", 404, "no such index [_features]"),
    ("g710", "/_security/service/elastic/fleet-server", 400,
     "no handler found for uri [/_security/service/elastic/fleet-server] and method [GET]"),
    ("g710", "/_autoscaling/capacity", 405,
     "Incorrect HTTP method for uri [/_autoscaling/capacity] and method [GET], allowed: [POST]"),
    ("g68", "/_data_stream/logs", 405, "Incorrect HTTP method for uri [/_data_stream/logs] and method [GET], allowed: [POST]"),
])
def test_newer_endpoints_are_unknown_on_older_versions(home, cluster, path, status, error):
    got_status, _, body = call(home, cluster, "GET", path)
    reason = body["error"] if isinstance(body["error"], str) else body["error"]["reason"]
    assert (got_status, reason) == (status, error)


def test_endpoints_of_the_version_stay_501(home):
    status, _, body = call(home, "g717", "GET", "/_features")
    assert (status, body["error"]["type"]) == (501, "es_sandbox_not_implemented_exception")
