"""Preparing leader indices for CCR (01_prepare_leader): the plan, shown before anything is done.

Two things can stand in the way of following a leader index:

* the vendor setting `index.replication.type` (the guide removes it to turn off the vendor's own
  replication). It is not dynamic, so it is removed by close / set to null / open;
* no soft deletes. They can never be turned on for an existing index, so the index is reindexed into
  a new one that has them, the write path is moved to the new index, and the runbook follows the new
  index. Only 6.x and 7.x clusters (and 8.x ones upgraded with such an index) can hold one.

`plan_for` reads nothing: it turns what was read about an index into a `PrepAction` whose requests
can be rendered (dry run) and tested. `leader_prep_apply` carries the actions out, re-reading state
before each change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .devtools import render_request
from .dialect import write_block_request
from .preflight import LeaderIndex
from .versions import Version

NEW_INDEX_SUFFIX = "-soft-deletes"
BACKUP_SUFFIX = "-pre-ccr"
_CLONE_SINCE = Version(7, 4, 0)
# Settings an index gets from the cluster, or that must not be copied into the new one.
_NOT_COPIED_PREFIXES = ("index.uuid", "index.creation_date", "index.version.", "index.provided_name",
                        "index.soft_deletes.", "index.blocks.", "index.resize.", "index.routing.allocation.initial_recovery",
                        "index.verified_before_close", "index.replication.", "archived.", "index.shrink.",
                        "index.history.uuid", "index.frozen", "index.search.throttled")


@dataclass(frozen=True)
class PlannedRequest:
    method: str
    path: str
    body: Any = None
    params: Mapping[str, Any] | None = None
    why: str = ""

    def render(self) -> str:
        return render_request(self.method, self.path, self.params, self.body)


@dataclass(frozen=True)
class PrepAction:
    leader: str
    kind: str  # "none", "remove_vendor_setting" or "reindex"
    summary: str
    requests: tuple[PlannedRequest, ...] = ()
    follow: str = ""  # the index the runbook follows once this is done
    destructive: bool = False
    notes: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LeaderPrepPlan:
    actions: tuple[PrepAction, ...]

    @property
    def follow_targets(self) -> dict[str, str]:
        """Leader name in the parameters -> index to follow (the new index after a reindex)."""
        return {a.leader: a.follow for a in self.actions}

    @property
    def needs_confirmation(self) -> bool:
        return any(a.destructive for a in self.actions)

    @property
    def changes_anything(self) -> bool:
        return any(a.kind != "none" for a in self.actions)

    def rows(self) -> list[tuple[str, str, str, str]]:
        return [(a.leader, a.kind, a.summary, a.follow) for a in self.actions]

    def render(self) -> str:
        """The requests, in Dev Tools form, in the order they would be sent."""
        parts = []
        for action in self.actions:
            if not action.requests:
                continue
            parts.append(f"# {action.leader}: {action.summary}")
            parts += [f"# {r.why}\n{r.render()}" if r.why else r.render() for r in action.requests]
            parts += [f"# note: {n}" for n in action.notes]
        return "\n\n".join(parts) or "# nothing to change on the leader indices"


def plan_for(leader: LeaderIndex, version: Version, settings: Mapping[str, Any] | None = None,
             mappings: Mapping[str, Any] | None = None, aliases: Mapping[str, Any] | None = None) -> PrepAction:
    """The action for one existing leader index, from what was read about it (`settings` flat)."""
    if leader.soft_deletes is False:
        return _reindex_plan(leader, version, settings or {}, mappings or {}, aliases or {})
    if leader.vendor_setting is not None:
        key = leader.vendor_key
        return PrepAction(
            leader.name, "remove_vendor_setting",
            f"remove {key}={leader.vendor_setting} (not dynamic: close, set to null, open)",
            (PlannedRequest("POST", f"/{leader.name}/_close", why="the setting is not dynamic: close first"),
             PlannedRequest("PUT", f"/{leader.name}/_settings", {key: None}, why="null removes the setting"),
             PlannedRequest("POST", f"/{leader.name}/_open", params={"wait_for_active_shards": 1},
                            why="reopen: the index is unavailable while closed")),
            follow=leader.name, destructive=True,
            notes=(f"{leader.name} refuses reads and writes while closed (seconds)",))
    return PrepAction(leader.name, "none", "soft deletes on, no vendor setting: nothing to change", follow=leader.name)


def new_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The source's own settings minus those the cluster assigns, plus soft deletes."""
    kept = {k: v for k, v in settings.items() if not k.startswith(_NOT_COPIED_PREFIXES)}
    return {**kept, "index.soft_deletes.enabled": True}


def _reindex_plan(leader: LeaderIndex, version: Version, settings: Mapping[str, Any],
                  mappings: Mapping[str, Any], aliases: Mapping[str, Any]) -> PrepAction:
    source, target = leader.name, leader.name + NEW_INDEX_SUFFIX
    requests = [
        # The mappings go back as the same cluster answered them: with their type on 6.x, typeless later.
        PlannedRequest("PUT", f"/{target}", {"settings": new_settings(settings), "mappings": dict(mappings)},
                       why=f"a new index like {source}, with soft deletes"),
        PlannedRequest(*write_block_request(version, source),
                       why="stop writes, so that the copy is complete (writers see errors from here on)"),
        PlannedRequest("POST", "/_reindex", {"source": {"index": source}, "dest": {"index": target, "op_type": "create"},
                                             "conflicts": "proceed"},
                       params={"wait_for_completion": "false", "refresh": "true"},
                       why="copy every document; op_type create makes a re-run skip documents already copied"),
    ]
    notes = [f"writes to {source} fail from the write block until the write path is moved (the reindex time)"]
    if aliases:
        actions = []
        for alias, spec in sorted(aliases.items()):
            actions.append({"remove": {"index": source, "alias": alias}})
            actions.append({"add": {"index": target, "alias": alias, **dict(spec or {})}})
        requests.append(PlannedRequest("POST", "/_aliases", {"actions": actions},
                                       why=f"move the aliases writers use ({', '.join(sorted(aliases))}) in one step"))
        destructive_note = f"{source} is kept, write-blocked; delete it once the migration is verified"
    else:
        if version >= _CLONE_SINCE:
            requests.append(PlannedRequest("POST", f"/{source}/_clone/{source}{BACKUP_SUFFIX}",
                                           why=f"keep the old data as {source}{BACKUP_SUFFIX} (read-only) before "
                                               f"the name {source} becomes an alias"))
        else:
            notes.append(f"{version} has no clone API: take a snapshot of {source} before going on")
        requests.append(PlannedRequest(
            "POST", "/_aliases",
            {"actions": [{"remove_index": {"index": source}},
                         {"add": {"index": target, "alias": source, "is_write_index": True}}]},
            why=f"writers use the name {source}: in one step, delete the old index and make {source} an "
                f"alias of {target}"))
        destructive_note = f"the old index {source} is deleted (its copy {source}{BACKUP_SUFFIX} is kept)" \
            if version >= _CLONE_SINCE else f"the old index {source} is deleted"
    notes.append(destructive_note)
    return PrepAction(source, "reindex", f"no soft deletes: reindex into {target}, move the write path, follow {target}",
                      tuple(requests), follow=target, destructive=True, notes=tuple(notes),
                      details={"target": target, "aliases": sorted(aliases), "docs": leader.docs,
                               "vendor_key": leader.vendor_key})
