"""Which leader index metadata CCR copies, and keeping the follower's copy in step with the leader.

At creation the follower gets all of the leader's settings (the restore copies the leader's index
metadata whole); afterwards only replicated settings follow the leader, and those must stay identical
for resume to accept the pair (TransportResumeFollowAction.filter / validateSettings).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .. import index_settings
from ..errors import illegal_argument

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..index import Index

FOLLOWING_INDEX = "index.xpack.ccr.following_index"
# Always different between leader and follower, or checked on their own.
_NEVER_COMPARED = frozenset({
    FOLLOWING_INDEX, "index.soft_deletes.enabled", "index.version.created", "index.uuid", "index.history.uuid",
    "index.provided_name", "index.creation_date", "index.version.upgraded", "index.version.upgraded_string",
})


def replicated(settings: dict[str, str]) -> dict[str, str]:
    """The settings a follower must share with its leader."""
    return {k: v for k, v in settings.items() if k not in _NEVER_COMPARED and index_settings.is_replicated(k)}


def settings_string(flat: dict[str, str]) -> str:
    """Settings.toString(): flat JSON, keys sorted."""
    return json.dumps(dict(sorted(flat.items())), separators=(",", ":"))


def flatten_plain(settings: dict[str, Any] | None, prefix: str = "") -> dict[str, str]:
    """Settings.fromXContent: dotted keys exactly as written (no `index.` added), string values."""
    flat: dict[str, str] = {}
    for key, value in (settings or {}).items():
        if isinstance(value, dict):
            flat.update(flatten_plain(value, f"{prefix}{key}."))
        elif value is not None:
            flat[f"{prefix}{key}"] = index_settings.stringify(value) or ""
    return flat


def check_overrides(request_settings: dict[str, str], flavour: str, what: str) -> None:
    """Put-follow and auto-follow settings may only change what is not replicated."""
    clashing = replicated(request_settings)
    if not clashing:
        return
    unknown = [k for k in clashing if index_settings.lookup(k, flavour) is None]
    if unknown and what == "follower index":
        raise illegal_argument(f"unknown setting{'' if len(unknown) == 1 else 's'} [{','.join(unknown)}]")
    raise illegal_argument(f"can not put {what} that could override leader settings {settings_string(clashing)}")


def check_identical(leader_settings: dict[str, str], follower_settings: dict[str, str]) -> None:
    leader, follower = replicated(leader_settings), replicated(follower_settings)
    if leader != follower:
        raise illegal_argument(
            f"the leader index settings [{settings_string(leader)}] and follower index settings "
            f"[{settings_string(follower)}] must be identical"
        )


def sync_settings(cluster: "Cluster", follower: "Index", leader_settings: dict[str, str]) -> None:
    """Copy replicated settings the follower lacks or holds differently (never removes any)."""
    changed = {k: v for k, v in replicated(leader_settings).items() if follower.settings.get(k) != v}
    if changed:
        follower.settings.update(changed)
        follower.settings_version += 1
        follower.persist()
        cluster.notify("index_settings", follower)


def sync_mappings(follower: "Index", leader_mappings: dict[str, Any], mapping_type: str | None = None) -> None:
    """Merges the leader's mapping; a typed (6.x) follower also takes the type the leader has named
    (`mapping_type` is given only for a follower cluster with mapping types)."""
    named = mapping_type is not None and follower.mappings.type_name is None
    if named:
        follower.mappings.type_name = mapping_type
    if follower.mappings.merge(leader_mappings) or named:
        follower.persist()


def sync_aliases(follower: "Index", leader_aliases: dict[str, dict[str, Any]]) -> None:
    # A follower's alias never takes writes: the leader's write-index flag is not copied.
    wanted = {name: {k: v for k, v in spec.items() if k != "is_write_index"} for name, spec in leader_aliases.items()}
    if wanted != follower.aliases:
        follower.aliases = wanted
        follower.aliases_version += 1
        follower.persist()
