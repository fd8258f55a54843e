"""What an idempotent operation did: the result every `ccr_ops` function returns.

Operations read live state first and change nothing when it is already right; the result says
which happened, so a notebook can show it and a re-run can be seen to have been a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .connection import Cluster


@dataclass(frozen=True)
class OpResult:
    action: str
    changed: bool
    detail: str

    def __str__(self) -> str:
        return f"{self.action}: {'changed' if self.changed else 'unchanged'} ({self.detail})"


def unchanged(action: str, why: str) -> OpResult:
    return OpResult(action, False, why)


def send(cluster: Cluster, action: str, method: str, path: str, done: str, *,
         params: Mapping[str, Any] | None = None, body: Any = None) -> OpResult:
    """Send one changing request; in a dry run it is shown, not sent, and the result says so."""
    cluster.request(method, path, params=params, body=body, changes=True)
    if cluster.dry_run:
        return OpResult(action, True, f"dry run: would have sent {method} {path.lstrip('/')}")
    return OpResult(action, True, done)
