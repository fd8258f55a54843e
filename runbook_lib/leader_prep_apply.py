"""Carrying out 01_prepare_leader's plan on the remote cluster, one idempotent step at a time.

Each step re-reads the leader before it acts, so a re-run (or a run after an interruption) picks up
where the last one stopped. A closed leader is always reopened, even when the settings change fails.
"""

from __future__ import annotations

from typing import Any, Callable

from .connection import Cluster
from .errors import ClusterRequestError, UnsafeState
from .index_ops import close_index, index_state, index_uuid, open_index, set_write_block
from .leader_prep import NEW_INDEX_SUFFIX, LeaderPrepPlan, PrepAction, plan_for
from .op_result import OpResult, send, unchanged
from .preflight import leader_index
from .waits import wait_until


def read_plan(remote: Cluster, names: list[str]) -> LeaderPrepPlan:
    """Read each leader (settings with defaults, mappings, aliases) and plan what it needs."""
    actions = []
    for name in names:
        alias_target = concrete_leader(remote, name)
        if alias_target != name:
            # A re-run after the reindex: the name is now an alias of the new index.
            actions.append(PrepAction(name, "none", f"{name} is an alias of {alias_target}: follow {alias_target}",
                                      follow=alias_target))
            continue
        leader = leader_index(remote, name)
        if not leader.exists:
            raise UnsafeState(f"prepare {name}", f"leader index [{name}] does not exist on the remote cluster",
                              "check `indices` in the parameters (00_preflight lists the leader indices)")
        settings = mappings = aliases = None
        if leader.soft_deletes is False:
            settings = (remote.request("GET", f"/{name}/_settings", params={"flat_settings": "true"}).body or {}) \
                .get(name, {}).get("settings", {})
            mappings = (remote.request("GET", f"/{name}/_mapping").body or {}).get(name, {}).get("mappings", {})
            aliases = (remote.request("GET", f"/{name}/_alias").body or {}).get(name, {}).get("aliases", {})
        actions.append(plan_for(leader, remote.version, settings, mappings, aliases))
    return LeaderPrepPlan(tuple(actions))


def concrete_leader(remote: Cluster, name: str) -> str:
    """`name` itself when it is an index; the write index (or only index) behind it when an alias."""
    if index_state(remote, name) is not None:
        return name
    answer = remote.request("GET", f"/_alias/{name}", ignore=(404,))
    indices = answer.body if answer.status == 200 and isinstance(answer.body, dict) else {}
    writers = [i for i, spec in indices.items() if (spec.get("aliases", {}).get(name) or {}).get("is_write_index")]
    if len(writers) == 1:
        return writers[0]
    return next(iter(indices)) if len(indices) == 1 else name


def follow_target(remote: Cluster, name: str) -> str:
    """The index to follow for the leader the parameters name, once 01_prepare_leader has run.

    After a reindex, `name` is either an alias of the new index (writers used the name) or still the
    old, write-blocked index without soft deletes (writers used other aliases, which moved).
    """
    concrete = concrete_leader(remote, name)
    if concrete == name and index_uuid(remote, name + NEW_INDEX_SUFFIX) is not None \
            and leader_index(remote, name).soft_deletes is False:
        return name + NEW_INDEX_SUFFIX
    return concrete


def remove_vendor_setting(remote: Cluster, name: str, key: str) -> list[OpResult]:
    """Close, null `key`, open, unless `key` is already gone; the index is reopened whatever happens."""
    if not leader_index(remote, name).vendor_key:
        return [unchanged("remove vendor setting", f"{name} has no {key}")]
    results = [close_index(remote, name)]
    try:
        results.append(send(remote, "remove vendor setting", "PUT", f"/{name}/_settings",
                            f"removed {key} from {name}", body={key: None}))
    finally:
        results.append(open_index(remote, name))
    return results


