"""An application writing to the leader while the demo migrates it: what it got acknowledged, what not.

The writer indexes documents at a steady rate in small bulk requests, as a service with a queue
would. At cutover the runbook blocks writes on the leader, and the leader answers each write with
403 `cluster_block_exception`: the writer counts those rejections and, from the first one, watches
for the promoted index to be ready (`promoted()`), which ends the window in which the application
could not write. Then it stops: switching the application's endpoint is outside the runbook.

Every acknowledged document must be found on the promoted index afterwards; a rejected one was
never written, and a request that got no answer at all is counted apart (its outcome is unknown).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from .clients import is_7x_client
from .dialect import bulk_metadata
from .errors import ClusterRequestError
from .sample_data import sample_document, server_version
from .versions import Version

_ACKNOWLEDGED = (200, 201)
PROMOTED = "promoted index ready"


@dataclass
class Outage:
    """A time in which the application's writes were rejected, from the first rejection until it ended."""

    started_at: str  # wall-clock time of the first rejected write
    first_error: str  # "cluster_block_exception: index [myindex] blocked by: ..."
    ended_at: str | None = None
    seconds: float | None = None
    ended_by: str = ""  # "write acknowledged" or "promoted index ready"
    _started: float = field(default_factory=time.monotonic, repr=False)

    def end(self, by: str) -> None:
        self.ended_at, self.seconds, self.ended_by = _now(), time.monotonic() - self._started, by

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}


@dataclass
class WriterStats:
    index: str
    target_rate: float
    acknowledged_ids: list[str] = field(default_factory=list)
    rejected: dict[str, int] = field(default_factory=dict)  # error type -> documents
    unknown: int = 0  # documents whose request got no answer: written or not, nobody knows
    outages: list[Outage] = field(default_factory=list)
    running_s: float = 0.0

    @property
    def acknowledged(self) -> int:
        return len(self.acknowledged_ids)

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def achieved_rate(self) -> float:
        sent = self.acknowledged + self.rejected_total + self.unknown
        return sent / self.running_s if self.running_s else 0.0

    @property
    def cutover_outage(self) -> Outage | None:
        """The outage the promotion ended: writes unavailable at cutover, as the application saw it."""
        return next((o for o in reversed(self.outages) if o.ended_by == PROMOTED), None)


class AppWriter(threading.Thread):
    """Writes `rate` documents per second to `index` in bulks of `batch` until stopped or promoted."""

    def __init__(self, client: Any, index: str, *, rate: float = 200.0, batch: int = 10,
                 promoted: Callable[[], bool] | None = None, seed: int = 11) -> None:
        super().__init__(name=f"app-writer-{index}", daemon=True)
        self.client, self.index, self.batch, self.promoted = client, index, batch, promoted
        # Bulk actions name a type on 6.x servers, which only a 7.17 client talks to.
        self.version = server_version(client) if is_7x_client(client) else Version(8, 0, 0)
        self.interval_s = batch / rate
        self.stats = WriterStats(index, rate)
        self._stop_requested = threading.Event()
        self._rng = random.Random(seed)
        self._next_seq = 0
        self._outage: Outage | None = None

    def stop(self) -> WriterStats:
        """Stop writing (after the request in flight) and return the figures."""
        self._stop_requested.set()
        self.join()
        return self.stats

    def run(self) -> None:
        started = next_at = time.monotonic()
        try:
            while not self._stop_requested.is_set():
                self._write_batch()
                if self._outage is not None and self._promotion_seen():
                    break
                next_at += self.interval_s
                # A slow answer delays the schedule rather than causing a burst to catch up.
                next_at = max(next_at, time.monotonic() - 1.0)
                self._stop_requested.wait(max(0.0, next_at - time.monotonic()))
        finally:
            self.stats.running_s = time.monotonic() - started

    def _write_batch(self) -> None:
        ids, body = [], []
        for _ in range(self.batch):
            seq, self._next_seq = self._next_seq, self._next_seq + 1
            doc_id = f"writer-{seq:07d}"
            ids.append(doc_id)
            body.append({"index": bulk_metadata(self.version, self.index, doc_id)})
            body.append({**sample_document(self._rng, seq, source="writer"), "seq": seq})
        try:
            answer = self.client.bulk(body=body)
        except Exception as exc:  # noqa: BLE001 - both client generations raise their own types
            error = ClusterRequestError.from_client_error(exc, "POST", "/_bulk")
            if error.status is None:
                self.stats.unknown += len(ids)
            else:
                for _ in ids:
                    self._rejected(error.error_type, error.reason)
            return
        for doc_id, item in zip(ids, getattr(answer, "body", answer)["items"]):
            result = next(iter(item.values()))
            if result.get("status") in _ACKNOWLEDGED:
                self.stats.acknowledged_ids.append(doc_id)
                if self._outage is not None:
                    self._outage.end("write acknowledged")
                    self._outage = None
            else:
                error = result.get("error") or {}
                self._rejected(error.get("type", f"status {result.get('status')}"), error.get("reason", ""))

    def _rejected(self, error_type: str, reason: str) -> None:
        self.stats.rejected[error_type] = self.stats.rejected.get(error_type, 0) + 1
        if self._outage is None:
            self._outage = Outage(_now(), f"{error_type}: {reason}")
            self.stats.outages.append(self._outage)

    def _promotion_seen(self) -> bool:
        if self.promoted is None or self._outage is None:
            return False
        try:
            ready = self.promoted()
        except Exception:  # noqa: BLE001 - the follower may be closed or mid-unfollow: not ready yet
            return False
        if ready:
            self._outage.end(PROMOTED)
            self._outage = None
        return ready


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")
