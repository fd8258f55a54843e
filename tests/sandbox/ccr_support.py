"""Helpers shared by the CCR tests: plain HTTP calls, remote aliases, bulk loads and waits."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any, Callable


def call(base: str, method: str, path: str, body: Any = None, raw: bytes | None = None, timeout: float = 60) -> tuple[int, Any]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def ok(base: str, method: str, path: str, body: Any = None) -> Any:
    status, answer = call(base, method, path, body)
    assert status in (200, 201), (method, path, status, answer)
    return answer


def add_remote(local: str, leader_transport: list[str], alias: str | None = None) -> str:
    alias = alias or f"leader-{uuid.uuid4().hex[:6]}"
    ok(local, "PUT", "/_cluster/settings", {"persistent": {f"cluster.remote.{alias}.seeds": leader_transport}})
    return alias


def remove_remote(local: str, alias: str) -> None:
    call(local, "PUT", "/_cluster/settings", {"persistent": {f"cluster.remote.{alias}.*": None}})


def bulk(base: str, index: str, start: int, count: int, extra: dict | None = None) -> None:
    lines = []
    for i in range(start, start + count):
        lines.append(json.dumps({"index": {"_index": index, "_id": str(i)}}))
        lines.append(json.dumps({"n": i, "msg": f"document {i}", **(extra or {})}))
    status, answer = call(base, "POST", "/_bulk", raw=("\n".join(lines) + "\n").encode())
    assert status == 200 and not answer["errors"], answer


def wait_until(what: str, check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def shard_stats(local: str, follower: str) -> list[dict]:
    status, answer = call(local, "GET", f"/{follower}/_ccr/stats")
    assert status == 200, answer
    return answer["indices"][0]["shards"]


def caught_up(local: str, leader_base: str, leader: str, follower: str) -> bool:
    """Every follower shard holds what the leader shard holds."""
    status, answer = call(local, "GET", f"/{follower}/_ccr/stats")
    if status != 200:
        return False
    leader_stats = {s["shard"]: s for s in leader_checkpoints(leader_base, leader)}
    shards = answer["indices"][0]["shards"]
    return all(s["follower_global_checkpoint"] >= leader_stats[s["shard_id"]]["global_checkpoint"] for s in shards)


def leader_checkpoints(leader_base: str, leader: str) -> list[dict]:
    """Each leader shard's global checkpoint, from `_stats?level=shards`."""
    answer = ok(leader_base, "GET", f"/{leader}/_stats?level=shards")
    out = []
    for shard, copies in answer["indices"][leader]["shards"].items():
        primary = next(c for c in copies if c["routing"]["primary"])
        out.append({"shard": int(shard), "global_checkpoint": primary["seq_no"]["global_checkpoint"]})
    return out


def following(local: str, follower: str, timeout: float = 30.0) -> None:
    """Waits for the initial copy to end and the shard follow tasks to run."""
    def active() -> bool:
        info = ok(local, "GET", f"/{follower}/_ccr/info")["follower_indices"]
        return bool(info) and info[0]["status"] == "active"

    wait_until(f"{follower} to follow", active, timeout)


def error_of(answer: dict) -> dict:
    return {k: v for k, v in answer["error"].items() if k != "root_cause"}
