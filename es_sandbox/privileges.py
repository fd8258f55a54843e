"""Elasticsearch's named cluster and index privileges: the action-name patterns each grants, and
their "least to most privileged" order (the order 403 messages list granting privileges in).

Patterns are Elasticsearch's automata (`*` wildcards over action names). Elasticsearch orders index
privileges by how many others contain them (more = lower), cluster privileges by how many others they
imply (fewer = lower), then by name; both are computed here from the patterns, testing containment
on a representative action for every pattern. A privilege may also be an action pattern itself
(`indices:data/read/*` means that prefix).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_SECURITY = "cluster:admin/xpack/security/"


@dataclass(frozen=True)
class Privilege:
    name: str
    patterns: tuple[str, ...]
    excludes: tuple[str, ...] = ()
    own_only: bool = False  # manage_own_api_key: the same actions, restricted to the caller's keys

    def grants(self, action: str) -> bool:
        return _match(self.patterns, action) and not _match(self.excludes, action)


@functools.lru_cache(maxsize=4096)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z")


def _match(patterns: tuple[str, ...], action: str) -> bool:
    return any(_regex(p).match(action) for p in patterns)


def matches(pattern: str, name: str) -> bool:
    """Elasticsearch's simple wildcard match (`*` and `?`), used for index name patterns too."""
    return _regex(pattern).match(name) is not None


_ALL_CLUSTER = ("cluster:*", "indices:admin/template/*", "indices:admin/index_template/*")
_READ_SECURITY = tuple(_SECURITY + a for a in (
    "api_key/get", "api_key/query", "privilege/builtin/get", "privilege/get", "profile/get", "profile/has_privileges",
    "profile/suggest", "role/get", "role_mapping/get", "service_account/get", "service_account/credential/get*",
    "user/get", "user/list_privileges", "user/has_privileges"))
_TRANSFORM = ("cluster:admin/data_frame/*", "cluster:monitor/data_frame/*", "cluster:monitor/transform/*",
              "cluster:admin/transform/*")
_SNAPSHOT_STATUS = ("cluster:admin/snapshot/status*", "cluster:admin/snapshot/get", "cluster:admin/snapshot/status",
                    "cluster:admin/repository/get")

