"""`_resolve/index` and `_resolve/cluster`: what an index expression names, here and on remote clusters.

`alias:pattern` parts go to the remote through its connection, which is made if it is not up (the
resolve APIs reconnect a remote, unlike `_remote/info`). The remote answers the transport actions
registered here. `_resolve/index` drops a remote that fails, as ResolveIndexAction does;
`_resolve/cluster` reports it: `connected: false` when it cannot be reached (with the timeout's error
when `timeout` ran out), the remote's index error with `connected: true`, any other failure as error.
A remote older than 8.13 has no `_resolve/cluster` action: its `matching_indices` come from
`_resolve/index` and no version is shown, as TransportResolveClusterAction falls back.
"""

from __future__ import annotations

import concurrent.futures
import fnmatch
from typing import TYPE_CHECKING, Any

from . import errors, remote_errors
from .version import Version

if TYPE_CHECKING:
    from .cluster import Cluster

RESOLVE_INDEX_ACTION = "indices:admin/resolve/index"
RESOLVE_CLUSTER_ACTION = "indices:admin/resolve/cluster"
RESOLVE_CLUSTER_SINCE = Version.parse("8.13.0")
RESOLVE_INDEX_SINCE = Version.parse("7.9.0")
_REQUEST_TIMEOUT_S = 60.0
_TIMED_OUT = "Request timed out before receiving a response from the remote cluster"
_UNAVAILABLE = ("connect_transport_exception", "no_such_remote_cluster_exception", "no_seed_node_left_exception",
                "node_disconnected_exception", "node_not_connected_exception")


def group(cluster: "Cluster", parts: list[str]) -> tuple[list[str] | None, dict[str, list[str]]]:
    """RemoteClusterAware.groupClusterIndices: local parts (None when none) and parts per remote alias."""
    remotes = cluster.services.get("remotes")
    aliases = remotes.aliases() if remotes is not None else []
    local: list[str] | None = None
    per_remote: dict[str, list[str]] = {}
    for part in parts:
        alias, sep, pattern = part.partition(":")
        if not sep or part.startswith("<"):
            local = (local or []) + [part]
            continue
        if alias in aliases:
            matched = [alias]
        elif "*" in alias:
            matched = [a for a in aliases if fnmatch.fnmatchcase(a, alias)]
        else:
            raise remote_errors.no_such_remote(alias)
        for name in matched:
            per_remote.setdefault(name, []).append(pattern)
    return local, per_remote


def resolve_local(cluster: "Cluster", names: list[str], expand_wildcards: str = "open",
                  ignore_unavailable: bool = False) -> dict[str, list[dict[str, Any]]]:
    """The indices, aliases and data streams `names` resolve to on this cluster."""
    states = {"open", "closed"} if "all" in expand_wildcards else set(expand_wildcards.split(","))
    index_names: set[str] = set()
    alias_names: set[str] = set()
    all_aliases = cluster.alias_names()
    for name in names:
        exclude = name.startswith("-") and (index_names or alias_names)
        pattern = name[1:] if exclude else name
        if "*" in pattern:
            hidden_ok = pattern.startswith(".")
            found = {n for n, i in cluster.indices.items() if fnmatch.fnmatchcase(n, pattern)
                     and ("open" if i.is_open else "closed") in states and (hidden_ok or not _hidden(n, i))}
            found_aliases = {a for a in all_aliases if fnmatch.fnmatchcase(a, pattern)}
        elif pattern in cluster.indices:
            found, found_aliases = {pattern}, set()
        elif pattern in all_aliases:
            found, found_aliases = set(), {pattern}
        elif exclude or ignore_unavailable:
            continue
        else:
            raise errors.index_not_found(pattern)
        if exclude:
            index_names -= found
            alias_names -= found_aliases
        else:
            index_names |= found
            alias_names |= found_aliases
    indices = []
    for name in sorted(index_names):
        index = cluster.indices[name]
        entry: dict[str, Any] = {"name": name}
        if index.aliases:
            entry["aliases"] = sorted(index.aliases)
        attributes = ["open" if index.is_open else "closed"] + (["hidden"] if _hidden(name, index) else [])
        entry["attributes"] = sorted(attributes)
        indices.append(entry)
    aliases = [{"name": a, "indices": sorted(n for n, i in cluster.indices.items() if a in i.aliases)}
               for a in sorted(alias_names)]
    return {"indices": indices, "aliases": aliases, "data_streams": []}


def _hidden(name: str, index: Any) -> bool:
    return index.setting("index.hidden") == "true"


