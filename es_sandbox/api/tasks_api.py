"""`_tasks`: list running tasks, get one (running or stored), cancel one.

`GET _tasks` shows, as Elasticsearch does, the listing itself (`cluster:monitor/tasks/lists` and its
`[n]` child on every node) beside the long-running tasks (reindex, delete by query).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from .. import errors, tasks
from ..privileges import matches
from ..readers import time_param
from ..rest import RestRequest

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..config import NodeConfig


def _node_header(node: "NodeConfig") -> dict[str, Any]:
    return {"name": node.name, "transport_address": node.transport_address, "host": node.transport_host,
            "ip": node.transport_address, "roles": sorted(node.roles), "attributes": {"xpack.installed": "true"}}


def _group(cluster: "Cluster", infos: list[dict[str, Any]], group_by: str) -> dict[str, Any]:
    if group_by == "none":
        return {"tasks": infos}
    if group_by == "parents":
        by_id = {f"{i['node']}:{i['id']}": {**i} for i in infos}
        top: dict[str, Any] = {}
        for task_id, info in by_id.items():
            parent = by_id.get(info.get("parent_task_id", ""))
            if parent is not None:
                parent.setdefault("children", []).append(info)
            else:
                top[task_id] = info
        return {"tasks": top}
    nodes: dict[str, Any] = {}
    for node in cluster.config.nodes:
        mine = {f"{i['node']}:{i['id']}": i for i in infos if i["node"] == node.id}
        if mine:
            nodes[node.id] = {**_node_header(node), "tasks": mine}
    return {"nodes": nodes}


def register(cluster: "Cluster") -> None:
    manager = tasks.register(cluster)
    route = cluster.router.route
    listing_ids = itertools.count(1_000_000)  # the listing's own transient tasks, never stored

    def listing(human: bool, detailed: bool) -> list[dict[str, Any]]:
        parent = tasks.Task(next(listing_ids), manager.node, "cluster:monitor/tasks/lists", "", False)
        out = [parent.info(human, detailed)]
        for node in cluster.config.nodes:
            child = tasks.Task(next(listing_ids), node, "cluster:monitor/tasks/lists[n]", "", False,
                               parent=parent.task_id)
            out.append(child.info(human, detailed))
        return out

    @route("GET", "/_tasks", params=("actions", "detailed", "group_by", "nodes", "parent_task_id", "timeout",
                                     "wait_for_completion"))
    def list_tasks(request: RestRequest) -> Any:
        cluster.security.authorize_cluster(request.principal, "cluster:monitor/tasks/lists")
        detailed = request.bool_param("detailed")
        human = request.bool_param("human")
        group_by = request.param("group_by") or "nodes"
        if group_by not in ("nodes", "parents", "none"):
            raise errors.illegal_argument(f"No group by value for [{group_by}]")
        actions = [a for a in (request.param("actions") or "").split(",") if a]
        parent = request.param("parent_task_id")
        nodes = [n for n in (request.param("nodes") or "").split(",") if n and n != "_all"]
        infos = [t.info(human, detailed) for t in manager.running()] + listing(human, detailed)
        infos = [i for i in infos if (not actions or any(matches(a, i["action"]) for a in actions))
                 and (parent is None or i.get("parent_task_id") == parent)
                 and (not nodes or any(n in (i["node"], _name(cluster, i["node"])) for n in nodes))]
        return _group(cluster, infos, group_by)

    @route("GET", "/_tasks/{task_id}", params=("timeout", "wait_for_completion"))
    def get_task(request: RestRequest) -> Any:
        cluster.security.authorize_cluster(request.principal, "cluster:monitor/task/get")
        timeout = request.param("timeout")
        timeout_s = time_param(timeout, "timeout") / 1000 if timeout else 30.0
        return manager.get(request.path_params["task_id"], request.bool_param("wait_for_completion"), timeout_s,
                           request.bool_param("human"))

    @route("POST", "/_tasks/_cancel", params=("actions", "nodes", "parent_task_id", "wait_for_completion"))
    @route("POST", "/_tasks/{task_id}/_cancel", params=("actions", "nodes", "parent_task_id", "wait_for_completion"))
    def cancel(request: RestRequest) -> Any:
        cluster.security.authorize_cluster(request.principal, "cluster:admin/tasks/cancel")
        actions = [a for a in (request.param("actions") or "").split(",") if a]
        request.bool_param("wait_for_completion")
        task_id = request.path_params.get("task_id")
        if task_id is None:
            chosen = [t for t in manager.running(actions) if t.cancellable]
        else:
            node, _ = tasks.parse_task_id(task_id)
            task = manager.find(task_id)
            problem = None
            if all(n.id != node for n in cluster.config.nodes):
                problem = errors.EsError(404, "no_such_node_exception", f"No such node [{node}]", node_id=node)
            elif task is None:
                problem = errors.resource_not_found(f"task [{task_id}] is missing")
            elif not task.cancellable or (actions and not any(matches(a, task.action) for a in actions)):
                problem = errors.resource_not_found(f"task [{task_id}] doesn't support this operation")
            if problem is not None:
                failed = errors.EsError(500, "failed_node_exception", f"Failed node [{node}]", caused_by=problem,
                                        node_id=node)
                return {"node_failures": [failed.fragment()], "nodes": {}}
            chosen = [task]
        for task in chosen:
            manager.cancel(task)
        return _group(cluster, [t.info(request.bool_param("human"), detailed=False) for t in chosen], "nodes")


def _name(cluster: "Cluster", node_id: str) -> str:
    return next((n.name for n in cluster.config.nodes if n.id == node_id), "")
