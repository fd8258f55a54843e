"""The demo's application writer and its summary figures, against a scripted client."""

from __future__ import annotations

import threading
import time

from runbook_lib.app_writer import PROMOTED, AppWriter
from runbook_lib.demo_summary import lost_writes

BLOCK = {"type": "cluster_block_exception", "reason": "index [myindex] blocked by: [FORBIDDEN/8/index write (api)];"}


class ScriptedClient:
    """Acknowledges bulks until `block` is set, then rejects every item as a write-blocked index does."""

    def __init__(self) -> None:
        self.block = threading.Event()
        self.bulks = 0
        self.stored: set[str] = set()

    def bulk(self, body):
        self.bulks += 1
        items = []
        for action in body[::2]:
            doc_id = action["index"]["_id"]
            if self.block.is_set():
                items.append({"index": {"_id": doc_id, "status": 403, "error": BLOCK}})
            else:
                self.stored.add(doc_id)
                items.append({"index": {"_id": doc_id, "status": 201, "result": "created"}})
        return {"errors": self.block.is_set(), "items": items}

    def mget(self, index, body, source):
        return {"docs": [{"_id": i, "found": i in self.stored} for i in body["ids"]]}


def test_the_writer_counts_acknowledged_and_rejected_writes_and_the_outage_the_promotion_ends():
    client = ScriptedClient()
    promoted = threading.Event()
    writer = AppWriter(client, "myindex", rate=1000, batch=5, promoted=promoted.is_set)
    writer.start()
    _wait(lambda: client.bulks >= 4)
    client.block.set()
    _wait(lambda: writer.stats.rejected_total >= 10)
    promoted.set()
    writer.join(timeout=5)

    stats = writer.stats
    assert not writer.is_alive(), "the writer stops once the promoted index is ready"
    assert stats.acknowledged >= 20 and stats.rejected == {"cluster_block_exception": stats.rejected_total}
    outage = stats.cutover_outage
    assert outage is not None and outage.ended_by == PROMOTED and outage.seconds > 0
    assert outage.first_error.startswith("cluster_block_exception: index [myindex] blocked")
    assert lost_writes(client, "myindex_follow", stats.acknowledged_ids) == []


def test_lost_writes_names_each_acknowledged_document_missing_from_the_promoted_index():
    client = ScriptedClient()
    client.stored = {"writer-0000001"}
    assert lost_writes(client, "myindex_follow", ["writer-0000001", "writer-0000002"]) == ["writer-0000002"]


def _wait(condition, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)
