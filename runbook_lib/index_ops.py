"""Index-level reads and changes the migration needs: identity (uuid), open/close, write block.

Indices are identified by uuid: a name can be deleted and re-created between two cells, a uuid
cannot. `_cat/indices` is used to read state because it lists closed indices too, with their uuid,
on every version from 6.7 to 9.x.
"""

from __future__ import annotations

from dataclasses import dataclass

from .connection import Cluster
from .errors import UnsafeState
from .op_result import OpResult, send, unchanged
from .versions import Version

# `PUT <index>/_block/write` exists from 7.9; older clusters set the block as an index setting.
_BLOCK_API_SINCE = Version(7, 9, 0)


@dataclass(frozen=True)
class IndexState:
    name: str
    uuid: str
    status: str  # "open" or "close", as _cat/indices writes it
    health: str = ""

    @property
    def closed(self) -> bool:
        return self.status == "close"


def index_state(cluster: Cluster, name: str) -> IndexState | None:
    """The index named exactly `name` (open or closed); None when there is none (or it is an alias)."""
    answer = cluster.request("GET", f"/_cat/indices/{name}",
                             params={"format": "json", "h": "index,uuid,status,health",
                                     "expand_wildcards": "all"}, ignore=(404,))
    for row in answer.body if isinstance(answer.body, list) else ():
        if row.get("index") == name:
            return IndexState(name, row.get("uuid", ""), row.get("status", ""), row.get("health") or "")
    return None


def index_uuid(cluster: Cluster, name: str) -> str | None:
    state = index_state(cluster, name)
    return state.uuid if state else None


def _existing(cluster: Cluster, name: str, action: str) -> IndexState:
    state = index_state(cluster, name)
    if state is None:
        raise UnsafeState(action, f"index [{name}] does not exist on the {cluster.role} cluster",
                          "check the index name in the parameters, and that earlier steps ran")
    return state


def close_index(cluster: Cluster, name: str) -> OpResult:
    state = _existing(cluster, name, f"close {name}")
    if state.closed:
        return unchanged("close", f"{name} ({state.uuid}) is already closed")
    return send(cluster, "close", "POST", f"/{name}/_close", f"closed {name} ({state.uuid})")


def open_index(cluster: Cluster, name: str) -> OpResult:
    state = _existing(cluster, name, f"open {name}")
    if not state.closed:
        return unchanged("open", f"{name} ({state.uuid}) is already open")
    return send(cluster, "open", "POST", f"/{name}/_open", f"opened {name} ({state.uuid})",
                params={"wait_for_active_shards": 1})


def write_blocked(cluster: Cluster, name: str) -> bool:
    answer = cluster.request("GET", f"/{name}/_settings/index.blocks.write", params={"flat_settings": "true"})
    settings = (answer.body or {}).get(name, {}).get("settings", {})
    return str(settings.get("index.blocks.write", "false")).lower() == "true"


def set_write_block(cluster: Cluster, index: str, blocked: bool) -> OpResult:
    """Block (or allow) writes on `index`. The block is an index setting CCR does not replicate."""
    action = "add write block" if blocked else "remove write block"
    state = _existing(cluster, index, f"{action} on {index}")
    if write_blocked(cluster, index) == blocked:
        return unchanged(action, f"{index} ({state.uuid}) is already {'' if blocked else 'not '}write-blocked")
    if blocked and cluster.version >= _BLOCK_API_SINCE:
        return send(cluster, action, "PUT", f"/{index}/_block/write", f"writes to {index} are blocked")
    # Removing the block is a settings change on every version: null restores the default (false).
    return send(cluster, action, "PUT", f"/{index}/_settings",
                f"writes to {index} are {'blocked' if blocked else 'allowed again'}",
                body={"index.blocks.write": True if blocked else None})
