"""The task manager of a practice cluster (`cluster.services["tasks"]`): long-running requests such as
`_reindex` and `_delete_by_query`, as `_tasks` shows them.

A task runs on the node that coordinates the request (the first data node here) and is named
`<node id>:<number>`. A task started with `wait_for_completion=false` stores its result when done, as
Elasticsearch does in its `.tasks` index; results are kept in the cluster's metadata store, so they
survive a restart. Running tasks live in memory only: after a restart a task that was running is
neither running nor stored, which Elasticsearch reports as "isn't running and hasn't stored its results".
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from . import errors, shard_routing
from .humanize import Fields, time_value

if TYPE_CHECKING:
    from .cluster import Cluster
    from .config import NodeConfig

log = logging.getLogger(__name__)

RESULT_KIND = "task_result"


class TaskCancelled(Exception):
    """Raised inside a task's work when the task was cancelled; the work stops and reports what it did."""


@dataclass
class Task:
    id: int
    node: "NodeConfig"
    action: str
    description: str
    cancellable: bool
    status: Callable[[], dict[str, Any]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    start_millis: int = field(default_factory=lambda: int(time.time() * 1000))
    start_ns: int = field(default_factory=time.monotonic_ns)
    cancelled: str | None = None  # the reason, once cancelled
    parent: str | None = None  # the parent task's id
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def task_id(self) -> str:
        return f"{self.node.id}:{self.id}"

    def check_cancelled(self) -> None:
        if self.cancelled is not None:
            raise TaskCancelled(self.cancelled)

    def info(self, human: bool = False, detailed: bool = True, with_cancelled: bool = True) -> dict[str, Any]:
        """TaskInfo.toXContent."""
        f = Fields(human).put("node", self.node.id).put("id", self.id).put("type", "transport").put("action", self.action)
        if detailed and self.status is not None:
            f.put("status", self.status())
        if detailed:
            f.put("description", self.description)
        f.timestamp("start_time_in_millis", "start_time", self.start_millis)
        running = time.monotonic_ns() - self.start_ns
        if human:
            f.put("running_time", time_value(running / 1e6))
        f.put("running_time_in_nanos", running).put("cancellable", self.cancellable)
        if self.cancellable and with_cancelled:
            f.put("cancelled", self.cancelled is not None)
        if self.parent is not None:
            f.put("parent_task_id", self.parent)
        return f.put("headers", dict(self.headers)).out

    def __str__(self) -> str:
        return (f"Task{{id={self.id}, type='transport', action='{self.action}', description='{self.description}', "
                f"parentTask=unset, startTime={self.start_millis}, startTimeNanos={self.start_ns}}}")


def malformed(task_id: str) -> errors.EsError:
    return errors.illegal_argument(f"malformed task id {task_id}")


def parse_task_id(task_id: str) -> tuple[str, int]:
    node, sep, number = task_id.partition(":")
    if not sep or ":" in number or not node:
        raise malformed(task_id)
    try:
        return node, int(number)
    except ValueError:
        raise malformed(task_id) from None


class TaskManager:
    def __init__(self, cluster: "Cluster") -> None:
        self.cluster = cluster
        data = shard_routing.data_nodes(cluster.config)
        self.node = data[0] if data else cluster.config.nodes[0]
        stored = [parse_task_id(k)[1] for k in cluster.store.all(RESULT_KIND) if k.startswith(self.node.id + ":")]
        self._ids = itertools.count(max(stored, default=0) + 1)
        self._running: dict[int, Task] = {}
        self._lock = threading.Lock()

    def register(self, action: str, description: str, cancellable: bool = True,
                 status: Callable[[], dict[str, Any]] | None = None, opaque_id: str | None = None) -> Task:
        task = Task(next(self._ids), self.node, action, description, cancellable, status,
                    {"X-Opaque-Id": opaque_id} if opaque_id else {})
        with self._lock:
            self._running[task.id] = task
        return task

    def unregister(self, task: Task) -> None:
        with self._lock:
            self._running.pop(task.id, None)
        task.done.set()

    def run_in_background(self, task: Task, work: Callable[[], dict[str, Any]]) -> None:
        """Runs `work` on its own thread and stores its response (or its failure) as the task's result."""

        def run() -> None:
            outcome: dict[str, Any] = {"completed": True, "task": task.info(with_cancelled=False)}
            try:
                response = work()
                outcome["task"] = task.info(with_cancelled=False)
                outcome["response"] = response
            except errors.EsError as exc:
                outcome["error"] = exc.fragment()
            except Exception as exc:  # noqa: BLE001 - a bug of ours is the task's error, as in Elasticsearch
                log.exception("task %s failed", task.task_id)
                outcome["error"] = {"type": "es_sandbox_internal_error", "reason": f"{type(exc).__name__}: {exc}"}
            self.cluster.store.put(RESULT_KIND, task.task_id, outcome)
            self.unregister(task)

        threading.Thread(target=run, daemon=True, name=f"task-{task.task_id}").start()

    # --- _tasks -------------------------------------------------------------------------------

    def get(self, task_id: str, wait: bool, timeout_s: float, human: bool) -> dict[str, Any]:
        node, number = parse_task_id(task_id)
        if node == self.node.id:
            with self._lock:
                task = self._running.get(number)
            if task is not None:
                if not wait:
                    return {"completed": False, "task": task.info(human)}
                if not task.done.wait(timeout_s):
                    raise errors.EsError(408, "timeout_exception", f"Timed out waiting for completion of [{task}]")
        stored = self.cluster.store.get(RESULT_KIND, task_id)
        if stored is not None:
            return stored
        missing = errors.resource_not_found(f"task [{task_id}] isn't running and hasn't stored its results")
        if not self.cluster.store.all(RESULT_KIND):  # no result stored yet: no .tasks index either
            missing.caused_by = errors.EsError(404, "index_not_found_exception", "no such index [.tasks]",
                                               resource__type="index_expression", resource__id=".tasks",
                                               index_uuid="_na_", index=".tasks")
        if all(n.id != node for n in self.cluster.config.nodes):
            raise errors.EsError(404, "resource_not_found_exception", f"task [{task_id}] belongs to the node [{node}] "
                                 "which isn't part of the cluster and there is no record of the task", caused_by=missing)
        raise missing

    def running(self, actions: list[str] | None = None) -> list[Task]:
        from .privileges import matches  # noqa: PLC0415

        with self._lock:
            tasks = sorted(self._running.values(), key=lambda t: t.id)
        return [t for t in tasks if not actions or any(matches(a, t.action) for a in actions)]

    def cancel(self, task: Task, reason: str = "by user request") -> None:
        task.cancelled = reason

    def find(self, task_id: str) -> Task | None:
        node, number = parse_task_id(task_id)
        if node != self.node.id:
            return None
        with self._lock:
            return self._running.get(number)


def register(cluster: "Cluster") -> TaskManager:
    manager = TaskManager(cluster)
    cluster.services["tasks"] = manager
    return manager
