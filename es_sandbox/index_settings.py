"""Index settings as Elasticsearch registers them: defaults, dynamic or static, and what CCR copies.

Settings are held flat (`index.number_of_shards`) with string values, as Elasticsearch stores them;
`nest()` produces the nested form GET _settings shows without `flat_settings`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from . import errors
from .suggest import _similarity
from .units import parse_bytes, parse_time_millis

if TYPE_CHECKING:
    from .version import Version


@dataclass(frozen=True)
class Setting:
    key: str
    default: str | None
    dynamic: bool
    replicated: bool = True  # copied from a leader to its followers by CCR
    final: bool = False  # never updatable, not even on a closed index
    validate: Callable[[str, str], None] | None = None


def _int_between(lo: int, hi: int) -> Callable[[str, str], None]:
    def check(key: str, value: str) -> None:
        try:
            n = int(value)
        except ValueError:
            cause = errors.java_exception("number_format_exception", f'For input string: "{value}"')
            raise errors.illegal_argument(f"Failed to parse value [{value}] for setting [{key}]", caused_by=cause) from None
        if n < lo:
            raise errors.illegal_argument(f"Failed to parse value [{value}] for setting [{key}] must be >= {lo}")
        if n > hi:
            raise errors.illegal_argument(f"Failed to parse value [{value}] for setting [{key}] must be <= {hi}")

    return check


def _bool(key: str, value: str) -> None:
    if value not in ("true", "false"):
        raise errors.illegal_argument(
            f"Failed to parse value [{value}] as only [true] or [false] are allowed."
        )


def _time(key: str, value: str) -> None:
    parse_time_millis(value, key, allow_minus_one=True)


def _bytes(key: str, value: str) -> None:
    parse_bytes(value, key)


def _soft_deletes(key: str, value: str) -> None:
    _bool(key, value)


def check_soft_deletes(flat: dict[str, str | None], version: "Version", index_name: str) -> list[str]:
    """MetadataCreateIndexService.validateSoftDeleteSettings: disabling them is refused from 8.0,
    deprecated (a Warning header) from 7.6; returns the deprecation messages."""
    if flat.get("index.soft_deletes.enabled") != "false":
        return []
    if not version.soft_deletes_can_be_disabled:
        raise errors.illegal_argument(
            "Creating indices with soft-deletes disabled is no longer supported. "
            "Please do not specify a value for setting [index.soft_deletes.enabled]."
        )
    if version.at_least("7.6.0"):
        return ["Creating indices with soft-deletes disabled is deprecated and will be removed in future Elasticsearch "
                f"versions. Please do not specify value for setting [index.soft_deletes.enabled] of index [{index_name}]."]
    return []


_REGISTRY: dict[str, Setting] = {
    s.key: s
    for s in [
        Setting("index.number_of_shards", "1", dynamic=False, final=True, validate=_int_between(1, 1024)),
        Setting("index.number_of_replicas", "1", dynamic=True, replicated=False, validate=_int_between(0, 2**31 - 1)),
        Setting("index.auto_expand_replicas", "false", dynamic=True, replicated=False),
        Setting("index.refresh_interval", "1s", dynamic=True, replicated=False, validate=_time),
        Setting("index.max_result_window", "10000", dynamic=True, replicated=False, validate=_int_between(1, 2**31 - 1)),
        Setting("index.blocks.write", "false", dynamic=True, replicated=False, validate=_bool),
        Setting("index.blocks.read", "false", dynamic=True, replicated=False, validate=_bool),
        Setting("index.blocks.read_only", "false", dynamic=True, replicated=False, validate=_bool),
        Setting("index.blocks.read_only_allow_delete", "false", dynamic=True, replicated=False, validate=_bool),
        Setting("index.blocks.metadata", "false", dynamic=True, replicated=False, validate=_bool),
        Setting("index.priority", "1", dynamic=True, replicated=False),
        Setting("index.hidden", "false", dynamic=True, replicated=False, validate=_bool),
        Setting("index.soft_deletes.enabled", "true", dynamic=False, final=True, validate=_soft_deletes),
        Setting("index.soft_deletes.retention.operations", "0", dynamic=True, replicated=False, validate=_int_between(0, 2**63 - 1)),
        Setting("index.soft_deletes.retention_lease.period", "12h", dynamic=True, replicated=False, validate=_time),
        Setting("index.codec", "default", dynamic=False, replicated=False),
        Setting("index.mapping.total_fields.limit", "1000", dynamic=True),
        Setting("index.translog.durability", "REQUEST", dynamic=True, replicated=False),
        Setting("index.translog.sync_interval", "5s", dynamic=False, replicated=False, validate=_time),
        Setting("index.gc_deletes", "60s", dynamic=True, replicated=False, validate=_time),
        Setting("index.max_ngram_diff", "1", dynamic=True),
        Setting("index.lifecycle.name", "", dynamic=True, replicated=False),
        Setting("index.lifecycle.indexing_complete", "false", dynamic=True, replicated=False),
        Setting("index.default_pipeline", "_none", dynamic=True, replicated=False),
        Setting("index.final_pipeline", "_none", dynamic=True, replicated=False),
        Setting("index.routing_partition_size", "1", dynamic=False),
        Setting("index.write.wait_for_active_shards", "1", dynamic=True, replicated=False),
        Setting("index.routing.allocation.include._tier_preference", "", dynamic=True, replicated=False),
    ]
}

# Whole groups, matched by prefix.
_GROUPS: list[Setting] = [
    Setting("index.routing.allocation.", None, dynamic=True, replicated=False),
    Setting("index.search.slowlog.", None, dynamic=True, replicated=False),
    Setting("index.indexing.slowlog.", None, dynamic=True, replicated=False),
    Setting("index.analysis.", None, dynamic=False),
    Setting("index.sort.", None, dynamic=False),
    Setting("index.merge.", None, dynamic=True, replicated=False),
]

# Written by the cluster itself: shown by GET _settings, refused from users.
PRIVATE = frozenset(
    {"index.uuid", "index.creation_date", "index.version.created", "index.provided_name", "index.xpack.ccr.following_index",
     "index.resize.source.name", "index.resize.source.uuid"}
)

_VENDOR_SETTINGS: dict[str, Setting] = {
    "index.replication.type": Setting("index.replication.type", None, dynamic=False),
}


def effective_flavour(flavour: str, version: "Version") -> str:
    """The vendor's `index.replication.type` exists only in its 6.x builds (the seed guide's 6.7)."""
    return "vendor" if flavour == "vendor" and version.major == 6 else "default"


def lookup(key: str, flavour: str = "default") -> Setting | None:
    if key in _REGISTRY:
        return _REGISTRY[key]
    if flavour == "vendor" and key in _VENDOR_SETTINGS:
        return _VENDOR_SETTINGS[key]
    for group in _GROUPS:
        if key.startswith(group.key):
            return Setting(key, None, group.dynamic, group.replicated, group.final)
    return None


def defaults(version_created: int | None = None) -> dict[str, str]:
    """Registered defaults; soft deletes default to false for an index created before 7.0 (IndexSettings)."""
    out = {k: s.default for k, s in _REGISTRY.items() if s.default is not None}
    if version_created is not None and version_created < 7_000_000:
        out["index.soft_deletes.enabled"] = "false"
    return out


def is_replicated(key: str) -> bool:
    if key in PRIVATE:
        return False
    setting = lookup(key, "vendor")
    return True if setting is None else setting.replicated


def flatten(settings: dict[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    """`{"index": {"number_of_shards": 2}}` and `{"number_of_shards": 2}` -> `{"index.number_of_shards": 2}`."""
    flat: dict[str, Any] = {}
    for key, value in (settings or {}).items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, full + "."))
        else:
            flat[full] = value
    return {(k if k.startswith("index.") else f"index.{k}"): v for k, v in flat.items()}


def stringify(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(stringify(v) or "" for v in value)
    return str(value)


def nest(flat: dict[str, str]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key in sorted(flat):
        node = nested
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):  # a key that is both a leaf and a prefix keeps the leaf
                break
            node = child
        else:
            node[parts[-1]] = flat[key]
    return nested


def unknown_setting(key: str, flavour: str = "default") -> errors.EsError:
    """AbstractScopedSettings.validate's refusal, with its "did you mean" (similarity above 0.7)."""
    keys = list(_REGISTRY) + (list(_VENDOR_SETTINGS) if flavour == "vendor" else [])
    scored = sorted(((_similarity(key, k), k) for k in keys if _similarity(key, k) > 0.7), key=lambda sk: -sk[0])
    if not scored:
        return errors.illegal_argument(
            f"unknown setting [{key}] please check that any required plugins are installed, "
            "or check the breaking changes documentation for removed settings")
    names = [k for _, k in scored]
    hint = f"[{names[0]}]" if len(names) == 1 else f"any of [{', '.join(names)}]"
    return errors.illegal_argument(f"unknown setting [{key}] did you mean {hint}?")


