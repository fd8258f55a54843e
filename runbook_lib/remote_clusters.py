"""The local cluster's connection to the remote: `cluster.remote.<alias>.*` settings and `_remote/info`.

Settings are persistent (they survive a restart of the local cluster). Elasticsearch connects when
the settings are applied and when a request needs the remote; nothing reconnects in the background.
"""

from __future__ import annotations

from typing import Any

from .connection import Cluster
from .dialect import has_proxy_mode
from .errors import UnsafeState
from .op_result import OpResult, send, unchanged

_PREFIX = "cluster.remote.{alias}."


def remote_settings(local: Cluster, alias: str) -> dict[str, dict[str, Any]]:
    """`{"persistent": {...}, "transient": {...}}`: the alias's settings, keys without the prefix."""
    answer = local.request("GET", "/_cluster/settings", params={"flat_settings": "true"})
    prefix = _PREFIX.format(alias=alias)
    return {scope: {key[len(prefix):]: value for key, value in (answer.body or {}).get(scope, {}).items()
                    if key.startswith(prefix)}
            for scope in ("persistent", "transient")}


def ensure_remote(local: Cluster, alias: str, seeds: list[str], mode: str = "sniff") -> OpResult:
    """Set `cluster.remote.<alias>` to `seeds` (sniff) or a proxy address; no-op when already so.

    Before 7.7 there are no connection modes: only seeds, and a `mode` key is refused as an unknown
    setting, so it is sent only to clusters that have it.
    """
    modes = has_proxy_mode(local.version)
    if mode != "sniff" and not modes:
        raise UnsafeState(f"add remote {alias}", f"the local cluster runs {local.version}, and {mode} mode exists "
                          "from 7.7 only", "connect with seeds (sniff mode), or upgrade the local cluster to 7.7+")
    current = remote_settings(local, alias)["persistent"]
    wanted_addresses = list(seeds) if mode == "sniff" else [seeds[0]]
    address_key = "seeds" if mode == "sniff" else "proxy_address"
    have = current.get(address_key)
    have = [have] if isinstance(have, str) else list(have or [])
    if current.get("mode", "sniff") == mode and have == wanted_addresses:
        return unchanged("add remote", f"{alias} already has mode {mode} and {address_key} {', '.join(have)}")
    prefix = _PREFIX.format(alias=alias)
    body: dict[str, Any] = {f"{prefix}{address_key}": wanted_addresses if mode == "sniff" else wanted_addresses[0]}
    if modes:
        body[f"{prefix}mode"] = mode
    # Settings of the other mode must go in the same request, or Elasticsearch refuses the switch.
    other = "proxy_address" if mode == "sniff" else "seeds"
    if other in current:
        body[f"{prefix}{other}"] = None
    done = "changed" if current else "added"
    return send(local, "add remote", "PUT", "/_cluster/settings",
                f"{done} remote {alias}: {address_key} {', '.join(wanted_addresses)}", body={"persistent": body})


def remote_info(local: Cluster, alias: str) -> dict[str, Any] | None:
    answer = local.request("GET", "/_remote/info")
    entry = (answer.body or {}).get(alias)
    return dict(entry) if isinstance(entry, dict) else None


def remove_remote(local: Cluster, alias: str) -> OpResult:
    """Null every setting of the alias (persistent and transient), which removes the remote."""
    current = remote_settings(local, alias)
    if not any(current.values()):
        return unchanged("remove remote", f"no settings define remote {alias}")
    prefix = _PREFIX.format(alias=alias)
    body = {scope: {f"{prefix}{key}": None for key in keys} for scope, keys in current.items() if keys}
    return send(local, "remove remote", "PUT", "/_cluster/settings", f"removed remote {alias}", body=body)


def restore_remote(local: Cluster, alias: str, previous: dict[str, dict[str, Any]]) -> OpResult:
    """Put the alias's settings back as `remote_settings` read them before (a failed connection is undone)."""
    current = remote_settings(local, alias)
    prefix = _PREFIX.format(alias=alias)
    body = {}
    for scope in ("persistent", "transient"):
        was, now = previous.get(scope, {}), current.get(scope, {})
        changed = {f"{prefix}{key}": was.get(key) for key in sorted(set(was) | set(now)) if was.get(key) != now.get(key)}
        if changed:
            body[scope] = changed
    if not body:
        return unchanged("restore remote", f"remote {alias} is as it was")
    return send(local, "restore remote", "PUT", "/_cluster/settings",
                f"remote {alias} is as it was before this step" + ("" if any(previous.values()) else " (absent)"),
                body=body)
