"""`_search`, `_count`, points in time (`_pit`) and scrolls (`_search/scroll`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors, readers, search_contexts, search_service, search_versions
from ..rest import RestRequest, RestResponse

if TYPE_CHECKING:
    from ..cluster import Cluster

_INDICES_OPTIONS = ("ignore_unavailable", "allow_no_indices", "expand_wildcards", "ignore_throttled")
_QUERY_STRING = ("q", "df", "analyzer", "analyze_wildcard", "default_operator", "lenient")
SEARCH_PARAMS = (*_INDICES_OPTIONS, *_QUERY_STRING, "allow_partial_search_results", "batched_reduce_size",
                 "ccs_minimize_roundtrips", "docvalue_fields", "explain", "from", "include_named_queries_score",
                 "max_concurrent_shard_requests", "min_compatible_shard_node", "pre_filter_shard_size", "preference",
                 "request_cache", "rest_total_hits_as_int", "routing", "scroll", "search_type", "seq_no_primary_term",
                 "size", "sort", "_source", "_source_excludes", "_source_includes", "stats", "stored_fields",
                 "suggest_field", "suggest_mode", "suggest_size", "suggest_text", "terminate_after", "timeout",
                 "track_scores", "track_total_hits", "typed_keys", "version", "force_synthetic_source")
COUNT_PARAMS = (*_INDICES_OPTIONS, *_QUERY_STRING, "min_score", "preference", "routing", "terminate_after")
PIT_PARAMS = ("keep_alive", "ignore_unavailable", "expand_wildcards", "preference", "routing",
              "allow_partial_search_results", "max_concurrent_shard_requests")


def _scroll_body(request: RestRequest) -> tuple[str | None, str | None]:
    """SearchScrollRequest: the id and keep-alive from the URL, overridden by the body's."""
    scroll_id = request.path_params.get("scroll_id") or request.param("scroll_id")
    keep_alive = request.param("scroll")
    body = request.json() if request.has_body else None
    if body is not None:
        if not isinstance(body, dict):
            raise errors.illegal_argument("Malformed content, must start with an object")
        for key, value in body.items():
            if key in ("scroll_id", "scroll") and isinstance(value, str):
                scroll_id, keep_alive = (value, keep_alive) if key == "scroll_id" else (scroll_id, value)
            else:
                raise errors.illegal_argument(f"Unknown parameter [{key}] in request body or parameter is of the "
                                              f"wrong type[{search_contexts.token_name(value)}] ")
    return scroll_id, keep_alive


def _clear_scroll_ids(request: RestRequest) -> list[str]:
    ids = [i for i in (request.path_params.get("scroll_id") or request.param("scroll_id") or "").split(",") if i]
    body = request.json() if request.has_body else None
    if body is not None:
        if not isinstance(body, dict):
            raise errors.illegal_argument("Malformed content, must start with an object")
        for key, value in body.items():
            if key != "scroll_id":
                raise errors.illegal_argument(f"Unknown parameter [{key}] in request body or parameter is of the "
                                              f"wrong type[{search_contexts.token_name(value)}] ")
            values = value if isinstance(value, list) else [value]
            for item in values:
                if isinstance(item, (dict, list)):
                    element = "scroll_id array element" if isinstance(value, list) else "scroll_id element"
                    raise errors.illegal_argument(f"{element} should only contain scroll_id")
                ids.append(str(item))
    return ids


def register(cluster: "Cluster") -> None:
    readers.register(cluster)
    route = cluster.router.route

    @route(("GET", "POST"), "/_search", params=SEARCH_PARAMS)
    @route(("GET", "POST"), "/{index}/_search", params=SEARCH_PARAMS)
    def search(request: RestRequest) -> Any:
        body = search_service.parse_body(request)
        search_versions.refuse_unknown_keys(cluster, request, body)
        scroll = request.param("scroll")
        parsed = search_service.parse(request, body, scroll=scroll is not None,
                                      shard_doc=cluster.version.has_shard_doc_sort)
        search_versions.adapt_request(cluster, request, body, parsed)
        if parsed.pit is not None:
            return search_versions.present(cluster, search_contexts.search_pit(cluster, request, parsed))
        if scroll is not None:
            return search_versions.present(cluster, search_contexts.start_scroll(cluster, request, parsed, scroll))
        return search_versions.present(cluster, search_service.search(cluster, request, parsed))

    @route(("GET", "POST"), "/_count", params=COUNT_PARAMS)
    @route(("GET", "POST"), "/{index}/_count", params=COUNT_PARAMS)
    def count(request: RestRequest) -> Any:
        return search_service.count(cluster, request)

    @route(("GET", "POST"), "/_search/scroll", params=("scroll", "scroll_id", "rest_total_hits_as_int"))
    @route(("GET", "POST"), "/_search/scroll/{scroll_id}", params=("scroll", "rest_total_hits_as_int"))
    def scroll(request: RestRequest) -> Any:
        scroll_id, keep_alive = _scroll_body(request)
        if not scroll_id:
            raise errors.action_request_validation("scrollId is missing")
        return search_versions.present(cluster, search_contexts.continue_scroll(
            cluster, scroll_id, keep_alive, request.bool_param("rest_total_hits_as_int")))

    @route("DELETE", "/_search/scroll", params=("scroll_id",))
    @route("DELETE", "/_search/scroll/{scroll_id}", params=())
    def clear_scroll(request: RestRequest) -> RestResponse:
        status, body = search_contexts.clear_scrolls(cluster, _clear_scroll_ids(request))
        return RestResponse(status, body)

    if not cluster.version.has_point_in_time:
        return

    @route("POST", "/{index}/_pit", params=PIT_PARAMS)
    def open_pit(request: RestRequest) -> Any:
        return search_contexts.open_pit(cluster, request)

    @route("DELETE", "/_pit", params=())
    def close_pit(request: RestRequest) -> RestResponse:
        status, body = search_contexts.close_pit(cluster, request)
        return RestResponse(status, body)