def validate_new(flat: dict[str, Any], flavour: str) -> dict[str, str | None]:
    """Settings given at index creation: known keys, valid values; returns them as strings."""
    out: dict[str, str | None] = {}
    for key, raw in flat.items():
        if key in PRIVATE:
            raise errors.illegal_argument(f"private index setting [{key}] can not be set explicitly")
        setting = lookup(key, flavour)
        if setting is None:
            raise unknown_setting(key, flavour)
        value = stringify(raw)
        if value is not None and setting.validate:
            setting.validate(key, value)
        out[key] = value
    return out


def validate_update(flat: dict[str, Any], flavour: str, targets: list[tuple[str, str, bool]]) -> dict[str, str | None]:
    """Settings given to PUT _settings for (name, uuid, is_open) targets, refused in
    MetadataUpdateSettingsService's order: unknown keys, then static keys while any target is open,
    then final keys (the message names the index), then bad values."""
    for key in flat:
        if key in PRIVATE or lookup(key, flavour) is None:
            raise unknown_setting(key, flavour)
    static = [k for k in flat if not lookup(k, flavour).dynamic]  # type: ignore[union-attr]
    open_targets = [f"[{name}/{uuid}]" for name, uuid, is_open in targets if is_open]
    if static and open_targets:
        raise errors.illegal_argument(
            f"Can't update non dynamic settings [[{', '.join(static)}]] for open indices [{', '.join(open_targets)}]"
        )
    out: dict[str, str | None] = {}
    for key, raw in flat.items():
        setting = lookup(key, flavour)
        if setting.final and targets:  # type: ignore[union-attr]
            raise errors.illegal_argument(f"final {targets[0][0]} setting [{key}], not updateable")
        value = stringify(raw)
        if value is not None and setting.validate:  # type: ignore[union-attr]
            setting.validate(key, value)  # type: ignore[union-attr]
        out[key] = value
    return out


def check_key_pattern(key: str) -> bool:
    return re.fullmatch(r"[a-z0-9_.\-]+", key) is not None
