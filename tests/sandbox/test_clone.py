"""The clone index API (7.4+) as Elasticsearch answers it, through the official client of each major.

One home holds a 7.10, an 8.19 and a 6.8 cluster. Before 7.4 the path is a document's
(`/{index}/{type}/{id}` on 6.x), and a 6.8 cluster answers it as such.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import warnings

import elasticsearch
import pytest

elasticsearch7 = pytest.importorskip("elasticsearch7")

CLUSTERS = {"c710": "7.10.2", "c819": "8.19.3", "c68": "6.8.23"}


@pytest.fixture(scope="module")
def home(start_versions):
    return start_versions(CLUSTERS)


def client(home, name: str):
    return home.official_client(name)


def call(home, name: str, method: str, path: str, body=None):
    """(status, Warning header, parsed body) of a plain request."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(home.url(name) + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, resp.headers.get("Warning"), json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Warning"), json.loads(exc.read() or b"null")


def error_of(exc) -> tuple[int, str, str]:
    if isinstance(exc, elasticsearch.ApiError):
        return exc.meta.status, exc.body["error"]["type"], exc.body["error"]["reason"]
    return exc.status_code, exc.error, exc.info["error"]["reason"]


def source_index(es, name: str, **settings) -> None:
    """Two shards, documents created, updated and deleted (so versions and seq_nos differ)."""
    es.indices.create(index=name, settings={"number_of_shards": 2, **settings},
                      mappings={"properties": {"n": {"type": "long"}, "tag": {"type": "keyword"}}})
    for i in range(20):
        es.index(index=name, id=str(i), document={"n": i, "tag": f"t{i % 3}"})
    for i in range(5):
        es.index(index=name, id=str(i), document={"n": i * 10, "tag": "updated"})
    es.delete(index=name, id="19")


def block(es, name: str) -> None:
    if isinstance(es, elasticsearch.Elasticsearch):
        es.indices.put_settings(index=name, settings={"index.blocks.write": True})
    else:  # the 7.17 client takes this one as a body
        es.indices.put_settings(index=name, body={"index.blocks.write": True})


def documents(es, name: str) -> dict[str, tuple]:
    es.indices.refresh(index=name)
    hits = es.search(index=name, size=100, seq_no_primary_term=True, version=True)["hits"]["hits"]
    return {h["_id"]: (h["_source"], h["_version"], h["_seq_no"]) for h in hits}


CLONING = [pytest.param("c710", id="7.10"), pytest.param("c819", id="8.19")]


@pytest.mark.parametrize("cluster", CLONING)
def test_clone_is_refused_until_the_source_is_write_blocked(home, unique_name, cluster):
    es, source = client(home, cluster), unique_name("src")
    source_index(es, source)
    with pytest.raises((elasticsearch7.TransportError, elasticsearch.ApiError)) as refused:
        es.indices.clone(index=source, target=source + "-copy")
    assert error_of(refused.value) == (500, "illegal_state_exception",
                                       f'index {source} must be read-only to resize index. use "index.blocks.write=true"')
    assert not es.indices.exists(index=source + "-copy")


@pytest.mark.parametrize("cluster", CLONING)
def test_a_clone_holds_the_same_documents_mappings_and_settings(home, unique_name, cluster):
    es, source = client(home, cluster), unique_name("src")
    target = source + "-copy"
    source_index(es, source, **{"index.refresh_interval": "5s"})
    block(es, source)

    answer = es.indices.clone(index=source, target=target)

    assert dict(answer) == {"acknowledged": True, "shards_acknowledged": True, "index": target}
    assert documents(es, target) == documents(es, source)
    assert len(documents(es, target)) == 19
    assert es.get(index=target, id="3")["_version"] == 2  # realtime GET sees the copied version
    assert es.indices.get_mapping(index=target)[target] == es.indices.get_mapping(index=source)[source]
    settings = es.indices.get_settings(index=[source, target], flat_settings=True)
    old, new = settings[source]["settings"], settings[target]["settings"]
    assert new["index.resize.source.name"] == source and new["index.resize.source.uuid"] == old["index.uuid"]
    assert new["index.uuid"] != old["index.uuid"] and new["index.provided_name"] == target
    # copy_settings is always on: the write block and the other settings come along.
    for key in ("index.number_of_shards", "index.blocks.write", "index.refresh_interval", "index.version.created"):
        assert new[key] == old[key], key
    with pytest.raises((elasticsearch7.AuthorizationException, elasticsearch.AuthorizationException)):
        es.index(index=target, id="new", document={"n": 1})


