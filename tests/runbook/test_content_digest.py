"""Content comparison without a cluster: the digests, and the scan/name/settle logic against an
in-memory stand-in that answers PIT, search_after, scroll, _stats and _mget as Elasticsearch does."""

from __future__ import annotations

import copy
import itertools
import json
import random
import threading
import zlib

import pytest

from runbook_lib import content_digest as cd
from runbook_lib.content_compare import compare_content, named
from runbook_lib.content_scan import IndexSnapshot, scan_together
from runbook_lib.errors import RunbookError, WaitTimedOut

# --- the digests alone -------------------------------------------------------------------------


def hit(doc_id, seq_no, source, routing=None):
    h = {"_id": doc_id, "_seq_no": seq_no, "_source": source}
    if routing is not None:
        h["_routing"] = routing
    return h


def test_digest_is_exact_about_content_sequence_number_and_id():
    a = cd.doc_digest("1", 5, {"name": "Jack", "age": 40})
    assert a == cd.doc_digest("1", 5, json.loads('{"name": "Jack", "age": 40}'))
    others = [("1", 5, {"name": "Jack", "age": 41}), ("1", 5, {"name": "Jack", "age": 40.0}),
              ("1", 5, {"age": 40, "name": "Jack"}),  # CCR copies _source as it is: key order included
              ("1", 6, {"name": "Jack", "age": 40}), ("2", 5, {"name": "Jack", "age": 40}), ("1", 5, None)]
    assert a not in [cd.doc_digest(*other) for other in others]
    assert cd.doc_digest("1", 5, {"s": "\ud800 lone surrogate"}) != cd.doc_digest("1", 5, {"s": ""})


def test_bucket_sums_are_the_sums_of_each_documents_digest():
    hits = [hit("a", 1, {"x": [1, 2.5, None, True]}), hit("b", 2, None), hit("c", 3, {"y": {"z": "é"}}, routing="r")]
    digests = cd.BucketDigests(1)
    digests.add_hits(copy.deepcopy(hits))
    expected = sum(cd.doc_digest(cd.doc_key(h), h["_seq_no"], h["_source"]) for h in hits) % (1 << 128)
    assert digests.sums == [expected] and digests.without_source == 1
    kept = cd.BucketDocuments([0], 1)
    kept.add_hits(hits)
    assert sum(v.digest for v in kept.docs.values()) % (1 << 128) == expected


def test_bucket_digests_do_not_depend_on_order_and_find_the_changed_bucket():
    hits = [hit(f"doc-{n}", n, {"n": n, "text": "é\u2603"}) for n in range(500)]
    one, two = cd.BucketDigests(64), cd.BucketDigests(64)
    one.add_hits(hits)
    shuffled = hits[:]
    random.Random(3).shuffle(shuffled)
    for start in range(0, 500, 37):  # pages of any size, in any order
        two.add_hits(shuffled[start:start + 37])
    assert one.documents == two.documents == 500 and one.differing(two) == []
    changed = copy.deepcopy(hits)
    changed[7]["_source"]["n"] = -1
    three = cd.BucketDigests(64)
    three.add_hits(changed)
    assert one.differing(three) == [cd.bucket_of("doc-7", 64)]


def test_documents_above_the_checkpoint_are_counted_but_not_compared():
    digests = cd.BucketDigests(8, seq_no_at_most=10)
    assert digests.add_hits([hit("a", 10, {}), hit("b", 11, {}), hit("c", 3, {})]) == 2
    assert (digests.documents, digests.beyond) == (2, 1)
    kept = cd.BucketDocuments(range(8), 8, seq_no_at_most=10)
    kept.add_hits([hit("a", 10, {}), hit("b", 11, {})])
    assert list(kept.docs) == ["a"]


def test_a_duplicate_does_not_cancel_out():
    one, two = cd.BucketDigests(1), cd.BucketDigests(1)
    one.add_hits([hit("a", 1, {})])
    two.add_hits([hit("a", 1, {})] * 3)
    assert one.differing(two) == [0]


def test_routing_is_part_of_the_identity():
    key = cd.doc_key(hit("1", 0, {}, routing="user-9"))
    assert cd.split_key(key) == ("1", "user-9") and cd.split_key(cd.doc_key(hit("1", 0, {}))) == ("1", None)


