"""Indices, documents and search as each presented version answers them (issue 5).

One home holds the vendor's 6.7, a 6.8, a 7.10 and an 8.19 cluster. Each difference is shown through
the official client of the matching major (`elasticsearch7` for 6.x/7.x, `elasticsearch` 8.19 for 8.x)
and, where a client hides the shape or the headers, through plain HTTP.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import warnings

import pytest

elasticsearch7 = pytest.importorskip("elasticsearch7")

CLUSTERS = {"v67": "6.7.0", "s68": "6.8.23", "s710": "7.10.2", "s819": "8.19.3"}


@pytest.fixture(scope="module")
def home(start_versions):
    return start_versions(CLUSTERS, vendor=("v67",))


def call(home, name: str, method: str, path: str, body=None, ndjson: bytes | None = None):
    """(status, Warning header, parsed body) of a plain request."""
    data = ndjson if ndjson is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(home.url(name) + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/x-ndjson" if ndjson is not None else "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, resp.headers.get("Warning"), json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Warning"), json.loads(exc.read() or b"null")


def es7(home, name: str):
    return home.official_client(name)


def error_of(exc) -> tuple[int, str, str]:
    return exc.status_code, exc.error, exc.info["error"]["reason"]


# --- soft deletes --------------------------------------------------------------------------


def test_soft_deletes_default_false_on_6x_and_final(home, unique_name):
    name = unique_name("sd6")
    client = es7(home, "s68")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.indices.create(index=name, body={"settings": {"number_of_shards": 1}})
    shown = client.indices.get_settings(index=name, include_defaults=True, flat_settings=True)[name]
    assert shown["defaults"]["index.soft_deletes.enabled"] == "false"
    assert "index.soft_deletes.enabled" not in shown["settings"]
    client.indices.close(index=name)
    with pytest.raises(elasticsearch7.exceptions.RequestError) as refused:
        client.indices.put_settings(index=name, body={"index.soft_deletes.enabled": True})
    assert error_of(refused.value) == (400, "illegal_argument_exception",
                                       f"final {name} setting [index.soft_deletes.enabled], not updateable")


def test_soft_deletes_set_at_creation_on_6x(home, unique_name):
    name = unique_name("sd6on")
    client = es7(home, "v67")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.indices.create(index=name, body={"settings": {"index.soft_deletes.enabled": True}})
    assert client.indices.get_settings(index=name)[name]["settings"]["index"]["soft_deletes"] == {"enabled": "true"}


def test_soft_deletes_disabled_is_deprecated_on_7x_and_refused_on_8x(home, unique_name):
    name = unique_name("sd")
    status, warning, body = call(home, "s710", "PUT", f"/{name}", {"settings": {"index.soft_deletes.enabled": False}})
    assert status == 200 and body["acknowledged"] is True
    assert warning.startswith("299 Elasticsearch-7.10.2-")
    assert warning.endswith('"Creating indices with soft-deletes disabled is deprecated and will be removed in future '
                            'Elasticsearch versions. Please do not specify value for setting [index.soft_deletes.enabled] '
                            f'of index [{name}]."')
    other = unique_name("sd7")
    call(home, "s710", "PUT", f"/{other}")
    shown = es7(home, "s710").indices.get_settings(index=other, include_defaults=True, flat_settings=True)[other]
    assert shown["defaults"]["index.soft_deletes.enabled"] == "true"

    from elasticsearch import BadRequestError

    with pytest.raises(BadRequestError) as refused:
        home.client("s819").indices.create(index=name, settings={"index.soft_deletes.enabled": False})
    assert refused.value.meta.status == 400
    assert refused.value.body["error"]["reason"] == ("Creating indices with soft-deletes disabled is no longer supported. "
                                                     "Please do not specify a value for setting [index.soft_deletes.enabled].")


# --- the vendor's replication setting --------------------------------------------------------


def test_vendor_replication_type_on_67_removed_as_the_seed_guide_does(home, unique_name):
    name = unique_name("vendor")
    client = es7(home, "v67")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.indices.create(index=name, body={"settings": {"index.soft_deletes.enabled": True}})
    assert client.indices.get_settings(index=name)[name]["settings"]["index"]["replication"] == {"type": "physical"}
    with pytest.raises(elasticsearch7.exceptions.RequestError) as open_refused:
        client.indices.put_settings(index=name, body={"index.replication.type": None})
    assert open_refused.value.info["error"]["reason"].startswith(
        "Can't update non dynamic settings [[index.replication.type]] for open indices")
    client.indices.close(index=name)
    client.indices.put_settings(index=name, body={"index.replication.type": None})
    client.indices.open(index=name)
    assert "replication" not in client.indices.get_settings(index=name)[name]["settings"]["index"]


@pytest.mark.parametrize("cluster", ["s68", "s710", "s819"])
def test_replication_type_is_unknown_elsewhere(home, unique_name, cluster):
    name = unique_name("novendor")
    status, _, body = call(home, cluster, "PUT", f"/{name}", {"settings": {"index.replication.type": "physical"}})
    assert status == 400
    assert body["error"]["type"] == "illegal_argument_exception"
    assert body["error"]["reason"] == ("unknown setting [index.replication.type] please check that any required plugins "
                                       "are installed, or check the breaking changes documentation for removed settings")
    status, _, _ = call(home, cluster, "GET", f"/{name}")
    assert status == 404


# --- mapping types ---------------------------------------------------------------------------


def test_typed_mappings_on_6x(home, unique_name):
    name = unique_name("typed")
    client = es7(home, "s68")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        client.indices.create(index=name, body={"mappings": {"_doc": {"properties": {"f": {"type": "keyword"}}}}})
    assert any("include_type_name should be explicitly specified" in str(w.message) for w in seen)
    assert client.indices.get_mapping(index=name) == {name: {"mappings": {"_doc": {"properties": {"f": {"type": "keyword"}}}}}}
    status, _, body = call(home, "s68", "GET", f"/{name}/_mapping?include_type_name=false")
    assert (status, body) == (200, {name: {"mappings": {"properties": {"f": {"type": "keyword"}}}}})


def test_typeless_mappings_fail_on_6x_unless_include_type_name_false(home, unique_name):
    name = unique_name("typeless")
    status, _, body = call(home, "v67", "PUT", f"/{name}", {"mappings": {"properties": {"f": {"type": "keyword"}}}})
    assert status == 400
    assert body["error"]["type"] == "mapper_parsing_exception"
    assert body["error"]["reason"] == ("Failed to parse mapping [properties]: Root mapping definition has unsupported "
                                       "parameters:  [f : {type=keyword}]")
    status, warning, _ = call(home, "v67", "PUT", f"/{name}?include_type_name=false",
                              {"mappings": {"properties": {"f": {"type": "keyword"}}}})
    assert status == 200 and warning is None
    _, _, body = call(home, "v67", "GET", f"/{name}/_mapping")
    assert body == {name: {"mappings": {"_doc": {"properties": {"f": {"type": "keyword"}}}}}}


def test_typed_mappings_on_7x_and_8x(home, unique_name):
    name = unique_name("t7")
    status, _, body = call(home, "s710", "PUT", f"/{name}", {"mappings": {"_doc": {"properties": {"f": {"type": "keyword"}}}}})
    assert (status, body["error"]["reason"]) == (
        400, "The mapping definition cannot be nested under a type [_doc] unless include_type_name is set to true.")
    status, warning, _ = call(home, "s710", "PUT", f"/{name}?include_type_name=true",
                              {"mappings": {"_doc": {"properties": {"f": {"type": "keyword"}}}}})
    assert status == 200
    assert warning.endswith('"[types removal] Using include_type_name in create index requests is deprecated. '
                            'The parameter will be removed in the next major version."')
    assert es7(home, "s710").indices.get_mapping(index=name) == {name: {"mappings": {"properties": {"f": {"type": "keyword"}}}}}
    status, _, body = call(home, "s819", "PUT", f"/{name}?include_type_name=true", {})
    assert (status, body["error"]["reason"]) == (400, f"request [/{name}] contains unrecognized parameter: [include_type_name]")


def test_put_mapping_needs_a_type_on_6x(home, unique_name):
    name = unique_name("pm6")
    call(home, "s68", "PUT", f"/{name}")
    status, _, body = call(home, "s68", "PUT", f"/{name}/_mapping", {"properties": {"g": {"type": "long"}}})
    assert (status, body["error"]["type"], body["error"]["reason"]) == (
        400, "action_request_validation_exception", "Validation Failed: 1: mapping type is missing;")
    status, _, _ = call(home, "s68", "PUT", f"/{name}/_mapping/_doc", {"properties": {"g": {"type": "long"}}})
    assert status == 200
    _, _, body = call(home, "s68", "GET", f"/{name}/_mapping")
    assert body == {name: {"mappings": {"_doc": {"properties": {"g": {"type": "long"}}}}}}


# --- documents -------------------------------------------------------------------------------


def test_documents_carry_type_up_to_7x(home, unique_name):
    for cluster in ("s68", "s710"):
        name = unique_name("doc")
        client = es7(home, cluster)
        created = client.index(index=name, id="1", document={"f": "x"}, refresh=True)
        assert created["_type"] == "_doc" and created["result"] == "created"
        assert list(created)[:3] == ["_index", "_type", "_id"]
        got = client.get(index=name, id="1")
        assert (got["_type"], got["_source"]) == ("_doc", {"f": "x"})
    from elasticsearch import NotFoundError

    name = unique_name("doc8")
    client8 = home.client("s819")
    created = client8.index(index=name, id="1", document={"f": "x"})
    assert "_type" not in created.body
    with pytest.raises(NotFoundError) as missing:
        client8.get(index=name, id="2")
    assert missing.value.body == {"_index": name, "_id": "2", "found": False}


def test_one_type_per_index_on_6x(home, unique_name):
    name = unique_name("onetype")
    status, _, body = call(home, "s68", "PUT", f"/{name}/doc/1", {"f": "x"})
    assert (status, body["_type"]) == (201, "doc")
    status, _, body = call(home, "s68", "PUT", f"/{name}/_doc/2", {"f": "y"})  # _doc resolves to the index's type
    assert (status, body["_type"]) == (201, "doc")
    status, _, body = call(home, "s68", "PUT", f"/{name}/other/3", {"f": "z"})
    assert status == 400
    assert body["error"]["reason"] == (f"Rejecting mapping update to [{name}] as the final mapping would have more than "
                                       "1 type: [other, doc]")
    status, _, body = call(home, "s68", "PUT", f"/{name}/_other/3", {"f": "z"})
    assert (status, body["error"]["type"], body["error"]["reason"]) == (
        400, "invalid_type_name_exception", "mapping type name [_other] can't start with '_' unless it is called [_doc]")


def test_bulk_on_6x_needs_a_type(home, unique_name):
    name = unique_name("bulk6")
    lines = json.dumps({"index": {"_index": name, "_id": "1"}}) + "\n" + json.dumps({"f": 1}) + "\n"
    status, _, body = call(home, "v67", "POST", "/_bulk", ndjson=lines.encode())
    assert (status, body["error"]["type"], body["error"]["reason"]) == (
        400, "action_request_validation_exception", "Validation Failed: 1: type is missing;")
    result = es7(home, "v67").bulk(body=[{"index": {"_index": name, "_type": "_doc", "_id": "1"}}, {"f": 1}], refresh=True)
    assert result["items"][0]["index"]["_type"] == "_doc" and result["items"][0]["index"]["status"] == 201
    status, _, body = call(home, "s819", "POST", "/_bulk", ndjson=json.dumps({"index": {"_index": name, "_type": "_doc"}}).encode()
                           + b"\n{}\n")
    assert (status, body["error"]["reason"]) == (400, "Action/metadata line [1] contains an unknown parameter [_type]")


# --- search ---------------------------------------------------------------------------------


def test_hits_total_shape_per_version(home, unique_name):
    shapes = {"s68": 2, "s710": {"value": 2, "relation": "eq"}}
    for cluster, expected in shapes.items():
        name = unique_name("hits")
        client = es7(home, cluster)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            client.bulk(body=[{"index": {"_index": name, "_type": "_doc"}}, {"n": 1},
                              {"index": {"_index": name, "_type": "_doc"}}, {"n": 2}], refresh=True)
        found = client.search(index=name)
        assert found["hits"]["total"] == expected
        assert {hit["_type"] for hit in found["hits"]["hits"]} == {"_doc"}
        as_int = client.search(index=name, rest_total_hits_as_int=True)
        assert as_int["hits"]["total"] == 2
        assert client.count(index=name)["count"] == 2
    name = unique_name("hits8")
    client8 = home.client("s819")
    client8.index(index=name, document={"n": 1}, refresh=True)
    found = client8.search(index=name)
    assert found["hits"]["total"] == {"value": 1, "relation": "eq"}
    assert "_type" not in found["hits"]["hits"][0]


def test_6x_counts_beyond_ten_thousand_and_7x_stops(home, unique_name):
    for cluster, expected in (("s68", 10_001), ("s710", {"value": 10_000, "relation": "gte"})):
        name = unique_name("many")
        lines = "".join(json.dumps({"index": {"_index": name, "_type": "_doc"}}) + "\n{}\n" for _ in range(10_001))
        status, _, body = call(home, cluster, "POST", "/_bulk?refresh=true", ndjson=lines.encode())
        assert status == 200 and body["errors"] is False
        _, _, found = call(home, cluster, "GET", f"/{name}/_search?size=0")
        assert found["hits"]["total"] == expected
        call(home, cluster, "DELETE", f"/{name}")


def test_pit_and_add_block_missing_on_6x(home, unique_name):
    name = unique_name("old")
    call(home, "s68", "PUT", f"/{name}")
    client = es7(home, "s68")
    with pytest.raises(elasticsearch7.exceptions.RequestError) as no_pit:
        client.open_point_in_time(index=name, keep_alive="1m")
    assert error_of(no_pit.value) == (400, "illegal_argument_exception",
                                      f"request [/{name}/_pit] contains unrecognized parameter: [keep_alive]")
    with pytest.raises(elasticsearch7.exceptions.RequestError) as no_block:
        client.indices.add_block(index=name, block="write")
    assert error_of(no_block.value) == (400, "parse_exception", "request body is required")
    client.indices.put_settings(index=name, body={"index.blocks.write": True})
    assert client.indices.get_settings(index=name)[name]["settings"]["index"]["blocks"] == {"write": "true"}
    status, _, body = call(home, "s710", "PUT", f"/{name}/_block/write")
    assert status == 404  # the API exists from 7.9: the index is simply missing here
    call(home, "s710", "PUT", f"/{name}")
    blocked = es7(home, "s710").indices.add_block(index=name, block="write")
    assert blocked["indices"] == [{"name": name, "blocked": True}]
