"""What each cluster looked like before and after a step: the indices it names, their aliases, the remotes,
and on the local cluster its auto-follow patterns.

`step.connect()` reads both clusters' relevant state once the identities are known (phase "before"),
and `step.finish()` reads it again before giving its verdict (phase "after"; when a cell fails in a
headless run, the state is read after that cell instead). Each reading is displayed as a short
table and carried by one record (`application/vnd.ccr-runbooks.state.v1+json`):

    {"schema": "ccr-runbooks.state.v1", "run_id": str, "step": str, "phase": "before" | "after",
     "time": ISO 8601 UTC, "clusters": {"remote": FP, "local": FP}}       # only the connected roles

    FP = {"cluster_name": str, "cluster_uuid": str, "time": ISO 8601 UTC,
          "digest": sha256 hex of canonical JSON of {"indices": ..., "remotes": ...[, "auto_follow": ...]},
          "indices": {name: INDEX},
          "remotes": {alias: REMOTE},
          "auto_follow": {name: PATTERN},   # the local cluster only (absent from the remote's FP)
          "unread": [str, ...]}             # parts that could not be read, e.g. "_ccr/info: 403 security_exception",
                                            # or indices left out, e.g. "indices matching logs-*_follow: 12 more not recorded"

    INDEX = {"absent": true}                 # no index of that name (it may be an alias now: see the aliases of the others)
          | {"uuid": str, "state": "open" | "close" | null,
             "settings": {flat key: value},  # index.number_of_shards/_replicas, index.soft_deletes.*, index.blocks.*,
                                             # index.replication.*, index.xpack.ccr.* (following_index), index.lifecycle.*,
                                             # index.version.created
             "aliases": {alias: {"is_write_index": bool, ...}},   # the alias's own properties, {} when none
             "follower": null | {"remote_cluster": str, "leader_index": str, "status": "active" | "paused",
                                 "parameters": {...}}}

    PATTERN = {"remote_cluster": str, "leader_index_patterns": [str], "follow_index_pattern": str | null,
               "active": bool | null,        # null before 7.5, which does not report it (every pattern is active)
               "leader_index_exclusion_patterns": [str]}   # only when the cluster reports it (recent versions)

    REMOTE = {"mode": "sniff" | "proxy", "seeds": [str], "proxy_address": str | null,
              "skip_unavailable": bool | null, "connected": bool | null, "defined_in": "persistent" | "transient" | null}

Canonical JSON is `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` of the
values as recorded (secrets already redacted), so an auditor can recompute a digest from evidence.json.

The indices read are those the parameter set names: the leaders on the remote (plus, when present,
the index 01_prepare_leader reindexes a leader into and the copy it keeps), the followers on the local
cluster and, when the parameter set has `auto_follow`, the first indices matching the names its pattern
gives followers (`follow_index_pattern` applied to each leader pattern; bounded, since a pattern may
create many). Reads use answers every version from 6.7 to 9.x gives (`_settings` with flat_settings and
ignore_unavailable, `_cat/indices`, `_alias`, `_ccr/info`, `_cluster/settings`, `_remote/info`,
`_ccr/auto_follow`, whose "no pattern at all" is a 404 resource_not_found_exception on early versions); they
are plain GETs, so they are never shown as Dev Tools requests and are sent in a dry run too. A part
that cannot be read (a licence without CCR, a missing privilege) is listed under "unread", never
raised: evidence gathering must not stop a step.

In evidence.json each step gets
    "state": {"before": {"remote": FP, "local": FP} | null, "after": {...} | null,
              "changed": ["local: index myindex_follow created (uuid ...), following active (remote:myindex)",
                          "local: auto-follow pattern logs created (remote:logs-*)", ...]}
with `changed` from `describe_changes(before, after)`.
"""

from __future__ import annotations

import hashlib
import html
import json
from typing import Any, Iterable, Mapping

from .connection import Cluster
from .errors import ClusterRequestError
from .leader_prep import BACKUP_SUFFIX, NEW_INDEX_SUFFIX
from .parameters import MigrationParameters
from .records import STATE_MIME, emit, json_safe, now_iso

STATE_SCHEMA = "ccr-runbooks.state.v1"
_KEPT_SETTINGS = ("index.number_of_shards", "index.number_of_replicas", "index.version.created")
_KEPT_PREFIXES = ("index.soft_deletes.", "index.blocks.", "index.replication.", "index.xpack.ccr.",
                  "index.lifecycle.")