def test_differences_name_each_kind():
    v = cd.DocVersion
    found = cd.differences({"a": v(1, 10), "b": v(2, 20), "c": v(3, 30)}, {"b": v(2, 21), "c": v(3, 30), "d": v(4, 40)})
    assert [(d.doc_id, d.kind) for d in found] == [
        ("a", cd.MISSING_ON_FOLLOWER), ("b", cd.CONTENT_DIFFERS), ("d", cd.ONLY_ON_FOLLOWER)]
    assert found[0].describe() == "a: missing on the follower (leader _seq_no 1, follower none)"


def test_choose_buckets_keeps_memory_within_the_budget_but_always_names_one():
    one, two = cd.BucketDigests(4), cd.BucketDigests(4)
    one.counts, two.counts = [10, 50, 5, 1000], [10, 40, 6, 1000]
    assert cd.choose_buckets([0, 1, 2, 3], one, two, budget=70) == ([2, 0, 1], [3])
    assert cd.choose_buckets([3], one, two, budget=10) == ([3], [])


def test_bucket_documents_keep_only_the_chosen_buckets():
    keep = cd.BucketDocuments([cd.bucket_of("x", 16)], 16)
    keep.add_hits([hit("x", 3, {"a": 1}), *(hit(f"y{n}", n, {}) for n in range(50) if cd.bucket_of(f"y{n}", 16) !=
                                            cd.bucket_of("x", 16))])
    assert list(keep.docs) == ["x"] and keep.docs["x"].seq_no == 3


# --- an in-memory index, answering as Elasticsearch does ----------------------------------------


class MemoryIndex:
    """Shards of documents with sequence numbers; what search sees changes only on refresh."""

    def __init__(self, name, shards=2):
        self.name, self.n = name, shards
        self.docs = [dict() for _ in range(shards)]  # id -> (seq_no, source)
        self.max_seq = [-1] * shards
        self.checkpoint = [-1] * shards
        self.visible = [dict() for _ in range(shards)]
        self.log = []  # every operation, for a follower to replay: (shard, seq_no, id, source or None)

    def shard(self, doc_id):
        return zlib.crc32(doc_id.encode()) % self.n

    def write(self, doc_id, source, seq_no=None):
        s = self.shard(doc_id)
        seq_no = self.max_seq[s] + 1 if seq_no is None else seq_no
        if source is None:
            self.docs[s].pop(doc_id, None)
        else:
            self.docs[s][doc_id] = (seq_no, source)
        self.max_seq[s] = max(self.max_seq[s], seq_no)
        self.checkpoint[s] = self.max_seq[s]
        self.log.append((s, seq_no, doc_id, source))

    def replay(self, leader, upto=None):
        """Apply the leader's operations this index lacks (all, or only the first `upto`)."""
        have = len(self.log)
        for s, seq_no, doc_id, source in leader.log[have:None if upto is None else upto]:
            self.write(doc_id, copy.deepcopy(source), seq_no)

    def refresh(self):
        self.visible = [dict(s) for s in self.docs]


