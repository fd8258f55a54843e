"""The follower indices of a cluster and their shard follow tasks: put-follow, pause, resume,
unfollow, info and stats, and resuming after a restart.

A follower's `ccr` metadata is persisted with the index (`status` recovering / active / paused and
its parameters), so a cluster killed mid-replication resumes from its own global checkpoint.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from ..errors import EsError, illegal_argument
from . import errors as ccr_errors
from . import follow, replicated
from .leases import lease_id
from .parameters import FollowParameters
from .recovery import RemoteRecovery
from .remote import Leader
from .shard_follow import ShardFollowTask

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..index import Index

log = logging.getLogger(__name__)


class Followers:
    def __init__(self, cluster: "Cluster") -> None:
        self.cluster = cluster
        self.lock = threading.RLock()
        self.tasks: dict[str, list[ShardFollowTask]] = {}  # follower uuid -> its shard tasks
        self.recoveries: dict[str, RemoteRecovery] = {}
        cluster.listeners.append(self._on_event)

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """At process start: pick up every follower where it was left."""
        for index in list(self.cluster.indices.values()):
            status = (index.ccr or {}).get("status")
            if status == "active":
                self._start_tasks(index, FollowParameters.from_stored(index.ccr.get("parameters")))
            elif status == "recovering":
                self._recover(index)
        threading.Thread(target=self._renew_leases, name="ccr-lease-renewal", daemon=True).start()

    def _on_event(self, event: str, payload: Any) -> None:
        if event == "index_deleted":
            self._stop(payload)

    def _stop(self, index: "Index") -> None:
        with self.lock:
            for task in self.tasks.pop(index.uuid, []):
                task.stop()
            running = self.recoveries.pop(index.uuid, None)
        if running is not None:
            running.cancel()

    def lease_id(self, index: "Index") -> str:
        meta = index.ccr or {}
        return lease_id(self.cluster.config.name, index.name, index.uuid, meta["remote_cluster"],
                        meta["leader_index"], meta["leader_index_uuid"])

    def _start_tasks(self, index: "Index", params: FollowParameters) -> None:
        tasks = [ShardFollowTask(self.cluster, index, shard, params) for shard in range(index.number_of_shards)]
        with self.lock:
            self.tasks[index.uuid] = tasks
        for task in tasks:
            task.start()
        # A lease let go while paused is taken again at once; the leader may be slow to answer.
        threading.Thread(target=self._renew_leases_of, args=(tasks,), daemon=True).start()

    def _recover(self, index: "Index") -> RemoteRecovery:
        run = RemoteRecovery(self.cluster, index, self.lease_id(index), self._recovered)
        with self.lock:
            self.recoveries[index.uuid] = run
        run.start()
        return run

    def _recovered(self, index: "Index", succeeded: bool) -> None:
        """Put-follow's final step (initiateFollowing): resume the new follower. A copy that kept
        failing leaves it unrecovered until the next start of the cluster tries again."""
        with self.lock:
            self.recoveries.pop(index.uuid, None)
            if not succeeded or self.cluster.indices.get(index.name) is not index:
                return
            meta = index.ccr
            meta.pop("restore", None)
            meta["status"] = "active"
            index.persist()
            self._start_tasks(index, FollowParameters.from_stored(meta.get("parameters")))

    def active(self, index: "Index") -> list[ShardFollowTask]:
        with self.lock:
            return list(self.tasks.get(index.uuid, []))

    # --- put follow ---------------------------------------------------------------------------

    def put_follow(self, request: follow.PutFollowRequest, wait_for: int | str) -> dict[str, Any]:
        index = follow.create_follower(self.cluster, request)
        run = self._recover(index)
        if wait_for == 0:
            return {"follow_index_created": True, "follow_index_shards_acked": False, "index_following_started": False}
        run.done.wait()
        if not run.succeeded:
            return {"follow_index_created": True, "follow_index_shards_acked": False, "index_following_started": False}
        return {"follow_index_created": True, "follow_index_shards_acked": follow.shards_acked(index, wait_for),
                "index_following_started": True}

    # --- pause / resume / unfollow ------------------------------------------------------------

    def _follower(self, name: str) -> "Index":
        index = self.cluster.indices.get(name)
        if index is None:
            raise ccr_errors.index_not_found_plain(name)
        return index

    def pause(self, name: str) -> None:
        index = self._follower(name)
        if index.ccr is None:
            raise ccr_errors.not_a_follower(name)
        with self.lock:
            tasks = self.tasks.pop(index.uuid, None)
            if not tasks:
                raise ccr_errors.no_shard_follow_tasks(name)
            for task in tasks:
                task.stop()
            index.ccr["status"] = "paused"
            index.persist()

    def resume(self, name: str, params: FollowParameters) -> None:
        follow.check_local_license(self.cluster)
        index = self._follower(name)
        meta = index.ccr
        if meta is None:
            raise illegal_argument(f"follow index [{name}] does not have ccr metadata")
        leader = Leader(self.cluster, meta["remote_cluster"])
        _, leader_meta = leader.leader_index(meta["leader_index"])
        self._validate_pair(index, leader_meta)
        with self.lock:
            if self.tasks.get(index.uuid):
                raise ccr_errors.task_already_exists(index.uuid, 0)
            meta["parameters"] = params.to_stored()
            if meta["status"] == "recovering":
                index.persist()  # following starts with these parameters once the copy is done
                return
            meta["status"] = "active"
            index.persist()
            self._start_tasks(index, params)

    def _validate_pair(self, index: "Index", leader: dict[str, Any]) -> None:
        """TransportResumeFollowAction.validate, in its order."""
        name = index.name
        recorded = index.ccr["leader_index_uuid"]
        if leader["uuid"] != recorded:
            raise illegal_argument(f"follow index [{name}] should reference [{leader['uuid']}] as leader index but instead "
                                   f"reference [{recorded}] as leader index")
        if not leader["soft_deletes"]:
            raise illegal_argument(f"leader index [{leader['name']}] does not have soft deletes enabled")
        if leader["number_of_shards"] != index.number_of_shards:
            raise illegal_argument(f"leader index primary shards [{leader['number_of_shards']}] does not match with the "
                                   f"number of shards of the follow index [{index.number_of_shards}]")
        if leader["state"] != "open" or not index.is_open:
            raise illegal_argument("leader and follow index must be open")
        if not index.is_follower:
            raise illegal_argument(f"the following index [{name}] is not ready to follow; the setting "
                                   f"[{replicated.FOLLOWING_INDEX}] must be enabled.")
        replicated.check_identical(leader["settings"], index.settings)

    def unfollow(self, name: str) -> None:
        index = self._follower(name)
        if index.ccr is None:
            raise ccr_errors.not_a_follower(name)
        if index.is_open:
            raise illegal_argument(f"cannot convert the follower index [{name}] to a non-follower, because it has not been closed")
        with self.lock:
            if self.tasks.get(index.uuid) or index.uuid in self.recoveries:
                raise illegal_argument(f"cannot convert the follower index [{name}] to a non-follower, because it has not been paused")
            meta, lease = index.ccr, self.lease_id(index)
            index.settings.pop(replicated.FOLLOWING_INDEX, None)
            index.settings_version += 1
            index.ccr = None
            index.persist()
        self._remove_leases(index, meta, lease)

    def _remove_leases(self, index: "Index", meta: dict[str, Any], lease: str) -> None:
        """Best effort after the conversion, as Elasticsearch does; a lease already gone is fine."""
        try:
            leader = Leader(self.cluster, meta["remote_cluster"])
            for shard in range(index.number_of_shards):
                try:
                    leader.remove_lease(meta["leader_index_uuid"], meta["leader_index"], shard, lease)
                except EsError as exc:
                    if exc.type != "retention_lease_not_found_exception":
                        raise
        except EsError as exc:
            raise ccr_errors.wrapped(exc, failed_to_remove_retention_leases=lease) from None

    # --- info and stats -----------------------------------------------------------------------

    def info(self, expression: str) -> dict[str, Any]:
        out = []
        for index in self.cluster.resolve(expression, expand_wildcards="open,closed"):
            if index.ccr is None:
                continue
            entry: dict[str, Any] = {"follower_index": index.name, "remote_cluster": index.ccr["remote_cluster"],
                                     "leader_index": index.ccr["leader_index"]}
            tasks = self.active(index)
            entry["status"] = "active" if tasks else "paused"
            if tasks:
                entry["parameters"] = tasks[0].params.to_effective()
            out.append(entry)
        return {"follower_indices": out}

    def stats(self, names: list[str] | None, human: bool = False) -> dict[str, Any]:
        """FollowStatsAction: every follower (`names` None) or the named ones, which must be following."""
        with self.lock:
            running = [(t.follower.name, t) for tasks in self.tasks.values() for t in tasks]
        if names is not None:
            running = [(n, t) for n, t in running if n in names]
            if not running:
                raise ccr_errors.no_follow_stats(names)
        by_index: dict[str, list[ShardFollowTask]] = {}
        for name, task in running:
            by_index.setdefault(name, []).append(task)
        indices = []
        for name in sorted(by_index):
            shards = [t.status(human) for t in sorted(by_index[name], key=lambda t: t.shard_id)]
            lag = sum(max(0, s["leader_global_checkpoint"] - s["follower_global_checkpoint"]) for s in shards)
            indices.append({"index": name, "total_global_checkpoint_lag": lag, "shards": shards})
        return {"indices": indices}

    # --- retention leases ---------------------------------------------------------------------

    def _renew_leases(self) -> None:
        interval = self.cluster.config.ccr_lease_renew_interval_s
        while not self.cluster.stopping.wait(interval):
            with self.lock:
                tasks = [t for group in self.tasks.values() for t in group]
            self._renew_leases_of(tasks)

    def _renew_leases_of(self, tasks: list[ShardFollowTask]) -> None:
        for task in tasks:
            # A task stopped by a fatal failure still holds its lease, as in Elasticsearch: only pausing
            # (cancelling the task) ends the renewals.
            if task.stopped.is_set() or self.cluster.stopping.is_set():
                continue
            try:
                checkpoint = task.follower.shards[task.shard_id].global_checkpoint
                task.leader().keep_lease(task.leader_uuid, task.leader_index, task.shard_id,
                                         self.lease_id(task.follower), checkpoint + 1)
            except EsError as exc:
                log.info("renewing the retention lease of %s[%s] failed: %s", task.follower.name, task.shard_id, exc)

