"""Document APIs with the mapping type in the path: `/{index}/{type}/{id}`, `/{index}/{type}`,
`/{index}/{type}/{id}/_create`.

They are 6.x's own endpoints. 7.x still routes them (RestIndexAction, RestGetAction and
RestDeleteAction of 7.x) with a deprecation `Warning`, echoes the path's type as `_type` and in
`Location`, and maps the type as 6.x does: a 7.x index has one type, so another one is refused with
"Rejecting mapping update ... more than 1 type". 8.0 removed them. The typed `_bulk` path is in
bulk_api.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..index_admin import deprecation_headers
from ..mapping_types import SINGLE
from ..rest import RestRequest, RestResponse
from .documents_api import GET_PARAMS, WRITE_PARAMS, url_encode

if TYPE_CHECKING:
    from ..cluster import Cluster

# The messages of 7.x's RestIndexAction (index, create), RestGetAction and RestDeleteAction.
INDEX_WARNING = ("[types removal] Specifying types in document index requests is deprecated, use the typeless "
                 "endpoints instead (/{index}/_doc/{id}, /{index}/_doc, or /{index}/_create/{id}).")
GET_WARNING = ("[types removal] Specifying types in document get requests is deprecated, use the /{index}/_doc/{id} "
               "endpoint instead.")
DELETE_WARNING = ("[types removal] Specifying types in document index requests is deprecated, use the "
                  "/{index}/_doc/{id} endpoint instead.")


def _as_7x(cluster: "Cluster", request: RestRequest, answer: Any, warning: str | None) -> RestResponse:
    """The answer of the shared handler as 7.x's typed endpoint gives it: the path's type echoed."""
    response = answer if isinstance(answer, RestResponse) else RestResponse(200, answer)
    doc_type = request.path_params["type"]
    if isinstance(response.body, dict) and "_type" in response.body:
        response.body["_type"] = doc_type
    headers = dict(response.headers or {})
    if "Location" in headers:  # DocWriteResponse.getLocation: /{index}/{type}/{id}
        _, index, _, rest = headers["Location"].split("/", 3)
        headers["Location"] = f"/{index}/{url_encode(doc_type)}/{rest}"
    if warning is not None:
        headers.update(deprecation_headers(cluster, [warning]))
    response.headers = headers
    return response


def register(cluster: "Cluster") -> None:
    if not cluster.version.returns_doc_type:
        return
    route = cluster.router.route
    handlers = cluster.services["documents"]
    deprecated = not cluster.version.has_mapping_types

    def typed(handler: Callable[[RestRequest], Any], warning: str, warn_on_doc: bool = True):
        def answer(request: RestRequest) -> Any:
            result = handler(request)
            if not deprecated:
                return result
            # RestIndexAction warns only for a type other than `_doc`; get and delete for any typed path.
            warns = warn_on_doc or request.path_params["type"] != SINGLE
            return _as_7x(cluster, request, result, warning if warns else None)
        return answer

    write = handlers["write"]
    route("POST", "/{index}/{type}", params=WRITE_PARAMS)(
        typed(lambda r: write(r, "index", None), INDEX_WARNING, warn_on_doc=False))
    route(("PUT", "POST"), "/{index}/{type}/{id}", params=WRITE_PARAMS)(
        typed(lambda r: write(r, "index", r.path_params["id"]), INDEX_WARNING, warn_on_doc=False))
    route(("PUT", "POST"), "/{index}/{type}/{id}/_create", params=WRITE_PARAMS)(
        typed(lambda r: write(r, "create", r.path_params["id"]), INDEX_WARNING, warn_on_doc=False))
    route("GET", "/{index}/{type}/{id}", params=GET_PARAMS)(typed(handlers["get"], GET_WARNING))
    route("DELETE", "/{index}/{type}/{id}", params=WRITE_PARAMS)(typed(handlers["delete"], DELETE_WARNING))
