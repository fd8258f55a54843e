"""`cluster.remote.<alias>.*` settings: their parsers, the checks between them, and what they configure.

As in Elasticsearch, each value is parsed on its own first (a seed must be `host:port`), then each
scope's final settings are checked as a whole: a sniff-only setting is refused in proxy mode and the
other way round, and `skip_unavailable` or `transport.*` need the remote to be enabled (seeds in sniff
mode, `proxy_address` in proxy mode). Transient settings win over persistent ones.

Across versions: proxy mode (`mode`, `proxy_address`, ...) exists from 7.7; before it, a per-alias
setting other than `seeds` needs the alias's seeds ("missing required setting"). 6.5 to 7.17 still
know the deprecated `search.remote.<alias>.*` names and rename them to `cluster.remote.` on update
(the SettingUpgraders of RemoteClusterAware); 8.0 removed them. `skip_unavailable` defaults to true
from 8.15.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import errors
from .cluster_settings_registry import (
    ClusterSetting,
    bool_setting,
    enum_setting,
    int_setting,
    java_int,
    parse_value,
    register,
    time_setting,
)
from .version import Version

PREFIX = "cluster.remote."
LEGACY_PREFIX = "search.remote."
_LEGACY_UPGRADED = ("seeds", "proxy", "skip_unavailable")  # the settings with a SettingUpgrader
PROXY_MODE_SINCE = "7.7.0"
_MODE_CLASS = "org.elasticsearch.transport.RemoteConnectionStrategy.ConnectionStrategy"
_ALIAS_KEY = re.compile(r"cluster\.remote\.([-A-Za-z0-9_]+)\.(.+)")

SNIFF_ONLY = ("seeds", "proxy", "node_connections")
PROXY_ONLY = ("proxy_address", "proxy_socket_connections", "server_name")
NEED_ENABLED = ("skip_unavailable", "transport.ping_schedule", "transport.compress", "transport.compression_scheme")


def parse_port(address: str) -> int:
    """RemoteConnectionStrategy.parsePort: the text after the last ':' must be a positive int."""
    separator = address.rfind(":")
    if separator == -1:
        raise errors.illegal_argument(f"remote hosts need to be configured as [host:port], found [{address}] instead")
    try:
        port = java_int(address[separator + 1:])
    except errors.EsError as cause:
        raise errors.illegal_argument("failed to parse port", caused_by=cause) from None
    if port <= 0:
        raise errors.illegal_argument(f"port number must be > 0 but was: [{port}]")
    return port


def parse_host(address: str) -> str:
    parse_port(address)
    return address[: address.rfind(":")]


def _address(key: str, value: str) -> str:
    if value:
        parse_port(value)
    return value


def _seed(key: str, value: str) -> str:
    parse_port(value)
    return value


for _setting in [
    ClusterSetting(PREFIX + "*.mode", "sniff", True, enum_setting(_MODE_CLASS, ("SNIFF", "PROXY")), since=PROXY_MODE_SINCE),
    ClusterSetting(PREFIX + "*.seeds", [], True, _seed, is_list=True),
    ClusterSetting(PREFIX + "*.proxy", "", True, _address),
    ClusterSetting(PREFIX + "*.node_connections", "3", True, int_setting(1)),
    ClusterSetting(PREFIX + "*.proxy_address", "", True, _address, since=PROXY_MODE_SINCE),
    ClusterSetting(PREFIX + "*.proxy_socket_connections", "18", True, int_setting(1), since=PROXY_MODE_SINCE),
    ClusterSetting(PREFIX + "*.server_name", "", True, since=PROXY_MODE_SINCE),
    ClusterSetting(LEGACY_PREFIX + "*.seeds", [], True, _seed, is_list=True, deprecated=True, since="6.5.0", until="8.0.0"),
    ClusterSetting(LEGACY_PREFIX + "*.proxy", "", True, _address, deprecated=True, since="6.5.0", until="8.0.0"),
    ClusterSetting(LEGACY_PREFIX + "*.skip_unavailable", "false", True, bool_setting, deprecated=True,
                   since="6.5.0", until="8.0.0"),
    ClusterSetting(PREFIX + "*.skip_unavailable", "false", True, bool_setting),
    ClusterSetting(PREFIX + "*.transport.ping_schedule", "-1", True, time_setting),
    ClusterSetting(PREFIX + "*.transport.compress", "INDEXING_DATA", True,
                   enum_setting("org.elasticsearch.transport.Compression.Enabled", ("TRUE", "INDEXING_DATA", "FALSE"))),
    ClusterSetting(PREFIX + "*.transport.compression_scheme", "LZ4", True,
                   enum_setting("org.elasticsearch.transport.Compression.Scheme", ("DEFLATE", "LZ4"))),
    # Node-scope settings of the remote cluster service (elasticsearch.yml only).
    ClusterSetting(PREFIX + "initial_connect_timeout", "30s", False),
    ClusterSetting(PREFIX + "connections_per_cluster", "3", False),
    ClusterSetting(PREFIX + "node.attr", "", False),
]:
    register(_setting)


def upgrade_keys(flat: dict[str, Any], version: Version) -> dict[str, Any]:
    """ClusterSettings.upgradeSettings on an update request: `search.remote.<alias>.<x>` becomes
    `cluster.remote.<alias>.<x>` where the release still knows the old name."""
    if not (version.at_least("6.5.0") and version.major < 8):
        return flat
    out: dict[str, Any] = {}
    for key, value in flat.items():
        rest = key[len(LEGACY_PREFIX):] if key.startswith(LEGACY_PREFIX) else ""
        alias, _, suffix = rest.partition(".")
        out[PREFIX + rest if alias and suffix in _LEGACY_UPGRADED else key] = value
    return out


def split_key(key: str) -> tuple[str, str] | None:
    """`cluster.remote.leader.seeds` -> ("leader", "seeds")."""
    match = _ALIAS_KEY.fullmatch(key)
    return (match.group(1), match.group(2)) if match else None


@dataclass
class RemoteConfig:
    """One alias's settings, parsed; `connection_key()` changes when the connection must be rebuilt."""

    alias: str
    mode: str = "sniff"
    seeds: list[str] = field(default_factory=list)
    proxy: str = ""
    node_connections: int = 3
    proxy_address: str = ""
    proxy_socket_connections: int = 18
    server_name: str = ""
    skip_unavailable: bool = False
    ping_schedule: str = "-1"
    compress: str = "INDEXING_DATA"
    compression_scheme: str = "LZ4"

    @property
    def enabled(self) -> bool:
        return bool(self.seeds) if self.mode == "sniff" else bool(self.proxy_address)

    def connection_key(self) -> tuple[Any, ...]:
        if self.mode == "sniff":
            return ("sniff", frozenset(self.seeds), len(self.seeds), self.proxy, self.node_connections,
                    self.ping_schedule, self.compress, self.compression_scheme)
        return ("proxy", self.proxy_address, self.proxy_socket_connections, self.server_name,
                self.ping_schedule, self.compress, self.compression_scheme)


