"""Which indices to follow: explicit leader/follower pairs, and an optional auto-follow pattern."""

from __future__ import annotations

from dataclasses import dataclass

from . import naming
from .validation import Block, Problems, join

FOLLOWER_SUFFIX = "_follow"  # the guide follows `myindex` as `myindex_follow`
DEFAULT_FOLLOW_INDEX_PATTERN = "{{leader_index}}" + FOLLOWER_SUFFIX
AUTO_FOLLOW_FIELDS = ("name", "leader_index_patterns", "leader_index_exclusion_patterns",
                      "follow_index_pattern")
AUTO_FOLLOW_NAME_RULES = "an auto-follow pattern name: lowercase, no '#', ',' or space, not starting with '_'"


@dataclass(frozen=True)
class IndexPair:
    leader: str
    follower: str
    # Aliases moved to the promoted follower (as its write index) on the local cluster at cutover.
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class AutoFollowPattern:
    name: str
    leader_index_patterns: tuple[str, ...]
    leader_index_exclusion_patterns: tuple[str, ...] = ()
    follow_index_pattern: str = DEFAULT_FOLLOW_INDEX_PATTERN


def read_indices(top: Block, problems: Problems, notes: list[str]) -> list[IndexPair]:
    pairs: list[IndexPair] = []
    for i, entry in enumerate(top.items("indices")):
        path = join("indices", i)
        if isinstance(entry, str):  # shorthand: `indices: [myindex]`
            entry = {"leader": entry}
        block = Block(entry, path, ("leader", "follower", "aliases"), problems)
        leader = block.text("leader", rule=naming.index_name_problem, rules=naming.INDEX_NAME_RULES)
        if leader is None and not block.given("leader"):
            problems.add(block.field("leader"), "the name of an index on the remote cluster",
                         got_text="nothing")
        follower = block.text("follower", rule=naming.index_name_problem, rules=naming.INDEX_NAME_RULES)
        if leader is None:
            continue
        if follower is None and not block.given("follower"):
            follower = leader + FOLLOWER_SUFFIX
        if follower is None:
            continue
        if leader.startswith("."):
            notes.append(f"{path}.leader {leader!r} starts with '.': system indices cannot be followed.")
        if any(p.follower == follower for p in pairs):
            problems.add(block.field("follower"), "a follower name used only once", follower)
            continue
        aliases = _aliases(block, follower, [a for p in pairs for a in p.aliases], problems)
        pairs.append(IndexPair(leader, follower, tuple(aliases)))
    return pairs


def _aliases(block: Block, follower: str, taken: list[str], problems: Problems) -> list[str]:
    aliases: list[str] = []
    for i, alias in enumerate(block.items("aliases")):
        where = join(block.field("aliases"), i)
        problem = naming.index_name_problem(alias) if isinstance(alias, str) else "not a string"
        if problem:
            problems.add(where, "an alias name (" + naming.INDEX_NAME_RULES + ")", alias, why=problem)
        elif alias == follower:
            problems.add(where, "an alias name other than the follower index's own name", alias)
        elif alias in taken or alias in aliases:
            problems.add(where, "an alias named once (one write index per alias)", alias)
        else:
            aliases.append(alias)
    return aliases


def read_auto_follow(top: Block, problems: Problems) -> AutoFollowPattern | None:
    if not top.given("auto_follow"):
        return None
    block = Block(top.raw("auto_follow"), "auto_follow", AUTO_FOLLOW_FIELDS, problems)
    name = block.text("name", rule=naming.auto_follow_name_problem,
                      rules=AUTO_FOLLOW_NAME_RULES)
    if name is None and not block.given("name"):
        problems.add(block.field("name"), "a name for the auto-follow pattern", got_text="nothing")
    patterns = _pattern_list(block, "leader_index_patterns", problems)
    if not patterns:
        problems.add(block.field("leader_index_patterns"), "at least one leader index pattern",
                     got_text="none")
    exclusions = _pattern_list(block, "leader_index_exclusion_patterns", problems)
    follow = block.text("follow_index_pattern") or DEFAULT_FOLLOW_INDEX_PATTERN
    sample = follow.replace("{{leader_index}}", "leader")
    if "{{leader_index}}" not in follow or naming.index_name_problem(sample):
        problems.add(block.field("follow_index_pattern"),
                     "an index name containing `{{leader_index}}`, such as `{{leader_index}}_follow`", follow)
    if name is None or not patterns:
        return None
    return AutoFollowPattern(name, tuple(patterns), tuple(exclusions), follow)


def _pattern_list(block: Block, key: str, problems: Problems) -> list[str]:
    out = []
    for i, pattern in enumerate(block.items(key)):
        problem = naming.index_pattern_problem(pattern) if isinstance(pattern, str) else "not a string"
        if problem:
            problems.add(join(block.field(key), i), "an index pattern such as `logs-*`", pattern,
                         why=problem)
        else:
            out.append(pattern)
    return out
