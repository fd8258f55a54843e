"""Elasticsearch's naming rules, checked locally so that a bad name fails before any request.

Each `*_problem` function returns None for a good value, or a phrase saying what is wrong with it;
the caller turns that into a ParameterError naming the field.
"""

from __future__ import annotations

import ipaddress
import re

# MetadataCreateIndexService.validateIndexOrAliasName: Strings.INVALID_FILENAME_CHARS plus '#';
# ':' is refused since 7.0 (it separates a remote alias from an index: `remote:myindex`).
_INDEX_FORBIDDEN = set('\\/*?"<>| ,#:')
_INDEX_MAX_BYTES = 255

INDEX_NAME_RULES = (
    "a lowercase index name of at most 255 bytes, without \\ / * ? \" < > | , # : or space, "
    "not starting with - _ +, and not . or .."
)

# cluster.remote.<alias>.seeds is an affix setting whose namespace must match [-\w]+.
_REMOTE_ALIAS = re.compile(r"[-A-Za-z0-9_]+")
REMOTE_ALIAS_RULES = "a remote cluster alias made of letters, digits, '-' and '_' (for example `remote`)"

_ENV_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ENV_VAR_RULES = "the name of an environment variable (letters, digits and '_', not starting with a digit)"

_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
RUN_ID_RULES = "letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit)"

# Cluster UUIDs are 22-character URL-safe base64 strings; "_na_" is what a cluster reports before it
# has formed, which is never a pin worth keeping.
_CLUSTER_UUID = re.compile(r"[A-Za-z0-9_-]{8,64}")
CLUSTER_UUID_RULES = (
    "a cluster UUID as `GET /` reports it in `cluster_uuid` (for example `kAmJ3wK8QTyRZ2cJ5QJqAg`)"
)

SEED_RULES = "a transport address `host:port` (IPv6 in brackets: `[::1]:9300`), port 1-65535"
HTTP_DEFAULT_PORT = 9200


def index_name_problem(name: str) -> str | None:
    if not name:
        return "it is empty"
    if name in (".", ".."):
        return f"{name!r} is reserved"
    if name != name.lower():
        return "it must be lowercase"
    if name[0] in "-_+":
        return f"it must not start with {name[0]!r}"
    bad = sorted({c for c in name if c in _INDEX_FORBIDDEN})
    if bad:
        shown = ", ".join("space" if c == " " else repr(c) for c in bad)
        return f"it contains {shown}"
    if len(name.encode("utf-8")) > _INDEX_MAX_BYTES:
        return f"it is longer than {_INDEX_MAX_BYTES} bytes"
    return None


def index_pattern_problem(pattern: str) -> str | None:
    """A leader index pattern: an index name in which '*' is allowed (auto-follow patterns)."""
    if not pattern:
        return "it is empty"
    # A leading '-' excludes in multi-target syntax; CCR has leader_index_exclusion_patterns for that.
    return index_name_problem(pattern.replace("*", "x"))


def remote_alias_problem(alias: str) -> str | None:
    if not alias:
        return "it is empty"
    if not _REMOTE_ALIAS.fullmatch(alias):
        return "it contains characters other than letters, digits, '-' and '_'"
    return None


def auto_follow_name_problem(name: str) -> str | None:
    # PutAutoFollowPatternAction.Request.validate.
    if not name:
        return "it is empty"
    if name.startswith("_"):
        return "it must not start with '_'"
    for char, label in (("#", "'#'"), (",", "','"), (" ", "a space")):
        if char in name:
            return f"it must not contain {label}"
    if name != name.lower():
        return "it must be lowercase"
    return None


def env_var_problem(name: str) -> str | None:
    if not _ENV_VAR.fullmatch(name):
        return "it is not a valid environment variable name"
    return None


def run_id_problem(run_id: str) -> str | None:
    if not _RUN_ID.fullmatch(run_id):
        return "it is not a usable run id"
    return None


def cluster_uuid_problem(uuid: str) -> str | None:
    if uuid == "_na_":
        return "`_na_` is what a cluster reports before it has formed, not a cluster's UUID"
    if not _CLUSTER_UUID.fullmatch(uuid):
        return "it does not look like a cluster UUID"
    return None


def parse_seed(seed: str) -> tuple[str, int]:
    """Split `host:port` (or `[v6]:port`); raise ValueError saying what is wrong."""
    seed = seed.strip()
    if "://" in seed or "/" in seed:
        raise ValueError("it must be `host:port`, not a URL")
    if seed.startswith("["):
        host, sep, rest = seed[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise ValueError("an IPv6 address must be written `[address]:port`")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{host!r} is not an IPv6 address") from None
        port_text = rest[1:]
    else:
        host, sep, port_text = seed.rpartition(":")
        if not sep or not host:
            raise ValueError("it has no port; seeds are transport addresses such as `10.0.0.1:9300`")
        if ":" in host:
            raise ValueError("an IPv6 address must be written `[address]:port`")
        if " " in host:
            raise ValueError("it contains a space")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"port {port_text!r} is not a number from 1 to 65535")
    return host, int(port_text)
