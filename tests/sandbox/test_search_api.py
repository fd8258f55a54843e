"""Search on the practice clusters as Elasticsearch 8 answers it: near-real-time visibility, totals,
result windows, points in time, scrolls, `_count`, `_delete_by_query`, `_reindex` with `_tasks`, and
`_resolve/index` / `_resolve/cluster`."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

pytestmark = pytest.mark.sandbox_only


def call(base: str, method: str, path: str, body=None, raw: bytes | None = None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def ok(base: str, method: str, path: str, body=None):
    status, answer = call(base, method, path, body)
    assert status == 200, (method, path, status, answer)
    return answer


def bulk(base: str, index: str, docs: dict[str, dict], refresh: str | None = None) -> None:
    lines = []
    for doc_id, source in docs.items():
        lines += [json.dumps({"index": {"_index": index, "_id": doc_id}}), json.dumps(source)]
    suffix = f"?refresh={refresh}" if refresh else ""
    status, answer = call(base, "POST", f"/_bulk{suffix}", raw=("\n".join(lines) + "\n").encode())
    assert status == 200 and not answer["errors"], answer


@pytest.fixture(scope="module")
def es(sandbox):
    return sandbox.url("local")


@pytest.fixture(scope="module")
def people(es):
    """An index of 30 people over 3 shards, refreshed."""
    name = f"people-{uuid.uuid4().hex[:8]}"
    ok(es, "PUT", f"/{name}", {"settings": {"number_of_shards": 3}})
    bulk(es, name, {str(i): {"name": "Jack" if i % 3 == 0 else "Jill", "age": 20 + i} for i in range(30)}, "true")
    return name


# --- near-real-time visibility, totals and windows ------------------------------------------------


def test_a_document_is_gettable_at_once_but_searchable_only_after_a_refresh(es, unique_name):
    index = unique_name("nrt")
    ok(es, "PUT", f"/{index}", {"settings": {"refresh_interval": "30s"}})
    assert call(es, "PUT", f"/{index}/_doc/1", {"name": "Jack"})[0] == 201
    assert ok(es, "GET", f"/{index}/_doc/1")["found"] is True
    assert ok(es, "GET", f"/{index}/_search")["hits"]["total"] == {"value": 0, "relation": "eq"}
    assert ok(es, "GET", f"/{index}/_count")["count"] == 0
    ok(es, "POST", f"/{index}/_refresh")
    assert ok(es, "GET", f"/{index}/_count")["count"] == 1


def test_refresh_wait_for_returns_once_the_document_is_searchable(es, unique_name):
    index = unique_name("waitfor")
    assert call(es, "PUT", f"/{index}/_doc/1?refresh=wait_for", {"name": "Jack"})[0] == 201
    assert ok(es, "GET", f"/{index}/_search")["hits"]["hits"][0]["_id"] == "1"


def test_total_hits_stop_at_ten_thousand_unless_tracked(es, unique_name):
    index = unique_name("many")
    bulk(es, index, {str(i): {"n": i} for i in range(10_050)}, "true")
    answer = ok(es, "GET", f"/{index}/_search?size=0")
    assert answer["hits"]["total"] == {"value": 10_000, "relation": "gte"}
    assert ok(es, "GET", f"/{index}/_search?size=0&track_total_hits=true")["hits"]["total"] == {
        "value": 10_050, "relation": "eq"}
    assert ok(es, "GET", f"/{index}/_count")["count"] == 10_050
    status, error = call(es, "GET", f"/{index}/_search?from=9995&size=10")
    assert status == 400 and error["error"]["type"] == "search_phase_execution_exception"
    assert error["error"]["root_cause"][0]["reason"].startswith(
        "Result window is too large, from + size must be less than or equal to: [10000] but was [10005].")
    ok(es, "PUT", f"/{index}/_settings", {"index": {"max_result_window": 20_000}})
    assert len(ok(es, "GET", f"/{index}/_search?from=9995&size=10")["hits"]["hits"]) == 10


def test_sorting_on_id_is_refused(es, people):
    status, error = call(es, "POST", f"/{people}/_search", {"sort": ["_id"]})
    assert status == 400
    assert error["error"]["root_cause"][0] == {
        "type": "illegal_argument_exception",
        "reason": "Fielddata access on the _id field is disallowed, you can re-enable it by updating the dynamic "
                  "cluster setting: indices.id_field_data.enabled"}


def test_a_term_query_on_text_finds_nothing_but_on_keyword_finds(es, people):
    def total(query):
        return ok(es, "POST", f"/{people}/_search", {"query": query})["hits"]["total"]["value"]

    assert total({"term": {"name": "Jack"}}) == 0  # the text field indexed "jack"
    assert total({"term": {"name.keyword": "Jack"}}) == 10
    assert total({"match": {"name": "Jack"}}) == 10


def test_aggregations_and_source_filtering_over_http(es, people):
    answer = ok(es, "POST", f"/{people}/_search?_source_includes=age&size=1&sort=age:desc",
                {"aggs": {"names": {"terms": {"field": "name.keyword"}}}})
    assert answer["hits"]["hits"][0]["_source"] == {"age": 49}
    assert answer["hits"]["hits"][0]["sort"] == [49]
    buckets = answer["aggregations"]["names"]["buckets"]
    assert buckets == [{"key": "Jill", "doc_count": 20}, {"key": "Jack", "doc_count": 10}]
    assert list(answer) == ["took", "timed_out", "_shards", "hits", "aggregations"]
    assert answer["_shards"] == {"total": 3, "successful": 3, "skipped": 0, "failed": 0}


def test_a_query_string_parameter_is_not_emulated_and_df_needs_q(es, people):
    status, error = call(es, "GET", f"/{people}/_search?q=name:jack")
    assert status == 501 and error["error"]["type"] == "es_sandbox_not_implemented_exception"
    status, error = call(es, "GET", f"/{people}/_search?df=name")
    assert status == 400
    assert error["error"]["reason"] == (f"request [/{people}/_search] contains parameters [df] but missing query "
                                        "string parameter 'q'.")


def test_searching_a_closed_index_fails(es, unique_name):
    index = unique_name("closed")
    ok(es, "PUT", f"/{index}")
    ok(es, "POST", f"/{index}/_close")
    status, error = call(es, "GET", f"/{index}/_search")
    assert status == 400 and error["error"]["type"] == "index_closed_exception"
    assert error["error"]["reason"] == "closed" and error["error"]["index"] == index
    assert ok(es, "GET", f"/{index}/_search?ignore_unavailable=true")["_shards"]["total"] == 0


# --- _count ---------------------------------------------------------------------------------------


def test_count_with_a_query_and_its_errors(es, people):
    assert ok(es, "POST", f"/{people}/_count", {"query": {"range": {"age": {"gte": 40}}}}) == {
        "count": 10, "_shards": {"total": 3, "successful": 3, "skipped": 0, "failed": 0}}
    status, error = call(es, "POST", f"/{people}/_count", {"size": 1})
    assert status == 400 and error["error"]["type"] == "parsing_exception"
    assert error["error"]["reason"] == "request does not support [size]"
    assert call(es, "GET", "/no-such-index-anywhere/_count")[0] == 404


# --- point in time --------------------------------------------------------------------------------


def pit_pages(es: str, pit_id: str, size: int) -> list[dict]:
    hits, after = [], None
    while True:
        body = {"size": size, "pit": {"id": pit_id, "keep_alive": "1m"}, "sort": [{"_shard_doc": "asc"}],
                "track_total_hits": False}
        if after is not None:
            body["search_after"] = after
        answer = ok(es, "POST", "/_search", body)
        assert answer["pit_id"] == pit_id and "total" not in answer["hits"]
        page = answer["hits"]["hits"]
        hits += page
        if len(page) < size:
            return hits
        after = page[-1]["sort"]


def test_a_point_in_time_is_a_frozen_view_read_exactly_once(es, unique_name):
    index = unique_name("pit")
    ok(es, "PUT", f"/{index}", {"settings": {"number_of_shards": 3}})
    original = {str(i): {"n": i, "v": "old"} for i in range(200)}
    bulk(es, index, original, "true")
    opened = ok(es, "POST", f"/{index}/_pit?keep_alive=1m")
    assert opened["_shards"] == {"total": 3, "successful": 3, "skipped": 0, "failed": 0}
    pit_id = opened["id"]
    bulk(es, index, {str(i): {"n": i, "v": "new"} for i in range(150, 260)}, "true")  # updates and new docs
    for doc_id in range(0, 40):
        ok(es, "DELETE", f"/{index}/_doc/{doc_id}?refresh=true")
    ok(es, "POST", f"/{index}/_forcemerge")
    hits = pit_pages(es, pit_id, 17)
    assert sorted(h["_id"] for h in hits) == sorted(original)
    assert all(h["_source"] == original[h["_id"]] for h in hits)
    assert ok(es, "GET", f"/{index}/_count")["count"] == 220
    assert call(es, "DELETE", "/_pit", {"id": pit_id}) == (200, {"succeeded": True, "num_freed": 3})
    assert call(es, "DELETE", "/_pit", {"id": pit_id}) == (404, {"succeeded": True, "num_freed": 0})


def test_a_point_in_time_pages_up_to_a_seq_no_with_default_totals(es, unique_name):
    """The runbook's content comparison: `range` on `_seq_no` under a point in time, page by page."""
    index = unique_name("seqpages")
    ok(es, "PUT", f"/{index}", {"settings": {"number_of_shards": 2}})
    bulk(es, index, {str(i): {"n": i} for i in range(600)}, "true")
    pit_id = ok(es, "POST", f"/{index}/_pit?keep_alive=1m")["id"]
    bulk(es, index, {str(i): {"n": -i} for i in range(100)}, "true")  # later versions, outside the view
    query = {"range": {"_seq_no": {"lte": 199}}}
    body = {"size": 150, "pit": {"id": pit_id, "keep_alive": "1m"}, "sort": [{"_shard_doc": "asc"}], "query": query,
            "seq_no_primary_term": True}
    hits, totals = [], set()
    while True:
        answer = ok(es, "POST", "/_search", body)
        totals.add(json.dumps(answer["hits"]["total"]))
        hits += answer["hits"]["hits"]
        if len(answer["hits"]["hits"]) < 150:
            break
        body["search_after"] = answer["hits"]["hits"][-1]["sort"]
    assert len(hits) == 400 and all(h["_seq_no"] <= 199 and h["_source"]["n"] >= 0 for h in hits)
    assert len({h["_id"] for h in hits}) == 400
    assert totals == {json.dumps({"value": 400, "relation": "eq"})}  # every page counts the whole view
    ok(es, "DELETE", "/_pit", {"id": pit_id})


