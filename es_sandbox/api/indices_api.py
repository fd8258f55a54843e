"""Index management: create, get, exists, delete, settings, mappings, open/close, refresh, flush,
force merge, clone, API blocks and aliases (the logic lives in index_admin, index_resize and aliases)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import aliases, errors, index_resize, index_settings, mapping_types
from ..index_admin import (BLOCKS, check_destructive, deprecation_headers, refuse_alias_names, settings_view, shards_header,
                           update_settings)
from ..rest import RestRequest, RestResponse, as_map

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..index import Index

_RESOLVE_PARAMS = ("expand_wildcards", "ignore_unavailable", "allow_no_indices")
_MASTER_PARAMS = ("master_timeout", "timeout")
_GET_SETTINGS_PARAMS = (*_RESOLVE_PARAMS, "flat_settings", "include_defaults", "local", "master_timeout")
_PUT_SETTINGS_PARAMS = (*_RESOLVE_PARAMS, *_MASTER_PARAMS, "preserve_existing", "flat_settings", "reopen")
_FEATURES = ("aliases", "mappings", "settings")
_ALIASES_ON_FOLLOWERS = ("can't modify aliases on indices [{}]; "
                         "aliases of following indices are self-replicated from their leader indices")


def resolve(cluster: "Cluster", request: RestRequest, default_expand: str = "open", allow_no_indices: bool = True) -> list["Index"]:
    return cluster.resolve(
        request.path_params.get("index"),
        expand_wildcards=request.param("expand_wildcards", default_expand) or default_expand,
        ignore_unavailable=request.bool_param("ignore_unavailable"),
        allow_no_indices=request.bool_param("allow_no_indices", allow_no_indices),
    )


def refuse_on_followers(indices: list["Index"], message: str) -> None:
    """CCR's request validators: mappings and aliases of a follower come only from its leader."""
    following = list(dict.fromkeys(i.name for i in indices if i.is_follower))
    if following:
        raise errors.status(403, message.format(", ".join(following)))


