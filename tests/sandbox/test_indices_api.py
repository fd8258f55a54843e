"""Index management on a practice cluster, answered as Elasticsearch 8 answers it: create/get/delete,
settings (explicit only, static vs dynamic vs final), mappings, open/close, broadcast `_shards`,
API blocks and aliases."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # the shared helpers sit beside the tests (importlib import mode)
from rest_support import call, error  # noqa: E402


@pytest.fixture
def es(sandbox):
    return sandbox.url("remote")


def uuid_of(es, name):
    return call(es, "GET", f"/{name}/_settings?flat_settings=true").body[name]["settings"]["index.uuid"]


# --- create / get / exists / delete ---------------------------------------------------------------


def test_create_with_settings_mappings_aliases_and_get_it_back(es, unique_name):
    name = unique_name()
    answer = call(es, "PUT", f"/{name}", {
        "settings": {"number_of_shards": 2, "index": {"number_of_replicas": 0}},
        "mappings": {"properties": {"k": {"type": "keyword"}}},
        "aliases": {f"{name}-read": {}, f"{name}-route": {"routing": "1"}, f"{name}-w": {"is_write_index": True}},
    })
    assert (answer.status, answer.body) == (200, {"acknowledged": True, "shards_acknowledged": True, "index": name})
    got = call(es, "GET", f"/{name}").body[name]
    assert list(got) == ["aliases", "mappings", "settings"]
    assert got["aliases"] == {f"{name}-read": {}, f"{name}-route": {"index_routing": "1", "search_routing": "1"},
                              f"{name}-w": {"is_write_index": True}}
    assert got["mappings"] == {"properties": {"k": {"type": "keyword"}}}
    index = got["settings"]["index"]
    assert (index["number_of_shards"], index["number_of_replicas"], index["provided_name"]) == ("2", "0", name)
    assert "soft_deletes" not in index and "refresh_interval" not in index  # only what was set explicitly


def test_include_defaults_and_flat_settings(es, unique_name):
    name = unique_name()
    call(es, "PUT", f"/{name}")
    flat = call(es, "GET", f"/{name}/_settings?flat_settings=true&include_defaults=true").body[name]
    assert flat["defaults"]["index.soft_deletes.enabled"] == "true"
    assert "index.soft_deletes.enabled" not in flat["settings"]
    assert list(flat["settings"]) == sorted(flat["settings"])
    nested = call(es, "GET", f"/{name}?include_defaults=true").body[name]
    assert nested["defaults"]["index"]["soft_deletes"]["enabled"] == "true"


@pytest.mark.parametrize("name,reason", [
    ("Upper", "Invalid index name [Upper], must be lowercase"),
    ("_under", "Invalid index name [_under], must not start with '_', '-', or '+'"),
    ("a*b", 'Invalid index name [a*b], must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?]'),
])
def test_invalid_index_names(es, name, reason):
    answer = call(es, "PUT", f"/{name}")
    assert (answer.status, answer.body) == (400, error(400, "invalid_index_name_exception", reason, index_uuid="_na_", index=name))


def test_create_refusals(es, unique_name):
    name = unique_name()
    call(es, "PUT", f"/{name}")
    uuid = uuid_of(es, name)
    again = call(es, "PUT", f"/{name}")
    assert again.body == error(400, "resource_already_exists_exception", f"index [{name}/{uuid}] already exists",
                               index_uuid=uuid, index=name)
    unknown_key = call(es, "PUT", f"/{unique_name()}", {"setting": {}})
    assert unknown_key.body == error(400, "parse_exception", "unknown key [setting] for create index")
    typo = call(es, "PUT", f"/{unique_name()}", {"settings": {"index.refresh_intervl": "1s"}})
    assert typo.body == error(400, "illegal_argument_exception",
                              "unknown setting [index.refresh_intervl] did you mean [index.refresh_interval]?")
    soft = call(es, "PUT", f"/{unique_name()}", {"settings": {"index.soft_deletes.enabled": False}})
    assert soft.body == error(400, "illegal_argument_exception",
                              "Creating indices with soft-deletes disabled is no longer supported. "
                              "Please do not specify a value for setting [index.soft_deletes.enabled].")


def test_head_index_has_no_body(es, unique_name):
    name = unique_name()
    call(es, "PUT", f"/{name}")
    assert (call(es, "HEAD", f"/{name}").status, call(es, "HEAD", f"/{name}").raw) == (200, b"")
    missing = call(es, "HEAD", f"/{unique_name()}")
    assert (missing.status, missing.raw) == (404, b"")


def test_delete_needs_concrete_names(es, unique_name):
    name = unique_name()
    call(es, "PUT", f"/{name}", {"aliases": {f"{name}-alias": {}}})
    wildcard = call(es, "DELETE", f"/{name[:6]}*")
    assert wildcard.body == error(400, "illegal_argument_exception", "Wildcard expressions or all indices are not allowed")
    assert call(es, "DELETE", "/_all").status == 400
    alias = call(es, "DELETE", f"/{name}-alias")
    assert alias.body == error(400, "illegal_argument_exception", f"The provided expression [{name}-alias] matches an alias, "
                                                                  "specify the corresponding concrete indices instead.")
    assert call(es, "DELETE", f"/{name}").body == {"acknowledged": True}
    gone = call(es, "DELETE", f"/{name}")
    assert gone.body == error(404, "index_not_found_exception", f"no such index [{name}]", **{
        "resource.type": "index_or_alias", "resource.id": name, "index_uuid": "_na_", "index": name})


# --- settings -------------------------------------------------------------------------------------


def test_dynamic_static_final_and_null_settings(es, unique_name):
    name = unique_name()
    call(es, "PUT", f"/{name}")
    uuid = uuid_of(es, name)
    assert call(es, "PUT", f"/{name}/_settings", {"index": {"refresh_interval": "5s"}}).body == {"acknowledged": True}
    assert call(es, "GET", f"/{name}/_settings/index.refresh*").body == {name: {"settings": {"index": {"refresh_interval": "5s"}}}}
    static = call(es, "PUT", f"/{name}/_settings", {"settings": {"index.codec": "best_compression"}})
    assert static.body == error(400, "illegal_argument_exception",
                                f"Can't update non dynamic settings [[index.codec]] for open indices [[{name}/{uuid}]]")
    shards_open = call(es, "PUT", f"/{name}/_settings", {"index.number_of_shards": 3})
    assert shards_open.body["error"]["reason"].startswith("Can't update non dynamic settings [[index.number_of_shards]]")
    call(es, "POST", f"/{name}/_close")
    assert call(es, "PUT", f"/{name}/_settings", {"index.codec": "best_compression"}).status == 200
    final = call(es, "PUT", f"/{name}/_settings", {"index.number_of_shards": 3})
    assert final.body == error(400, "illegal_argument_exception", f"final {name} setting [index.number_of_shards], not updateable")
    call(es, "POST", f"/{name}/_open")
    assert call(es, "PUT", f"/{name}/_settings", {"index.refresh_interval": None}).status == 200
    assert call(es, "GET", f"/{name}/_settings/index.refresh*").body == {}  # nothing left to show
    flat = call(es, "GET", f"/{name}/_settings?flat_settings=true").body[name]["settings"]
    assert flat["index.codec"] == "best_compression"


def test_settings_value_and_name_errors(es, unique_name):
    name = unique_name()
    call(es, "PUT", f"/{name}")
    unknown = call(es, "PUT", f"/{name}/_settings", {"index.foo": 1})
    assert unknown.body == error(400, "illegal_argument_exception",
                                 "unknown setting [index.foo] please check that any required plugins are installed, "
                                 "or check the breaking changes documentation for removed settings")
    bad = call(es, "PUT", f"/{name}/_settings", {"index.number_of_replicas": "x"})
    assert bad.body["error"]["reason"] == "Failed to parse value [x] for setting [index.number_of_replicas]"
    assert bad.body["error"]["caused_by"] == {"type": "number_format_exception", "reason": 'For input string: "x"'}
    negative = call(es, "PUT", f"/{name}/_settings", {"index.refresh_interval": "-5s"})
    assert negative.body["error"]["reason"] == ("failed to parse setting [index.refresh_interval] with value [-5s] "
                                                "as a time value: negative durations are not supported")
    empty = call(es, "PUT", f"/{name}/_settings", {})
    assert empty.body == error(400, "action_request_validation_exception", "Validation Failed: 1: no settings to update;")


# --- mappings -------------------------------------------------------------------------------------


def test_mappings_get_put_and_conflict(es, unique_name):
    name = unique_name()
    call(es, "PUT", f"/{name}", {"mappings": {"properties": {"k": {"type": "keyword"}}}})
    assert call(es, "PUT", f"/{name}/_mapping", {"properties": {"t": {"type": "text"}}}).body == {"acknowledged": True}
    assert call(es, "GET", f"/{name}/_mapping").body == {
        name: {"mappings": {"properties": {"k": {"type": "keyword"}, "t": {"type": "text"}}}}}
    conflict = call(es, "PUT", f"/{name}/_mapping", {"properties": {"k": {"type": "long"}}})
    assert conflict.body == error(400, "illegal_argument_exception", "mapper [k] cannot be changed from type [keyword] to [long]")


# --- open / close, broadcast actions, blocks -------------------------------------------------------


def test_close_and_open_and_what_a_closed_index_answers(es, unique_name):
    name = unique_name()
    call(es, "PUT", f"/{name}/_doc/1", {"a": 1})
    uuid = uuid_of(es, name)
    closed = call(es, "POST", f"/{name}/_close")
    assert closed.body == {"acknowledged": True, "shards_acknowledged": True, "indices": {name: {"closed": True}}}
    assert call(es, "POST", f"/{name}/_close").body == {"acknowledged": True, "shards_acknowledged": False, "indices": {}}
    closed_error = error(400, "index_closed_exception", "closed", index_uuid=uuid, index=name)
    assert call(es, "GET", f"/{name}/_doc/1").body == closed_error
    assert call(es, "PUT", f"/{name}/_doc/2", {"a": 2}).body == closed_error
    assert call(es, "POST", f"/{name}/_refresh").body == closed_error
    assert call(es, "POST", f"/{name[:5]}*/_close").status == 400  # destructive_requires_name
    assert call(es, "POST", f"/{name}/_open").body == {"acknowledged": True, "shards_acknowledged": True}
    assert call(es, "GET", f"/{name}/_doc/1").body["_source"] == {"a": 1}


@pytest.mark.parametrize("shards,replicas,total,successful", [(1, 0, 1, 1), (2, 1, 4, 4), (1, 2, 3, 2)])
def test_broadcast_shards_count_every_copy(es, unique_name, shards, replicas, total, successful):
    # Two data nodes: one replica per shard can be started, a second one stays unassigned.
    name = unique_name()
    call(es, "PUT", f"/{name}", {"settings": {"number_of_shards": shards, "number_of_replicas": replicas}})
    header = {"total": total, "successful": successful, "failed": 0}
    for path in ("_refresh", "_flush", "_forcemerge"):
        assert call(es, "POST", f"/{name}/{path}").body == {"_shards": header}


def test_write_block(es, unique_name):
    name = unique_name()
    call(es, "PUT", f"/{name}/_doc/1", {"a": 1})
    answer = call(es, "PUT", f"/{name}/_block/write")
    assert answer.body == {"acknowledged": True, "shards_acknowledged": True, "indices": [{"name": name, "blocked": True}]}
    blocked = error(403, "cluster_block_exception", f"index [{name}] blocked by: [FORBIDDEN/8/index write (api)];")
    assert call(es, "PUT", f"/{name}/_doc/2", {"a": 2}).body == blocked
    assert call(es, "GET", f"/{name}/_doc/1").status == 200  # reads go on
    assert call(es, "PUT", f"/{name}/_block/nope").body == error(400, "illegal_argument_exception", "No block found with name [nope]")
    assert call(es, "PUT", f"/{name}/_settings", {"index.blocks.write": False}).status == 200
    assert call(es, "PUT", f"/{name}/_doc/2", {"a": 2}).status == 201


# --- aliases -------------------------------------------------------------------------------------


def test_alias_actions_and_writes_through_aliases(es, unique_name):
    one, two = unique_name(), unique_name()
    call(es, "PUT", f"/{one}")
    call(es, "PUT", f"/{two}")
    both, writer = f"{one}-both", f"{one}-w"
    answer = call(es, "POST", "/_aliases", {"actions": [
        {"add": {"indices": [one, two], "alias": both}},
        {"add": {"index": one, "alias": writer, "is_write_index": True}},
        {"add": {"index": two, "alias": writer}},
    ]})
    assert answer.body == {"acknowledged": True, "errors": False}
    no_write = call(es, "PUT", f"/{both}/_doc/1", {"a": 1})
    assert no_write.body == error(400, "illegal_argument_exception",
                                  f"no write index is defined for alias [{both}]. The write index may be explicitly disabled "
                                  "using is_write_index=false or the alias points to multiple indices without one being "
                                  "designated as a write index")
    assert call(es, "PUT", f"/{writer}/_doc/1", {"a": 1}).body["_index"] == one
    second = call(es, "POST", "/_aliases", {"actions": [{"add": {"index": two, "alias": writer, "is_write_index": True}}]})
    writers = ",".join(sorted([one, two]))  # Elasticsearch lists them in its metadata's order
    assert second.body == error(500, "illegal_state_exception", f"alias [{writer}] has more than one write index [{writers}]")
    assert call(es, "GET", f"/_alias/{writer}").body == {one: {"aliases": {writer: {"is_write_index": True}}},
                                                         two: {"aliases": {writer: {}}}}


def test_alias_removal_results_and_missing_aliases(es, unique_name):
    name = unique_name()
    call(es, "PUT", f"/{name}", {"aliases": {f"{name}-a": {}}})
    missing = call(es, "POST", "/_aliases", {"actions": [{"remove": {"index": name, "alias": "nope"}}]})
    assert missing.body == error(404, "aliases_not_found_exception", "aliases [nope] missing",
                                 **{"resource.type": "aliases", "resource.id": "nope"})
    partly = call(es, "POST", "/_aliases", {"actions": [{"remove": {"index": name, "alias": "nope"}},
                                                        {"add": {"index": name, "alias": f"{name}-b"}}]})
    assert partly.body == {"acknowledged": True, "errors": True, "action_results": [
        {"action": {"type": "remove", "indices": [name], "aliases": ["nope"]}, "status": 404,
         "error": {"type": "aliases_not_found_exception", "reason": "aliases [nope] missing",
                   "resource.type": "aliases", "resource.id": "nope"}},
        {"action": {"type": "add", "indices": [name], "aliases": [f"{name}-b"]}, "status": 200}]}
    required = call(es, "POST", "/_aliases", {"actions": [{"remove": {"index": name, "alias": "nope", "must_exist": True}}]})
    assert required.body == error(404, "resource_not_found_exception", "required alias [nope] does not exist")
    some = call(es, "GET", f"/{name}/_alias/{name}-a,nope")
    assert (some.status, some.body) == (404, {"error": "alias [nope] missing", "status": 404,
                                              name: {"aliases": {f"{name}-a": {}}}})
    assert call(es, "GET", "/_alias/nope1,nope2").body == {"error": "aliases [nope1,nope2] missing", "status": 404}
    assert call(es, "DELETE", f"/{name}/_alias/{name}-b").body == {"acknowledged": True, "errors": False}
    assert call(es, "HEAD", f"/_alias/{name}-b").status == 404


def test_remove_index_and_add_alias_swap_in_one_request(es, unique_name):
    old, new = unique_name(), unique_name()
    call(es, "PUT", f"/{old}/_doc/1", {"v": "old"})
    call(es, "PUT", f"/{new}/_doc/1", {"v": "new"})
    blocked = call(es, "POST", "/_aliases", {"actions": [{"add": {"index": new, "alias": old}}]})
    assert blocked.body == error(400, "invalid_alias_name_exception",
                                 f"Invalid alias name [{old}]: an index or data stream exists with the same name as the alias")
    swap = call(es, "POST", "/_aliases", {"actions": [{"add": {"index": new, "alias": old}}, {"remove_index": {"index": old}}]})
    assert swap.body == {"acknowledged": True, "errors": False}
    assert call(es, "GET", f"/{old}/_doc/1").body["_source"] == {"v": "new"}


def test_alias_action_parse_errors(es, unique_name):
    name = unique_name()
    call(es, "PUT", f"/{name}")
    body = '{"actions":[{"add":{"index":"%s","alias":"z","foo":1}}]}' % name
    answer = call(es, "POST", "/_aliases", raw=body.encode())
    foo, value = body.index('"foo"') + 1, body.index('1}}') + 1
    assert answer.body["error"]["reason"] == f"[1:{value}] [aliases] failed to parse field [actions]"
    assert answer.body["error"]["caused_by"] == {"type": "x_content_parse_exception", "reason": f"[1:{foo}] [add] unknown field [foo]"}
    assert call(es, "POST", "/_aliases", {"actions": []}).body == error(400, "illegal_argument_exception", "No action specified")
    bad_name = call(es, "POST", "/_aliases", {"actions": [{"add": {"index": name, "alias": "_x"}}]})
    assert bad_name.body == error(400, "invalid_alias_name_exception", "Invalid alias name [_x]: must not start with '_', '-', or '+'")
