"""Security APIs: `_security/_authenticate`, users, roles, API keys and `_has_privileges`.

With security disabled an 8.x cluster registers none of them (Elasticsearch answers 400 "no handler
found", as Kibana reports for 8.18 with `xpack.security.enabled: false`); a 6.x/7.x cluster answers
as SecurityBaseRestHandler does: 500 "Security must be explicitly enabled when using a [<licence>]
license...", or on 6.7 with a basic licence (security joined basic in 6.8) 403 "current license is
non-compliant for [security]". Before 8.0 every path except the API keys' (new in 6.7) also answers
as `/_xpack/security/...` (deprecated on 7.x; see xpack_paths).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from .. import errors, privileges, xpack_paths
from ..rest import RestRequest, RestResponse
from ..security import Principal
from ..security_store import RESERVED_ROLES, User, sha256
from ..units import parse_time_millis

if TYPE_CHECKING:
    from ..cluster import Cluster

_USER_ACTION = "cluster:admin/xpack/security/user/"
_ROLE_ACTION = "cluster:admin/xpack/security/role/"
_KEY_ACTION = "cluster:admin/xpack/security/api_key/"
_RESERVED_USERS = {"elastic", "kibana", "kibana_system", "logstash_system", "beats_system", "apm_system",
                   "remote_monitoring_user"}


def _authenticate_json(principal: Principal) -> dict[str, Any]:
    user = principal.user
    if principal.api_key is not None:
        out = {"username": principal.username, "roles": [], "full_name": user.full_name if user else None,
               "email": user.email if user else None, "metadata": {}, "enabled": True,
               "authentication_realm": {"name": "_es_api_key", "type": "_es_api_key"},
               "lookup_realm": {"name": "_es_api_key", "type": "_es_api_key"}, "authentication_type": "api_key",
               "api_key": {"id": principal.api_key["id"], "name": principal.api_key["name"]}}
        return out
    realm = {"name": principal.realm, "type": principal.realm_type}
    return {**user.as_json(), "authentication_realm": realm, "lookup_realm": realm, "authentication_type": "realm"}


def _role_descriptor(name: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise errors.parsing(f"failed to parse role [{name}]. expected an object but found [{type(body).__name__}] instead")
    problems = []
    cluster = body.get("cluster", [])
    for priv in cluster:
        try:
            privileges.resolve(priv, "cluster")
        except ValueError as exc:
            problems.append(str(exc))
    indices = []
    for group in body.get("indices", []):
        if not group.get("names"):
            problems.append("indices privileges must refer to at least one index name")
        if not group.get("privileges"):
            problems.append("indices privileges must define at least one privilege")
        for priv in group.get("privileges", []):
            try:
                privileges.resolve(priv, "index")
            except ValueError as exc:
                problems.append(str(exc))
        names = group.get("names", [])
        entry = {"names": [names] if isinstance(names, str) else names, "privileges": group.get("privileges", [])}
        for optional in ("field_security", "query"):
            if optional in group:
                entry[optional] = group[optional]
        entry["allow_restricted_indices"] = bool(group.get("allow_restricted_indices", False))
        indices.append(entry)
    if problems:
        raise errors.action_request_validation(*problems)
    return {"cluster": cluster, "indices": indices, "applications": body.get("applications", []),
            "run_as": body.get("run_as", []), "metadata": body.get("metadata", {}),
            "transient_metadata": {"enabled": True}}


def _key_json(record: dict[str, Any], with_limited_by: bool) -> dict[str, Any]:
    out = {k: record[k] for k in ("id", "name", "type", "creation")}
    if record["expiration"] is not None:
        out["expiration"] = record["expiration"]
    out["invalidated"] = record["invalidated"]
    if record["invalidation"] is not None:
        out["invalidation"] = record["invalidation"]
    out.update({k: record[k] for k in ("username", "realm", "realm_type", "metadata", "role_descriptors")})
    if with_limited_by:
        out["limited_by"] = record["limited_by"]
    return out


def register(cluster: "Cluster") -> None:
    if not cluster.config.security and not cluster.version.security_needs_explicit_enabling:
        return
    security = cluster.security
    store = security.store

    def route(methods, path, params=None, xpack_alias=True):
        def register_handler(handler):
            xpack_paths.add(cluster, methods, path, handler, params, xpack_alias)
            return handler

        return register_handler

    def enabled() -> None:
        if cluster.config.security:
            return
        if cluster.license_type == "basic" and not cluster.version.security_on_basic:
            raise errors.EsError(403, "security_exception", "current license is non-compliant for [security]",
                                 license__expired__feature="security")
        raise errors.EsError(
            500, "exception",
            f"Security must be explicitly enabled when using a [{cluster.license_type}] license. Enable security "
            "by setting [xpack.security.enabled] to [true] in the elasticsearch.yml file and restart the node.")

    @route("GET", "/_security/_authenticate", params=())
    def authenticate(request: RestRequest):
        enabled()
        security.authorize_cluster(request.principal, _USER_ACTION + "authenticate")
        return _authenticate_json(request.principal)

    @route(("PUT", "POST"), "/_security/user/{username}", params=("refresh",))
    def put_user(request: RestRequest):
        enabled()
        username = request.path_params["username"]
        security.authorize_cluster(request.principal, _USER_ACTION + "put")
        body = request.json(required=True) or {}
        if username in _RESERVED_USERS:
            raise errors.illegal_argument(f"user [{username}] is reserved and only the password can be changed")
        existing = store.user(username)
        password = body.get("password")
        if password is not None and len(password) < 6:
            raise errors.action_request_validation("passwords must be at least [6] characters long")
        if existing is None and password is None:
            raise errors.action_request_validation("password must be specified unless you are updating an existing user")
        user = User(username, list(body.get("roles", [])), "native",
                    sha256(password) if password is not None else existing.password_sha256,
                    body.get("full_name"), body.get("email"), body.get("metadata", {}), bool(body.get("enabled", True)))
        store.put_user(user)
        return {"created": existing is None}

    @route(("PUT", "POST"), "/_security/user/{username}/_password", params=("refresh",))
    def change_password(request: RestRequest):
        enabled()
        username = request.path_params["username"]
        own = username == request.principal.username and request.principal.api_key is None
        security.authorize_cluster(request.principal, _USER_ACTION + ("change_password" if own else "put"))
        password = (request.json(required=True) or {}).get("password")
        if password is None:
            raise errors.action_request_validation("password must be specified")
        if len(password) < 6:
            raise errors.action_request_validation("passwords must be at least [6] characters long")
        user = store.user(username)
        if user is None:
            raise errors.EsError(400, "validation_exception", "Validation Failed: 1: user must exist in order to change password;")
        user.password_sha256 = sha256(password)
        store.put_user(user)
        return {}

    @route("GET", "/_security/user", params=("with_profile_uid",))
    @route("GET", "/_security/user/{username}", params=("with_profile_uid",))
    def get_users(request: RestRequest):
        enabled()
        security.authorize_cluster(request.principal, _USER_ACTION + "get")
        users = store.users()
        names = request.path_params.get("username")
        if names is None:
            return {name: u.as_json() for name, u in users.items()}
        found = {n: users[n].as_json() for n in names.split(",") if n in users}
        return found if found else RestResponse(404, {})

    @route("DELETE", "/_security/user/{username}", params=("refresh",))
    def delete_user(request: RestRequest):
        enabled()
        username = request.path_params["username"]
        security.authorize_cluster(request.principal, _USER_ACTION + "delete")
        if username in _RESERVED_USERS or username in store.configured_users():
            raise errors.illegal_argument(f"user [{username}] is reserved and cannot be deleted")
        found = store.delete_user(username)
        return RestResponse(200 if found else 404, {"found": found})

    @route(("PUT", "POST"), "/_security/role/{name}", params=("refresh",))
    def put_role(request: RestRequest):
        enabled()
        name = request.path_params["name"]
        security.authorize_cluster(request.principal, _ROLE_ACTION + "put")
        descriptor = _role_descriptor(name, request.json(required=True))
        if name in RESERVED_ROLES:
            raise errors.illegal_argument(f"role [{name}] is reserved and cannot be modified.")
        return {"role": {"created": store.put_role(name, descriptor)}}

    @route("GET", "/_security/role", params=())
    @route("GET", "/_security/role/{name}", params=())
    def get_roles(request: RestRequest):
        enabled()
        security.authorize_cluster(request.principal, _ROLE_ACTION + "get")
        roles = store.roles()
        names = request.path_params.get("name")
        if names is None:
            return roles
        found = {n: roles[n] for n in names.split(",") if n in roles}
        return found if found else RestResponse(404, {})

    @route("DELETE", "/_security/role/{name}", params=("refresh",))
    def delete_role(request: RestRequest):
        enabled()
        name = request.path_params["name"]
        security.authorize_cluster(request.principal, _ROLE_ACTION + "delete")
        if name in RESERVED_ROLES:
            raise errors.illegal_argument(f"role [{name}] is reserved and cannot be deleted")
        found = store.delete_role(name)
        return RestResponse(200 if found else 404, {"found": found})

    @route(("POST", "PUT"), "/_security/api_key", params=("refresh",), xpack_alias=False)
    def create_api_key(request: RestRequest):
        enabled()
        security.authorize_cluster(request.principal, _KEY_ACTION + "create", own_api_keys=True)
        body = request.json(required=True) or {}
        if not body.get("name"):
            raise errors.action_request_validation("api key name is required")
        expiration = body.get("expiration")
        expiration_ms = parse_time_millis(expiration, "expiration") if expiration is not None else None
        descriptors = {n: _role_descriptor(n, d) for n, d in (body.get("role_descriptors") or {}).items()}
        owner = request.principal.user
        record, secret = store.create_api_key(owner, body["name"], expiration_ms, descriptors, body.get("metadata", {}))
        out = {"id": record["id"], "name": record["name"]}
        if record["expiration"] is not None:
            out["expiration"] = record["expiration"]
        out["api_key"] = secret
        out["encoded"] = base64.b64encode(f"{record['id']}:{secret}".encode()).decode()
        return out

    def _own_only(request: RestRequest, action: str, owner_flag: bool) -> bool:
        """Whether the caller may only see/act on its own keys (manage_own_api_key), or fails with 403."""
        if security.cluster_allowed(request.principal, action):
            security.authorize_cluster(request.principal, action)  # records the action for the audit log
            return owner_flag
        security.authorize_cluster(request.principal, action, own_api_keys=owner_flag)
        return True

    def _matching(request: RestRequest, spec: dict[str, Any], own: bool) -> list[dict[str, Any]]:
        ids = set(spec.get("ids") or ([spec["id"]] if spec.get("id") else []))
        out = []
        for record in store.api_keys():
            if own and record["username"] != request.principal.username:
                continue
            if (ids and record["id"] not in ids) or (spec.get("name") and record["name"] != spec["name"]):
                continue
            if (spec.get("username") and record["username"] != spec["username"]) or (
                    spec.get("realm_name") and record["realm"] != spec["realm_name"]):
                continue
            out.append(record)
        return out

    @route("GET", "/_security/api_key", params=("id", "name", "username", "realm_name", "owner", "with_limited_by",
                                                  "active_only", "with_profile_uid"), xpack_alias=False)
    def get_api_keys(request: RestRequest):
        enabled()
        own = _own_only(request, _KEY_ACTION + "get", request.bool_param("owner"))
        spec = {k: request.param(k) for k in ("id", "name", "username", "realm_name")}
        keys = _matching(request, spec, own)
        if request.bool_param("active_only"):
            keys = [k for k in keys if not k["invalidated"]]
        with_limited_by = request.bool_param("with_limited_by")
        return {"api_keys": [_key_json(k, with_limited_by) for k in keys]}

    @route("DELETE", "/_security/api_key", params=(), xpack_alias=False)
    def invalidate_api_keys(request: RestRequest):
        enabled()
        body = request.json(required=True) or {}
        if not body.get("owner") and not any(body.get(k) for k in ("ids", "id", "name", "username", "realm_name")):
            raise errors.action_request_validation(
                "One of [api key id(s), api key name, username, realm name] must be specified if [owner] flag is false")
        own = _own_only(request, _KEY_ACTION + "invalidate", bool(body.get("owner")))
        invalidated, previously = [], []
        for record in _matching(request, body, own):
            (previously if record["invalidated"] else invalidated).append(record["id"])
            if not record["invalidated"]:
                store.invalidate(record)
        return {"invalidated_api_keys": invalidated, "previously_invalidated_api_keys": previously, "error_count": 0}

    @route(("GET", "POST"), "/_security/user/_has_privileges", params=())
    @route(("GET", "POST"), "/_security/user/{username}/_has_privileges", params=())
    def has_privileges(request: RestRequest):
        enabled()
        principal = request.principal
        security.authorize_cluster(principal, _USER_ACTION + "has_privileges")
        username = request.path_params.get("username")
        if username is not None and username != principal.username:
            raise errors.illegal_argument("users may only check the privileges of their own account")
        body = request.json(required=True) or {}
        if not any(body.get(k) for k in ("cluster", "index", "application")):
            raise errors.action_request_validation("must specify at least one privilege")
        return security.has_privileges(principal, body.get("cluster", []), body.get("index", []),
                                       body.get("application", []))
