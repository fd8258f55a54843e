"""Users, roles and API keys of a practice cluster, persisted in the metadata store.

Users come from the cluster configuration (`elastic` is Elasticsearch's reserved superuser, other
configured users behave as file-realm users) and from the API (native realm). Passwords and API-key
secrets are kept as SHA-256 hashes. Role descriptors keep Elasticsearch's JSON shape.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cluster import Cluster

USER, ROLE, KEY_RECORDS = "security_user", "security_role", "security_api_key"

SUPERUSER = {
    "cluster": ["all"],
    "indices": [
        {"names": ["*"], "privileges": ["all"], "allow_restricted_indices": False},
        {"names": ["*"], "privileges": ["monitor", "read", "view_index_metadata", "read_cross_cluster"],
         "allow_restricted_indices": True},
    ],
    "applications": [{"application": "*", "privileges": ["*"], "resources": ["*"]}],
    "run_as": ["*"],
    "metadata": {"_reserved": True},
    "transient_metadata": {},
}
RESERVED_ROLES = {"superuser": SUPERUSER}


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def random_id(n_bytes: int) -> str:
    return base64.urlsafe_b64encode(os.urandom(n_bytes)).decode().rstrip("=")


@dataclass
class User:
    username: str
    roles: list[str]
    realm: str  # reserved, file or native
    password_sha256: str | None = None
    full_name: str | None = None
    email: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True

    @property
    def realm_name(self) -> str:
        return {"reserved": "reserved", "file": "default_file", "native": "default_native"}[self.realm]

    def as_json(self) -> dict[str, Any]:
        return {"username": self.username, "roles": self.roles, "full_name": self.full_name, "email": self.email,
                "metadata": self.metadata, "enabled": self.enabled}


class SecurityStore:
    def __init__(self, cluster: "Cluster") -> None:
        self.cluster = cluster

    # --- users ---------------------------------------------------------------------------------

    def configured_users(self) -> dict[str, User]:
        out = {}
        for u in self.cluster.config.users:
            reserved = u.username == "elastic"
            out[u.username] = User(u.username, list(u.roles), "reserved" if reserved else "file", u.password_sha256,
                                   metadata={"_reserved": True} if reserved else {})
        return out

    def user(self, username: str) -> User | None:
        configured = self.configured_users().get(username)
        if configured is not None:
            stored = self.cluster.store.get(USER, username)
            if stored and stored.get("password_sha256"):  # the reserved user's password was changed
                configured.password_sha256 = stored["password_sha256"]
            return configured
        stored = self.cluster.store.get(USER, username)
        return User(realm="native", **stored) if stored else None

    def users(self) -> dict[str, User]:
        out = dict(self.configured_users())
        for name, record in self.cluster.store.all(USER).items():
            if name not in out:
                out[name] = User(realm="native", **record)
        return out

    def put_user(self, user: User) -> None:
        record = {k: v for k, v in vars(user).items() if k != "realm"}
        self.cluster.store.put(USER, user.username, record)

    def delete_user(self, username: str) -> bool:
        return self.cluster.store.delete(USER, username)

    # --- roles ---------------------------------------------------------------------------------

    def role(self, name: str) -> dict[str, Any] | None:
        return RESERVED_ROLES.get(name) or self.cluster.store.get(ROLE, name)

    def roles(self) -> dict[str, dict[str, Any]]:
        return {**RESERVED_ROLES, **self.cluster.store.all(ROLE)}

    def put_role(self, name: str, descriptor: dict[str, Any]) -> bool:
        created = self.cluster.store.get(ROLE, name) is None
        self.cluster.store.put(ROLE, name, descriptor)
        return created

    def delete_role(self, name: str) -> bool:
        return self.cluster.store.delete(ROLE, name)

    def descriptors(self, role_names: list[str]) -> dict[str, dict[str, Any]]:
        """The descriptors of the roles that exist, by name (missing roles are simply not effective)."""
        return {name: d for name in role_names if (d := self.role(name)) is not None}

    # --- API keys ------------------------------------------------------------------------------

    def create_api_key(self, owner: User, name: str, expiration_ms: int | None, role_descriptors: dict[str, Any],
                       metadata: dict[str, Any]) -> tuple[dict[str, Any], str]:
        key_id, secret = random_id(15), random_id(16)
        now = int(time.time() * 1000)
        record = {
            "id": key_id, "name": name, "type": "rest", "creation": now,
            "expiration": now + expiration_ms if expiration_ms is not None else None,
            "invalidated": False, "invalidation": None, "username": owner.username, "realm": owner.realm_name,
            "realm_type": owner.realm, "metadata": metadata, "role_descriptors": role_descriptors,
            "limited_by": [self.descriptors(owner.roles)], "secret_sha256": sha256(secret),
        }
        self.cluster.store.put(KEY_RECORDS, key_id, record)
        return record, secret

    def api_key(self, key_id: str) -> dict[str, Any] | None:
        return self.cluster.store.get(KEY_RECORDS, key_id)

    def api_keys(self) -> list[dict[str, Any]]:
        return sorted(self.cluster.store.all(KEY_RECORDS).values(), key=lambda k: k["creation"])

    def invalidate(self, record: dict[str, Any]) -> None:
        record.update({"invalidated": True, "invalidation": int(time.time() * 1000)})
        self.cluster.store.put(KEY_RECORDS, record["id"], record)
