"""Aliases on the local cluster: moving one to a promoted index, as its write index.

Applications that write through an alias keep their index name across the migration: once the
follower is promoted, the alias is moved to it in one atomic `_aliases` request (removed from any
other index, added to the promoted one with `is_write_index: true`).
"""

from __future__ import annotations

from .connection import Cluster
from .errors import UnsafeState
from .index_ops import index_state
from .op_result import OpResult, send, unchanged


def alias_indices(cluster: Cluster, alias: str) -> dict[str, bool]:
    """Index -> whether it is the alias's write index; empty when the alias does not exist."""
    answer = cluster.request("GET", f"/_alias/{alias}", ignore=(404,))
    if answer.status == 404 or not isinstance(answer.body, dict):
        return {}
    return {index: bool(((entry.get("aliases") or {}).get(alias) or {}).get("is_write_index"))
            for index, entry in answer.body.items() if alias in (entry.get("aliases") or {})}


def move_alias(cluster: Cluster, alias: str, index: str) -> OpResult:
    """Point `alias` at `index` alone, as its write index; no-op when it already does."""
    if index_state(cluster, alias) is not None:
        raise UnsafeState(f"move alias {alias} to {index}",
                          f"an index named [{alias}] exists on the {cluster.role} cluster",
                          "an alias cannot share a name with an index: choose another alias in the parameters")
    current = alias_indices(cluster, alias)
    if current == {index: True}:
        return unchanged("move alias", f"{alias} already points at {index} alone, as its write index")
    actions = [{"remove": {"index": other, "alias": alias}} for other in sorted(current) if other != index]
    actions.append({"add": {"index": index, "alias": alias, "is_write_index": True}})
    moved_from = f" (removed from {', '.join(sorted(set(current) - {index}))})" if set(current) - {index} else ""
    return send(cluster, "move alias", "POST", "/_aliases",
                f"{alias} now points at {index} as its write index{moved_from}", body={"actions": actions})