def serve(cluster, index, events=None):
    """Register handlers on a FakeCluster for `index` (PIT, search, scroll, stats, refresh, mget)."""
    pits, counter = {}, itertools.count()
    events = events if events is not None else {}

    def view(query):
        assert query in ({}, {"match_all": {}}), "the comparison filters by _seq_no itself, not in the query"
        rows = []
        for s, docs in enumerate(index.visible):
            for pos, (doc_id, (seq_no, source)) in enumerate(sorted(docs.items())):
                rows.append(((s << 32) | pos, doc_id, seq_no, source))
        return rows

    def open_pit(params, body):
        events.get("pit", lambda: None)()
        pit_id = f"pit-{next(counter)}"
        pits[pit_id] = [dict(s) for s in index.visible]
        return 200, {"id": pit_id}

    def search(params, body):
        old = body["pit"]["id"]
        if old not in pits:
            return 404, {"error": {"type": "search_context_missing_exception",
                                   "reason": f"No search context found for id [{old}]"}}
        new = f"pit-{next(counter)}"  # Elasticsearch may answer with a new id: the client must use it
        pits[new] = pits.pop(old)
        saved, index.visible = index.visible, pits[new]
        rows = view(body.get("query", {}))
        index.visible = saved
        answer = {"pit_id": new, "_shards": {"total": index.n, "successful": index.n, "failed": 0}, "timed_out": False,
                  "hits": {"total": {"value": len(rows), "relation": "eq"}, "hits": []}}
        after = (body.get("search_after") or [-1])[0]
        for sort, doc_id, seq_no, source in [r for r in rows if r[0] > after][:body["size"]]:
            answer["hits"]["hits"].append({"_id": doc_id, "_seq_no": seq_no, "_source": copy.deepcopy(source),
                                           "sort": [sort]})
        return 200, answer

    def close_pit(params, body):
        return (200, {"succeeded": True, "num_freed": 1}) if pits.pop(body["id"], None) is not None else (404, {})

    def scroll_start(params, body):
        rows = view(body.get("query", {}))
        scroll_id = f"scroll-{next(counter)}"
        pits[scroll_id] = (rows, body["size"])
        return scroll_next({}, {"scroll_id": scroll_id}, first=True)

    def scroll_next(params, body, first=False):
        rows, size = pits[body["scroll_id"]]
        page, rest = rows[:size], rows[size:]
        pits[body["scroll_id"]] = (rest, size)
        return 200, {"_scroll_id": body["scroll_id"], "_shards": {"failed": 0}, "timed_out": False,
                     "hits": {"hits": [{"_id": d, "_seq_no": q, "_source": copy.deepcopy(s)} for _, d, q, s in page]}}

    def stats(params, body):
        events.get("stats", lambda: None)()
        shards = {str(s): [{"routing": {"primary": True}, "seq_no": {
            "max_seq_no": index.max_seq[s], "local_checkpoint": index.checkpoint[s],
            "global_checkpoint": index.checkpoint[s]}}] for s in range(index.n)}
        return 200, {"indices": {index.name: {"shards": shards}}}

    def mget(params, body):
        docs = []
        for ask in body["docs"]:
            found = index.docs[index.shard(ask["_id"])].get(ask["_id"])
            docs.append({"_id": ask["_id"], "found": False} if found is None else
                        {"_id": ask["_id"], "found": True, "_seq_no": found[0], "_source": copy.deepcopy(found[1])})
        return 200, {"docs": docs}

    cluster.on("POST", f"/{index.name}/_pit", open_pit).on("POST", "/_search", search).on("DELETE", "/_pit", close_pit)
    cluster.on("POST", f"/{index.name}/_search", scroll_start).on("POST", "/_search/scroll", scroll_next)
    cluster.on("DELETE", "/_search/scroll", (200, {"succeeded": True}))
    cluster.on("GET", f"/{index.name}/_stats", stats).on("POST", f"/{index.name}/_mget", mget)
    cluster.on("POST", f"/{index.name}/_refresh", lambda p, b: (index.refresh(), (200, {}))[1])
    return pits


@pytest.fixture
def pair(fake):
    """A leader with 300 documents and its follower, caught up, on two stand-in clusters."""
    remote, local = fake("remote"), fake("local")
    leader, follower = MemoryIndex("myindex"), MemoryIndex("myindex_follow")
    for n in range(300):
        leader.write(f"doc-{n:04d}", {"name": random.Random(n).choice(["Jack", "Pony"]), "age": n % 90})
    follower.replay(leader)
    return remote, local, leader, follower


def compare(pair, **kwargs):
    remote, local, leader, follower = pair
    kwargs.setdefault("live", True)
    kwargs.setdefault("settle_timeout_s", 2)
    return compare_content(remote, local, "myindex", "myindex_follow", page_size=kwargs.pop("page_size", 32), **kwargs)


def test_identical_indices_match_in_one_pass_and_every_pit_is_closed(pair):
    remote, local, leader, follower = pair
    pits = serve(remote, leader), serve(local, follower)
    report = compare(pair)
    assert report.matched and report.leader_docs == report.follower_docs == 300
    assert report.checkpoint == min(follower.checkpoint) and report.rescan_seconds == 0
    assert pits == ({}, {})
    searches = [r for r in remote.sent if r["path"] == "/_search"]
    assert all(r["body"]["sort"] == [{"_shard_doc": "asc"}] and r["body"]["seq_no_primary_term"] for r in searches)
    assert not remote.changes and not local.changes  # reading changes nothing


def test_a_real_difference_is_named_after_settling(pair):
    remote, local, leader, follower = pair
    follower.docs[follower.shard("doc-0007")]["doc-0007"] = (leader.docs[leader.shard("doc-0007")]["doc-0007"][0],
                                                              {"name": "Tampered", "age": 7})
    del follower.docs[follower.shard("doc-0100")]["doc-0100"]
    serve(remote, leader), serve(local, follower)
    report = compare(pair)
    assert not report.matched
    assert [(d.doc_id, d.kind) for d in report.differences] == [
        ("doc-0007", cd.CONTENT_DIFFERS), ("doc-0100", cd.MISSING_ON_FOLLOWER)]
    assert named(report)[0].startswith("doc-0007: content differs")