def register(cluster: "Cluster") -> None:
    route = cluster.router.route
    auth = cluster.security
    version = cluster.version
    # include_type_name: 6.7-7.x only (8.x refuses it as an unrecognized parameter).
    types_param = ("include_type_name",) if version.major < 8 else ()

    @route("PUT", "/{index}", params=("wait_for_active_shards", *_MASTER_PARAMS, *types_param))
    def create(request: RestRequest):
        name = request.path_params["index"]
        warnings: list[str] = []
        typed = mapping_types.include_type_name(cluster, request, "create", warnings) if types_param else False
        auth.authorize_indices(request.principal, "indices:admin/create", [name])
        body = request.json_map()
        for key, value in body.items():
            if key not in ("settings", "mappings", "aliases"):
                raise errors.EsError(400, "parse_exception", f"unknown key [{key}] for create index")
            if value is not None:
                as_map(value)
        specs = {}
        for alias, raw in (body.get("aliases") or {}).items():
            raw = as_map(raw) if raw is not None else {}
            aliases.validate_name(alias)
            if alias == name or alias in cluster.indices:
                raise errors.EsError(400, "invalid_alias_name_exception",
                                     f"Invalid alias name [{alias}]: an index or data stream exists with the same name as the alias")
            specs[alias] = aliases.spec_of({**raw, "alias": alias})
        mappings, mapping_type = body.get("mappings"), None
        if typed:
            mapping_type, mappings = mapping_types.split_typed(name, mappings)
            if mapping_type is not None:
                mapping_types.parse_typed(mapping_type, mappings)
        elif types_param:
            if not version.has_mapping_types:
                mapping_types.check_typeless(mappings)
            elif mappings:  # include_type_name=false on 6.x: the body is the `_doc` type's
                mapping_type = mapping_types.SINGLE
        cluster.create_index(name, body.get("settings"), mappings, specs, mapping_type=mapping_type, warnings=warnings)
        return RestResponse(200, {"acknowledged": True, "shards_acknowledged": True, "index": name},
                            headers=deprecation_headers(cluster, warnings))

    @route("GET", "/{index}", params=(*_GET_SETTINGS_PARAMS, "features", "human", *types_param))
    def get(request: RestRequest):
        warnings: list[str] = []
        typed = mapping_types.include_type_name(cluster, request, "get_index", warnings) if types_param else False
        indices = resolve(cluster, request, "open,closed")
        auth.authorize_indices(request.principal, "indices:admin/get", [i.name for i in indices])
        features = (request.param("features") or ",".join(_FEATURES)).split(",")
        for feature in features:
            if feature not in _FEATURES:
                raise errors.illegal_argument(f"No feature for name [{feature}]")
        flat, defaults = request.bool_param("flat_settings"), request.bool_param("include_defaults")
        out: dict[str, Any] = {}
        for index in indices:
            entry: dict[str, Any] = {}
            if "aliases" in features:
                entry["aliases"] = dict(sorted(index.aliases.items()))
            if "mappings" in features:
                entry["mappings"] = mapping_types.mapping_view(index, typed)
            if "settings" in features:
                entry.update(settings_view(index, flat, defaults))
            out[index.name] = entry
        return RestResponse(200, out, headers=deprecation_headers(cluster, warnings))

    @route("DELETE", "/{index}", params=(*_RESOLVE_PARAMS, *_MASTER_PARAMS))
    def delete(request: RestRequest):
        expression = request.path_params["index"]
        check_destructive(cluster, expression)
        refuse_alias_names(cluster, expression)
        indices = resolve(cluster, request, "open,closed")
        auth.authorize_indices(request.principal, "indices:admin/delete", [i.name for i in indices])
        for index in indices:
            cluster.delete_index(index)
        return {"acknowledged": True}

    # --- settings ---------------------------------------------------------------------------

    @route("GET", "/{index}/_settings", params=_GET_SETTINGS_PARAMS)
    @route("GET", "/{index}/_settings/{name}", params=_GET_SETTINGS_PARAMS)
    @route("GET", "/_settings", params=_GET_SETTINGS_PARAMS)
    @route("GET", "/_settings/{name}", params=_GET_SETTINGS_PARAMS)
    def get_settings(request: RestRequest):
        indices = resolve(cluster, request, "open,closed")
        auth.authorize_indices(request.principal, "indices:monitor/settings/get", [i.name for i in indices])
        flat, defaults = request.bool_param("flat_settings"), request.bool_param("include_defaults")
        views = {i.name: settings_view(i, flat, defaults, request.path_params.get("name")) for i in indices}
        # GetSettingsResponse leaves out indices without a matching setting, unless defaults are shown.
        return {name: view for name, view in views.items() if defaults or view["settings"]}

    @route("PUT", "/{index}/_settings", params=_PUT_SETTINGS_PARAMS)
    @route("PUT", "/_settings", params=_PUT_SETTINGS_PARAMS)
    def put_settings(request: RestRequest):
        body = request.json_map(required=True)
        given = body["settings"] if isinstance(body.get("settings"), dict) else body
        flat = index_settings.flatten(given)
        if not flat:
            raise errors.action_request_validation("no settings to update")
        indices = resolve(cluster, request, "open,closed")
        auth.authorize_indices(request.principal, "indices:admin/settings/update", [i.name for i in indices])
        update_settings(cluster, indices, flat, request.bool_param("preserve_existing"), request.bool_param("reopen"))
        return {"acknowledged": True}

    # --- mappings ---------------------------------------------------------------------------

    _GET_MAPPING_PARAMS = (*_RESOLVE_PARAMS, "local", "master_timeout", *types_param)

    @route("GET", "/{index}/_mapping", params=_GET_MAPPING_PARAMS)
    @route("GET", "/_mapping", params=_GET_MAPPING_PARAMS)
    def get_mapping(request: RestRequest):
        warnings: list[str] = []
        typed = mapping_types.include_type_name(cluster, request, "get_mapping", warnings) if types_param else False
        indices = resolve(cluster, request, "open")
        auth.authorize_indices(request.principal, "indices:admin/mappings/get", [i.name for i in indices])
        out = {i.name: {"mappings": mapping_types.mapping_view(i, typed)} for i in indices}
        return RestResponse(200, out, headers=deprecation_headers(cluster, warnings))

    _PUT_MAPPING_PARAMS = (*_RESOLVE_PARAMS, *_MASTER_PARAMS, "write_index_only", *types_param)

    if version.has_mapping_types:  # 6.x: the type in the path (RestPutMappingAction)
        @route(("PUT", "POST"), "/{index}/_mapping/{type}", params=_PUT_MAPPING_PARAMS)
        @route(("PUT", "POST"), "/{index}/{type}/_mapping", params=_PUT_MAPPING_PARAMS)
        def put_typed_mapping(request: RestRequest):
            return put_mapping(request)

    @route(("PUT", "POST"), "/{index}/_mapping", params=_PUT_MAPPING_PARAMS)
    def put_mapping(request: RestRequest):
        warnings: list[str] = []
        typed = mapping_types.include_type_name(cluster, request, "put_mapping", warnings) if types_param else False
        body = request.json_map(required=True)
        type_name = request.path_params.get("type")
        if version.has_mapping_types and typed and type_name is None:
            raise errors.action_request_validation("mapping type is missing")
        if version.has_mapping_types:
            type_name = type_name or mapping_types.SINGLE
            mapping_types.validate_type_name(type_name)
            if isinstance(body.get(type_name), dict) and len(body) == 1:  # the body may repeat the type
                body = body[type_name]
        elif typed and type_name is None and len(body) == 1 and isinstance(next(iter(body.values())), dict):
            body = next(iter(body.values()))
        elif not typed and types_param:
            mapping_types.check_typeless(body, "put mapping")
        indices = resolve(cluster, request, "open")
        auth.authorize_indices(request.principal, "indices:admin/mapping/put", [i.name for i in indices])
        refuse_on_followers(indices, "can't put mapping to the following indices [{}]; "
                            "the mapping of the following indices are self-replicated from its leader indices")
        if version.has_mapping_types:
            targets = [(index, mapping_types.resolve_for_write(index, type_name)) for index in indices]
            for index, resolved in targets:
                if index.mappings.merge(body) or index.mappings.type_name != resolved:
                    index.mappings.type_name = resolved
                    index.persist()
            return RestResponse(200, {"acknowledged": True}, headers=deprecation_headers(cluster, warnings))
        for index in indices:
            if index.mappings.merge(body):
                index.persist()
        return RestResponse(200, {"acknowledged": True}, headers=deprecation_headers(cluster, warnings))

    # --- open / close -----------------------------------------------------------------------

    @route("POST", "/{index}/_close", params=(*_RESOLVE_PARAMS, *_MASTER_PARAMS, "wait_for_active_shards"))
    def close(request: RestRequest):
        expression = request.path_params["index"]
        check_destructive(cluster, expression)
        refuse_alias_names(cluster, expression)
        indices = resolve(cluster, request, "open")
        auth.authorize_indices(request.principal, "indices:admin/close", [i.name for i in indices])
        closing = [i for i in indices if i.is_open]
        if not closing:  # MetadataIndexStateService: nothing left to close
            return {"acknowledged": True, "shards_acknowledged": False, "indices": {}}
        for index in closing:
            index.state = "close"
            index.persist()
            cluster.notify("index_closed", index)
        return {"acknowledged": True, "shards_acknowledged": True, "indices": {i.name: {"closed": True} for i in closing}}

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

    def broadcast(request: RestRequest, action: str, work) -> dict[str, Any]:
        indices = resolve(cluster, request)
        auth.authorize_indices(request.principal, action, [i.name for i in indices])
        for index in indices:
            index.check_open()
            work(index)
        return {"_shards": shards_header(cluster, indices)}

    @route(("POST", "GET"), "/{index}/_refresh", params=_RESOLVE_PARAMS)
    @route(("POST", "GET"), "/_refresh", params=_RESOLVE_PARAMS)
    def refresh(request: RestRequest):
        return broadcast(request, "indices:admin/refresh", lambda index: index.refresh())

    @route(("POST", "GET"), "/{index}/_flush", params=(*_RESOLVE_PARAMS, "force", "wait_if_ongoing"))
    @route(("POST", "GET"), "/_flush", params=(*_RESOLVE_PARAMS, "force", "wait_if_ongoing"))
    def flush(request: RestRequest):
        request.bool_param("force")
        request.bool_param("wait_if_ongoing")
        return broadcast(request, "indices:admin/flush", lambda index: None)  # every write is already durable

    _MERGE_PARAMS = (*_RESOLVE_PARAMS, "max_num_segments", "only_expunge_deletes", "flush", "wait_for_completion")

    @route("POST", "/{index}/_forcemerge", params=_MERGE_PARAMS)
    @route("POST", "/_forcemerge", params=_MERGE_PARAMS)
    def forcemerge(request: RestRequest):
        request.int_param("max_num_segments")
        if request.bool_param("only_expunge_deletes") and request.param("max_num_segments") is not None:
            raise errors.action_request_validation(
                "cannot set only_expunge_deletes and max_num_segments at the same time, those two parameters are mutually exclusive")
        if not request.bool_param("wait_for_completion", True):
            raise errors.not_implemented("_forcemerge?wait_for_completion=false")
        return broadcast(request, "indices:admin/forcemerge", lambda index: index.merge())

    # --- clone (7.4+; before, the path is a document's: documents_api) -----------------------

    if version.at_least("7.4.0"):
        # copy_settings: RestResizeHandler of 7.x only (always true since 7.0, deprecated).
        copy_param = ("copy_settings",) if version.major < 8 else ()

        @route(("POST", "PUT"), "/{index}/_clone/{target}", params=(*_MASTER_PARAMS, "wait_for_active_shards", *copy_param))
        def clone(request: RestRequest):
            warnings: list[str] = []
            if copy_param and request.param("copy_settings") is not None:
                warnings.append("parameter [copy_settings] is deprecated and will be removed in 8.0.0")
                if not request.bool_param("copy_settings"):
                    raise errors.illegal_argument("parameter [copy_settings] can not be explicitly set to [false]")
            settings, alias_bodies = index_resize.parse_body(cluster, request.body, request.json())
            source, target = request.path_params["index"], request.path_params["target"]
            auth.authorize_indices(request.principal, "indices:admin/resize", [source])
            _, created = index_resize.clone(cluster, source, target, settings, alias_bodies)
            return RestResponse(200, {"acknowledged": True, "shards_acknowledged": True, "index": target},
                                headers=deprecation_headers(cluster, warnings + created))

    # --- blocks -----------------------------------------------------------------------------

    if version.has_add_block_api:  # 7.9+; before, the path is a document's (documents_api)
        @route("PUT", "/{index}/_block/{block}", params=(*_RESOLVE_PARAMS, *_MASTER_PARAMS))
        def add_block(request: RestRequest):
            block = request.path_params["block"]
            if block not in BLOCKS:
                raise errors.illegal_argument(f"No block found with name [{block}]")
            check_destructive(cluster, request.path_params["index"])
            indices = resolve(cluster, request, "open")
            auth.authorize_indices(request.principal, "indices:admin/block/add", [i.name for i in indices])
            update_settings(cluster, indices, {BLOCKS[block][0]: "true"}, False)
            return {"acknowledged": True, "shards_acknowledged": True,
                    "indices": [{"name": i.name, "blocked": True} for i in indices]}

    # --- aliases ----------------------------------------------------------------------------

    def authorize_aliases(request: RestRequest):
        def check(indices: list["Index"]) -> None:
            auth.authorize_indices(request.principal, "indices:admin/aliases", [i.name for i in indices])
            refuse_on_followers(indices, _ALIASES_ON_FOLLOWERS)
        return check

    @route("POST", "/_aliases", params=_MASTER_PARAMS)
    def update_aliases(request: RestRequest):
        actions = aliases.parse_actions(request.body, request.json(required=True))
        return aliases.apply(cluster, actions, authorize_aliases(request))

    @route(("PUT", "POST"), "/{index}/_alias/{name}", params=_MASTER_PARAMS)
    @route(("PUT", "POST"), "/{index}/_aliases/{name}", params=_MASTER_PARAMS)
    @route(("PUT", "POST"), "/_alias/{name}", params=_MASTER_PARAMS)
    @route(("PUT", "POST"), "/_aliases/{name}", params=_MASTER_PARAMS)
    @route("PUT", "/{index}/_alias", params=_MASTER_PARAMS)
    @route("PUT", "/{index}/_aliases", params=_MASTER_PARAMS)
    @route("PUT", "/_alias", params=_MASTER_PARAMS)
    def put_alias(request: RestRequest):
        # RestIndexPutAliasAction reads only the fields it knows and ignores the rest.
        body = request.json() if request.has_body else {}
        fields: dict[str, Any] = {"index": request.path_params.get("index"), "alias": request.path_params.get("name")}
        if isinstance(body, dict):
            for key in ("index", "alias", "routing", "filter", "is_write_index"):
                if key in body:
                    fields[key] = body[key]
            for key, names in (("index_routing", ("indexRouting", "index-routing", "index_routing")),
                               ("search_routing", ("searchRouting", "search-routing", "search_routing"))):
                fields.update({key: body[n] for n in names if n in body})
        if not fields.get("index"):
            raise errors.illegal_argument("[indices] can't be empty")
        if not fields.get("alias"):
            raise errors.illegal_argument("[alias] can't be empty string")
        return aliases.apply(cluster, [("add", fields)], authorize_aliases(request))

    @route("DELETE", "/{index}/_alias/{name}", params=_MASTER_PARAMS)
    @route("DELETE", "/{index}/_aliases/{name}", params=_MASTER_PARAMS)
    def delete_alias(request: RestRequest):
        fields = {"index": request.path_params["index"], "aliases": request.path_params["name"].split(",")}
        return aliases.apply(cluster, [("remove", fields)], authorize_aliases(request))

    _GET_ALIAS_PARAMS = (*_RESOLVE_PARAMS, "local", "master_timeout")

    @route("GET", "/_alias", params=_GET_ALIAS_PARAMS)
    @route("GET", "/_aliases", params=_GET_ALIAS_PARAMS)
    @route(("GET", "HEAD"), "/_alias/{name}", params=_GET_ALIAS_PARAMS)
    @route(("GET", "HEAD"), "/{index}/_alias", params=_GET_ALIAS_PARAMS)
    @route(("GET", "HEAD"), "/{index}/_alias/{name}", params=_GET_ALIAS_PARAMS)
    def get_alias(request: RestRequest):
        indices = resolve(cluster, request, "all")
        auth.authorize_indices(request.principal, "indices:admin/aliases/get", [i.name for i in indices])
        status, body = aliases.get(indices, request.path_params.get("name"))
        return RestResponse(status, body)