def test_metadata_fields_are_searched_as_elasticsearch_does(es, unique_name):
    index = unique_name("meta")
    ok(es, "PUT", f"/{index}", {"settings": {"number_of_shards": 2}, "aliases": {f"{index}-alias": {}}})
    bulk(es, index, {str(i): {"n": i} for i in range(6)})
    assert call(es, "PUT", f"/{index}/_doc/r1?routing=user-1&refresh=true", {"n": 10})[0] == 201
    found = ok(es, "POST", f"/{index}/_search", {"query": {"term": {"_routing": "user-1"}}})["hits"]["hits"]
    assert [(h["_id"], h["_routing"]) for h in found] == [("r1", "user-1")]
    assert ok(es, "GET", f"/{index}/_doc/r1?routing=user-1")["_routing"] == "user-1"

    def total(query: dict) -> int:
        return ok(es, "POST", f"/{index}/_search", {"query": query})["hits"]["total"]["value"]

    assert total({"terms": {"_id": ["1", "4", "9"]}}) == 2
    assert total({"ids": {"values": ["2"]}}) == 1
    assert total({"term": {"_index": f"{index}-alias"}}) == 7
    assert total({"term": {"_index": f"{index[:-2]}*"}}) == 7
    assert total({"term": {"_index": f"remote:{index}"}}) == 0
    assert total({"range": {"_seq_no": {"gte": 0}}}) == 7
    status, error = call(es, "POST", f"/{index}/_search", {"query": {"term": {"_version": 1}}})
    assert status == 400 and error["error"]["root_cause"][0] == {
        "type": "query_shard_exception", "reason": "The _version field is not searchable", "index_uuid":
        error["error"]["root_cause"][0]["index_uuid"], "index": index}


