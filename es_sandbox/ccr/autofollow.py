"""Auto-follow patterns (PUT/GET/DELETE /_ccr/auto_follow/<name>, pause, resume), persisted in the
cluster's metadata store with the leader indices each pattern has already handled.

A pattern follows only leader indices created after it: at creation every existing match is recorded
as handled, as TransportPutAutoFollowPatternAction does. The coordinator (`autofollow_coordinator`)
follows the rest.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from .. import index_settings
from . import errors as ccr_errors
from . import parameters, replicated
from .follow import check_local_license
from .parameters import FollowParameters
from .remote import Leader

if TYPE_CHECKING:
    from ..cluster import Cluster

KIND = "ccr_auto_follow"
PARSER = "put_auto_follow_pattern_request"
_FIELDS = {
    "remote_cluster": "string",
    "leader_index_patterns": "string_array",
    "leader_index_exclusion_patterns": "string_array",
    "follow_index_pattern": "string",
    "settings": "object",
}


def simple_match(patterns: list[str], name: str) -> bool:
    """Regex.simpleMatch: `*` is the only wildcard."""
    return any(re.fullmatch(".*".join(re.escape(part) for part in p.split("*")), name) for p in patterns)


def matches(pattern: dict[str, Any], index_name: str) -> bool:
    """AutoFollowPattern.match: a leader pattern matches and no exclusion pattern does."""
    return simple_match(pattern["leader_index_patterns"], index_name) and not simple_match(
        pattern.get("leader_index_exclusion_patterns", []), index_name)


def follower_name(pattern: dict[str, Any], leader_index: str) -> str:
    template = pattern.get("follow_index_pattern")
    return template.replace("{{leader_index}}", leader_index) if template is not None else leader_index


class Patterns:
    def __init__(self, cluster: "Cluster") -> None:
        self.cluster = cluster
        self.lock = threading.RLock()

    def all(self) -> dict[str, dict[str, Any]]:
        return self.cluster.store.all(KIND)

    def get_record(self, name: str) -> dict[str, Any] | None:
        return self.cluster.store.get(KIND, name)

    def save(self, name: str, record: dict[str, Any]) -> None:
        self.cluster.store.put(KIND, name, record)

    def put(self, name: str, body: Any, raw: bytes | None) -> None:
        params, fields = parameters.parse(PARSER, body, raw, _FIELDS)
        size = len(name.encode())
        parameters.validate(
            params,
            "[name] name must not contain a ','" if "," in name else "",
            "[name] name must not start with '_'" if name.startswith("_") else "",
            f"[name] name is too long ({size} > 255)" if size > 255 else "",
            "[remote_cluster] is missing" if fields.get("remote_cluster") is None else "",
            "[leader_index_patterns] is missing" if not fields.get("leader_index_patterns") else "",
        )
        check_local_license(self.cluster)
        settings = replicated.flatten_plain(fields.get("settings"))
        replicated.check_overrides(settings, self.cluster.config.flavour, "auto-follow pattern")
        remote = fields["remote_cluster"]
        state = Leader(self.cluster, remote).cluster_state()
        pattern: dict[str, Any] = {
            "active": True,
            "remote_cluster": remote,
            "leader_index_patterns": fields["leader_index_patterns"],
            "leader_index_exclusion_patterns": fields.get("leader_index_exclusion_patterns") or [],
        }
        if fields.get("follow_index_pattern") is not None:
            pattern["follow_index_pattern"] = fields["follow_index_pattern"]
        pattern["settings"] = settings
        pattern["parameters"] = params.to_stored()
        with self.lock:
            previous = self.get_record(name)
            followed = list(previous["followed"]) if previous else []
            # Existing leader indices count as handled; on an update only for the newly added patterns.
            marking = dict(pattern)
            if previous:
                old = previous["pattern"]["leader_index_patterns"]
                marking["leader_index_patterns"] = [p for p in pattern["leader_index_patterns"] if p not in old]
            for leader in state["indices"]:
                if matches(marking, leader["name"]) and leader["uuid"] not in followed:
                    followed.append(leader["uuid"])
            self.save(name, {"pattern": pattern, "followed": followed})

    def render(self, name: str | None) -> dict[str, Any]:
        records = self.all()
        if name is not None:
            if name not in records:
                raise ccr_errors.pattern_missing(name)
            records = {name: records[name]}
        return {"patterns": [{"name": n, "pattern": _render(records[n]["pattern"])} for n in sorted(records)]}

    def delete(self, name: str) -> None:
        with self.lock:
            if not self.cluster.store.delete(KIND, name):
                raise ccr_errors.pattern_missing(name)

    def activate(self, name: str, active: bool) -> None:
        with self.lock:
            record = self.get_record(name)
            if record is None:
                raise ccr_errors.pattern_missing(name)
            if record["pattern"]["active"] != active:
                record["pattern"]["active"] = active
                self.save(name, record)

    def record_followed(self, name: str, leader_uuid: str) -> None:
        with self.lock:
            record = self.get_record(name)
            if record is not None and leader_uuid not in record["followed"]:  # a deleted pattern stays deleted
                record["followed"].append(leader_uuid)
                self.save(name, record)

    def forget_gone(self, names: list[str], leader_uuids: set[str]) -> None:
        """Leader indices deleted on the remote are no longer remembered (cleanFollowedRemoteIndices)."""
        with self.lock:
            for name in names:
                record = self.get_record(name)
                if record is None:
                    continue
                kept = [u for u in record["followed"] if u in leader_uuids]
                if kept != record["followed"]:
                    record["followed"] = kept
                    self.save(name, record)


def _render(pattern: dict[str, Any]) -> dict[str, Any]:
    """AutoFollowPattern.toXContent."""
    out = {key: pattern[key] for key in ("active", "remote_cluster", "leader_index_patterns", "leader_index_exclusion_patterns")}
    if "follow_index_pattern" in pattern:
        out["follow_index_pattern"] = pattern["follow_index_pattern"]
    if pattern.get("settings"):
        out["settings"] = index_settings.nest(pattern["settings"])
    out.update(FollowParameters.from_stored(pattern.get("parameters")).to_stored())
    return out