def reindex_to_soft_deletes(remote: Cluster, action: PrepAction, timeout_s: float) -> list[OpResult]:
    """Carry out a reindex action: new index, write block, copy, check counts, move the write path."""
    source, target = action.leader, action.details["target"]
    if concrete_leader(remote, source) == target:
        return [unchanged("reindex", f"{source} already leads to {target}: the write path was moved")]
    results = []
    if index_uuid(remote, target) is None:
        create = action.requests[0]  # plan_for puts the new index first and the write-path moves last
        results.append(send(remote, "create new index", "PUT", f"/{target}", f"created {target} with soft deletes",
                            body=create.body))
    else:
        results.append(unchanged("create new index", f"{target} exists ({index_uuid(remote, target)})"))
    if action.details.get("vendor_key"):
        # The vendor's 6.7 sets its setting on every new index, this one too: remove it while it is empty.
        key = leader_index(remote, target).vendor_key
        results.extend(remove_vendor_setting(remote, target, key) if key else [])
    results.append(set_write_block(remote, source, True))
    results.append(_copy(remote, source, target, timeout_s))
    if not remote.dry_run:
        have, want = _count(remote, target), _count(remote, source)
        if have != want:
            raise UnsafeState(f"move the write path of {source}", f"{target} holds {have} documents, {source} {want}",
                              "look at the reindex task's failures, then run this cell again")
    for request in action.requests[3:]:
        results.append(_move_step(remote, request))
    return results


def _count(remote: Cluster, index: str) -> int:
    remote.request("POST", f"/{index}/_refresh")
    return int((remote.request("GET", f"/{index}/_count").body or {}).get("count", 0))


def _copy(remote: Cluster, source: str, target: str, timeout_s: float) -> OpResult:
    if not remote.dry_run and index_uuid(remote, target) and _count(remote, target) >= _count(remote, source):
        return unchanged("reindex", f"{target} already holds every document of {source}")
    body = {"source": {"index": source}, "dest": {"index": target, "op_type": "create"}, "conflicts": "proceed"}
    answer = remote.request("POST", "/_reindex", params={"wait_for_completion": "false", "refresh": "true"},
                            body=body, changes=True)
    if remote.dry_run:
        return OpResult("reindex", True, f"dry run: would copy {source} into {target}")
    task = (answer.body or {}).get("task", "")
    done = wait_until(_task_done(remote, task), timeout_s, 2.0, f"reindex {source} -> {target}",
                      advice=f"the task {task} goes on in the background: check GET _tasks/{task}")
    failures = (done.state or {}).get("failures") or []
    if failures:
        raise UnsafeState(f"reindex {source}", f"{len(failures)} document(s) failed: {failures[0]}",
                          "fix the cause (often a mapping conflict), then run this cell again")
    return OpResult("reindex", True, f"copied {source} into {target} (task {task})")


def _task_done(remote: Cluster, task: str) -> Callable[[], tuple[bool, Any]]:
    def poll() -> tuple[bool, Any]:
        body = remote.request("GET", f"/_tasks/{task}").body or {}
        status = (body.get("task") or {}).get("status", {})
        response = body.get("response") or {}
        progress = f"{status.get('created', 0) + status.get('updated', 0)}/{status.get('total', '?')} documents"
        return bool(body.get("completed")), response if body.get("completed") else progress
    return poll


def _move_step(remote: Cluster, request) -> OpResult:
    """Clone the backup, or swap aliases, unless it has already been done."""
    if "_clone" in request.path:
        backup = request.path.rsplit("/", 1)[1]
        if index_uuid(remote, backup) is not None:
            return unchanged("backup", f"{backup} exists")
        return send(remote, "backup", "POST", request.path, f"kept the old data as {backup}")
    try:
        return send(remote, "move write path", "POST", "/_aliases", "moved the write path", body=request.body)
    except ClusterRequestError as exc:
        raise UnsafeState("move the write path", f"{exc.status} {exc.error_type}: {exc.reason}",
                          "nothing was changed by this request (alias actions are atomic): fix the cause and re-run") \
            from None