def test_a_closed_point_in_time_is_a_missing_search_context(es, people):
    pit_id = ok(es, "POST", f"/{people}/_pit?keep_alive=1m")["id"]
    ok(es, "DELETE", "/_pit", {"id": pit_id})
    status, error = call(es, "POST", "/_search", {"pit": {"id": pit_id}})
    assert status == 404
    body = error["error"]
    assert body["type"] == "search_phase_execution_exception" and body["reason"] == "all shards failed"
    assert {c["type"] for c in body["root_cause"]} == {"search_context_missing_exception"}
    assert body["root_cause"][0]["reason"].startswith("No search context found for id [")
    assert [f["shard"] for f in body["failed_shards"]] == [0, 1, 2]
    assert all(f["index"] == people for f in body["failed_shards"])


def test_a_point_in_time_expires_after_its_keep_alive(es, people):
    pit_id = ok(es, "POST", f"/{people}/_pit?keep_alive=1s")["id"]
    assert ok(es, "POST", "/_search", {"pit": {"id": pit_id}, "size": 0})["_shards"]["successful"] == 3
    time.sleep(2.5)
    assert call(es, "POST", "/_search", {"pit": {"id": pit_id}})[0] == 404


def test_point_in_time_request_errors(es, people):
    status, error = call(es, "POST", f"/{people}/_pit")
    assert status == 400 and error["error"]["reason"] == "Validation Failed: 1: [keep_alive] is not specified;"
    pit_id = ok(es, "POST", f"/{people}/_pit?keep_alive=1m")["id"]
    status, error = call(es, "POST", f"/{people}/_search", {"pit": {"id": pit_id}})
    assert status == 400 and error["error"]["reason"] == (
        "Validation Failed: 1: [indices] cannot be used with point in time. Do not specify any index with point in "
        "time.;")
    status, error = call(es, "POST", f"/{people}/_search", {"sort": ["_shard_doc"]})
    assert error["error"]["reason"] == "Validation Failed: 1: [_shard_doc] sort field cannot be used without [point in time];"
    status, error = call(es, "POST", f"/{people}/_pit?keep_alive=2d")
    assert status == 400 and error["error"]["root_cause"][0]["reason"] == (
        "Keep alive for request (2d) is too large. It must be less than (1d). This limit can be set by changing the "
        "[search.max_keep_alive] cluster level setting.")
    ok(es, "DELETE", "/_pit", {"id": pit_id})