def _remote_call(cluster: "Cluster", alias: str, action: str, body: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    connection = cluster.services["remotes"].connection(alias)
    return connection.request(action, body, timeout_s)


def resolve_index(cluster: "Cluster", expression: str, expand_wildcards: str, ignore_unavailable: bool) -> dict:
    local, per_remote = group(cluster, [p for p in expression.split(",") if p])
    out = resolve_local(cluster, local or [], expand_wildcards, ignore_unavailable) if local else \
        {"indices": [], "aliases": [], "data_streams": []}
    for alias in sorted(per_remote):
        try:
            answer = _remote_call(cluster, alias, RESOLVE_INDEX_ACTION,
                                  {"names": per_remote[alias], "expand_wildcards": expand_wildcards}, _REQUEST_TIMEOUT_S)
        except errors.EsError:
            continue  # ResolveIndexAction ignores a remote that fails
        for kind in ("indices", "aliases", "data_streams"):
            out[kind] += [{**entry, "name": f"{alias}:{entry['name']}"} for entry in answer.get(kind, [])]
    return out


def _build(version: Version) -> dict[str, str]:
    return {"number": str(version), "build_flavor": "default",
            "minimum_wire_compatibility_version": version.minimum_wire_compatibility,
            "minimum_index_compatibility_version": version.minimum_index_compatibility}


def _matching(found: dict[str, list[dict[str, Any]]]) -> bool:
    """hasMatchingIndices: a non-closed index, or any alias."""
    return any("closed" not in i["attributes"] for i in found["indices"]) or bool(found["aliases"])


def _local_info(cluster: "Cluster", names: list[str]) -> dict[str, Any]:
    try:
        found = resolve_local(cluster, names)
    except errors.EsError as exc:
        if exc.type != "index_not_found_exception":
            raise
        return {"connected": True, "skip_unavailable": False, "error": exc.reason}
    return {"connected": True, "skip_unavailable": False, "matching_indices": _matching(found),
            "version": _build(cluster.version)}


def _remote_info(cluster: "Cluster", alias: str, names: list[str] | None, timeout_s: float | None) -> dict[str, Any]:
    skip = cluster.services["remotes"].get(alias).skip_unavailable
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        info = pool.submit(_ask_remote, cluster, alias, names).result(timeout=timeout_s)
    except concurrent.futures.TimeoutError:
        return {"connected": False, "skip_unavailable": skip, "error": _TIMED_OUT}
    except errors.EsError as exc:
        if exc.type in _UNAVAILABLE or "Unable to open any connections" in (exc.reason or "") or \
                "unknown host" in (exc.reason or ""):
            return {"connected": False, "skip_unavailable": skip}
        if exc.type == "security_exception":
            return {"connected": False, "skip_unavailable": skip, "error": exc.reason}
        if exc.type == "index_not_found_exception":
            return {"connected": True, "skip_unavailable": skip, "error": exc.reason}
        return {"connected": False, "skip_unavailable": skip, "error": java_to_string(exc)}
    finally:
        pool.shutdown(wait=False)  # a remote still not answering past the timeout is left to its own
    return {"connected": True, "skip_unavailable": skip, **info}


def _ask_remote(cluster: "Cluster", alias: str, names: list[str] | None) -> dict[str, Any]:
    connection = cluster.services["remotes"].connection(alias)
    if Version.parse(connection.version or "0.0.0") >= RESOLVE_CLUSTER_SINCE:
        answer = connection.request(RESOLVE_CLUSTER_ACTION, {"indices": names}, _REQUEST_TIMEOUT_S)
        if names is None:
            answer.pop("matching_indices", None)
        return answer
    found = connection.request(RESOLVE_INDEX_ACTION, {"names": names or ["dummy*"]}, _REQUEST_TIMEOUT_S)
    return {} if names is None else {"matching_indices": bool(found.get("indices") or found.get("aliases"))}


def resolve_cluster(cluster: "Cluster", expression: str | None, timeout_s: float | None) -> dict[str, Any]:
    """Per cluster in scope: connected, skip_unavailable, matching_indices (or error), version."""
    if expression is None:  # clusterInfoOnly: every configured remote, no index matching
        remotes = cluster.services.get("remotes")
        return {alias: _remote_info(cluster, alias, None, timeout_s) for alias in (remotes.aliases() if remotes else [])}
    local, per_remote = group(cluster, [p for p in expression.split(",") if p])
    out: dict[str, Any] = {}
    if local is not None:
        out["(local)"] = _local_info(cluster, local)
    with concurrent.futures.ThreadPoolExecutor(max(1, len(per_remote))) as pool:
        answers = {alias: pool.submit(_remote_info, cluster, alias, names, timeout_s)
                   for alias, names in sorted(per_remote.items())}
        out.update({alias: future.result() for alias, future in answers.items()})
    return out


def java_to_string(exc: errors.EsError) -> str:
    """ExceptionsHelper.detailedMessage: `SimpleClassName[message]`, as the error field shows it."""
    name = "".join(word.capitalize() for word in exc.type.split("_"))
    return f"{name}[{exc.reason}]"


def register_transport_actions(cluster: "Cluster") -> None:
    """The remote side: this cluster resolving an expression for another cluster's request."""

    def resolve_index_action(body: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
        return resolve_local(cluster, list(body.get("names") or []), body.get("expand_wildcards") or "open")

    def resolve_cluster_action(body: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
        names = body.get("indices")
        out: dict[str, Any] = {}
        if names is not None:
            out["matching_indices"] = _matching(resolve_local(cluster, list(names)))
        out["version"] = _build(cluster.version)
        return out

    if cluster.version >= RESOLVE_INDEX_SINCE:
        cluster.transport.register(RESOLVE_INDEX_ACTION, resolve_index_action)  # type: ignore[attr-defined]
    if cluster.version >= RESOLVE_CLUSTER_SINCE:
        cluster.transport.register(RESOLVE_CLUSTER_ACTION, resolve_cluster_action)  # type: ignore[attr-defined]
