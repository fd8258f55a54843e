"""The clone index API (`POST|PUT /<source>/_clone/<target>`, Elasticsearch 7.4+), as ResizeRequest,
TransportResizeAction and MetadataCreateIndexService (validateCloneIndex, prepareResizeIndexSettings)
carry it out.

The target is the source under another name: its mappings, every copyable setting (copy_settings is
always on from 7.0; request settings win, a null one keeps the source's out), the source's
`index.version.created`, and `index.resize.source.name/uuid`; its own uuid and creation date. In
Elasticsearch the shards are hard-linked, so the target holds the same documents with the same ids,
versions and sequence numbers, and its max seq_no is the source's; a deleted document's history
does not come back to life, so only what is live is copied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import aliases, errors, index_settings
from .ccr import xcontent
from .cluster import validate_index_name
from .shard_store import OP_NOOP, Operation

if TYPE_CHECKING:
    from .cluster import Cluster
    from .index import Index

_CHUNK = 1000
# Setting.Property.NotCopyableOnResize, and what prepareResizeIndexSettings nulls for a clone.
_NOT_COPIED = ("index.allocation.max_retries", "index.routing.allocation.initial_recovery._id")
# Written for the target by index creation itself.
_ASSIGNED = ("index.uuid", "index.creation_date", "index.provided_name")
SOURCE_NAME, SOURCE_UUID = "index.resize.source.name", "index.resize.source.uuid"


def parse_body(cluster: "Cluster", raw: bytes, body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """ResizeRequest.PARSER and validate(): (flat target settings, aliases)."""
    if body is None:
        return {}, {}
    fields = {"settings": "object", "aliases": "object"}
    if cluster.version.at_least("7.13.0"):  # max_shard_size arrived for shrink; a clone refuses it
        fields["max_shard_size"] = "bytes"
    parsed = xcontent.parse_object("resize_request", body, raw, fields)
    settings = index_settings.flatten(parsed.get("settings"))
    problems = []
    if any(key.startswith("index.sort.") for key in settings):
        problems.append("can't override index sort when resizing an index")
    if "max_shard_size" in parsed:
        problems.append("Unsupported parameter [max_shard_size]")
    if problems:
        raise errors.action_request_validation(*problems)
    return settings, parsed.get("aliases") or {}


def clone(cluster: "Cluster", source_name: str, target: str, settings: dict[str, Any],
          alias_bodies: dict[str, Any]) -> tuple["Index", list[str]]:
    """Create `target` as a copy of `source_name`; returns it and the deprecation warnings to send."""
    source = cluster.indices.get(source_name)
    if source is None:
        raise errors.index_not_found(source_name)
    source.check_open()
    _check_request_settings(cluster, source, settings)
    flavour = index_settings.effective_flavour(cluster.config.flavour, cluster.version)
    given = index_settings.validate_new(settings, flavour)
    validate_index_name(target)
    if target in cluster.indices:
        raise errors.resource_already_exists(target, cluster.indices[target].uuid)
    if target in cluster.alias_names():
        raise errors.EsError(400, "invalid_index_name_exception", f"Invalid index name [{target}], already exists as alias",
                             index_uuid="_na_", index=target)
    specs = _alias_specs(cluster, target, alias_bodies)
    # validateResize: any block at the WRITE level (write, read_only, read_only_allow_delete) will do.
    if source.write_block() is None:
        raise errors.EsError(500, "illegal_state_exception",
                             f'index {source.name} must be read-only to resize index. use "index.blocks.write=true"')
    copied = {key: value for key, value in source.settings.items()
              if key not in given and key not in _NOT_COPIED and key not in _ASSIGNED}
    copied.update({SOURCE_NAME: source.name, SOURCE_UUID: source.uuid})
    warnings = index_settings.check_soft_deletes({**copied, **given}, cluster.version, target)
    index = cluster.create_index(target, {k: v for k, v in given.items() if v is not None}, source.mappings.to_body(),
                                 specs, private=copied, mapping_type=source.mappings.type_name)
    # The shards are the source's files: same created version, same documents and sequence numbers.
    index.settings["index.version.created"] = source.settings["index.version.created"]
    _copy_documents(source, index)
    index.refresh()
    index.persist()
    return index, warnings


def _check_request_settings(cluster: "Cluster", source: "Index", settings: dict[str, Any]) -> None:
    """TransportResizeAction.prepareCreateIndexRequest's checks on the target's settings."""
    shards = settings.get("index.number_of_shards")
    if shards is not None and str(shards) != str(source.number_of_shards):
        # IndexMetadata.selectCloneShard; the message lost its stray spaces in 8.0.
        middle = f"number of  source shards ( {source.number_of_shards})" if cluster.version.major < 8 else \
            f"number of source shards ({source.number_of_shards})"
        raise errors.illegal_argument(f"the number of target shards ({shards}) must be the same as the {middle}")
    if "index.routing_partition_size" in settings:
        raise errors.illegal_argument("cannot provide a routing partition size value when resizing an index")
    if source.setting("index.soft_deletes.enabled") == "true" and \
            index_settings.stringify(settings.get("index.soft_deletes.enabled")) == "false":
        raise errors.illegal_argument("Can't disable [index.soft_deletes.enabled] setting on resize")


def _alias_specs(cluster: "Cluster", target: str, bodies: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The request's aliases, validated as index creation validates them."""
    specs = {}
    for alias, raw in bodies.items():
        raw = raw if isinstance(raw, dict) else {}
        aliases.validate_name(alias)
        if alias == target or alias in cluster.indices:
            raise errors.EsError(400, "invalid_alias_name_exception",
                                 f"Invalid alias name [{alias}]: an index or data stream exists with the same name as the alias")
        specs[alias] = aliases.spec_of({**raw, "alias": alias})
    return specs


def _copy_documents(source: "Index", target: "Index") -> None:
    """Every live document of each shard, as the source holds it; the target ends at the source's
    max seq_no, as a hard-linked copy does."""
    for shard in source.shards:
        at = shard.max_seq_no
        chunk: list[Operation] = []
        for op in source.store.visible_docs(shard.shard_id, at, batch=_CHUNK, raw=True):
            chunk.append(op)
            if len(chunk) == _CHUNK:
                target.bulk_load(shard.shard_id, chunk)
                chunk = []
        if chunk:
            target.bulk_load(shard.shard_id, chunk)
        if target.shards[shard.shard_id].max_seq_no < at:
            target.bulk_load(shard.shard_id, [Operation(shard.shard_id, at, None, OP_NOOP, None, 1, 1)])