# --- scroll ---------------------------------------------------------------------------------------


def test_a_scroll_returns_every_document_once_then_is_cleared(es, people):
    first = ok(es, "POST", f"/{people}/_search?scroll=1m", {"size": 7, "sort": ["age"]})
    assert first["_scroll_id"].startswith("FGluY2x1ZGVfY29udGV4dF91dWlk")
    assert first["hits"]["total"] == {"value": 30, "relation": "eq"}
    ages, scroll_id, page = [], first["_scroll_id"], first
    while page["hits"]["hits"]:
        ages += [h["_source"]["age"] for h in page["hits"]["hits"]]
        assert all(h["sort"] == [h["_source"]["age"]] for h in page["hits"]["hits"])
        page = ok(es, "POST", "/_search/scroll", {"scroll": "1m", "scroll_id": scroll_id})
        assert page["hits"]["total"] == {"value": 30, "relation": "eq"}
    assert ages == list(range(20, 50))
    assert call(es, "DELETE", "/_search/scroll", {"scroll_id": [scroll_id]}) == (
        200, {"succeeded": True, "num_freed": 3})
    status, error = call(es, "POST", "/_search/scroll", {"scroll_id": scroll_id})
    assert status == 404 and error["error"]["failed_shards"][0]["shard"] == -1
    assert error["error"]["failed_shards"][0]["index"] is None
    assert error["error"]["caused_by"]["type"] == "search_context_missing_exception"


def test_scroll_request_errors(es, people):
    status, error = call(es, "POST", f"/{people}/_search?scroll=1m", {"size": 0, "from": 5})
    assert status == 400 and error["error"]["reason"] == (
        "Validation Failed: 1: using [from] is not allowed in a scroll context;2: [size] cannot be [0] in a scroll "
        "context;")
    status, error = call(es, "POST", "/_search/scroll", {"scroll_id": "not-a-scroll-id!"})
    assert status == 400 and error["error"]["reason"] == "Cannot parse scroll id"
    assert call(es, "DELETE", "/_search/scroll", {"scroll_id": []})[1]["error"]["reason"] == (
        "Validation Failed: 1: no scroll ids specified;")


# --- _delete_by_query, _reindex and _tasks ---------------------------------------------------------


