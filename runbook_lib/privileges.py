"""The privileges each later step needs, asked of each cluster with `_security/user/_has_privileges`
(`_xpack/security/user/_has_privileges` on 6.x).

The runbooks act as the users the parameters name. With certificate-based remote clusters, the
follow requests reach the remote as the *local* user, so that user (and roles of the same name) must
exist on the remote too; the remote check here is made as the remote user of the parameters.
A cluster without security answers the call with an error; that is reported, not failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .connection import Cluster
from .dialect import security_path
from .errors import ClusterRequestError
from .parameters import MigrationParameters

# Phrases Elasticsearch answers with when security is off: 8.x, 7.x with a basic licence, and a
# distribution without the security plugin at all (no handler).
_SECURITY_OFF = ("security is not enabled", "security must be explicitly enabled", "security is disabled",
                 "no handler found")


@dataclass(frozen=True)
class Need:
    """One privilege on one cluster (on `indices`, or the cluster when empty), and the steps using it."""

    role: str
    privilege: str
    indices: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()

    @property
    def on(self) -> str:
        return ", ".join(self.indices) if self.indices else "cluster"


@dataclass
class PrivilegeReport:
    role: str
    security_enabled: bool
    username: str = ""
    missing: list[Need] = field(default_factory=list)
    detail: str = ""

    @property
    def ok(self) -> bool:
        return not self.missing


def needs(params: MigrationParameters) -> list[Need]:
    """What 01-06 will ask of each cluster, for the indices of this parameter set.

    A leader reindexed by 01_prepare_leader (no soft deletes) also needs `manage` on the new index
    `<leader>-soft-deletes`; the leader's pattern covers it only when the role grants `<leader>*`.
    """
    leaders = tuple(dict.fromkeys(p.leader for p in params.indices))
    if params.auto_follow:
        leaders += tuple(params.auto_follow.leader_index_patterns)
    followers = tuple(p.follower for p in params.indices)
    out = [
        Need("remote", "monitor", (), ("00_preflight", "02_connect_remote")),
        Need("remote", "read_ccr", (), ("03_follow",)),
        Need("remote", "monitor", leaders, ("00_preflight", "03_follow", "04_verify")),
        Need("remote", "read", leaders, ("03_follow", "04_verify")),
        Need("remote", "write", leaders, ("04_verify",)),
        Need("remote", "manage", leaders, ("01_prepare_leader", "05_cutover", "06_rollback_or_cleanup")),
        Need("remote", "manage_leader_index", leaders, ("06_rollback_or_cleanup",)),
        Need("local", "monitor", (), ("00_preflight", "03_follow")),
        Need("local", "manage", (), ("02_connect_remote", "06_rollback_or_cleanup")),
        Need("local", "manage_ccr", (), ("03_follow", "06_rollback_or_cleanup")),
    ]
    if followers:
        out += [
            Need("local", "monitor", followers, ("03_follow", "04_verify")),
            Need("local", "read", followers, ("04_verify",)),
            Need("local", "write", followers, ("05_cutover",)),
            Need("local", "manage_follow_index", followers, ("03_follow", "05_cutover")),
            Need("local", "manage", followers, ("05_cutover", "06_rollback_or_cleanup")),
        ]
    return out


def _body(role_needs: list[Need]) -> dict[str, Any]:
    cluster = sorted({n.privilege for n in role_needs if not n.indices})
    by_indices: dict[tuple[str, ...], list[str]] = {}
    for need in role_needs:
        if need.indices:
            by_indices.setdefault(need.indices, []).append(need.privilege)
    return {"cluster": cluster,
            "index": [{"names": list(names), "privileges": sorted(set(privs))} for names, privs in by_indices.items()]}


def security_off(error: ClusterRequestError) -> bool:
    return error.status in (400, 405, 500) and any(p in (error.reason or "").lower() for p in _SECURITY_OFF)


def check_privileges(cluster: Cluster, role_needs: list[Need]) -> PrivilegeReport:
    """Ask the cluster whether its user holds each needed privilege; list the missing ones."""
    try:
        answer = cluster.request("POST", security_path(cluster.version, "user/_has_privileges"),
                                 body=_body(role_needs))
    except ClusterRequestError as exc:
        if security_off(exc):
            return PrivilegeReport(cluster.role, False, detail=f"security is disabled ({exc.status}: {exc.reason})")
        raise
    body = answer.body or {}
    granted_cluster = body.get("cluster", {})
    granted_index = body.get("index", {})
    missing = []
    for need in role_needs:
        if not need.indices:
            ok = granted_cluster.get(need.privilege, False)
        else:
            ok = all(granted_index.get(name, {}).get(need.privilege, False) for name in need.indices)
        if not ok:
            missing.append(need)
    return PrivilegeReport(cluster.role, True, body.get("username", ""), missing,
                           "all requested privileges held" if body.get("has_all_requested") else "")