@pytest.mark.parametrize("cluster", CLONING)
def test_request_settings_win_and_aliases_are_added(home, unique_name, cluster):
    es, source = client(home, cluster), unique_name("src")
    target, alias = source + "-copy", source + "-read"
    source_index(es, source)
    block(es, source)
    status, _, body = call(home, cluster, "PUT", f"/{source}/_clone/{target}",
                           {"settings": {"index.blocks.write": None, "index.number_of_replicas": 0},
                            "aliases": {alias: {}}})
    assert status == 200, body
    new = es.indices.get_settings(index=target, flat_settings=True)[target]["settings"]
    assert "index.blocks.write" not in new and new["index.number_of_replicas"] == "0"
    assert list(es.indices.get_alias(name=alias)) == [target]
    es.index(index=target, id="new", document={"n": 1})  # the target takes writes: no block was copied


@pytest.mark.parametrize("cluster", CLONING)
def test_a_taken_target_name_or_another_shard_count_is_refused(home, unique_name, cluster):
    es, source, other = client(home, cluster), unique_name("src"), unique_name("taken")
    source_index(es, source)
    es.indices.create(index=other)
    block(es, source)
    with pytest.raises((elasticsearch7.TransportError, elasticsearch.ApiError)) as refused:
        es.indices.clone(index=source, target=other)
    uuid = es.indices.get_settings(index=other)[other]["settings"]["index"]["uuid"]
    assert error_of(refused.value) == (400, "resource_already_exists_exception", f"index [{other}/{uuid}] already exists")

    status, _, body = call(home, cluster, "POST", f"/{source}/_clone/{source}-three",
                           {"settings": {"index.number_of_shards": 3}})
    spaces = ("  ", "( ") if cluster == "c710" else (" ", "(")
    assert (status, body["error"]["type"], body["error"]["reason"]) == (
        400, "illegal_argument_exception",
        f"the number of target shards (3) must be the same as the number of{spaces[0]}source shards {spaces[1]}2)")
    status, _, body = call(home, cluster, "POST", f"/missing-{source}/_clone/{source}-x")
    assert (status, body["error"]["type"]) == (404, "index_not_found_exception")


def test_copy_settings_is_deprecated_on_7x_and_unknown_on_8x(home, unique_name):
    source = unique_name("src")
    source_index(client(home, "c710"), source)
    block(client(home, "c710"), source)
    status, _, body = call(home, "c710", "POST", f"/{source}/_clone/{source}-a?copy_settings=false")
    assert (status, body["error"]["reason"]) == (400, "parameter [copy_settings] can not be explicitly set to [false]")
    status, warning, body = call(home, "c710", "POST", f"/{source}/_clone/{source}-b?copy_settings=true")
    assert status == 200 and "parameter [copy_settings] is deprecated and will be removed in 8.0.0" in warning

    status, _, body = call(home, "c819", "POST", f"/{source}/_clone/{source}-c?copy_settings=true")
    assert (status, body["error"]["type"]) == (400, "illegal_argument_exception")
    assert "unrecognized parameter: [copy_settings]" in body["error"]["reason"]


def test_cloning_an_index_without_soft_deletes_on_7x_warns_like_creating_one(home, unique_name):
    es, source = client(home, "c710"), unique_name("nosd")
    target = source + "-copy"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source_index(es, source, **{"index.soft_deletes.enabled": False})
    block(es, source)
    status, warning, _ = call(home, "c710", "POST", f"/{source}/_clone/{target}")
    assert status == 200
    assert f"Please do not specify value for setting [index.soft_deletes.enabled] of index [{target}]." in warning
    new = es.indices.get_settings(index=target, flat_settings=True)[target]["settings"]
    assert new["index.soft_deletes.enabled"] == "false"
    assert documents(es, target) == documents(es, source)


def test_6x_has_no_clone_api_the_path_is_a_typed_document(home, unique_name):
    es, source = client(home, "c68"), unique_name("src")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es.indices.create(index=source)
        es.index(index=source, doc_type="_doc", id="1", document={"n": 1})
    status, _, body = call(home, "c68", "POST", f"/{source}/_clone/{source}-copy", {})
    assert (status, body["error"]["type"], body["error"]["reason"]) == (
        400, "invalid_type_name_exception", "mapping type name [_clone] can't start with '_' unless it is called [_doc]")
    block(es, source)
    status, _, body = call(home, "c68", "POST", f"/{source}/_clone/{source}-copy", {})
    assert (status, body["error"]["type"], body["error"]["reason"]) == (
        403, "cluster_block_exception", f"index [{source}] blocked by: [FORBIDDEN/8/index write (api)];")
    assert call(home, "c68", "HEAD", f"/{source}-copy")[0] == 404