def test_delete_by_query_deletes_what_was_searchable_when_it_started(es, unique_name):
    index = unique_name("dbq")
    ok(es, "PUT", f"/{index}", {"settings": {"refresh_interval": "30s"}})
    bulk(es, index, {str(i): {"kind": "old"} for i in range(20)}, "true")
    bulk(es, index, {"late": {"kind": "old"}})  # not refreshed: the query does not see it
    answer = ok(es, "POST", f"/{index}/_delete_by_query?refresh=true&conflicts=proceed",
                {"query": {"term": {"kind.keyword": "old"}}})
    assert list(answer) == ["took", "timed_out", "total", "deleted", "batches", "version_conflicts", "noops",
                            "retries", "throttled_millis", "requests_per_second", "throttled_until_millis", "failures"]
    assert (answer["total"], answer["deleted"], answer["batches"], answer["failures"]) == (20, 20, 1, [])
    assert answer["requests_per_second"] == -1.0
    assert ok(es, "GET", f"/{index}/_count")["count"] == 1
    status, error = call(es, "POST", f"/{index}/_delete_by_query", {})
    assert status == 400 and error["error"]["reason"] == "Validation Failed: 1: query is missing;"
    status, error = call(es, "POST", f"/{index}/_delete_by_query?conflicts=maybe", {"query": {"match_all": {}}})
    assert status == 400 and error["error"]["reason"] == 'conflicts may only be "proceed" or "abort" but was [maybe]'


def wait_for_task(es: str, task_id: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = ok(es, "GET", f"/_tasks/{task_id}")
        if answer["completed"]:
            return answer
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} did not complete")


def test_reindex_in_the_background_is_followed_with_tasks(es, people, unique_name):
    dest = unique_name("copy")
    started = ok(es, "POST", "/_reindex?wait_for_completion=false&refresh=true",
                 {"source": {"index": people, "size": 8}, "dest": {"index": dest, "op_type": "create"}})
    assert list(started) == ["task"] and started["task"].count(":") == 1
    done = wait_for_task(es, started["task"])
    assert done["task"]["action"] == "indices:data/write/reindex"
    assert done["task"]["description"] == f"reindex from [{people}] to [{dest}]"
    assert done["task"]["status"]["created"] == 30
    response = done["response"]
    assert list(response) == ["took", "timed_out", "total", "updated", "created", "deleted", "batches",
                              "version_conflicts", "noops", "retries", "throttled_millis", "requests_per_second",
                              "throttled_until_millis", "failures"]
    assert (response["total"], response["created"], response["batches"], response["failures"]) == (30, 30, 4, [])
    assert ok(es, "GET", f"/{dest}/_count")["count"] == 30
    again = ok(es, "POST", "/_reindex?refresh=true", {"source": {"index": people}, "dest": {"index": dest,
               "op_type": "create"}, "conflicts": "proceed"})
    assert (again["created"], again["version_conflicts"], again["failures"]) == (0, 30, [])
    status, aborted = call(es, "POST", "/_reindex", {"source": {"index": people}, "dest": {"index": dest,
                           "op_type": "create"}})
    assert status == 409 and aborted["version_conflicts"] == 30
    assert aborted["failures"][0]["cause"]["type"] == "version_conflict_engine_exception"


def test_a_throttled_reindex_shows_its_progress_and_stops_when_cancelled(es, people, unique_name):
    started = ok(es, "POST", "/_reindex?wait_for_completion=false&requests_per_second=2",
                 {"source": {"index": people, "size": 1}, "dest": {"index": unique_name("slow")}})
    running = ok(es, "GET", f"/_tasks/{started['task']}")
    assert running["completed"] is False and running["task"]["cancellable"] is True
    assert running["task"]["status"]["requests_per_second"] == 2.0 and running["task"]["status"]["total"] == 30
    listed = ok(es, "GET", "/_tasks?actions=*reindex&detailed=true")["nodes"]
    assert [t for n in listed.values() for t in n["tasks"]] == [started["task"]]
    cancelled = ok(es, "POST", f"/_tasks/{started['task']}/_cancel")
    info = next(iter(cancelled["nodes"].values()))["tasks"][started["task"]]
    assert info["cancelled"] is True and "status" not in info
    done = wait_for_task(es, started["task"])
    assert done["response"]["canceled"] == "by user request" and done["response"]["created"] < 30


def test_tasks_errors_and_listing(es):
    status, error = call(es, "GET", "/_tasks/not-a-task")
    assert status == 400 and error["error"]["reason"] == "malformed task id not-a-task"
    node = next(iter(ok(es, "GET", "/_tasks?actions=cluster:monitor/tasks/lists")["nodes"]))
    status, error = call(es, "GET", f"/_tasks/{node}:987654321")
    assert status == 404
    assert error["error"]["reason"] == f"task [{node}:987654321] isn't running and hasn't stored its results"
    cancelled = ok(es, "POST", f"/_tasks/{node}:987654321/_cancel")
    assert cancelled["nodes"] == {}
    assert cancelled["node_failures"][0]["caused_by"]["reason"] == f"task [{node}:987654321] is missing"


# --- _resolve ---------------------------------------------------------------------------------------