def test_changes_on_the_leader_after_the_checkpoint_are_not_differences(pair):
    """The follower is behind by a few updates and a delete: compared at its checkpoint, the older
    versions it still holds settle once it has caught up, and nothing is reported."""
    remote, local, leader, follower = pair
    low = min(follower.checkpoint)
    for doc_id in ("doc-0001", "doc-0002", "doc-0003"):
        leader.write(doc_id, {"name": "Updated", "age": 1})
    leader.write("doc-0004", None)
    leader.write("new-doc", {"name": "New"})
    serve(remote, leader)
    calls = itertools.count()
    # The follower catches up only after its checkpoint was read: while the differences settle.
    serve(local, follower, events={"stats": lambda: next(calls) and follower.replay(leader)})
    report = compare(pair)
    assert report.checkpoint == low and report.matched, named(report)
    assert {d.doc_id for d, _ in report.explained} == {"doc-0001", "doc-0002", "doc-0003", "doc-0004"}
    # At the checkpoint: neither the deleted document nor the updated ones are on the leader's side.
    assert report.leader_docs == sum(seq <= low for docs in leader.docs for seq, _ in docs.values()) <= 300 - 4
    assert report.leader_docs + report.leader_beyond == 300  # doc-0004 deleted, new-doc added


def test_a_follower_that_never_applies_a_delete_is_caught(pair):
    remote, local, leader, follower = pair
    leader.write("doc-0005", None)
    follower.replay(leader)
    follower.docs[follower.shard("doc-0005")]["doc-0005"] = (3, {"stale": True})  # the delete "lost"
    serve(remote, leader), serve(local, follower)
    report = compare(pair)
    assert [(d.doc_id, d.kind) for d in report.differences] == [("doc-0005", cd.ONLY_ON_FOLLOWER)]


def test_a_follower_that_does_not_catch_up_stops_with_advice(pair):
    remote, local, leader, follower = pair
    serve(remote, leader), serve(local, follower)
    follower.docs[0].clear()
    leader.write("doc-0000", {"moved": True})  # the leader is ahead, and the follower never moves
    with pytest.raises(WaitTimedOut, match="lagging"):
        compare(pair, settle_timeout_s=0.3)


def test_a_write_blocked_leader_is_compared_in_full(pair):
    remote, local, leader, follower = pair
    serve(remote, leader), serve(local, follower)
    report = compare(pair, live=False)
    assert report.checkpoint is None and report.matched and report.leader_docs == 300


def test_over_the_memory_budget_the_rest_is_counted_not_named(pair):
    remote, local, leader, follower = pair
    for n in range(0, 300, 3):
        follower.docs[follower.shard(f"doc-{n:04d}")].pop(f"doc-{n:04d}", None)
    serve(remote, leader), serve(local, follower)
    report = compare(pair, buckets=64, name_budget=10)
    assert report.unnamed_buckets > 0 and report.differences and not report.matched
    assert "were not re-scanned" in named(report, limit=5)[-1]


def test_before_7_12_a_scroll_reads_the_index(fake):
    remote = fake("remote", version="7.10.2")
    leader = MemoryIndex("myindex")
    for n in range(70):
        leader.write(f"d{n}", {"n": n})
    leader.refresh()
    serve(remote, leader)
    with IndexSnapshot(remote, "myindex", page_size=20) as snap:
        assert not snap.uses_pit
        assert sum(len(p) for p in snap.pages()) == 70
    assert ("DELETE", "/_search/scroll") in [(r["method"], r["path"]) for r in remote.sent]


def test_a_failed_shard_is_never_compared(fake):
    remote = fake("remote")
    remote.on("POST", "/myindex/_pit", {"id": "p"}).on("DELETE", "/_pit", {"succeeded": True})
    remote.on("POST", "/_search", {"pit_id": "p", "_shards": {"total": 2, "successful": 1, "failed": 1,
                                                              "failures": [{"reason": {"reason": "disk gone"}}]},
                                   "hits": {"hits": [{"_id": "a", "_seq_no": 0, "_source": {}, "sort": [0]}]}})
    with IndexSnapshot(remote, "myindex") as snap, pytest.raises(RunbookError, match="disk gone"):
        list(snap.pages())


def test_an_error_on_one_side_stops_both_scans():
    stopped = threading.Event()

    def endless():
        while True:
            yield [{}]

    def boom(page):
        raise ValueError("digest failed")

    with pytest.raises(ValueError, match="digest failed"):
        scan_together([(endless(), boom), (endless(), lambda page: stopped.set())])