# Settings of one remote alias (`cluster.remote.<alias>.<key>`); other `cluster.remote.*` keys are global.
_REMOTE_KEYS = ("mode", "seeds", "proxy_address", "skip_unavailable", "proxy_socket_connections", "server_name",
                "node_connections", "transport.ping_schedule", "transport.compress")
_REMOTE_PREFIXES = ("cluster.remote.", "search.remote.")  # search.remote.* is the 6.x spelling
# Answers that mean "this part cannot be read here" rather than a broken cluster.
_UNREADABLE = (400, 401, 403, 404, 405)
# Indices an auto-follow pattern created, recorded at most: enough to see what it did, bounded when it did a lot.
MAX_PATTERN_INDICES = 50
_PATTERN_KEYS = ("remote_cluster", "leader_index_patterns", "follow_index_pattern", "active")


def state_names(params: MigrationParameters, role: str) -> tuple[list[str], list[str], list[str]]:
    """(names always recorded, names recorded only when present, wildcard patterns) on `role`'s cluster."""
    if role == "remote":
        leaders = [p.leader for p in params.indices]
        return leaders, [name + suffix for name in leaders for suffix in (NEW_INDEX_SUFFIX, BACKUP_SUFFIX)], []
    patterns = []
    if params.auto_follow:
        follow = params.auto_follow.follow_index_pattern
        patterns = [follow.replace("{{leader_index}}", leader) for leader in params.auto_follow.leader_index_patterns]
    return [p.follower for p in params.indices], [], patterns


def read_state(cluster: Cluster, names: Iterable[str], optional: Iterable[str] = (), patterns: Iterable[str] = (),
               *, auto_follow: bool = False) -> dict[str, Any]:
    """The fingerprint (FP above) of `cluster` for the indices `names` (and `optional` ones, and the first
    MAX_PATTERN_INDICES matching `patterns`, if present), with its auto-follow patterns if `auto_follow`."""
    reader = _Reader(cluster)
    names = list(dict.fromkeys(names))
    optional = [n for n in dict.fromkeys([*optional, *_matching(reader, list(patterns))]) if n not in names]
    wanted = names + optional
    settings = reader.get(f"/{','.join(wanted)}/_settings", "index settings",
                          {"flat_settings": "true", "ignore_unavailable": "true"}) if wanted else {}
    found = sorted(settings or {})
    indices: dict[str, Any] = {}
    if found:
        joined = ",".join(found)
        rows = reader.get(f"/_cat/indices/{joined}", "_cat/indices",
                          {"format": "json", "h": "index,uuid,status", "expand_wildcards": "all"}) or []
        status = {r.get("index"): r.get("status") for r in rows if isinstance(r, dict)}
        aliases = reader.get(f"/{joined}/_alias", "aliases") or {}
        ccr = reader.get(f"/{joined}/_ccr/info", "_ccr/info") or {}
        following = {f.get("follower_index"): f for f in ccr.get("follower_indices", []) if isinstance(f, dict)}
        for name in found:
            flat = (settings[name] or {}).get("settings", {})
            indices[name] = {
                "uuid": flat.get("index.uuid"),
                "state": status.get(name),
                "settings": {k: v for k, v in sorted(flat.items())
                             if k in _KEPT_SETTINGS or k.startswith(_KEPT_PREFIXES)},
                "aliases": {alias: dict(spec or {}) for alias, spec in
                            sorted(((aliases.get(name) or {}).get("aliases") or {}).items())},
                "follower": _follower(following.get(name)),
            }
    for name in names:
        indices.setdefault(name, {"absent": True})
    remotes = _remotes(reader.get("/_cluster/settings", "cluster settings", {"flat_settings": "true"}) or {},
                       reader.get("/_remote/info", "_remote/info") or {})
    state = {"indices": dict(sorted(indices.items())), "remotes": remotes}
    if auto_follow:
        state["auto_follow"] = _auto_follow(reader)
    state = json_safe(state)
    identity = cluster.identity
    return {"cluster_name": identity.cluster_name, "cluster_uuid": identity.cluster_uuid, "time": now_iso(),
            "digest": digest(state), **state, "unread": reader.unread}