def skip_unavailable_default(version: Version) -> bool:
    return version.at_least("8.15.0")


def _configs(flat: dict[str, Any], version: Version) -> dict[str, RemoteConfig]:
    configs: dict[str, RemoteConfig] = {}
    for key in sorted(flat):
        parts = split_key(key)
        if parts is None or flat[key] is None:
            continue
        alias, suffix = parts
        config = configs.setdefault(alias, RemoteConfig(alias, skip_unavailable=skip_unavailable_default(version)))
        value = parse_value(key, flat[key])
        if suffix == "mode":
            config.mode = value.lower()
        elif suffix.startswith("transport."):
            setattr(config, {"transport.ping_schedule": "ping_schedule", "transport.compress": "compress",
                             "transport.compression_scheme": "compression_scheme"}[suffix], str(value))
        elif hasattr(config, suffix):
            setattr(config, suffix, value)
    return configs


def validate_scope(flat: dict[str, Any], version: Version) -> None:
    """The checks Elasticsearch makes between the remote settings of one scope, in key order."""
    configs = _configs(flat, version)
    for key in sorted(flat):
        parts = split_key(key)
        if parts is None:
            continue
        alias, suffix = parts
        if not version.at_least(PROXY_MODE_SINCE):
            # AffixSetting dependencies: every per-alias setting but seeds depends on the seeds.
            if suffix != "seeds" and not flat.get(f"{PREFIX}{alias}.seeds"):
                raise errors.illegal_argument(f"missing required setting [{PREFIX}{alias}.seeds] for setting [{key}]")
            continue
        config = configs[alias]
        required = "SNIFF" if suffix in SNIFF_ONLY else "PROXY" if suffix in PROXY_ONLY else None
        if required and config.mode.upper() != required:
            raise errors.illegal_argument(
                f'Setting "{key}" cannot be used with the configured "{PREFIX}{alias}.mode" '
                f"[required={required}, configured={config.mode.upper()}]"
            )
        if suffix in NEED_ENABLED and not config.enabled:
            raise errors.illegal_argument(f"Cannot configure setting [{key}] if remote cluster is not enabled.")


def remote_configs(persistent: dict[str, Any], transient: dict[str, Any], version: Version) -> dict[str, RemoteConfig]:
    """The enabled remotes of the merged settings (transient over persistent), by alias."""
    return {alias: c for alias, c in _configs({**persistent, **transient}, version).items() if c.enabled}
