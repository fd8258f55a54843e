"""Index management: create, get, exists, delete, settings, mappings, open/close, refresh, flush,
force merge, write blocks and aliases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors, index_settings
from ..rest import RestRequest, RestResponse

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..index import Index

_RESOLVE_PARAMS = ("expand_wildcards", "ignore_unavailable", "allow_no_indices")
_MASTER_PARAMS = ("master_timeout", "timeout")


def resolve(cluster: "Cluster", request: RestRequest, default_expand: str = "open", allow_no_indices: bool = True) -> list["Index"]:
    return cluster.resolve(
        request.path_params.get("index"),
        expand_wildcards=request.param("expand_wildcards", default_expand) or default_expand,
        ignore_unavailable=request.bool_param("ignore_unavailable"),
        allow_no_indices=request.bool_param("allow_no_indices", allow_no_indices),
    )


def shards_header(indices: list["Index"], only_open: bool = True) -> dict[str, int]:
    chosen = [i for i in indices if i.is_open or not only_open]
    primaries = sum(i.number_of_shards for i in chosen)
    total = sum(i.number_of_shards * (1 + i.number_of_replicas) for i in chosen)
    return {"total": total, "successful": primaries, "failed": 0}


def settings_view(index: "Index", flat: bool, include_defaults: bool, name_filter: str | None = None) -> dict[str, Any]:
    import fnmatch

    own = dict(index.settings)
    if name_filter:
        patterns = name_filter.split(",")
        own = {k: v for k, v in own.items() if any(fnmatch.fnmatchcase(k, p) or fnmatch.fnmatchcase(k.removeprefix("index."), p) for p in patterns)}
    out: dict[str, Any] = {"settings": own if flat else index_settings.nest(own)}
    if include_defaults:
        defaults = {k: v for k, v in index_settings.defaults().items() if k not in index.settings}
        out["defaults"] = defaults if flat else index_settings.nest(defaults)
    return out


def register(cluster: "Cluster") -> None:
    route = cluster.router.route
    auth = cluster.security

    @route("PUT", "/{index}", params=("wait_for_active_shards", *_MASTER_PARAMS))
    def create(request: RestRequest):
        name = request.path_params["index"]
        auth.authorize_indices(request.principal, "indices:admin/create", [name])
        body = request.json() or {}
        unknown = [k for k in body if k not in ("settings", "mappings", "aliases")]
        if unknown:
            raise errors.parsing(f"unknown key [{unknown[0]}] for create index", line=1, col=2)
        cluster.create_index(name, body.get("settings"), body.get("mappings"), body.get("aliases"))
        return {"acknowledged": True, "shards_acknowledged": True, "index": name}

    @route("GET", "/{index}", params=(*_RESOLVE_PARAMS, "flat_settings", "include_defaults", "local", "features", "master_timeout"))
    def get(request: RestRequest):
        indices = resolve(cluster, request, "open,closed")
        if request.method == "HEAD":
            return RestResponse(200 if indices else 404, None)
        auth.authorize_indices(request.principal, "indices:admin/get", [i.name for i in indices])
        flat = request.bool_param("flat_settings")
        defaults = request.bool_param("include_defaults")
        return {
            i.name: {
                "aliases": i.aliases,
                "mappings": i.mappings.to_body(),
                **settings_view(i, flat, defaults),
            }
            for i in indices
        }

    @route("HEAD", "/{index}", params=(*_RESOLVE_PARAMS, "flat_settings", "include_defaults", "local"))
    def exists(request: RestRequest):
        try:
            indices = resolve(cluster, request, "open,closed")
        except errors.EsError:
            return RestResponse(404, None)
        return RestResponse(200 if indices else 404, None)

    @route("DELETE", "/{index}", params=(*_RESOLVE_PARAMS, *_MASTER_PARAMS))
    def delete(request: RestRequest):
        expression = request.path_params["index"]
        if cluster.cluster_setting("action.destructive_requires_name", "true") == "true":
            if any("*" in part or part == "_all" for part in expression.split(",")):
                raise errors.illegal_argument("Wildcard expressions or all indices are not allowed")
        for part in expression.split(","):
            if part not in cluster.indices and part in cluster.alias_names():
                raise errors.illegal_argument(
                    f"The provided expression [{part}] matches an alias, specify the corresponding concrete indices instead."
                )
        indices = resolve(cluster, request, "open,closed")
        auth.authorize_indices(request.principal, "indices:admin/delete", [i.name for i in indices])
        for index in indices:
            cluster.delete_index(index)
        return {"acknowledged": True}

    # --- settings ---------------------------------------------------------------------------

    @route("GET", "/{index}/_settings", params=(*_RESOLVE_PARAMS, "flat_settings", "include_defaults", "local", "master_timeout"))
    @route("GET", "/{index}/_settings/{name}", params=(*_RESOLVE_PARAMS, "flat_settings", "include_defaults", "local", "master_timeout"))
    @route("GET", "/_settings", params=(*_RESOLVE_PARAMS, "flat_settings", "include_defaults", "local", "master_timeout"))
    def get_settings(request: RestRequest):
        indices = resolve(cluster, request, "open,closed")
        auth.authorize_indices(request.principal, "indices:monitor/settings/get", [i.name for i in indices])
        flat = request.bool_param("flat_settings")
        defaults = request.bool_param("include_defaults")
        name = request.path_params.get("name")
        return {i.name: settings_view(i, flat, defaults, name) for i in indices}

    @route("PUT", "/{index}/_settings", params=(*_RESOLVE_PARAMS, *_MASTER_PARAMS, "preserve_existing", "flat_settings", "reopen"))
    @route("PUT", "/_settings", params=(*_RESOLVE_PARAMS, *_MASTER_PARAMS, "preserve_existing", "flat_settings", "reopen"))
    def put_settings(request: RestRequest):
        body = request.json(required=True)
        if not isinstance(body, dict) or not body:
            raise errors.action_request_validation("no settings to update")
        given = body.get("settings", body) if set(body) == {"settings"} else body
        indices = resolve(cluster, request, "open,closed")
        auth.authorize_indices(request.principal, "indices:admin/settings/update", [i.name for i in indices])
        preserve = request.bool_param("preserve_existing")
        flat = index_settings.flatten(given)
        for index in indices:
            index_settings.validate_update(flat, cluster.config.flavour, index.name, index.uuid, index.is_open)
        for index in indices:
            update_settings(cluster, index, flat, preserve)
        return {"acknowledged": True}

    # --- mappings ---------------------------------------------------------------------------

    @route("GET", "/{index}/_mapping", params=(*_RESOLVE_PARAMS, "local", "master_timeout"))
    @route("GET", "/_mapping", params=(*_RESOLVE_PARAMS, "local", "master_timeout"))
    def get_mapping(request: RestRequest):
        indices = resolve(cluster, request, "open")
        auth.authorize_indices(request.principal, "indices:admin/mappings/get", [i.name for i in indices])
        return {i.name: {"mappings": i.mappings.to_body()} for i in indices}

    @route(("PUT", "POST"), "/{index}/_mapping", params=(*_RESOLVE_PARAMS, *_MASTER_PARAMS, "write_index_only"))
    def put_mapping(request: RestRequest):
        body = request.json(required=True)
        indices = resolve(cluster, request, "open")
        auth.authorize_indices(request.principal, "indices:admin/mapping/put", [i.name for i in indices])
        refuse_on_followers(indices, "can't put mapping to the following indices [{}]; "
                            "the mapping of the following indices are self-replicated from its leader indices")
        for index in indices:
            if index.mappings.merge(body):
                index.persist()
        return {"acknowledged": True}

    # --- open / close -----------------------------------------------------------------------

    @route("POST", "/{index}/_close", params=(*_RESOLVE_PARAMS, *_MASTER_PARAMS, "wait_for_active_shards"))
    def close(request: RestRequest):
        expression = request.path_params["index"]
        if cluster.cluster_setting("action.destructive_requires_name", "true") == "true" and any(
            "*" in p or p == "_all" for p in expression.split(",")
        ):
            raise errors.illegal_argument("Wildcard expressions or all indices are not allowed")
        indices = resolve(cluster, request, "open")
        auth.authorize_indices(request.principal, "indices:admin/close", [i.name for i in indices])
        for index in indices:
            index.state = "close"
            index.persist()
            cluster.notify("index_closed", index)
        return {"acknowledged": True, "shards_acknowledged": True, "indices": {i.name: {"closed": True} for i in indices}}

    @route("POST", "/{index}/_open", params=(*_RESOLVE_PARAMS, *_MASTER_PARAMS, "wait_for_active_shards"))
    def open_(request: RestRequest):
        indices = resolve(cluster, request, "closed")
        auth.authorize_indices(request.principal, "indices:admin/open", [i.name for i in indices])
        for index in indices:
            if not index.is_open:
                index.state = "open"
                index.refresh()
                index.persist()
                cluster.notify("index_opened", index)
        return {"acknowledged": True, "shards_acknowledged": True}

    # --- refresh, flush, merge --------------------------------------------------------------

    @route(("POST", "GET"), "/{index}/_refresh", params=_RESOLVE_PARAMS)
    @route(("POST", "GET"), "/_refresh", params=_RESOLVE_PARAMS)
    def refresh(request: RestRequest):
        indices = resolve(cluster, request)
        for index in indices:
            index.check_open()
            index.refresh()
        return {"_shards": shards_header(indices)}

    @route(("POST", "GET"), "/{index}/_flush", params=(*_RESOLVE_PARAMS, "force", "wait_if_ongoing"))
    @route(("POST", "GET"), "/_flush", params=(*_RESOLVE_PARAMS, "force", "wait_if_ongoing"))
    def flush(request: RestRequest):
        indices = resolve(cluster, request)
        for index in indices:
            index.check_open()
        return {"_shards": shards_header(indices)}

    @route("POST", "/{index}/_forcemerge", params=(*_RESOLVE_PARAMS, "max_num_segments", "only_expunge_deletes", "flush", "wait_for_completion"))
    @route("POST", "/_forcemerge", params=(*_RESOLVE_PARAMS, "max_num_segments", "only_expunge_deletes", "flush", "wait_for_completion"))
    def forcemerge(request: RestRequest):
        indices = resolve(cluster, request)
        for index in indices:
            index.check_open()
            index.merge()
        return {"_shards": shards_header(indices)}

    # --- blocks -----------------------------------------------------------------------------

    @route("PUT", "/{index}/_block/{block}", params=(*_RESOLVE_PARAMS, *_MASTER_PARAMS))
    def add_block(request: RestRequest):
        block = request.path_params["block"]
        if block not in ("write", "read", "read_only", "metadata"):
            raise errors.illegal_argument(f"No block found with name [{block}]")
        indices = resolve(cluster, request, "open")
        auth.authorize_indices(request.principal, "indices:admin/block/add", [i.name for i in indices])
        for index in indices:
            update_settings(cluster, index, {f"index.blocks.{block}": "true"}, False)
        return {
            "acknowledged": True,
            "shards_acknowledged": True,
            "indices": [{"name": i.name, "blocked": True} for i in indices],
        }

    # --- aliases ----------------------------------------------------------------------------

    @route("POST", "/_aliases", params=_MASTER_PARAMS)
    def aliases(request: RestRequest):
        body = request.json(required=True) or {}
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            raise errors.action_request_validation("no actions specified")
        planned = [_plan_alias_action(cluster, action) for action in actions]
        refuse_on_followers([index for _, index, _, _ in planned], _ALIASES_ON_FOLLOWERS)
        for kind, index, alias, spec in planned:
            auth.authorize_indices(request.principal, "indices:admin/aliases", [index.name])
        for kind, index, alias, spec in planned:
            if kind == "add":
                index.aliases[alias] = spec
            elif kind == "remove":
                index.aliases.pop(alias, None)
            else:
                cluster.delete_index(index)
                continue
            index.aliases_version += 1
            index.persist()
        return {"acknowledged": True, "errors": False}

    @route(("PUT", "POST"), "/{index}/_alias/{name}", params=_MASTER_PARAMS)
    @route(("PUT", "POST"), "/{index}/_aliases/{name}", params=_MASTER_PARAMS)
    def put_alias(request: RestRequest):
        spec = _alias_spec(request.json() or {})
        targets = resolve(cluster, request, "open,closed")
        refuse_on_followers(targets, _ALIASES_ON_FOLLOWERS)
        for index in targets:
            index.aliases[request.path_params["name"]] = spec
            index.aliases_version += 1
            index.persist()
        return {"acknowledged": True}

    @route("DELETE", "/{index}/_alias/{name}", params=_MASTER_PARAMS)
    @route("DELETE", "/{index}/_aliases/{name}", params=_MASTER_PARAMS)
    def delete_alias(request: RestRequest):
        name = request.path_params["name"]
        removed = False
        targets = resolve(cluster, request, "open,closed")
        refuse_on_followers(targets, _ALIASES_ON_FOLLOWERS)
        for index in targets:
            if name in index.aliases:
                del index.aliases[name]
                index.aliases_version += 1
                index.persist()
                removed = True
        if not removed:
            raise errors.EsError(404, "aliases_not_found_exception", f"aliases [{name}] missing", resource__type="aliases", resource__id=name)
        return {"acknowledged": True}

    @route(("GET", "HEAD"), "/_alias", params=(*_RESOLVE_PARAMS, "local"))
    @route(("GET", "HEAD"), "/_alias/{name}", params=(*_RESOLVE_PARAMS, "local"))
    @route(("GET", "HEAD"), "/{index}/_alias", params=(*_RESOLVE_PARAMS, "local"))
    @route(("GET", "HEAD"), "/{index}/_alias/{name}", params=(*_RESOLVE_PARAMS, "local"))
    def get_alias(request: RestRequest):
        import fnmatch

        names = request.path_params.get("name")
        patterns = names.split(",") if names else None
        out: dict[str, Any] = {}
        for index in resolve(cluster, request, "open,closed"):
            chosen = {a: s for a, s in index.aliases.items() if patterns is None or any(fnmatch.fnmatchcase(a, p) for p in patterns)}
            if chosen or patterns is None:
                out[index.name] = {"aliases": chosen}
        if patterns and not out:
            if request.method == "HEAD":
                return RestResponse(404, None)
            return RestResponse(404, {"error": f"alias [{names}] missing", "status": 404})
        if request.method == "HEAD":
            return RestResponse(200, None)
        return out


_ALIASES_ON_FOLLOWERS = ("can't modify aliases on indices [{}]; "
                         "aliases of following indices are self-replicated from their leader indices")


def refuse_on_followers(indices: list["Index"], message: str) -> None:
    """CCR's request validators: mappings and aliases of a follower come only from its leader."""
    following = list(dict.fromkeys(i.name for i in indices if i.is_follower))
    if following:
        raise errors.status(403, message.format(", ".join(following)))


