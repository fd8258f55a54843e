"""Single-document APIs: index, create, get, exists, _source, delete, update and mget."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..index import WriteResult
from ..rest import RestRequest, RestResponse

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..index import Index

_WRITE_PARAMS = ("refresh", "routing", "timeout", "version", "version_type", "if_seq_no", "if_primary_term",
                 "op_type", "pipeline", "wait_for_active_shards", "require_alias", "require_data_stream")
_GET_PARAMS = ("realtime", "refresh", "routing", "preference", "stored_fields", "_source", "_source_includes",
               "_source_excludes", "version", "version_type")


def write_response(index: "Index", result: WriteResult) -> dict[str, Any]:
    replicas_placed = min(index.number_of_replicas, 1)  # two data nodes: one replica copy can be placed
    return {
        "_index": index.name,
        "_id": result.doc_id,
        "_version": result.version,
        "result": result.result,
        "_shards": {"total": 1 + index.number_of_replicas, "successful": 1 + replicas_placed, "failed": 0},
        "_seq_no": result.seq_no,
        "_primary_term": result.primary_term,
    }


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


def seq_param(request: RestRequest, name: str) -> int | None:
    value = request.param(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise errors.illegal_argument(f"Failed to parse long parameter [{name}] with value [{value}]") from None


def source_filter_spec(request: RestRequest) -> Any:
    source = request.param("_source")
    includes = request.param("_source_includes")
    excludes = request.param("_source_excludes")
    if source in ("false",):
        return False
    spec: dict[str, list[str]] = {}
    if source not in (None, "true", ""):
        spec["includes"] = source.split(",")
    if includes:
        spec["includes"] = includes.split(",")
    if excludes:
        spec["excludes"] = excludes.split(",")
    return spec or True


def register(cluster: "Cluster") -> None:
    route = cluster.router.route
    auth = cluster.security

    def do_write(request: RestRequest, op: str, doc_id: str | None) -> RestResponse:
        name = request.path_params["index"]
        source = request.json(required=True)
        if_seq_no, if_term = seq_param(request, "if_seq_no"), seq_param(request, "if_primary_term")
        if (if_seq_no is None) != (if_term is None):
            raise errors.action_request_validation("ifSeqNo is set, but primary term is [0]" if if_term is None else "ifSeqNo is unassigned, but primary term is [" + str(if_term) + "]")
        op_type = request.param("op_type")
        if op_type is not None:
            if op_type not in ("index", "create"):
                raise errors.illegal_argument(f"opType must be 'create' or 'index', found: [{op_type}]")
            op = op_type if op == "index" else op
        if op == "create" and doc_id is None and op_type == "create":
            pass
        index = cluster.resolve_write_index(name)
        auth.authorize_indices(request.principal, "indices:data/write/index", [index.name])
        outcome = index.write_batch([{
            "op": op, "id": doc_id, "source": source, "routing": request.param("routing"),
            "if_seq_no": if_seq_no, "if_primary_term": if_term,
        }])[0]
        if isinstance(outcome, errors.EsError):
            raise outcome
        forced = apply_refresh(index, request.param("refresh"), [outcome])
        body = write_response(index, outcome)
        if forced:
            body["forced_refresh"] = True
        return RestResponse(201 if outcome.result == "created" else 200, body, headers={"Location": f"/{index.name}/_doc/{outcome.doc_id}"} if outcome.result == "created" else {})

    @route("POST", "/{index}/_doc", params=_WRITE_PARAMS)
    def index_auto_id(request: RestRequest):
        return do_write(request, "index", None)

    @route(("PUT", "POST"), "/{index}/_doc/{id}", params=_WRITE_PARAMS)
    def index_with_id(request: RestRequest):
        return do_write(request, "index", request.path_params["id"])

    @route(("PUT", "POST"), "/{index}/_create/{id}", params=_WRITE_PARAMS)
    def create(request: RestRequest):
        return do_write(request, "create", request.path_params["id"])

    @route("GET", "/{index}/_doc/{id}", params=_GET_PARAMS)
    @route("HEAD", "/{index}/_doc/{id}", params=_GET_PARAMS)
    def get(request: RestRequest):
        index = _readable(cluster, request)
        auth.authorize_indices(request.principal, "indices:data/read/get", [index.name])
        doc_id = request.path_params["id"]
        _, row = index.get(doc_id, request.param("routing"))
        found = row is not None and row.found
        if request.method == "HEAD":
            return RestResponse(200 if found else 404, None)
        if not found:
            return RestResponse(404, {"_index": index.name, "_id": doc_id, "found": False})
        body: dict[str, Any] = {
            "_index": index.name, "_id": doc_id, "_version": row.version,
            "_seq_no": row.seq_no, "_primary_term": row.primary_term, "found": True,
        }
        spec = source_filter_spec(request)
        if spec is not False:
            from ..search import filter_source  # noqa: PLC0415

            body["_source"] = filter_source(row.source, spec)
        return body

    @route(("GET", "HEAD"), "/{index}/_source/{id}", params=_GET_PARAMS)
    def get_source(request: RestRequest):
        index = _readable(cluster, request)
        auth.authorize_indices(request.principal, "indices:data/read/get", [index.name])
        _, row = index.get(request.path_params["id"], request.param("routing"))
        if row is None or not row.found:
            if request.method == "HEAD":
                return RestResponse(404, None)
            raise errors.resource_not_found(f"Document not found [{index.name}]/[{request.path_params['id']}]")
        if request.method == "HEAD":
            return RestResponse(200, None)
        from ..search import filter_source  # noqa: PLC0415

        return filter_source(row.source, source_filter_spec(request))

    @route("DELETE", "/{index}/_doc/{id}", params=_WRITE_PARAMS)
    def delete(request: RestRequest):
        name = request.path_params["index"]
        index = cluster.resolve_write_index(name, auto_create=False)
        auth.authorize_indices(request.principal, "indices:data/write/delete", [index.name])
        if_seq_no, if_term = seq_param(request, "if_seq_no"), seq_param(request, "if_primary_term")
        outcome = index.write_batch([{
            "op": "delete", "id": request.path_params["id"], "routing": request.param("routing"),
            "if_seq_no": if_seq_no, "if_primary_term": if_term,
        }])[0]
        if isinstance(outcome, errors.EsError):
            raise outcome
        apply_refresh(index, request.param("refresh"), [outcome])
        return RestResponse(200 if outcome.result == "deleted" else 404, write_response(index, outcome))

    @route("POST", "/{index}/_update/{id}", params=("refresh", "routing", "timeout", "if_seq_no", "if_primary_term",
                                                    "retry_on_conflict", "wait_for_active_shards", "_source",
                                                    "_source_includes", "_source_excludes", "require_alias", "lang"))
    def update(request: RestRequest):
        index = cluster.resolve_write_index(request.path_params["index"])
        auth.authorize_indices(request.principal, "indices:data/write/update", [index.name])
        body = request.json(required=True)
        outcome = update_document(index, request.path_params["id"], body, request.param("routing"),
                                  seq_param(request, "if_seq_no"), seq_param(request, "if_primary_term"))
        if isinstance(outcome, dict):
            return outcome
        apply_refresh(index, request.param("refresh"), [outcome])
        return RestResponse(201 if outcome.result == "created" else 200, write_response(index, outcome))

    @route(("GET", "POST"), "/_mget", params=_GET_PARAMS)
    @route(("GET", "POST"), "/{index}/_mget", params=_GET_PARAMS)
    def mget(request: RestRequest):
        body = request.json(required=True) or {}
        default_index = request.path_params.get("index")
        if "ids" in body:
            specs = [{"_id": i} for i in body["ids"]]
        elif "docs" in body:
            specs = body["docs"]
        else:
            raise errors.action_request_validation("no documents to get")
        docs = []
        for spec in specs:
            name = spec.get("_index", default_index)
            doc_id = str(spec.get("_id"))
            if name is None:
                raise errors.action_request_validation("index is missing for doc 0")
            try:
                index = cluster.resolve(name, allow_no_indices=False)[0]
                auth.authorize_indices(request.principal, "indices:data/read/mget", [index.name])
                _, row = index.get(doc_id, spec.get("routing"))
            except errors.EsError as exc:
                docs.append({"_index": name, "_id": doc_id, "error": exc.fragment() | {"root_cause": exc.root_causes()}})
                continue
            if row is None or not row.found:
                docs.append({"_index": index.name, "_id": doc_id, "found": False})
            else:
                docs.append({"_index": index.name, "_id": doc_id, "_version": row.version, "_seq_no": row.seq_no,
                             "_primary_term": row.primary_term, "found": True, "_source": row.source})
        return {"docs": docs}


def _readable(cluster: "Cluster", request: RestRequest) -> "Index":
    name = request.path_params["index"]
    indices = cluster.resolve(name, allow_no_indices=False)
    if len(indices) > 1:
        raise errors.illegal_argument(f"alias [{name}] has more than one index associated with it [{', '.join(i.name for i in indices)}], can't execute a single index op")
    index = indices[0]
    index.check_open()
    return index


def update_document(index: "Index", doc_id: str, body: dict[str, Any], routing: str | None,
                    if_seq_no: int | None, if_term: int | None) -> WriteResult | dict[str, Any]:
    """Partial update (`doc`, `upsert`, `doc_as_upsert`); an unchanged document is a noop."""
    if "script" in body:
        raise errors.not_implemented("_update with a script")
    partial = body.get("doc")
    if partial is None and "upsert" not in body:
        raise errors.action_request_validation("script or doc is missing")
    _, row = index.get(doc_id, routing)
    if row is None or not row.found:
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
