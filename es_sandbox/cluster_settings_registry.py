"""The cluster settings a practice cluster knows, with Elasticsearch's parsers and their errors.

Elasticsearch finds a setting by its exact key, then by affix patterns (`cluster.remote.<alias>.seeds`)
and prefixes (`logger.<name>`). A key it cannot find is "not recognized"; a known static key is "not
dynamically updateable". Values are parsed as Elasticsearch's `Setting` parsers parse them, so the
`illegal_argument_exception` reasons match word for word. Other modules may `register()` more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from . import errors
from .units import parse_time_millis
from .version import Version

Parser = Callable[[str, str], Any]  # (key, value) -> parsed value; raises EsError


@dataclass(frozen=True)
class ClusterSetting:
    key: str  # a concrete key; for an affix "cluster.remote.*.seeds"; for a prefix "logger."
    default: str | list[str] | None
    dynamic: bool
    parse: Parser | None = None
    is_list: bool = False
    deprecated: bool = False  # Property.DeprecatedWarning: using it adds a Warning header
    since: str | None = None  # the first release that knows the setting
    until: str | None = None  # the first release that no longer knows it

    @property
    def pattern(self) -> re.Pattern[str] | None:
        return _pattern(self.key)

    def known_to(self, version: Version | None) -> bool:
        if version is None:
            return True
        return (self.since is None or version.at_least(self.since)) and (self.until is None or not version.at_least(self.until))


# Java's \w without UNICODE_CHARACTER_CLASS
_WORD = r"[-A-Za-z0-9_]"


def _pattern(key: str) -> re.Pattern[str] | None:
    if "*" in key:
        prefix, _, suffix = key.partition("*")
        return re.compile(re.escape(prefix) + f"({_WORD}+)" + re.escape(suffix))
    if key.endswith("."):
        return re.compile(re.escape(key) + f"((?:{_WORD}+[.])*{_WORD}+)")
    return None


# --- Java parsing, as Elasticsearch's settings code does it ----------------------------------


def number_format(text: str) -> errors.EsError:
    return errors.java_exception("number_format_exception", f'For input string: "{text}"')


def java_int(text: str) -> int:
    """Integer.parseInt: ASCII digits with an optional sign, within 32 bits."""
    if not re.fullmatch(r"[+-]?[0-9]+", text) or not -(2**31) <= int(text) < 2**31:
        raise number_format(text)
    return int(text)


def int_setting(minimum: int) -> Parser:
    def parse(key: str, value: str) -> int:
        try:
            number = java_int(value)
        except errors.EsError as cause:
            raise errors.illegal_argument(f"Failed to parse value [{value}] for setting [{key}]", caused_by=cause) from None
        if number < minimum:
            raise errors.illegal_argument(f"Failed to parse value [{value}] for setting [{key}] must be >= {minimum}")
        return number

    return parse


def bool_setting(key: str, value: str) -> bool:
    if value not in ("true", "false"):
        raise errors.illegal_argument(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")
    return value == "true"


def enum_setting(java_class: str, constants: tuple[str, ...]) -> Parser:
    """Enum.valueOf(value.toUpperCase(Locale.ROOT))."""

    def parse(key: str, value: str) -> str:
        name = value.upper()
        if name not in constants:
            raise errors.illegal_argument(f"No enum constant {java_class}.{name}")
        return name

    return parse


def time_setting(key: str, value: str) -> int:
    return parse_time_millis(value, key, allow_minus_one=True)


def _allocation_enable(key: str, value: str) -> str:
    name = value.upper()
    if name not in ("ALL", "PRIMARIES", "NEW_PRIMARIES", "NONE"):
        raise errors.illegal_argument(f"Illegal allocation.enable value [{name}]")
    return name


def _auto_create_index(key: str, value: str) -> str:
    if value in ("true", "false"):
        return value
    for pattern in value.split(","):
        if not pattern:
            raise errors.illegal_argument(
                f"Can't parse [{value}] for setting [action.auto_create_index] must be either "
                "[true, false, or a comma separated list of index patterns]"
            )
        if pattern in ("+", "-"):
            raise errors.illegal_argument(
                f"Can't parse [{value}] for setting [action.auto_create_index] must contain an index name after [{pattern}]"
            )
    return value


_LOG_LEVELS = ("OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL")


def _log_level(key: str, value: str) -> str:
    level = value.strip().upper()
    if level not in _LOG_LEVELS:
        raise errors.illegal_argument(f"Unknown level constant [{level}].")
    return level


# --- the registry -------------------------------------------------------------------------------

_EXACT: dict[str, ClusterSetting] = {}
_PATTERNED: list[ClusterSetting] = []


def register(setting: ClusterSetting) -> None:
    if setting.pattern is None:
        _EXACT[setting.key] = setting
    else:
        _PATTERNED.append(setting)


def lookup(key: str, version: Version | None = None) -> ClusterSetting | None:
    """The setting a key names, exact keys first, as AbstractScopedSettings.get(key) finds it;
    with `version`, only a setting that release knows."""
    found = _EXACT.get(key)
    if found is not None and found.known_to(version):
        return found
    for setting in _PATTERNED:
        if setting.pattern.fullmatch(key) and setting.known_to(version):  # type: ignore[union-attr]
            return setting
    return None


def concrete(version: Version | None = None) -> list[ClusterSetting]:
    return [s for s in _EXACT.values() if s.known_to(version)]


def parse_value(key: str, value: str | list[str]) -> Any:
    """Setting.get() on one value: Elasticsearch's parse errors, lists parsed element by element."""
    setting = lookup(key)
    if setting is None or setting.parse is None:
        return value
    if setting.is_list:
        items = value if isinstance(value, list) else [t.strip() for t in value.split(",") if t.strip()]
        return [setting.parse(key, item) for item in items]
    if isinstance(value, list):
        raise errors.illegal_argument(f"Found list type value for setting [{key}] but but did not expect a list for it.")
    return setting.parse(key, value)


for _setting in [
    # Dynamic settings runbooks and the practice clusters touch.
    ClusterSetting("action.destructive_requires_name", "true", True, bool_setting),
    ClusterSetting("action.auto_create_index", "true", True, _auto_create_index),
    ClusterSetting("indices.id_field_data.enabled", "false", True, bool_setting),
    ClusterSetting("cluster.routing.allocation.enable", "all", True, _allocation_enable),
    ClusterSetting("xpack.monitoring.collection.enabled", "false", True, bool_setting, deprecated=True),
    ClusterSetting("cluster.max_shards_per_node", "1000", True, int_setting(1)),
    ClusterSetting("logger.", None, True, _log_level),
    # Node-scope settings: known, so updating them is refused as not dynamically updateable.
    ClusterSetting("logger.level", "INFO", False),
    ClusterSetting("cluster.name", None, False),
    ClusterSetting("node.name", None, False),
    ClusterSetting("node.roles", None, False, is_list=True),
    ClusterSetting("path.data", None, False, is_list=True),
    ClusterSetting("network.host", None, False, is_list=True),
    ClusterSetting("http.port", None, False),
    ClusterSetting("transport.port", None, False),
    ClusterSetting("discovery.seed_hosts", None, False, is_list=True),
    ClusterSetting("cluster.initial_master_nodes", None, False, is_list=True),
    ClusterSetting("xpack.security.enabled", None, False),
]:
    register(_setting)
