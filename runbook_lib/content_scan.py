"""Reading every document of an index from one consistent view, page by page, in bounded memory.

From 7.12 a point in time (`POST <index>/_pit`) is searched with `sort: _shard_doc` and
`search_after`: the view stays the same for every page and for a second pass, whatever is written
meanwhile. Each search renews the keep-alive and may answer with a new PIT id, which the next
search must use. Before 7.12 (no `_shard_doc`) a scroll sorted by `_doc` is used; each pass is then
a view of its own, since a scroll cannot be read twice.

Pages are fetched one ahead on a background thread, so the next page is on its way while the
current one is digested; at most `depth` pages per index are held at any time.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Iterator, Sequence

from .connection import Cluster
from .errors import RunbookError
from .versions import Version

# Fewer, larger pages: each page is a search of every shard; 5,000 small documents are a few MB.
PAGE_SIZE = 5000
PIT_SINCE = Version(7, 12, 0)  # `_shard_doc`, the tiebreaker that makes search_after over a PIT exact
KEEP_ALIVE = "1m"
_HIT_FIELDS = "hits.hits._id,hits.hits._routing,hits.hits._seq_no,hits.hits._source,hits.hits.sort"

Page = list[dict[str, Any]]


class IndexSnapshot:
    """One index as of the moment `open()` is called."""

    def __init__(self, cluster: Cluster, index: str, *, page_size: int = PAGE_SIZE) -> None:
        self.cluster, self.index, self.page_size = cluster, index, page_size
        self.uses_pit = cluster.version >= PIT_SINCE
        self.pit_id: str | None = None

    def __enter__(self) -> "IndexSnapshot":
        return self.open()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def open(self) -> "IndexSnapshot":
        if self.uses_pit and self.pit_id is None:
            answer = self.cluster.request("POST", f"/{self.index}/_pit", params={"keep_alive": KEEP_ALIVE})
            self.pit_id = answer.body["id"]
        return self

    def close(self) -> None:
        if self.pit_id is not None:
            pit_id, self.pit_id = self.pit_id, None
            self.cluster.request("DELETE", "/_pit", body={"id": pit_id}, ignore=(404,))

    def pages(self) -> Iterator[Page]:
        """Every matching document, a page at a time (`_id`, `_routing`, `_seq_no`, `_source`)."""
        return self._pit_pages() if self.uses_pit else self._scroll_pages()

    def _pit(self) -> dict[str, Any]:
        if self.pit_id is None:
            raise RunbookError(f"the point in time on {self.index} is not open (call open() first)")
        return {"id": self.pit_id, "keep_alive": KEEP_ALIVE}

    def _search(self, body: dict[str, Any], fields: str, path: str = "/_search",
                params: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self.cluster.request("POST", path, params={"filter_path": fields, **(params or {})}, body=body).body
        _check_complete(answer, self.cluster.role, self.index)
        if answer.get("pit_id"):
            self.pit_id = answer["pit_id"]
        return answer

    def _pit_pages(self) -> Iterator[Page]:
        body: dict[str, Any] = {"size": self.page_size, "sort": [{"_shard_doc": "asc"}],
                                "seq_no_primary_term": True, "track_total_hits": False}
        while True:
            body["pit"] = self._pit()
            hits = self._search(body, f"pit_id,_shards,timed_out,{_HIT_FIELDS}").get("hits", {}).get("hits", [])
            if not hits:
                return
            yield hits
            if len(hits) < self.page_size:
                return
            body["search_after"] = hits[-1]["sort"]

    def _scroll_pages(self) -> Iterator[Page]:
        body = {"size": self.page_size, "sort": ["_doc"], "seq_no_primary_term": True}
        fields = f"_scroll_id,_shards,timed_out,{_HIT_FIELDS}"
        answer = self._search(body, fields, path=f"/{self.index}/_search", params={"scroll": KEEP_ALIVE})
        scroll_id = answer.get("_scroll_id")
        try:
            while True:
                hits = answer.get("hits", {}).get("hits", [])
                if not hits:
                    return
                yield hits
                answer = self._search({"scroll": KEEP_ALIVE, "scroll_id": scroll_id}, fields, path="/_search/scroll")
                scroll_id = answer.get("_scroll_id", scroll_id)
        finally:
            if scroll_id:
                self.cluster.request("DELETE", "/_search/scroll", body={"scroll_id": [scroll_id]}, ignore=(404,))


def _check_complete(answer: dict[str, Any], role: str, index: str) -> None:
    """A failed shard or a timed-out search answers 200 with fewer documents: never compare those."""
    shards = answer.get("_shards") or {}
    if shards.get("failed") or answer.get("timed_out"):
        reasons = "; ".join(str((f.get("reason") or {}).get("reason", f)) for f in shards.get("failures", []))
        raise RunbookError(
            f"reading {index} on the {role} cluster returned an incomplete page "
            f"({shards.get('failed', 0)} shard(s) failed{', timed out' if answer.get('timed_out') else ''}"
            f"{': ' + reasons if reasons else ''}). Check the index's health, then run the cell again")


_DONE = object()


def prefetch(pages: Iterator[Page], stop: threading.Event, depth: int = 2) -> Iterator[Page]:
    """`pages` read on a background thread, at most `depth` pages ahead of the consumer."""
    ahead: queue.Queue = queue.Queue(maxsize=depth)

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for page in pages:
                if not put(page):
                    return
            put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            put(exc)

    threading.Thread(target=produce, name="page-fetch", daemon=True).start()
    while True:
        try:
            item = ahead.get(timeout=0.1)
        except queue.Empty:
            if stop.is_set():
                return  # another stream failed: its error is what the caller sees
            continue
        if item is _DONE:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


def scan_together(jobs: Sequence[tuple[Iterator[Page], Callable[[Page], Any]]]) -> None:
    """Consume several page streams at the same time, each on its own thread; the first error
    stops every stream and is raised here."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def run(pages: Iterator[Page], consume: Callable[[Page], Any]) -> None:
        try:
            for page in prefetch(pages, stop):
                if stop.is_set():
                    return
                consume(page)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the caller's thread below
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=run, args=job, name="page-digest", daemon=True) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
