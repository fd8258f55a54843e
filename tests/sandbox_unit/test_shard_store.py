"""The operation history behind every index: versions superseded in order, sources passed through as
stored, routing kept, and counts that stay right across writes and merges."""

from __future__ import annotations

import sqlite3

from es_sandbox.shard_store import OP_DELETE, OP_INDEX, Operation, ShardStore


def index_op(seq_no: int, doc_id: str, n: int, routing: str | None = None) -> Operation:
    return Operation(0, seq_no, doc_id, OP_INDEX, {"n": n}, 1, 1, routing)


def test_an_id_written_twice_in_one_batch_keeps_only_its_last_version_live(tmp_path):
    store = ShardStore(str(tmp_path / "i.sqlite"), 1)
    store.apply([index_op(0, "a", 1), index_op(1, "b", 1)])
    store.apply([index_op(2, "a", 2), index_op(3, "a", 3), Operation(0, 4, "b", OP_DELETE, None, 2, 1)])
    assert store.live(0, "a").source == {"n": 3} and store.live(0, "a").seq_no == 3
    assert not store.live(0, "b").found
    assert [(op.doc_id, op.source) for op in store.visible_docs(0, 1)] == [("a", {"n": 1}), ("b", {"n": 1})]
    assert [(op.doc_id, op.source) for op in store.visible_docs(0, 2)] == [("b", {"n": 1}), ("a", {"n": 2})]
    assert [op.doc_id for op in store.visible_docs(0, 4)] == ["a"]
    assert [store.visible_count(0, at) for at in range(5)] == [1, 2, 2, 2, 1]


def test_sources_pass_through_as_stored_text_and_routing_is_kept(tmp_path):
    leader = ShardStore(str(tmp_path / "leader.sqlite"), 1)
    leader.apply([index_op(0, "a", 1, routing="user-1")], new_ids=True)
    [op] = leader.changes(0, 0, 0, raw=True)
    assert op.source == '{"n":1}' and op.routing == "user-1"
    follower = ShardStore(str(tmp_path / "follower.sqlite"), 1)
    follower.apply([op])
    row = follower.live(0, "a")
    assert row.source == {"n": 1} and row.routing == "user-1"


def test_counts_are_bounded_on_request_and_follow_merges(tmp_path):
    store = ShardStore(str(tmp_path / "i.sqlite"), 1)
    store.apply([index_op(i, str(i), i) for i in range(10)], new_ids=True)
    assert store.visible_count(0, 9) == 10
    assert store.visible_count(0, 9, limit=4) == 4
    assert store.visible_count(0, 9, after_seq_no=2, up_to=5) == 3
    store.apply([index_op(10 + i, str(i), -i) for i in range(3)])
    assert (store.visible_count(0, 12), store.deleted_count(0)) == (10, 3)
    assert store.trim(0, retain_from_seq_no=13, oldest_reader_seq_no=12) == 3
    assert (store.visible_count(0, 12), store.deleted_count(0)) == (10, 0)


def test_a_store_written_before_routing_was_kept_opens_with_it(tmp_path):
    path = str(tmp_path / "old.sqlite")
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE ops(shard INTEGER NOT NULL, seq_no INTEGER NOT NULL, id TEXT, op INTEGER NOT NULL, "
                 "source TEXT, version INTEGER NOT NULL, primary_term INTEGER NOT NULL, superseded INTEGER, "
                 "PRIMARY KEY(shard, seq_no)) WITHOUT ROWID")
    conn.execute("INSERT INTO ops VALUES (0, 0, 'a', 1, '{\"n\":1}', 1, 1, NULL)")
    conn.commit()
    conn.close()
    store = ShardStore(path, 1)
    assert store.live(0, "a").routing is None
    store.apply([index_op(1, "a", 2, routing="r")])
    assert store.live(0, "a").routing == "r"
