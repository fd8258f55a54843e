"""The `/_xpack/...` spellings of the licence and security APIs, as each version has them.

6.7 added `/_license/...` and `/_security/...` beside the older `/_xpack/license/...` and
`/_xpack/security/...` (elastic/elasticsearch#37139, #36293); 7.x kept the old paths, each answering
with a deprecation `Warning` naming the new one (RestController.registerWithDeprecatedHandler:
"[GET /_xpack/license] is deprecated! Use [GET /_license] instead."); 8.0 removed them (#48170), so
there they answer like any unknown path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from . import errors
from .rest import Handler, RestRequest, RestResponse

if TYPE_CHECKING:
    from .cluster import Cluster


def xpack_path(path: str) -> str:
    """`/_license/start_trial` -> `/_xpack/license/start_trial`; `/_security/user` -> `/_xpack/security/user`."""
    return "/_xpack/" + path.lstrip("/_")


def add(cluster: "Cluster", methods: str | Iterable[str], path: str, handler: Handler,
        params: Iterable[str] | None = None, xpack_alias: bool = True) -> None:
    """Registers `path`, and its `_xpack` spelling where the version has one."""
    cluster.router.add(methods, path, handler, params)
    if xpack_alias and cluster.version.has_xpack_api_paths:
        old = xpack_path(path)
        alias = _deprecated(cluster, handler, old, path) if cluster.version.xpack_api_paths_deprecated else handler
        cluster.router.add(methods, old, alias, params)


def _deprecated(cluster: "Cluster", handler: Handler, old: str, new: str) -> Handler:
    def answer(request: RestRequest):
        # Logged when the request is dispatched, so an error answer carries the warning too.
        warning = {"Warning": cluster.version.warning(
            f"[{request.method} {old}] is deprecated! Use [{request.method} {new}] instead.")}
        try:
            result = handler(request)
        except errors.EsError as exc:
            exc.headers = {**exc.headers, **warning}
            raise
        response = result if isinstance(result, RestResponse) else RestResponse(200, result)
        response.headers = {**response.headers, **warning}
        return response

    return answer
