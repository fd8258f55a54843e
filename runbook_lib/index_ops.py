"""Index-level reads and changes the migration needs: identity (uuid), open/close, write block.

Indices are identified by uuid: a name can be deleted and re-created between two cells, a uuid
cannot. `_cat/indices` is used to read state because it lists closed indices too, with their uuid,
on every version from 6.7 to 9.x (by default before 7.7, with `expand_wildcards` from then).
"""

from __future__ import annotations

from dataclasses import dataclass

from .connection import Cluster
from .dialect import DEFAULT_TYPE, cat_indices_options, has_mapping_types, mapping_type, write_block_request
from .errors import UnsafeState
from .op_result import OpResult, send, unchanged


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
                                     **cat_indices_options(cluster.version)}, ignore=(404,))
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
    if blocked:
        method, path, body = write_block_request(cluster.version, index)
        return send(cluster, action, method, path, f"writes to {index} are blocked", body=body)
    # Removing the block is a settings change on every version: null restores the default (false).
    return send(cluster, action, "PUT", f"/{index}/_settings", f"writes to {index} are allowed again",
                body={"index.blocks.write": None})


def document_type(cluster: Cluster, index: str) -> str:
    """The type in `/<index>/<type>/<id>`: `_doc` from 7.0; on 6.x the index's own type (Logstash 6
    wrote `doc`), because 6.x refuses a document of a second type ("the final mapping would have more
    than 1 type") and finds none under another type name."""
    if not has_mapping_types(cluster.version):
        return DEFAULT_TYPE
    answer = cluster.request("GET", f"/{index}/_mapping", ignore=(404,))
    entries = list((answer.body or {}).values()) if answer.status == 200 else []
    return mapping_type(entries[0].get("mappings", {})) if entries else DEFAULT_TYPE


def document_path(cluster: Cluster, index: str, doc_id: str) -> str:
    return f"/{index}/{document_type(cluster, index)}/{doc_id}"
