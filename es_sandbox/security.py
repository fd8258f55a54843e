"""Authentication, authorization and the audit log of a practice cluster.

With security off every request runs as an anonymous superuser, as on an Elasticsearch cluster with
`xpack.security.enabled: false`. With it on (`config.security`), requests authenticate with Basic
credentials or `Authorization: ApiKey base64(id:key)`; failures answer 401 security_exception with
Elasticsearch's WWW-Authenticate challenges (also in the body's `header`). Handlers authorize with
Elasticsearch action names; a denial answers 403 with Elasticsearch 8's wording, naming the
privileges that would grant the action. An API key can do what both its own role descriptors (or,
without any, its owner's roles) and its owner's roles at creation allow.

The audit log (<data>/audit.log) has one JSON line per request: event, principal, realm, the last
action authorized, status and X-Opaque-Id.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import errors, privileges
from .security_store import SecurityStore, User, sha256
from .version import Version

if TYPE_CHECKING:
    from .cluster import Cluster
    from .rest import RestRequest, RestResponse

_COMMA_SINCE = Version.parse("8.15.0")  # "Basic realm=..., charset=..." (elastic/elasticsearch#110906)
_SAME_USER_ACTIONS = {
    "cluster:admin/xpack/security/user/authenticate",
    "cluster:admin/xpack/security/user/has_privileges",
    "cluster:admin/xpack/security/user/list_privileges",
    "cluster:admin/xpack/security/user/change_password",
}


@dataclass
class Principal:
    username: str
    roles: list[str] = field(default_factory=list)
    realm: str = "__anonymous"
    realm_type: str = "__anonymous"
    authentication_type: str = "anonymous"
    api_key: dict[str, Any] | None = None
    user: User | None = None
    superuser: bool = False
    last_action: str | None = None
    denied: bool = False


def anonymous_superuser() -> Principal:
    return Principal("_anonymous", ["superuser"], superuser=True)


def _challenges(version: Version) -> list[str]:
    basic = 'Basic realm="security", charset="UTF-8"' if version >= _COMMA_SINCE else 'Basic realm="security" charset="UTF-8"'
    return [basic, "ApiKey"]


class Security:
    def __init__(self, cluster: "Cluster") -> None:
        self.cluster = cluster
        self.store = SecurityStore(cluster)
        self._audit_lock = threading.Lock()
        self._audit_path = os.path.join(cluster.config.data_dir, "audit.log")

    @property
    def enabled(self) -> bool:
        return self.cluster.config.security

    # --- authentication ------------------------------------------------------------------------

    def unauthenticated(self, reason: str, **metadata: Any) -> errors.EsError:
        challenges = _challenges(self.cluster.version)
        return errors.EsError(401, "security_exception", reason, headers={"WWW-Authenticate": challenges},
                              **metadata, header={"WWW-Authenticate": challenges})

    def authenticate(self, request: "RestRequest") -> Principal:
        if not self.enabled:
            return anonymous_superuser()
        header = request.headers.get("authorization", "")
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() == "basic" and value:
            return self._basic(request, value.strip())
        if scheme.lower() == "apikey" and value:
            return self._api_key(value.strip())
        raise self.unauthenticated(f"missing authentication credentials for REST request [{request.raw_path}]")

    def _basic(self, request: "RestRequest", value: str) -> Principal:
        try:
            username, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise self.unauthenticated("error attempting to authenticate request") from None
        user = self.store.user(username)
        if user is None or not user.enabled or user.password_sha256 != sha256(password):
            raise self.unauthenticated(f"unable to authenticate user [{username}] for REST request [{request.raw_path}]")
        return Principal(user.username, list(user.roles), user.realm_name, user.realm, "realm", user=user,
                         superuser="superuser" in user.roles)

    def _api_key(self, value: str) -> Principal:
        try:
            key_id, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            key_id, secret = "", ""
        if not key_id or not _:
            raise self.unauthenticated("error attempting to authenticate request")
        record = self.store.api_key(key_id)
        problem = None
        if record is None:
            problem = f"unable to find apikey with id {key_id}"
        elif record["invalidated"]:
            problem = f"api key [{key_id}] has been invalidated"
        elif record["secret_sha256"] != sha256(secret):
            problem = f"invalid credentials for API key [{key_id}]"
        elif record["expiration"] is not None and record["expiration"] <= time.time() * 1000:
            problem = "api key is expired"
        if problem is not None:
            raise self.unauthenticated(
                "unable to authenticate with provided credentials and anonymous access is not allowed for this request",
                additional_unsuccessful_credentials=f"API key: {problem}")
        owner = self.store.user(record["username"]) or User(record["username"], [], "native")
        return Principal(owner.username, [], "_es_api_key", "_es_api_key", "api_key", api_key=record, user=owner)

    # --- authorization -------------------------------------------------------------------------

    def layers(self, principal: Principal) -> list[list[dict[str, Any]]]:
        """Role descriptor sets that must all allow an action (one for a user, two for an API key)."""
        if principal.api_key is not None:
            limited = [d for group in principal.api_key["limited_by"] for d in group.values()]
            own = list((principal.api_key.get("role_descriptors") or {}).values())
            return [own, limited] if own else [limited]
        return [list(self.store.descriptors(principal.roles).values())]

    @staticmethod
    def _privs(names: list[str], kind: str) -> list[privileges.Privilege]:
        out = []
        for name in names:
            try:
                out.append(privileges.resolve(name, kind))
            except ValueError:
                continue  # a stored role with a privilege this version does not know grants nothing
        return out

    def cluster_allowed(self, principal: Principal, action: str, own_api_keys: bool = False) -> bool:
        if principal.superuser or action in _SAME_USER_ACTIONS:
            return True
        return all(any(p.grants(action) and (own_api_keys or not p.own_only)
                       for d in layer for p in self._privs(d.get("cluster", []), "cluster"))
                   for layer in self.layers(principal))

    def _index_allowed(self, layers: list[list[dict[str, Any]]], action: str, name: str) -> bool:
        restricted = name.startswith(".security")
        return all(any(any(privileges.matches(pattern, name) for pattern in group.get("names", []))
                       and (not restricted or group.get("allow_restricted_indices", False))
                       and any(p.grants(action) for p in self._privs(group.get("privileges", []), "index"))
                       for d in layer for group in d.get("indices", []))
                   for layer in layers)

    def _denied(self, principal: Principal, action: str, context: str, kind: str,
                own_api_keys: bool = True) -> errors.EsError:
        principal.denied = True
        if principal.api_key is not None:
            who = f"API key id [{principal.api_key['id']}] of user [{principal.username}]"
        else:
            effective = sorted(self.store.descriptors(principal.roles))
            missing = sorted(set(principal.roles) - set(effective))
            who = f"user [{principal.username}] with effective roles [{','.join(effective)}]"
            if missing:
                who += f" (assigned roles [{','.join(missing)}] were not found)"
        message = f"action [{action}] is unauthorized for {who}{context}"
        granting = [name for name in privileges.granting(action, kind)
                    if own_api_keys or not privileges.CLUSTER[name].own_only]
        if granting:
            message += f", this action is granted by the {kind} privileges [{','.join(granting)}]"
        return errors.security(403, message)

    def authorize_cluster(self, principal: Principal | None, action: str, own_api_keys: bool = False) -> None:
        """Raises 403 security_exception when the principal lacks the cluster privilege for `action`."""
        if principal is None:
            return
        principal.last_action = action
        if not self.enabled or self.cluster_allowed(principal, action, own_api_keys):
            return
        raise self._denied(principal, action, "", "cluster", own_api_keys)

    def authorize_indices(self, principal: Principal | None, action: str, names: list[str]) -> None:
        """Raises 403 security_exception when the principal lacks the index privilege for `action`."""
        if principal is None:
            return
        principal.last_action = action
        if not self.enabled or principal.superuser and not any(n.startswith(".security") for n in names):
            return
        if privileges.is_cluster_action(action):
            self.authorize_cluster(principal, action)
            return
        layers = self.layers(principal)
        denied = [n for n in names if not self._index_allowed(layers, action, n)]
        if denied:
            raise self._denied(principal, action, f" on indices [{','.join(denied)}]", "index")

    # --- has_privileges ------------------------------------------------------------------------

    def _covers(self, principal: Principal, wanted: privileges.Privilege, kind: str, index: str | None = None) -> bool:
        if principal.superuser and (kind == "cluster" or not (index or "").startswith(".security")):
            return True
        for layer in self.layers(principal):
            if kind == "cluster":
                held = [p for d in layer for p in self._privs(d.get("cluster", []), "cluster")]
            else:
                sample = (index or "").replace("*", "\u0001~")
                held = [p for d in layer for g in d.get("indices", [])
                        if any(privileges.matches(pattern, sample) for pattern in g.get("names", []))
                        for p in self._privs(g.get("privileges", []), "index")]
            if not privileges.covers(held, wanted):
                return False
        return True

    def has_privileges(self, principal: Principal, cluster: list[str], index: list[dict[str, Any]],
                       application: list[dict[str, Any]]) -> dict[str, Any]:
        try:
            cluster_result = {name: self._covers(principal, privileges.resolve(name, "cluster"), "cluster")
                              for name in cluster}
            index_result: dict[str, dict[str, bool]] = {}
            for entry in index:
                for name in entry.get("names", []):
                    for priv in entry.get("privileges", []):
                        index_result.setdefault(name, {})[priv] = self._covers(
                            principal, privileges.resolve(priv, "index"), "index", name)
        except ValueError as exc:
            raise errors.illegal_argument(str(exc)) from None
        app_result: dict[str, Any] = {}
        for entry in application:
            resources = app_result.setdefault(entry.get("application", ""), {})
            for resource in entry.get("resources", []):
                resources[resource] = {p: principal.superuser for p in entry.get("privileges", [])}
        everything = list(cluster_result.values()) + [v for r in index_result.values() for v in r.values()] + [
            v for app in app_result.values() for r in app.values() for v in r.values()]
        return {"username": principal.username, "has_all_requested": all(everything), "cluster": cluster_result,
                "index": index_result, "application": app_result}

    # --- audit ---------------------------------------------------------------------------------

    def audit(self, request: "RestRequest", response: "RestResponse") -> None:
        principal: Principal | None = request.principal
        if response.status == 401:
            action = "authentication_failed"
        elif principal is not None and principal.denied:
            action = "access_denied"
        elif principal is not None and principal.last_action:
            action = "access_granted"
        else:
            action = "authentication_success"
        event = {
            "type": "audit",
            "@timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1000) % 1000:03d}Z",
            "event.type": "transport" if action.startswith("access_") else "rest",
            "event.action": action,
            "user.name": principal.username if principal else None,
            "user.realm": principal.realm if principal else None,
            "authentication.type": principal.authentication_type if principal else None,
            "action": principal.last_action if principal else None,
            "request.method": request.method,
            "url.path": request.path,
            "http.response.status_code": response.status,
            "opaque_id": request.opaque_id,
        }
        if principal is not None and principal.api_key is not None:
            event["apikey.id"] = principal.api_key["id"]
            event["apikey.name"] = principal.api_key["name"]
        line = json.dumps(event) + "\n"
        with self._audit_lock:
            with open(self._audit_path, "a") as fh:
                fh.write(line)
