"""Canary documents: written to the leader, timed until the follower can read them, then removed.

A canary's id derives from the run id (`ccr-runbooks-canary-<run id>-<n>`): running the same run
again rewrites the same documents instead of adding more, and removal knows exactly what to delete.
The follower can read a document in two ways, at different times: a realtime GET as soon as the
operation is applied, a search only after the follower's next refresh (`index.refresh_interval`,
1 s by default; a shard nobody searched for 30 s refreshes only when it is next searched).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from .connection import Cluster
from .index_ops import document_path, document_type
from .waits import WaitResult, wait_until

CANARY_PREFIX = "ccr-runbooks-canary"


def canary_id(run_id: str, number: int) -> str:
    return f"{CANARY_PREFIX}-{run_id}-{number}"


def canary_label(doc: Mapping[str, Any], number: int) -> str:
    """How the report names a canary: its `name` field when it has one (the guide's Jack and Pony)."""
    name = doc.get("name")
    return str(name) if isinstance(name, (str, int)) else f"canary {number + 1}"


@dataclass(frozen=True)
class CanaryTiming:
    """When one canary became readable on the follower, in ms after the leader acknowledged it."""

    leader: str
    follower: str
    label: str
    doc_id: str
    seq_no: int | None  # the leader's `_seq_no` for the write; None in a dry run
    get_ms: float | None  # None: not readable within the time allowed
    search_ms: float | None


def write(remote: Cluster, leader: str, doc_id: str, doc: Mapping[str, Any]) -> int | None:
    """Index the canary on the leader; its `_seq_no` (None in a dry run, where nothing is sent)."""
    answer = remote.request("PUT", document_path(remote, leader, doc_id), body=dict(doc), changes=True)
    return None if answer.body is None else int(answer.body["_seq_no"])


def readable_by_get(local: Cluster, follower: str, doc_id: str, seq_no: int, doc_type: str = "_doc") -> bool:
    answer = local.request("GET", f"/{follower}/{doc_type}/{doc_id}", params={"_source": "false"}, ignore=(404,))
    body = answer.body or {}
    return bool(body.get("found")) and body.get("_seq_no") == seq_no


def readable_by_search(local: Cluster, follower: str, doc_id: str, seq_no: int) -> bool:
    answer = local.request("POST", f"/{follower}/_search", params={"filter_path": "hits.hits._seq_no"},
                           body={"query": {"ids": {"values": [doc_id]}}, "size": 1, "_source": False,
                                 "seq_no_primary_term": True})
    hits = (answer.body or {}).get("hits", {}).get("hits", [])
    return bool(hits) and hits[0].get("_seq_no") == seq_no


def time_visibility(local: Cluster, follower: str, doc_id: str, seq_no: int, acknowledged_at: float, *,
                    timeout_s: float, poll_s: float = 0.02, doc_type: str = "_doc",
                    clock: Callable[[], float] = time.monotonic) -> tuple[float | None, float | None]:
    """Poll the follower until GET and search both return this very write (same `_seq_no`);
    each figure is ms from the leader's acknowledgement, to within one poll."""
    get_ms = search_ms = None
    while get_ms is None or search_ms is None:
        if get_ms is None and readable_by_get(local, follower, doc_id, seq_no, doc_type):
            get_ms = (clock() - acknowledged_at) * 1000
        if search_ms is None and readable_by_search(local, follower, doc_id, seq_no):
            search_ms = (clock() - acknowledged_at) * 1000
        if clock() - acknowledged_at >= timeout_s:
            break
        time.sleep(poll_s)
    return get_ms, search_ms


def measure(remote: Cluster, local: Cluster, leader: str, follower: str, run_id: str,
            docs: Sequence[Mapping[str, Any]], *, timeout_s: float) -> list[CanaryTiming]:
    """Write each canary in turn and time it; in a dry run only show the writes."""
    timings = []
    doc_type = document_type(local, follower)  # read before any clock runs (a request on 6.x)
    for number, doc in enumerate(docs):
        doc_id = canary_id(run_id, number)
        seq_no = write(remote, leader, doc_id, doc)
        acknowledged_at = time.monotonic()
        get_ms = search_ms = None
        if seq_no is not None:
            get_ms, search_ms = time_visibility(local, follower, doc_id, seq_no, acknowledged_at, timeout_s=timeout_s,
                                                doc_type=doc_type)
        timings.append(CanaryTiming(leader, follower, canary_label(doc, number), doc_id, seq_no, get_ms, search_ms))
    return timings


def remove(remote: Cluster, leader: str, doc_ids: Sequence[str]) -> list[str]:
    """Delete the canaries still on the leader (read first, so a rerun sends nothing); the ids deleted."""
    deleted = []
    doc_type = document_type(remote, leader)
    for doc_id in doc_ids:
        present = remote.request("GET", f"/{leader}/{doc_type}/{doc_id}", params={"_source": "false"}, ignore=(404,))
        if (present.body or {}).get("found"):
            remote.request("DELETE", f"/{leader}/{doc_type}/{doc_id}", changes=True)
            deleted.append(doc_id)
    return deleted


def wait_removed(local: Cluster, follower: str, doc_ids: Sequence[str], timeout_s: float) -> WaitResult:
    """Wait until the deletes have replicated: a realtime GET on the follower finds none of them."""
    doc_type = document_type(local, follower)

    def gone() -> tuple[bool, str]:
        left = [d for d in doc_ids if (local.request("GET", f"/{follower}/{doc_type}/{d}", params={"_source": "false"},
                                                     ignore=(404,)).body or {}).get("found")]
        return not left, f"still on the follower: {', '.join(left)}" if left else "none left"

    return wait_until(gone, timeout_s, interval_s=0.1, describe=f"the canary deletes to reach {follower}",
                      advice="the follower is not applying the leader's operations: check its _ccr/stats")


def refresh_interval(local: Cluster, follower: str) -> str:
    """The follower's own refresh interval (CCR does not copy it from the leader), default included."""
    answer = local.request("GET", f"/{follower}/_settings/index.refresh_interval",
                           params={"include_defaults": "true", "flat_settings": "true"})
    entry = (answer.body or {}).get(follower, {})
    return str(entry.get("settings", {}).get("index.refresh_interval")
               or entry.get("defaults", {}).get("index.refresh_interval") or "1s")
