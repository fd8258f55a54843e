"""Single-document APIs: index, create, get, exists, _source, delete, update and mget."""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

from .. import errors, json_body, mapping_types
from ..index import WriteResult
from ..index_admin import BLOCKS, write_shards
from ..rest import RestRequest, RestResponse
from ..source_filter import filter_source

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..index import Index

WRITE_PARAMS = ("refresh", "routing", "timeout", "version", "version_type", "if_seq_no", "if_primary_term",
                 "op_type", "pipeline", "wait_for_active_shards", "require_alias", "require_data_stream",
                 "include_source_on_error")
GET_PARAMS = ("realtime", "refresh", "routing", "preference", "stored_fields", "_source", "_source_includes",
               "_source_excludes", "version", "version_type")
_UPDATE_FIELDS = ("script", "scripted_upsert", "upsert", "doc", "doc_as_upsert", "detect_noop", "_source")
_VERSION_TYPES = ("internal", "external", "external_gt", "external_gte")


def write_response(cluster: "Cluster", index: "Index", result: WriteResult, forced_refresh: bool = False,
                   shards: dict[str, int] | None = None) -> dict[str, Any]:
    """`shards`: the shard's `_shards` header when the caller already has it (a bulk, per shard)."""
    body: dict[str, Any] = {"_index": index.name, "_id": result.doc_id, "_version": result.version, "result": result.result}
    if forced_refresh:
        body["forced_refresh"] = True
    body.update({"_shards": shards or write_shards(cluster, index, result.shard), "_seq_no": result.seq_no,
                 "_primary_term": result.primary_term})
    return mapping_types.with_type(body, mapping_types.doc_type(cluster, index))


def apply_refresh(index: "Index", refresh: str | None, results: list[WriteResult]) -> bool:
    """Honours ?refresh: true refreshes now, wait_for waits for the next scheduled refresh."""
    if refresh in (None, "false"):
        return False
    if refresh in ("", "true"):
        index.refresh()
        return True
    if refresh == "wait_for":
        for result in results:
            index.wait_for_refresh(result.shard, result.seq_no)
        return False
    raise errors.illegal_argument(f"Unknown value for refresh: [{refresh}].")