def _alias_spec(raw: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for key in ("filter", "routing", "index_routing", "search_routing", "is_write_index", "is_hidden"):
        if key in raw:
            spec[key] = raw[key]
    return spec


def _plan_alias_action(cluster: "Cluster", action: dict[str, Any]) -> tuple[str, "Index", str, dict[str, Any]]:
    if not isinstance(action, dict) or len(action) != 1:
        raise errors.illegal_argument("Expected one of [add, remove, remove_index] but got more than one")
    kind, spec = next(iter(action.items()))
    if kind not in ("add", "remove", "remove_index"):
        raise errors.parsing(f"[aliases] unknown field [{kind}]")
    index_name = spec.get("index")
    if not index_name and not spec.get("indices"):
        raise errors.action_request_validation("One of [index] or [indices] is required")
    index = cluster.get_index(index_name) if index_name else cluster.get_index(spec["indices"][0])
    alias = spec.get("alias", "")
    if kind != "remove_index" and not alias:
        raise errors.action_request_validation("One of [alias] or [aliases] is required")
    if kind == "add" and alias in cluster.indices:
        raise errors.EsError(400, "invalid_alias_name_exception", f"Invalid alias name [{alias}]: an index or data stream exists with the same name as the alias")
    if kind == "remove" and alias not in index.aliases and not spec.get("must_exist") is False:
        raise errors.EsError(404, "aliases_not_found_exception", f"aliases [{alias}] missing", resource__type="aliases", resource__id=alias)
    return kind, index, alias, _alias_spec(spec)


def update_settings(cluster: "Cluster", index: "Index", flat: dict[str, Any], preserve_existing: bool) -> None:
    values = index_settings.validate_update(flat, cluster.config.flavour, index.name, index.uuid, index.is_open)
    changed = False
    for key, value in values.items():
        if preserve_existing and key in index.settings:
            continue
        if value is None:
            changed |= index.settings.pop(key, None) is not None
        elif index.settings.get(key) != value:
            index.settings[key] = value
            changed = True
    if changed:
        index.settings_version += 1
        index.persist()
        cluster.notify("index_settings", index)