CLUSTER = {p.name: p for p in [
    Privilege("none", ()),
    Privilege("all", _ALL_CLUSTER),
    Privilege("monitor", ("cluster:monitor/*", "indices:admin/template/get", "cluster:admin/component_template/get",
                          "indices:admin/index_template/get")),
    Privilege("monitor_ml", ("cluster:monitor/xpack/ml/*",)),
    Privilege("monitor_text_structure", ("cluster:monitor/text_structure/*",)),
    Privilege("monitor_data_frame_transforms", ("cluster:monitor/data_frame/*", "cluster:monitor/transform/*")),
    Privilege("monitor_transform", ("cluster:monitor/data_frame/*", "cluster:monitor/transform/*")),
    Privilege("monitor_watcher", ("cluster:monitor/xpack/watcher/*",)),
    Privilege("monitor_rollup", ("cluster:monitor/xpack/rollup/*",)),
    Privilege("monitor_enrich", ("cluster:monitor/xpack/enrich/*", "cluster:admin/xpack/enrich/get")),
    Privilege("manage", _ALL_CLUSTER, excludes=(_SECURITY + "*",)),
    Privilege("manage_ml", ("cluster:admin/xpack/ml/*", "cluster:monitor/xpack/ml/*")),
    Privilege("manage_data_frame_transforms", _TRANSFORM),
    Privilege("manage_transform", _TRANSFORM),
    Privilege("manage_token", (_SECURITY + "token/*",)),
    Privilege("manage_watcher", ("cluster:admin/xpack/watcher/*", "cluster:monitor/xpack/watcher/*")),
    Privilege("manage_index_templates", ("indices:admin/template/*", "indices:admin/index_template/*",
                                         "cluster:admin/component_template/*")),
    Privilege("manage_ingest_pipelines", ("cluster:admin/ingest/pipeline/*",)),
    Privilege("read_pipeline", ("cluster:admin/ingest/pipeline/get", "cluster:admin/ingest/pipeline/simulate")),
    Privilege("transport_client", ("cluster:monitor/nodes/liveness", "cluster:monitor/state")),
    Privilege("manage_security", (_SECURITY + "*", _SECURITY + "delegate_pki")),
    Privilege("read_security", _READ_SECURITY),
    Privilege("manage_saml", (_SECURITY + "saml/*", _SECURITY + "token/invalidate", _SECURITY + "token/refresh",
                              "cluster:monitor/xpack/security/saml/metadata")),
    Privilege("manage_oidc", (_SECURITY + "oidc/*",)),
    Privilege("manage_api_key", (_SECURITY + "api_key/*",)),
    Privilege("grant_api_key", (_SECURITY + "api_key/grant*",)),
    Privilege("manage_service_account", (_SECURITY + "service_account/*",)),
    Privilege("manage_user_profile", (_SECURITY + "profile/*",)),
    Privilege("manage_pipeline", ("cluster:admin/ingest/pipeline/*",)),
    Privilege("manage_rollup", ("cluster:admin/xpack/rollup/*", "cluster:monitor/xpack/rollup/*")),
    Privilege("manage_autoscaling", ("cluster:admin/autoscaling/*",)),
    Privilege("manage_ccr", ("cluster:admin/xpack/ccr/*", "cluster:monitor/state", _SECURITY + "user/has_privileges")),
    Privilege("read_ccr", ("cluster:monitor/state", _SECURITY + "user/has_privileges")),
    Privilege("create_snapshot", ("cluster:admin/snapshot/create", *_SNAPSHOT_STATUS)),
    Privilege("monitor_snapshot", _SNAPSHOT_STATUS),
    Privilege("manage_ilm", ("cluster:admin/ilm/*",)),
    Privilege("read_ilm", ("cluster:admin/ilm/get", "cluster:admin/ilm/operation_mode/get")),
    Privilege("manage_slm", ("cluster:admin/slm/*", "cluster:admin/ilm/start", "cluster:admin/ilm/stop",
                             "cluster:admin/ilm/operation_mode/get")),
    Privilege("read_slm", ("cluster:admin/slm/get", "cluster:admin/ilm/operation_mode/get")),
    Privilege("delegate_pki", (_SECURITY + "delegate_pki", _SECURITY + "token/invalidate")),
    Privilege("manage_own_api_key", (_SECURITY + "api_key/*",), own_only=True),
    Privilege("manage_enrich", ("cluster:admin/xpack/enrich/*",)),
    Privilege("manage_logstash_pipelines", ("cluster:admin/logstash/pipeline/*",)),
    Privilege("cancel_task", ("cluster:admin/tasks/cancel*",)),
    Privilege("manage_search_application", ("cluster:admin/xpack/application/search_application/*",)),
    Privilege("manage_behavioral_analytics", ("cluster:admin/xpack/application/analytics/*",)),
    Privilege("post_behavioral_analytics_event", ("cluster:admin/xpack/application/analytics/post_event",)),
    Privilege("cross_cluster_access", ("cluster:internal/remote_cluster/handshake", "cluster:internal/remote_cluster/nodes")),
]}