def long_param(value: Any, name: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise errors.illegal_argument(f"Failed to parse long parameter [{name}] with value [{value}]") from None


def write_request(op: str, doc_id: str | None, source: Any, routing: str | None, params: dict[str, Any]) -> dict[str, Any]:
    """One write as Index.write_batch takes it, validated like IndexRequest/DeleteRequest.validate."""
    problems = write_problems(op, doc_id, params)
    if problems:
        raise errors.action_request_validation(*problems)
    return {"op": op, "id": doc_id, "source": source, "routing": routing,
            "if_seq_no": long_param(params.get("if_seq_no"), "if_seq_no"),
            "if_primary_term": long_param(params.get("if_primary_term"), "if_primary_term"),
            "version": long_param(params.get("version"), "version"), "version_type": params.get("version_type") or "internal"}


def write_problems(op: str, doc_id: str | None, params: dict[str, Any]) -> list[str]:
    """IndexRequest/DeleteRequest.validate and DocWriteRequest.validateSeqNoBasedCASParams, in order."""
    version_type = params.get("version_type") or "internal"
    if version_type not in _VERSION_TYPES:
        raise errors.illegal_argument(f"No version type match [{version_type}]")
    version = long_param(params.get("version"), "version")
    if_seq_no = long_param(params.get("if_seq_no"), "if_seq_no")
    if_term = long_param(params.get("if_primary_term"), "if_primary_term")
    problems = []
    if op == "create":
        if version_type != "internal":
            problems.append("create operations only support internal versioning. use index instead")
        if version is not None:
            problems.append("create operations do not support explicit versions. use index instead")
        if if_seq_no is not None or if_term is not None:
            problems.append("create operations do not support compare and set. use index instead")
    if doc_id is not None and len(doc_id.encode()) > 512:
        problems.append(f"id [{doc_id}] is too long, must be no longer than 512 bytes but was: {len(doc_id.encode())}")
    if version is not None and (version < 0 if version_type != "internal" else version <= 0):
        problems.append(f"illegal version value [{version}] for version type [{version_type.upper()}]")
    if version_type == "internal" and version is not None and op != "create":
        problems.append("internal versioning can not be used for optimistic concurrency control. "
                        "Please use `if_seq_no` and `if_primary_term` instead")
    if if_seq_no is not None and (version_type != "internal" or version is not None):
        problems.append("compare and write operations can not use versioning")
    if if_seq_no is not None and if_term is None:
        problems.append("ifSeqNo is set, but primary term is [0]")
    if if_term is not None and if_seq_no is None:
        problems.append(f"ifSeqNo is unassigned, but primary term is [{if_term}]")
    return problems


def url_encode(text: str) -> str:
    """java.net.URLEncoder (UTF-8), as DocWriteResponse.getLocation uses it: "*" kept, "~" encoded."""
    return urllib.parse.quote_plus(text, safe="*").replace("~", "%7E")


def source_filter_spec(request: RestRequest) -> Any:
    source = request.param("_source")
    includes = request.param("_source_includes")
    excludes = request.param("_source_excludes")
    if source == "false":
        return False
    spec: dict[str, list[str]] = {}
    if source not in (None, "true", ""):
        spec["includes"] = source.split(",")
    if includes:
        spec["includes"] = includes.split(",")
    if excludes:
        spec["excludes"] = excludes.split(",")
    return spec or True


def check_readable(index: "Index") -> None:
    index.check_open()
    setting, block = BLOCKS["read"]
    if index.setting(setting) == "true":
        raise errors.cluster_block(403, f"index [{index.name}] blocked by: [{block}];")


def require_alias(cluster: "Cluster", name: str, flag: str | None) -> None:
    if flag in ("", "true") and name not in cluster.alias_names():
        raise errors.EsError(404, "index_not_found_exception",
                             f"no such index [{name}] and [require_alias] request flag is [true] and [{name}] is not an alias",
                             index_uuid="_na_", index=name)


def register(cluster: "Cluster") -> None:
    route = cluster.router.route
    auth = cluster.security

    typed = cluster.version.has_mapping_types

    def do_write(request: RestRequest, op: str, doc_id: str | None) -> RestResponse:
        name = request.path_params["index"]
        source = request.json(required=True)
        op_type = request.param("op_type")
        if op_type is not None:
            if op_type not in ("index", "create"):
                raise errors.illegal_argument(f"opType must be 'create' or 'index', found: [{op_type}]")
            op = "create" if op == "create" else op_type
        routing = request.param("routing")
        write = write_request(op, doc_id, source, routing, {k: request.param(k) for k in
                                                           ("version", "version_type", "if_seq_no", "if_primary_term")})
        require_alias(cluster, name, request.param("require_alias"))
        index = cluster.resolve_write_index(name)
        auth.authorize_indices(request.principal, "indices:data/write/index", [index.name])
        typed_write = typed or "type" in request.path_params  # 7.x: a typed path maps its type as 6.x does
        if typed_write and index.write_block() is not None:
            index.check_writable()  # the reroute phase refuses a blocked index before the primary maps the type
        doc_type = mapping_types.resolve_for_write(index, request.path_params.get("type", "_doc")) if typed_write else None
        outcome = index.write_batch([write])[0]
        if isinstance(outcome, errors.EsError):
            raise outcome
        if doc_type is not None:
            mapping_types.adopt(index, doc_type)
        forced = apply_refresh(index, request.param("refresh"), [outcome])
        return created_or_ok(index, outcome, routing, forced)

    def created_or_ok(index: "Index", outcome: WriteResult, routing: str | None, forced: bool) -> RestResponse:
        body = write_response(cluster, index, outcome, forced)
        if outcome.result != "created":
            return RestResponse(200, body)
        kind = (mapping_types.doc_type(cluster, index) if typed else None) or "_doc"  # 6.x: the type's path
        location = f"/{url_encode(index.name)}/{url_encode(kind)}/{url_encode(outcome.doc_id)}"
        if routing is not None:
            location += f"?routing={url_encode(routing)}"
        return RestResponse(201, body, headers={"Location": location})

    @route("POST", "/{index}/_doc", params=WRITE_PARAMS)
    def index_auto_id(request: RestRequest):
        return do_write(request, "index", None)

    @route(("PUT", "POST"), "/{index}/_doc/{id}", params=WRITE_PARAMS)
    def index_with_id(request: RestRequest):
        return do_write(request, "index", request.path_params["id"])

    @route(("PUT", "POST"), "/{index}/_create/{id}", params=WRITE_PARAMS)
    def create(request: RestRequest):
        return do_write(request, "create", request.path_params["id"])

    @route("GET", "/{index}/_doc/{id}", params=GET_PARAMS)
    def get(request: RestRequest):
        index = _readable(cluster, request)
        auth.authorize_indices(request.principal, "indices:data/read/get", [index.name])
        if request.bool_param("refresh"):
            index.refresh()
        doc_id = request.path_params["id"]
        _, row = index.get(doc_id, request.param("routing"))
        doc_type = mapping_types.doc_type(cluster, index)
        asked = request.path_params.get("type")
        own = mapping_types.index_type(index) or mapping_types.SINGLE
        if asked is not None and asked not in (own, mapping_types.SINGLE):  # another type holds nothing
            row, doc_type = None, asked
        if row is None or not row.found:
            return RestResponse(404, mapping_types.with_type({"_index": index.name, "_id": doc_id, "found": False}, doc_type))
        body: dict[str, Any] = {
            "_index": index.name, "_id": doc_id, "_version": row.version,
            "_seq_no": row.seq_no, "_primary_term": row.primary_term, **_routing(row), "found": True,
        }
        spec = source_filter_spec(request)
        if spec is not False:
            body["_source"] = filter_source(row.source, spec)
        return mapping_types.with_type(body, doc_type)

    @route("GET", "/{index}/_source/{id}", params=GET_PARAMS)
    def get_source(request: RestRequest):
        index = _readable(cluster, request)
        auth.authorize_indices(request.principal, "indices:data/read/get", [index.name])
        doc_id = request.path_params["id"]
        _, row = index.get(doc_id, request.param("routing"))
        if row is None or not row.found:
            raise errors.resource_not_found(f"Document not found [{index.name}]/[{doc_id}]")
        return filter_source(row.source, source_filter_spec(request))

    @route("DELETE", "/{index}/_doc/{id}", params=WRITE_PARAMS)
    def delete(request: RestRequest):
        name = request.path_params["index"]
        routing = request.param("routing")
        write = write_request("delete", request.path_params["id"], None, routing,
                              {k: request.param(k) for k in ("version", "version_type", "if_seq_no", "if_primary_term")})
        index = cluster.resolve_write_index(name, auto_create=False)
        auth.authorize_indices(request.principal, "indices:data/write/delete", [index.name])
        if typed or "type" in request.path_params:
            mapping_types.resolve_for_write(index, request.path_params.get("type", "_doc"))
        outcome = index.write_batch([write])[0]
        if isinstance(outcome, errors.EsError):
            raise outcome
        forced = apply_refresh(index, request.param("refresh"), [outcome])
        return RestResponse(200 if outcome.result == "deleted" else 404, write_response(cluster, index, outcome, forced))

    @route("POST", "/{index}/_update/{id}", params=("refresh", "routing", "timeout", "if_seq_no", "if_primary_term",
                                                    "retry_on_conflict", "wait_for_active_shards", "_source",
                                                    "_source_includes", "_source_excludes", "require_alias", "lang"))
    def update(request: RestRequest):
        body = parse_update(request.body, request.json(required=True))
        problems = update_problems(body)
        if problems:
            raise errors.action_request_validation(*problems)
        require_alias(cluster, request.path_params["index"], request.param("require_alias"))
        index = cluster.resolve_write_index(request.path_params["index"])
        auth.authorize_indices(request.principal, "indices:data/write/update", [index.name])
        routing = request.param("routing")
        outcome = update_document(index, request.path_params["id"], body, routing,
                                  long_param(request.param("if_seq_no"), "if_seq_no"),
                                  long_param(request.param("if_primary_term"), "if_primary_term"))
        if isinstance(outcome, dict):
            return outcome
        forced = apply_refresh(index, request.param("refresh"), [outcome])
        return created_or_ok(index, outcome, routing, forced)

    # The typed paths of 6.x and 7.x (typed_documents_api) share these handlers.
    cluster.services["documents"] = {"write": do_write, "get": get, "delete": delete}

    @route(("GET", "POST"), "/_mget", params=GET_PARAMS)
    @route(("GET", "POST"), "/{index}/_mget", params=GET_PARAMS)
    def mget(request: RestRequest):
        body = request.json_map(required=True)
        default_index = request.path_params.get("index")
        for key in ("docs", "ids"):
            if key in body and not isinstance(body[key], list):
                raise errors.EsError(400, "parsing_exception", f"Unknown key for a {json_body.token_name(body[key])} in [{key}].")
        if any(not isinstance(spec, dict) for spec in body.get("docs") or []):
            raise errors.illegal_argument("docs array element should include an object")
        if not (body.get("ids") or body.get("docs")):
            raise errors.action_request_validation("no documents to get")
        specs = [{"_id": i} for i in body["ids"]] if "ids" in body else body["docs"]
        if request.bool_param("refresh"):
            for index in cluster.resolve(default_index or "_all", ignore_unavailable=True):
                index.refresh()
        missing = [f"index is missing for doc {n}" for n, spec in enumerate(specs) if not spec.get("_index", default_index)]
        if missing:
            raise errors.action_request_validation(*missing)
        default_spec = source_filter_spec(request)
        return {"docs": [_mget_one(cluster, request, spec, default_index, default_spec) for spec in specs]}


def _mget_one(cluster: "Cluster", request: RestRequest, spec: dict[str, Any], default_index: str | None, default_source: Any) -> dict[str, Any]:
    name = spec.get("_index", default_index)
    doc_id = str(spec.get("_id"))
    try:
        indices = cluster.resolve(name, allow_no_indices=False)
        if len(indices) > 1:
            raise errors.illegal_argument(f"alias [{name}] has more than one index associated with it "
                                          f"[{', '.join(i.name for i in indices)}], can't execute a single index op")
        index = indices[0]
        check_readable(index)
        cluster.security.authorize_indices(request.principal, "indices:data/read/mget", [index.name])
        _, row = index.get(doc_id, spec.get("routing", request.param("routing")))
    except errors.EsError as exc:
        return {"_index": name, "_id": doc_id, "error": exc.body()["error"]}
    doc_type = mapping_types.doc_type(cluster, index)
    if row is None or not row.found:
        return mapping_types.with_type({"_index": index.name, "_id": doc_id, "found": False}, doc_type)
    doc = {"_index": index.name, "_id": doc_id, "_version": row.version, "_seq_no": row.seq_no,
           "_primary_term": row.primary_term, **_routing(row), "found": True}
    source_spec = spec.get("_source", default_source)
    if source_spec is not False:
        doc["_source"] = filter_source(row.source, source_spec)
    return mapping_types.with_type(doc, doc_type)


def _routing(row: Any) -> dict[str, str]:
    """GetResult's metadata fields: `_routing` when the document was indexed with one."""
    return {"_routing": row.routing} if row.routing is not None else {}


def _readable(cluster: "Cluster", request: RestRequest) -> "Index":
    name = request.path_params["index"]
    indices = cluster.resolve(name, allow_no_indices=False)
    if len(indices) > 1:
        raise errors.illegal_argument(f"alias [{name}] has more than one index associated with it [{', '.join(i.name for i in indices)}], can't execute a single index op")
    check_readable(indices[0])
    return indices[0]


def parse_update(raw: bytes, body: Any) -> dict[str, Any]:
    """UpdateRequest's parser: an object of known fields."""
    if not isinstance(body, dict):
        raise errors.EsError(400, "x_content_parse_exception", "[1:1] [UpdateRequest] Expected START_OBJECT")
    for key, value in body.items():
        if key not in _UPDATE_FIELDS:
            line, col = json_body.token_locations(raw).get((key, "name"), (1, 1))
            raise errors.EsError(400, "x_content_parse_exception", f"[{line}:{col}] [UpdateRequest] unknown field [{key}]")
        if key in ("doc", "upsert") and not isinstance(value, dict):
            line, col = json_body.token_locations(raw).get((key, "value"), (1, 1))
            raise errors.EsError(400, "x_content_parse_exception",
                                 f"[{line}:{col}] [UpdateRequest] {key} doesn't support values of type: {json_body.token_name(value)}")
    return body


def update_problems(body: dict[str, Any]) -> list[str]:
    """UpdateRequest.validate."""
    if "script" in body:
        raise errors.not_implemented("_update with a script")
    return ["script or doc is missing"] if body.get("doc") is None and "upsert" not in body else []


def update_document(index: "Index", doc_id: str, body: dict[str, Any], routing: str | None,
                    if_seq_no: int | None, if_term: int | None) -> WriteResult | dict[str, Any]:
    """Partial update (`doc`, `upsert`, `doc_as_upsert`); an unchanged document is a noop."""
    if (if_seq_no is None) != (if_term is None):
        raise errors.action_request_validation(
            "ifSeqNo is set, but primary term is [0]" if if_term is None else f"ifSeqNo is unassigned, but primary term is [{if_term}]")
    partial = body.get("doc")
    _, row = index.get(doc_id, routing)
    if row is None or not row.found:
        if if_seq_no is not None:
            raise errors.version_conflict(index.name, index.uuid, doc_id,
                                          f"version conflict, required seqNo [{if_seq_no}], primary term [{if_term}]. but no document was found")
        if body.get("doc_as_upsert"):
            new = partial
        elif "upsert" in body:
            new = body["upsert"]
        else:
            raise errors.EsError(404, "document_missing_exception", f"[{doc_id}]: document missing",
                                 index_uuid=index.uuid, shard="0", index=index.name)
        op = "create"
    else:
        new = _deep_merge(row.source, partial or {})
        if new == row.source and body.get("detect_noop", True):
            return {
                "_index": index.name, "_id": doc_id, "_version": row.version, "result": "noop",
                "_shards": {"total": 0, "successful": 0, "failed": 0},
                "_seq_no": row.seq_no, "_primary_term": row.primary_term,
            }
        op = "index"
        if if_seq_no is None:
            if_seq_no, if_term = row.seq_no, row.primary_term  # guards against a concurrent write, as ES does
    outcome = index.write_batch([{"op": op, "id": doc_id, "source": new, "routing": routing,
                                  "if_seq_no": if_seq_no, "if_primary_term": if_term}])[0]
    if isinstance(outcome, errors.EsError):
        raise outcome
    return outcome


def _deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
