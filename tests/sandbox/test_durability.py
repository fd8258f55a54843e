"""kill -9 of a practice cluster loses nothing it acknowledged: documents (single writes, bulk items,
deletes) and index metadata (settings, mappings, aliases, blocks, open/closed) are all there after
`up`, and writing carries on from the same sequence numbers. Uses its own home."""

from __future__ import annotations

import os
import sys
import threading

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # the shared helpers sit beside the tests (importlib import mode)
from rest_support import call, ndjson  # noqa: E402

pytestmark = pytest.mark.sandbox_only


class Writer:
    """Writes single documents and small bulks until stopped; remembers what was acknowledged."""

    def __init__(self, es: str, index: str) -> None:
        self.es, self.index = es, index
        self.acked: set[str] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                if n % 2:
                    if call(self.es, "PUT", f"/{self.index}/_doc/s{n}", {"n": n}).status == 201:
                        self.acked.add(f"s{n}")
                else:
                    ids = [f"b{n}-{i}" for i in range(10)]
                    answer = call(self.es, "POST", "/_bulk", raw=ndjson(*[x for i in ids for x in (
                        {"index": {"_index": self.index, "_id": i}}, {"n": n})]), content_type="application/x-ndjson")
                    if answer.status == 200:
                        self.acked.update(next(iter(item.values()))["_id"] for item in answer.body["items"]
                                          if next(iter(item.values()))["status"] == 201)
            except OSError:  # the cluster is down: that write was never acknowledged
                self.stop.wait(0.05)


def test_kill_and_up_keeps_every_acknowledged_write(start_sandbox):
    box = start_sandbox("--clusters", "remote")
    es = box.url("remote")
    name, other = "durable", "closed-one"
    call(es, "PUT", f"/{name}", {"settings": {"number_of_shards": 2, "refresh_interval": "-1"},
                                 "mappings": {"properties": {"n": {"type": "long"}, "k": {"type": "keyword"}}},
                                 "aliases": {"durable-w": {"is_write_index": True}}})
    call(es, "PUT", f"/{name}/_settings", {"index.max_result_window": 500})
    call(es, "POST", "/_aliases", {"actions": [{"add": {"index": name, "alias": "durable-r", "routing": "1"}}]})
    call(es, "PUT", f"/{other}/_doc/1", {"a": 1})
    call(es, "POST", f"/{other}/_close")
    for i in range(20):
        call(es, "PUT", f"/durable-w/_doc/pre{i}", {"n": i, "k": "x"})
        call(es, "PUT", f"/seq/_doc/{i}", {"n": i})
    call(es, "DELETE", f"/{name}/_doc/pre0")
    before = call(es, "GET", f"/{name}").body[name]

    writer = Writer(es, name)
    writer.thread.start()
    while len(writer.acked) < 30:
        writer.stop.wait(0.01)
    box.run("kill", "remote")
    writer.stop.wait(0.3)
    writer.stop.set()
    writer.thread.join(10)
    box.run("up")
    es = box.url("remote")

    assert call(es, "GET", f"/{name}").body[name] == before  # settings, mappings and aliases
    assert call(es, "GET", f"/{other}/_doc/1").body["error"]["type"] == "index_closed_exception"
    call(es, "POST", f"/{name}/_refresh")
    expected = {f"pre{i}" for i in range(1, 20)} | writer.acked
    found = call(es, "POST", f"/{name}/_mget", {"ids": sorted(expected)}).body["docs"]
    assert [d["_id"] for d in found if not d["found"]] == []
    assert call(es, "GET", f"/{name}/_count").body["count"] >= len(expected)
    assert call(es, "GET", f"/{name}/_doc/pre0").status == 404
    assert call(es, "PUT", "/seq/_doc/next", {"n": 20}).body["_seq_no"] == 20  # sequence numbers carry on
