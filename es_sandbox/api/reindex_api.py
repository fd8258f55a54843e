"""`_delete_by_query` and `_reindex` (local source), inline or as tasks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import by_query
from ..rest import RestRequest, RestResponse

if TYPE_CHECKING:
    from ..cluster import Cluster

_INDICES_OPTIONS = ("ignore_unavailable", "allow_no_indices", "expand_wildcards")
_BULK_BY_SCROLL = ("refresh", "timeout", "wait_for_active_shards", "wait_for_completion", "requests_per_second",
                   "scroll", "slices", "max_docs")
DELETE_BY_QUERY_PARAMS = (*_INDICES_OPTIONS, *_BULK_BY_SCROLL, "analyzer", "analyze_wildcard", "conflicts",
                          "default_operator", "df", "from", "lenient", "preference", "q", "routing", "scroll_size",
                          "search_timeout", "search_type", "sort", "stats", "terminate_after", "version",
                          "request_cache")
REINDEX_PARAMS = (*_BULK_BY_SCROLL, "require_alias")


def register(cluster: "Cluster") -> None:
    route = cluster.router.route

    @route("POST", "/{index}/_delete_by_query", params=DELETE_BY_QUERY_PARAMS)
    def delete_by_query(request: RestRequest) -> RestResponse:
        return by_query.delete_by_query(cluster, request)

    @route("POST", "/_reindex", params=REINDEX_PARAMS)
    def reindex(request: RestRequest) -> RestResponse:
        return by_query.reindex(cluster, request)
