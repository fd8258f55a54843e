"""What of a search answer changed shape between versions: `hits.total` (a number before 7.0) and
`_type` on every hit (the index's type on 6.x, `_doc` on 7.x, absent from 8.0)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors, json_body, mapping_types
from .jsonloc import locate
from .search_request import ACCURATE

if TYPE_CHECKING:
    from .cluster import Cluster
    from .rest import RestRequest
    from .search_request import SearchRequest


def refuse_unknown_keys(cluster: "Cluster", request: "RestRequest", body: Any) -> None:
    """Before 7.10 a search body's `pit` is a key SearchSourceBuilder does not know."""
    if cluster.version.has_point_in_time or not isinstance(body, dict) or "pit" not in body:
        return
    line, col = locate(request.body, body, ("pit",))
    raise errors.parsing(f"Unknown key for a {json_body.token_name(body['pit'])} in [pit].", line, col)


def adapt_request(cluster: "Cluster", request: "RestRequest", body: dict[str, Any], parsed: "SearchRequest") -> None:
    """6.x counts every hit unless told not to (track_total_hits defaulted to true before 7.0)."""
    if cluster.version.hits_total_is_object:
        return
    if "track_total_hits" not in request.params and "track_total_hits" not in body:
        parsed.track_total_hits = ACCURATE


def present(cluster: "Cluster", response: Any) -> Any:
    hits = response.get("hits") if isinstance(response, dict) else None
    if not isinstance(hits, dict):
        return response
    if not cluster.version.hits_total_is_object:
        total = hits.get("total", -1)  # 6.x reports -1 when the total was not tracked
        response["hits"] = {"total": total["value"] if isinstance(total, dict) else total,
                            **{k: v for k, v in hits.items() if k != "total"}}
        hits = response["hits"]
    if cluster.version.returns_doc_type:
        hits["hits"] = [mapping_types.with_type(hit, _hit_type(cluster, hit)) for hit in hits.get("hits", [])]
    return response


def _hit_type(cluster: "Cluster", hit: dict[str, Any]) -> str:
    index = cluster.indices.get(hit.get("_index", ""))
    return (mapping_types.doc_type(cluster, index) if index is not None else None) or mapping_types.SINGLE