INDEX = {p.name: p for p in [
    Privilege("none", ()),
    Privilege("all", ("indices:*", "internal:transport/proxy/indices:*")),
    Privilege("manage", ("indices:monitor/*", "indices:admin/*", "indices:data/read/field_caps*",
                         "indices:data/read/xpack/rollup/get/index/caps*")),
    Privilege("create_index", ("indices:admin/create", "indices:admin/auto_create", "indices:admin/data_stream/create")),
    Privilege("monitor", ("indices:monitor/*",)),
    Privilege("read", ("indices:data/read/*",)),
    Privilege("index", ("indices:data/write/index*", "indices:data/write/bulk*", "indices:data/write/update*")),
    Privilege("delete", ("indices:data/write/delete*", "indices:data/write/bulk*")),
    Privilege("write", ("indices:data/write/*", "indices:admin/mapping/auto_put")),
    Privilege("create", ("indices:data/write/index*", "indices:data/write/bulk*")),
    Privilege("create_doc", ("indices:data/write/index", "indices:data/write/index[*",
                             "indices:data/write/index:op_type/create", "indices:data/write/bulk*")),
    Privilege("delete_index", ("indices:admin/delete", "indices:admin/data_stream/delete")),
    Privilege("view_index_metadata", (
        "indices:admin/aliases/get", "indices:admin/get", "indices:admin/mappings/fields/get*", "indices:admin/mappings/get",
        "indices:admin/shards/search_shards", "indices:admin/validate/query*", "indices:monitor/settings/get",
        "indices:admin/ilm/explain", "indices:admin/data_stream/get", "indices:admin/resolve/index",
        "indices:data/read/field_caps*", "indices:data/read/xpack/rollup/get/index/caps*",
        "indices:internal/transform/checkpoint*")),
    Privilege("read_cross_cluster", ("internal:transport/proxy/indices:data/read/*", "indices:admin/shards/search_shards")),
    Privilege("manage_follow_index", ("indices:admin/xpack/ccr/put_follow", "indices:admin/xpack/ccr/unfollow",
                                      "indices:admin/close*", "indices:admin/data_stream/promote", "indices:admin/rollover")),
    Privilege("manage_leader_index", ("indices:admin/xpack/ccr/forget_follower*",)),
    Privilege("manage_ilm", ("indices:admin/ilm/*",)),
    Privilege("maintenance", ("indices:admin/refresh*", "indices:admin/flush*", "indices:admin/synced_flush",
                              "indices:admin/forcemerge*")),
    Privilege("auto_configure", ("indices:admin/mapping/auto_put", "indices:admin/auto_create")),
]}


def _samples(patterns: tuple[str, ...]) -> set[str]:
    # A representative action per pattern; the odd suffix never matches a narrower pattern by chance.
    return {pattern.replace("*", "\u0001~").replace("?", "\u0002") for pattern in patterns}


_UNIVERSE = set().union(*(_samples(p.patterns + p.excludes) for p in [*CLUSTER.values(), *INDEX.values()]))


def _actions(p: Privilege) -> list[str]:
    """Representative actions the privilege grants (its own patterns', and any exclusion carved elsewhere)."""
    return [a for a in _UNIVERSE | _samples(p.patterns) if p.grants(a)]


def _within(inner: Privilege, outer: Privilege) -> bool:
    return all(outer.grants(a) for a in _actions(inner))


def _implies(p: Privilege, other: Privilege) -> bool:
    if p.own_only and not other.own_only and other.patterns:
        return False
    return _within(other, p)


def _ordered(privileges: dict[str, Privilege], key) -> dict[str, Privilege]:
    return {name: privileges[name] for name in sorted(privileges, key=lambda n: (key(privileges[n]), n))}


# Index: more privileges containing it = less privileged (first). Cluster: fewer implied = first.
INDEX = _ordered(INDEX, lambda p: -sum(o is not p and _within(p, o) for o in INDEX.values()))
CLUSTER = _ordered(CLUSTER, lambda p: sum(o is not p and _implies(p, o) for o in CLUSTER.values()))


def is_cluster_action(action: str) -> bool:
    return _match(_ALL_CLUSTER, action)


def resolve(name: str, kind: str) -> Privilege:
    """A named privilege, or an action pattern used as one; unknown names fail as in RoleDescriptor."""
    name = name.lower()
    if kind == "cluster":
        if is_cluster_action(name):
            return Privilege(name, (name + "*",))
        if name in CLUSTER:
            return CLUSTER[name]
        raise ValueError(
            f"unknown cluster privilege [{name}]. a privilege must be either one of the predefined cluster privilege "
            f"names [{','.join(CLUSTER)}] or a pattern over one of the available cluster actions")
    if INDEX["all"].grants(name):
        return Privilege(name, (name + "*",))
    if name in INDEX:
        return INDEX[name]
    raise ValueError(
        f"unknown index privilege [{name}]. a privilege must be either one of the predefined fixed indices privileges "
        f"[{','.join(f'{n}=[{n}]' for n in INDEX)}] or a pattern over one of the available index actions")


def granting(action: str, kind: str) -> list[str]:
    """The named privileges that grant an action, least privileged first (for 403 messages)."""
    table = CLUSTER if kind == "cluster" else INDEX
    return [name for name, p in table.items() if p.grants(action)]


def covers(held: list[Privilege], wanted: Privilege) -> bool:
    """True when the held privileges together grant every action the wanted one grants."""
    return all(any(h.grants(a) for h in held) for a in _actions(wanted))