def digest(state: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of a fingerprint's `indices`, `remotes` and (when read) `auto_follow`."""
    core = {"indices": state.get("indices", {}), "remotes": state.get("remotes", {})}
    if "auto_follow" in state:  # absent from the remote's fingerprint, and from readings made before it was added
        core["auto_follow"] = state["auto_follow"]
    text = json.dumps(core, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Reader:
    """GETs that never raise: a part that cannot be read is noted in `unread` and reads as None."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.unread: list[str] = []

    def get(self, path: str, what: str, params: Mapping[str, Any] | None = None, *,
            missing_is_empty: bool = False) -> Any:
        """The answer's body; with `missing_is_empty`, a 404 resource_not_found_exception reads as {}."""
        try:
            answer = self.cluster.request("GET", path, params=params, ignore=_UNREADABLE)
        except ClusterRequestError as exc:
            self.unread.append(f"{what}: {exc.status or 'no answer'} {exc.error_type}")
            return None
        if answer.status >= 400:
            error = (answer.body or {}).get("error") if isinstance(answer.body, dict) else None
            kind = error.get("type") if isinstance(error, dict) else error
            if missing_is_empty and answer.status == 404 and kind == "resource_not_found_exception":
                return {}
            self.unread.append(f"{what}: {answer.status} {kind or 'error'}")
            return None
        return answer.body


def _matching(reader: _Reader, patterns: list[str]) -> list[str]:
    """The first MAX_PATTERN_INDICES index names matching `patterns`; how many more is noted in `unread`."""
    if not patterns:
        return []
    joined = ",".join(dict.fromkeys(patterns))
    rows = reader.get(f"/_cat/indices/{joined}", f"indices matching {joined}",
                      {"format": "json", "h": "index", "expand_wildcards": "all", "ignore_unavailable": "true"}) or []
    found = sorted({r["index"] for r in rows if isinstance(r, dict) and r.get("index")})
    if len(found) > MAX_PATTERN_INDICES:
        reader.unread.append(f"indices matching {joined}: {len(found) - MAX_PATTERN_INDICES} more not recorded "
                             f"(the first {MAX_PATTERN_INDICES} by name are)")
    return found[:MAX_PATTERN_INDICES]


def _auto_follow(reader: _Reader) -> dict[str, Any]:
    """name -> PATTERN, from `GET /_ccr/auto_follow`: a `patterns` list (earlier answers keyed them by name)."""
    answer = reader.get("/_ccr/auto_follow", "auto-follow patterns", missing_is_empty=True) or {}
    listed = answer.get("patterns")
    if isinstance(listed, list):
        entries = {p.get("name"): p.get("pattern") for p in listed if isinstance(p, dict)}
    else:
        entries = answer
    patterns = {}
    for name, pattern in sorted((n, p) for n, p in entries.items() if n and isinstance(p, dict)):
        patterns[name] = {key: pattern.get(key) for key in _PATTERN_KEYS}
        if "leader_index_exclusion_patterns" in pattern:
            patterns[name]["leader_index_exclusion_patterns"] = pattern["leader_index_exclusion_patterns"]
    return patterns


def _follower(info: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not info:
        return None
    return {"remote_cluster": info.get("remote_cluster"), "leader_index": info.get("leader_index"),
            "status": info.get("status"), "parameters": dict(info.get("parameters") or {})}


def _remotes(cluster_settings: Mapping[str, Any], info: Mapping[str, Any]) -> dict[str, Any]:
    defined: dict[str, dict[str, Any]] = {}
    for scope in ("transient", "persistent"):  # persistent last: it is where the runbook writes
        for key, value in (cluster_settings.get(scope) or {}).items():
            prefix = next((p for p in _REMOTE_PREFIXES if key.startswith(p)), None)
            if prefix is None:
                continue
            alias, _, setting = key[len(prefix):].partition(".")
            if setting in _REMOTE_KEYS or setting.startswith("seeds."):  # seeds.0 in some flat answers
                entry = defined.setdefault(alias, {"defined_in": scope})
                entry["defined_in"] = scope
                if setting.startswith("seeds"):
                    entry.setdefault("seeds", []).extend(value if isinstance(value, list) else [value])
                else:
                    entry[setting] = value
    remotes = {}
    for alias in sorted(set(defined) | set(info)):
        settings, live = defined.get(alias, {}), info.get(alias) or {}
        seeds = settings.get("seeds", live.get("seeds") or [])
        remotes[alias] = {
            "mode": settings.get("mode") or live.get("mode") or "sniff",
            "seeds": sorted(seeds if isinstance(seeds, list) else [seeds]),
            "proxy_address": settings.get("proxy_address") or live.get("proxy_address") or None,
            "skip_unavailable": _bool(settings.get("skip_unavailable", live.get("skip_unavailable"))),
            "connected": live.get("connected") if alias in info else None,
            "defined_in": settings.get("defined_in"),
        }
    return remotes


def _bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    return str(value).lower() == "true"


# --- recording and comparing --------------------------------------------------------------------


def record_state(clusters: Mapping[str, Cluster], params: MigrationParameters, step: str, phase: str,
                 before: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Read each connected cluster, display a summary (with the changes since `before`), emit the record."""
    fingerprints = {role: read_state(cluster, *state_names(params, role), auto_follow=role == "local")
                    for role, cluster in clusters.items()}
    record = {"schema": STATE_SCHEMA, "run_id": params.run_id, "step": step, "phase": phase, "time": now_iso(),
              "clusters": fingerprints}
    changes = describe_changes(before, fingerprints) if before is not None else None
    emit(STATE_MIME, record, *_render(step, phase, fingerprints, changes))
    return record


def describe_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[str]:
    """What changed between two `{role: FP}` readings, one sentence per difference."""
    if not before or not after:
        return []
    changes: list[str] = []
    for role in [r for r in ("remote", "local") if r in before and r in after]:
        was, now = before[role], after[role]
        if was.get("cluster_uuid") != now.get("cluster_uuid"):
            changes.append(f"{role}: a different cluster answered ({was.get('cluster_uuid')} -> {now.get('cluster_uuid')})")
            continue
        old_indices, new_indices = was.get("indices", {}), now.get("indices", {})
        for name in sorted(set(old_indices) | set(new_indices)):
            changes += [f"{role}: {line}" for line in _index_changes(name, old_indices.get(name), new_indices.get(name))]
        old_remotes, new_remotes = was.get("remotes", {}), now.get("remotes", {})
        for alias in sorted(set(old_remotes) | set(new_remotes)):
            changes += [f"{role}: {line}" for line in _remote_changes(alias, old_remotes.get(alias),
                                                                      new_remotes.get(alias))]
        old_patterns, new_patterns = was.get("auto_follow") or {}, now.get("auto_follow") or {}
        for name in sorted(set(old_patterns) | set(new_patterns)):
            changes += [f"{role}: {line}" for line in _pattern_changes(name, old_patterns.get(name),
                                                                       new_patterns.get(name))]
    return changes


def _present(entry: Mapping[str, Any] | None) -> bool:
    return bool(entry) and not entry.get("absent")


def _following(follower: Mapping[str, Any] | None) -> str:
    if not follower:
        return "none"
    return f"{follower.get('status')} ({follower.get('remote_cluster')}:{follower.get('leader_index')})"


def _index_changes(name: str, was: Mapping[str, Any] | None, now: Mapping[str, Any] | None) -> list[str]:
    if not _present(was) and not _present(now):
        return []
    if not _present(now):
        return [f"index {name} deleted (uuid {was.get('uuid')})"]
    if not _present(was):
        line = f"index {name} created (uuid {now.get('uuid')})"
        if now.get("follower"):
            line += f", following {_following(now['follower'])}"
        return [line]
    if was.get("uuid") != now.get("uuid"):
        return [f"index {name} re-created (uuid {was.get('uuid')} -> {now.get('uuid')})"]
    lines = []
    if was.get("state") != now.get("state"):
        lines.append(f"index {name} {was.get('state')} -> {now.get('state')}")
    old, new = was.get("settings", {}), now.get("settings", {})
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            lines.append(f"{name} setting {key}: {old.get(key, '(unset)')} -> {new.get(key, '(unset)')}")
    old, new = was.get("aliases", {}), now.get("aliases", {})
    for alias in sorted(set(old) | set(new)):
        if alias not in old:
            lines.append(f"alias {alias} added to {name}" + (" (write index)" if new[alias].get("is_write_index") else ""))
        elif alias not in new:
            lines.append(f"alias {alias} removed from {name}")
        elif old[alias] != new[alias]:
            lines.append(f"alias {alias} of {name} changed: {json.dumps(old[alias])} -> {json.dumps(new[alias])}")
    follower_was, follower_now = was.get("follower"), now.get("follower")
    if follower_was != follower_now:
        if follower_was and not follower_now:
            lines.append(f"{name} following {follower_was.get('status')} -> unfollowed")
        elif follower_was and follower_now and follower_was.get("status") != follower_now.get("status"):
            lines.append(f"{name} following {follower_was.get('status')} -> {follower_now.get('status')}")
        else:
            lines.append(f"{name} following {_following(follower_was)} -> {_following(follower_now)}")
    return lines


def _remote_changes(alias: str, was: Mapping[str, Any] | None, now: Mapping[str, Any] | None) -> list[str]:
    if was == now:
        return []
    if was is None:
        address = ", ".join(now["seeds"]) if now.get("mode") != "proxy" else now.get("proxy_address")
        return [f"remote {alias} added ({now.get('mode')} {address or '-'}; "
                f"{'connected' if now.get('connected') else 'not connected'})"]
    if now is None:
        return [f"remote {alias} removed"]
    return [f"remote {alias} {key}: {_text(was.get(key))} -> {_text(now.get(key))}"
            for key in sorted(set(was) | set(now)) if was.get(key) != now.get(key)]


def _pattern_changes(name: str, was: Mapping[str, Any] | None, now: Mapping[str, Any] | None) -> list[str]:
    if was == now:
        return []
    if was is None:
        line = f"auto-follow pattern {name} created ({now.get('remote_cluster')}:{_text(now.get('leader_index_patterns'))})"
        if now.get("leader_index_exclusion_patterns"):
            line += f" excluding {_text(now['leader_index_exclusion_patterns'])}"
        return [line + (", paused" if now.get("active") is False else "")]
    if now is None:
        return [f"auto-follow pattern {name} deleted"]
    changed = [key for key in sorted(set(was) | set(now)) if was.get(key) != now.get(key)]
    if changed == ["active"] and now.get("active") is not None:
        return [f"auto-follow pattern {name} {'resumed' if now['active'] else 'paused'}"]
    return [f"auto-follow pattern {name} {key}: {_text(was.get(key))} -> {_text(now.get(key))}" for key in changed]


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    return json.dumps(value) if isinstance(value, bool) or value is None else str(value)


def summary(fingerprint: Mapping[str, Any]) -> str:
    """`2 indices (1 absent), 1 remote (connected), 1 follower; digest 3f2a1b9c0d1e…`"""
    indices = fingerprint.get("indices", {})
    absent = sum(1 for i in indices.values() if i.get("absent"))
    followers = sum(1 for i in indices.values() if i.get("follower"))
    remotes = fingerprint.get("remotes", {})
    connected = sum(1 for r in remotes.values() if r.get("connected"))
    parts = [f"{len(indices)} ind{'ex' if len(indices) == 1 else 'ices'}" + (f" ({absent} absent)" if absent else ""),
             f"{len(remotes)} remote{'' if len(remotes) == 1 else 's'}" + (f" ({connected} connected)" if remotes else "")]
    if followers:
        parts.append(f"{followers} follower{'' if followers == 1 else 's'}")
    if fingerprint.get("auto_follow"):
        patterns = len(fingerprint["auto_follow"])
        parts.append(f"{patterns} auto-follow pattern{'' if patterns == 1 else 's'}")
    if fingerprint.get("unread"):
        parts.append(f"not read: {'; '.join(fingerprint['unread'])}")
    return ", ".join(parts) + f"; digest {fingerprint.get('digest', '')[:12]}\u2026"


def _render(step: str, phase: str, fingerprints: Mapping[str, Any], changes: list[str] | None) -> tuple[str, str]:
    rows = [(role, summary(fp)) for role, fp in fingerprints.items()]
    if changes is not None:
        rows += [("changed", line) for line in changes] or [("changed", "nothing")]
    title = f"State {phase} {step}"
    text = "\n".join([title, *(f"  {k:<8} {v}" for k, v in rows)])
    cells = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th>"
                    f"<td style='text-align:left'>{html.escape(v)}</td></tr>" for k, v in rows)
    return text, f"<b>{html.escape(title)}</b><table>{cells}</table>"
