"""The _cat APIs: columns, aliases, alignment, sorting, JSON and help as Elasticsearch 8 renders them."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.sandbox_only


def cat(url: str, path: str, method: str = "GET", body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture(scope="module")
def local(sandbox):
    return sandbox.url("local")


def test_cat_nodes_shows_one_dedicated_master_and_two_data_nodes(sandbox, local):
    status, text = cat(local, "/_cat/nodes?v&h=ip,port,node.role,master,name&s=name")
    assert status == 200
    lines = text.splitlines()
    assert re.fullmatch(r"ip\s+port\s+node\.role master name", lines[0])
    rows = [line.split() for line in lines[1:]]
    by_name = {r[4]: r for r in rows}
    nodes = {n["name"]: n["transport"] for n in sandbox.info("local")["nodes"]}
    assert set(by_name) == set(nodes)
    for name, (ip, port, role, master, _) in by_name.items():
        assert f"{ip}:{port}" == nodes[name]
        assert (role, master) == (("m", "*") if name.endswith("master-1") else ("dir", "-"))
    assert len({r[0] for r in rows}) == 3


def test_cat_nodes_default_columns_and_alignment(local):
    _, text = cat(local, "/_cat/nodes?v")
    header, *rows = text.splitlines()
    assert header.split() == ["ip", "heap.percent", "ram.percent", "cpu", "load_1m", "load_5m", "load_15m",
                              "node.role", "master", "name"]
    # heap.percent is right-aligned: its values end where its header ends.
    end = header.index("heap.percent") + len("heap.percent")
    assert all(row[end - 1] != " " and row[end] == " " for row in rows)
    assert not any(row.endswith(" ") for row in rows)


def test_cat_nodes_json_aliases_and_full_id(local):
    _, text = cat(local, "/_cat/nodes?format=json&h=n,r,m,id&full_id=true")
    rows = json.loads(text)
    assert {tuple(r) for r in rows} == {("n", "r", "m", "id")}
    assert all(isinstance(r["id"], str) and len(r["id"]) > 4 for r in rows)
    assert sorted(r["r"] for r in rows) == ["dir", "dir", "m"]


def test_cat_sorting_and_unknown_sort_key(local, unique_name):
    a, b = unique_name("cat-a"), unique_name("cat-b")
    cat(local, f"/{a}", "PUT")
    cat(local, f"/{b}", "PUT", {"settings": {"number_of_shards": 2}})
    _, text = cat(local, f"/_cat/indices/{a},{b}?h=index,pri&s=pri:desc")
    assert [line.split() for line in text.splitlines()] == [[b, "2"], [a, "1"]]
    status, text = cat(local, "/_cat/indices?s=nope")
    body = json.loads(text)
    assert status == 500
    assert body["error"]["type"] == "unsupported_operation_exception"
    assert body["error"]["reason"] == "Unable to sort by unknown sort key `nope`"


def test_cat_indices_counts_health_and_bytes(local, unique_name):
    index = unique_name("catidx")
    cat(local, f"/{index}", "PUT", {"settings": {"number_of_replicas": 2}})
    cat(local, f"/{index}/_doc/1?refresh=true", "PUT", {"x": 1})
    _, text = cat(local, f"/_cat/indices/{index}?format=json&bytes=b")
    (row,) = json.loads(text)
    assert row["health"] == "yellow" and row["status"] == "open"
    assert (row["pri"], row["rep"], row["docs.count"], row["docs.deleted"]) == ("1", "2", "1", "0")
    assert row["store.size"].isdigit() and int(row["store.size"]) == 2 * int(row["pri.store.size"])
    _, text = cat(local, f"/_cat/indices/{index}?health=green")
    assert text == ""


def test_cat_shards_places_primary_and_replica_apart(local, unique_name):
    index = unique_name("catshards")
    cat(local, f"/{index}", "PUT", {"settings": {"number_of_replicas": 2}})
    _, text = cat(local, f"/_cat/shards/{index}?h=index,shard,prirep,state,node,ur")
    rows = [line.split() for line in text.splitlines()]
    assert [r[2:4] for r in rows] == [["p", "STARTED"], ["r", "STARTED"], ["r", "UNASSIGNED"]]
    assert rows[0][4] != rows[1][4]
    assert rows[2][4] == "INDEX_CREATED"


def test_cat_health_count_aliases_and_recovery(local, unique_name):
    index = unique_name("catmisc")
    cat(local, f"/{index}", "PUT", {"aliases": {f"{index}-alias": {"is_write_index": True}}})
    cat(local, f"/{index}/_doc/1?refresh=true", "PUT", {"x": 1})
    _, text = cat(local, "/_cat/health?v&ts=false")
    assert text.splitlines()[0].split() == ["cluster", "status", "node.total", "node.data", "shards", "pri", "relo",
                                            "init", "unassign", "unassign.pri", "pending_tasks",
                                            "max_task_wait_time", "active_shards_percent"]
    _, text = cat(local, f"/_cat/count/{index}?h=count")
    assert text == "1\n"
    _, text = cat(local, f"/_cat/aliases/{index}-alias?format=json")
    assert json.loads(text) == [{"alias": f"{index}-alias", "index": index, "filter": "-", "routing.index": "-",
                                 "routing.search": "-", "is_write_index": "true"}]
    _, text = cat(local, f"/_cat/recovery/{index}?h=index,shard,type,stage")
    assert [line.split()[2:] for line in text.splitlines()] == [["empty_store", "done"], ["peer", "done"]]


def test_cat_help_and_root_listing(local):
    _, text = cat(local, "/_cat/count?help")
    assert text.splitlines() == [
        "epoch     | t,time                  | seconds since 1970-01-01 00:00:00",
        "timestamp | ts,hms,hhmmss           | time in HH:MM:SS                 ",
        "count     | dc,docs.count,docsCount | the document count               ",
    ]
    _, text = cat(local, "/_cat")
    assert text.startswith("=^.^=\n/_cat/allocation\n/_cat/shards\n")
    assert "/_cat/nodes\n" in text and "/_cat/recovery/{index}\n" in text


def test_cat_refuses_unknown_parameters(local):
    status, text = cat(local, "/_cat/nodes?bogus=1")
    assert status == 400
    assert json.loads(text)["error"]["reason"] == "request [/_cat/nodes] contains unrecognized parameter: [bogus]"
