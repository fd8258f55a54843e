"""Updating and showing cluster settings as Elasticsearch's SettingsUpdater and Settings do.

An update is applied to transient then persistent settings: each key must be known and dynamic and
its value must parse (`null` removes a key, `prefix.*: null` every key under it); then each scope's
final settings are checked as a whole. Nothing is saved unless all of it passes. The answer lists
only the keys that were set, nested unless `flat_settings`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import errors, remote_settings
from .cluster_settings_registry import concrete, lookup, parse_value
from .version import Version

Flat = dict[str, Any]  # key -> str | list[str] | None (a removal)


def _java_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def flatten(section: Any) -> Flat:
    """Settings.fromXContent: nested objects joined with dots, scalars as strings, lists kept."""
    if section is None:
        return {}
    if not isinstance(section, dict):
        java = {str: "java.lang.String", bool: "java.lang.Boolean", int: "java.lang.Integer",
                float: "java.lang.Double", list: "java.util.ArrayList"}.get(type(section), "java.lang.Object")
        raise errors.EsError(
            500, "class_cast_exception",
            f"class {java} cannot be cast to class java.util.Map ({java} and java.util.Map are in module "
            "java.base of loader 'bootstrap')",
        )
    flat: Flat = {}

    def walk(node: dict, prefix: str) -> None:
        for key, value in node.items():
            full = prefix + key
            if isinstance(value, dict):
                walk(value, full + ".")
            elif isinstance(value, list):
                flat[full] = [_java_string(v) for v in value]
            else:
                flat[full] = None if value is None else _java_string(value)

    walk(section, "")
    return flat


@dataclass
class Update:
    """The outcome of a validated update: the new scopes and what each one set."""

    persistent: Flat
    transient: Flat
    persistent_updates: Flat = field(default_factory=dict)
    transient_updates: Flat = field(default_factory=dict)

    def deprecated_keys(self) -> list[str]:
        keys = set(self.persistent_updates) | set(self.transient_updates)
        return sorted(k for k in keys if (s := lookup(k)) is not None and s.deprecated)


def _apply(current: Flat, to_apply: Flat, scope: str, version: Version) -> tuple[Flat, Flat]:
    """AbstractScopedSettings.updateDynamicSettings for one scope."""
    target = dict(current)
    updates: Flat = {}
    removals: list[str] = []
    for key in sorted(to_apply):
        value = to_apply[key]
        setting = lookup(key, version)
        if value is None and ((setting is not None and setting.dynamic) or key.endswith("*")):
            removals.append(key)
        elif setting is None:
            raise errors.illegal_argument(f"{scope} setting [{key}], not recognized")
        elif value is not None and setting.dynamic:
            parse_value(key, value)
            updates[key] = value
        else:
            raise errors.illegal_argument(f"{scope} setting [{key}], not dynamically updateable")
    for pattern in removals:
        matcher = re.compile(".*".join(re.escape(part) for part in pattern.split("*")))  # Regex.simpleMatch
        for key in [k for k in target if matcher.fullmatch(k) and (s := lookup(k)) is not None and s.dynamic]:
            del target[key]
    target.update(updates)
    return target, updates


def update(current_persistent: Flat, current_transient: Flat, persistent: Any, transient: Any,
           version: Version) -> Update:
    """Validates a `PUT _cluster/settings` body's two sections against the current settings of a
    cluster of `version`."""
    to_persist = remote_settings.upgrade_keys(flatten(persistent), version)
    to_transient = remote_settings.upgrade_keys(flatten(transient), version)
    if not to_persist and not to_transient:
        raise errors.action_request_validation("no settings to update")
    new_transient, transient_updates = _apply(current_transient, to_transient, "transient", version)
    new_persistent, persistent_updates = _apply(current_persistent, to_persist, "persistent", version)
    # Each scope must hold together by itself: a full restart drops transient settings.
    remote_settings.validate_scope(new_transient, version)
    remote_settings.validate_scope(new_persistent, version)
    return Update(new_persistent, new_transient, persistent_updates, transient_updates)


def nest(flat: Flat) -> dict[str, Any]:
    """Settings.getAsStructuredMap: a key that is both a value and a prefix falls back to dots."""
    out: dict[str, Any] = {}

    def put(node: dict[str, Any], prefix: str, key: str, value: Any) -> None:
        head, dot, rest = key.partition(".")
        if not dot:
            inner = node.get(prefix + key)
            if isinstance(inner, dict):
                for sub, sub_value in inner.items():
                    node[prefix + key + "." + sub] = sub_value
            node[prefix + key] = value
            return
        existing = node.get(prefix + head)
        if existing is None:
            child: dict[str, Any] = {}
            put(child, "", rest, value)
            node[prefix + head] = child
        elif isinstance(existing, dict):
            put(existing, "", rest, value)
        else:
            put(node, prefix + head + ".", rest, value)

    for key in sorted(flat):
        put(out, "", key, flat[key])
    return _sorted(out)


def _sorted(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _sorted(node[k]) for k in sorted(node)}
    return node


def render(flat: Flat, flat_settings: bool) -> dict[str, Any]:
    return {k: flat[k] for k in sorted(flat)} if flat_settings else nest(flat)


def defaults(cluster_name: str, persistent: Flat, transient: Flat, version: Version | None = None) -> Flat:
    """What `include_defaults` adds: the registered node and cluster settings that are not set."""
    out: Flat = {}
    for setting in concrete(version):
        if setting.key in persistent or setting.key in transient:
            continue
        if setting.key == "cluster.name":
            out[setting.key] = cluster_name
        elif setting.default is not None:
            out[setting.key] = setting.default
    return out