def test_resolve_index_lists_indices_and_aliases(es, unique_name):
    index = unique_name("resolved")
    ok(es, "PUT", f"/{index}", {"aliases": {f"{index}-alias": {}}})
    assert ok(es, "GET", f"/_resolve/index/{index}*") == {
        "indices": [{"name": index, "aliases": [f"{index}-alias"], "attributes": ["open"]}],
        "aliases": [{"name": f"{index}-alias", "indices": [index]}], "data_streams": []}
    assert call(es, "GET", "/_resolve/index/no-such-index-here")[0] == 404


@pytest.fixture(scope="module")
def pair(start_sandbox):
    """A pair of its own: these tests cut the link between its clusters."""
    box = start_sandbox()
    yield box
    box.run("heal", "local", "remote", check=False)


def test_resolve_cluster_connects_a_disconnected_remote(pair, unique_name):
    local, remote = pair.url("local"), pair.url("remote")
    leader = unique_name("leader")
    ok(remote, "PUT", f"/{leader}")
    alias = f"r-{uuid.uuid4().hex[:6]}"
    ok(local, "PUT", "/_cluster/settings", {"persistent": {f"cluster.remote.{alias}.seeds": pair.info("remote")["transport"]}})
    pair.run("partition", "local", "remote")
    assert ok(local, "GET", "/_remote/info")[alias]["connected"] is False
    # skip_unavailable defaults to true from 8.15
    assert ok(local, "GET", f"/_resolve/cluster/{alias}:*") == {alias: {"connected": False, "skip_unavailable": True}}
    pair.run("heal", "local", "remote")
    assert ok(local, "GET", "/_remote/info")[alias]["connected"] is False  # nothing reconnects by itself
    answer = ok(local, "GET", f"/_resolve/cluster/{alias}:{leader}")
    assert answer[alias]["connected"] is True and answer[alias]["matching_indices"] is True
    assert answer[alias]["version"] == {k: v for k, v in ok(remote, "GET", "/")["version"].items() if k in (
        "number", "build_flavor", "minimum_wire_compatibility_version", "minimum_index_compatibility_version")}
    assert ok(local, "GET", "/_remote/info")[alias]["connected"] is True
    missing = ok(local, "GET", f"/_resolve/cluster/{alias}:nothing-here")[alias]
    assert missing == {"connected": True, "skip_unavailable": True, "error": "no such index [nothing-here]"}
    resolved = ok(local, "GET", f"/_resolve/index/{alias}:{leader}")
    assert resolved["indices"] == [{"name": f"{alias}:{leader}", "attributes": ["open"]}]
    status, error = call(local, "GET", "/_resolve/cluster/nowhere:*")
    assert status == 404 and error["error"]["type"] == "no_such_remote_cluster_exception"


# --- authorization ----------------------------------------------------------------------------------


def test_a_search_reads_only_the_indices_the_user_may_read(start_sandbox):
    box = start_sandbox("--clusters", "srch", "--security", env={"ES_SANDBOX_ELASTIC_PASSWORD": "elastic-pass-1"})
    url = box.url("srch")

    def as_user(user: str, password: str, method: str, path: str, body=None):
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request = urllib.request.Request(url + path, data=json.dumps(body).encode() if body is not None else None,
                                         method=method, headers={"Content-Type": "application/json",
                                                                 "Authorization": f"Basic {token}"})
        try:
            with urllib.request.urlopen(request, timeout=60) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def admin(method: str, path: str, body=None):
        status, answer = as_user("elastic", "elastic-pass-1", method, path, body)
        assert status in (200, 201), answer
        return answer

    admin("PUT", "/_security/role/logs_reader", {"indices": [{"names": ["logs-*"], "privileges": ["read"]}]})
    admin("PUT", "/_security/user/reader", {"password": "reader-pass", "roles": ["logs_reader"]})
    admin("PUT", "/logs-1/_doc/1?refresh=true", {"m": 1})
    admin("PUT", "/secret-1/_doc/1?refresh=true", {"m": 2})
    status, answer = as_user("reader", "reader-pass", "GET", "/_search")
    assert status == 200 and [h["_index"] for h in answer["hits"]["hits"]] == ["logs-1"]
    status, error = as_user("reader", "reader-pass", "GET", "/secret-1/_search")
    assert status == 403 and error["error"]["type"] == "security_exception"
    assert error["error"]["reason"].startswith(
        "action [indices:data/read/search] is unauthorized for user [reader] with effective roles [logs_reader] on "
        "indices [secret-1]")
