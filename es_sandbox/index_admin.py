"""Index administration as Elasticsearch 8 answers it: settings views and updates, broadcast `_shards`
headers, the `action.destructive_requires_name` guard and the API blocks on metadata."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from . import errors, index_settings, shard_routing

if TYPE_CHECKING:
    from .cluster import Cluster
    from .index import Index

BLOCKS = {  # IndexMetadata.APIBlock: (setting, block description)
    "read_only": ("index.blocks.read_only", "FORBIDDEN/5/index read-only (api)"),
    "read": ("index.blocks.read", "FORBIDDEN/7/index read (api)"),
    "write": ("index.blocks.write", "FORBIDDEN/8/index write (api)"),
    "metadata": ("index.blocks.metadata", "FORBIDDEN/9/index metadata (api)"),
}


def check_destructive(cluster: "Cluster", expression: str | None) -> None:
    """DestructiveOperations.failDestructive (action.destructive_requires_name, true by default in 8)."""
    if str(cluster.cluster_setting("action.destructive_requires_name", "true")).lower() != "true":
        return
    parts = [p for p in (expression or "").split(",") if p]
    if not parts or any(p == "_all" or "*" in p for p in parts):
        raise errors.illegal_argument("Wildcard expressions or all indices are not allowed")


def refuse_alias_names(cluster: "Cluster", expression: str) -> None:
    """Deleting or closing through an alias is refused (IndicesOptions ignore aliases)."""
    for part in expression.split(","):
        if part not in cluster.indices and part in cluster.alias_names():
            raise errors.illegal_argument(
                f"The provided expression [{part}] matches an alias, specify the corresponding concrete indices instead.")


def shards_header(cluster: "Cluster", indices: list["Index"]) -> dict[str, int]:
    """A broadcast action's `_shards`: every copy counts in `total`, the started ones succeed."""
    copies = [c for index in indices if index.is_open for c in shard_routing.copies(cluster.config, index)]
    return {"total": len(copies), "successful": sum(c.active for c in copies), "failed": 0}


def write_shards(cluster: "Cluster", index: "Index", shard: int) -> dict[str, int]:
    """A document write's `_shards`: the shard's copies, and how many are started (replicas included)."""
    copies = [c for c in shard_routing.copies(cluster.config, index) if c.shard == shard]
    return {"total": len(copies), "successful": sum(c.active for c in copies), "failed": 0}


def settings_view(index: "Index", flat: bool, include_defaults: bool, names: str | None = None) -> dict[str, Any]:
    """`{"settings": ..., "defaults": ...}` of one index: only explicit settings unless include_defaults."""
    patterns = names.split(",") if names else None

    def chosen(values: dict[str, str]) -> dict[str, str]:
        kept = {k: values[k] for k in sorted(values) if patterns is None or any(fnmatch.fnmatchcase(k, p) for p in patterns)}
        return kept if flat else index_settings.nest(kept)

    out: dict[str, Any] = {"settings": chosen(index.settings)}
    if include_defaults:
        created = int(index.settings.get("index.version.created", "0")) or None
        out["defaults"] = chosen({k: v for k, v in index_settings.defaults(created).items() if k not in index.settings})
    return out


def check_metadata_block(index: "Index", flat: dict[str, Any]) -> None:
    """TransportUpdateSettingsAction.checkBlock: changing only block settings stays allowed."""
    if all(key.startswith("index.blocks.") for key in flat):
        return
    for name in ("read_only", "metadata"):
        setting, block = BLOCKS[name]
        if index.setting(setting) == "true":
            raise errors.cluster_block(403, f"index [{index.name}] blocked by: [{block}];")


def update_settings(cluster: "Cluster", indices: list["Index"], flat: dict[str, Any], preserve_existing: bool,
                    reopen: bool = False) -> None:
    """Validates for all targets first, then applies; `null` resets a setting (replicas back to 1)."""
    targets = [(i.name, i.uuid, i.is_open and not reopen) for i in indices]
    values = index_settings.validate_update(flat, index_settings.effective_flavour(cluster.config.flavour, cluster.version), targets)
    for index in indices:
        check_metadata_block(index, flat)
    for index in indices:
        changed = False
        for key, value in values.items():
            if preserve_existing and key in index.settings:
                continue
            if value is None and key == "index.number_of_replicas":
                value = "1"  # the setting must always exist on an index
            if value is None:
                doomed = [k for k in index.settings if fnmatch.fnmatchcase(k, key)] if "*" in key else [key]
                changed |= any(index.settings.pop(k, None) is not None for k in doomed)
            elif index.settings.get(key) != value:
                index.settings[key] = value
                changed = True
        if changed:
            index.settings_version += 1
            index.persist()
            cluster.notify("index_settings", index)


def deprecation_headers(cluster: "Cluster", messages: list[str]) -> dict[str, str]:
    """HeaderWarning's `Warning: 299 Elasticsearch-<version>-<build hash> "<message>"`, one per message."""
    if not messages:
        return {}
    prefix = f"299 Elasticsearch-{cluster.version}-{cluster.version.build_hash}"
    quoted = ['"' + m.replace("\\", "\\\\").replace('"', '\\"') + '"' for m in dict.fromkeys(messages)]
    return {"Warning": ", ".join(f"{prefix} {q}" for q in quoted)}
