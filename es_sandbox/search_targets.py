"""What a search reads: the indices an expression names, and their shards as the search engine sees them.

A shard is read as of a refresh point (`Shard.refreshed_seq_no` for a plain search, the point a
reader froze for a point in time or a scroll): documents written after it are not searchable yet,
though GET by id sees them. `ShardView` is the engine's `Shard` protocol over `ShardStore.visible_docs`,
which streams a shard's documents in seq_no order from `after_seq_no` on.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Iterator

from . import errors
from .index import shard_for
from .readers import primary_node
from .remote_errors import no_such_remote
from .search import Doc

if TYPE_CHECKING:
    from .cluster import Cluster
    from .index import Index
    from .rest import RestRequest

INDICES_OPTIONS = ("ignore_unavailable", "allow_no_indices", "expand_wildcards", "ignore_throttled")


class ShardView:
    """One shard of one index, frozen at `at_seq_no`."""

    def __init__(self, cluster: "Cluster", index: "Index", shard_id: int, shard_index: int, at_seq_no: int,
                 node_id: str | None = None) -> None:
        self.cluster = cluster
        self.source_index = index
        self.index = index.name
        self.index_uuid = index.uuid
        self.shard_id = shard_id
        self.shard_index = shard_index
        self.mappings = index.mappings
        self.at_seq_no = at_seq_no
        self.node_id = node_id or primary_node(cluster, index, shard_id)
        self.max_result_window = int(index.setting("index.max_result_window"))

    @property
    def view_key(self) -> tuple[str, int, int]:
        """What this view sees is fixed by these: the engine may remember counts under it."""
        return self.index_uuid, self.shard_id, self.at_seq_no

    def docs(self, after_seq_no: int | None) -> Iterator[Doc]:
        start = -1 if after_seq_no is None else after_seq_no
        for seq_no, doc_id, source, version, term, routing in self.source_index.store.visible_rows(
                self.shard_id, self.at_seq_no, start):
            yield Doc(seq_no, doc_id, json.loads(source), version, term, routing)

    def count_visible(self, after_seq_no: int, up_to: int | None, limit: int | None) -> int:
        """Documents after `after_seq_no` (and at or before `up_to`), counted in the store, up to `limit`."""
        return self.source_index.store.visible_count(self.shard_id, self.at_seq_no, limit,
                                                     after_seq_no=after_seq_no, up_to=up_to)

    def index_matches(self, expression: str) -> bool:
        """SearchIndexNameMatcher: the expression, resolved leniently as a search's would be, names this
        index; one naming a cluster (`alias:index`) never names a local shard's."""
        if ":" in expression:
            return False
        try:
            named = self.cluster.resolve(expression, expand_wildcards="open", ignore_unavailable=True)
        except errors.EsError:
            return False
        return any(index.name == self.index for index in named)


def resolve_indices(cluster: "Cluster", request: "RestRequest", action: str, expression: str | None = None,
                    default_expand: str = "open") -> list["Index"]:
    """The open indices a search-like request targets, authorized for `action`.

    Names given explicitly must be open (index_closed_exception otherwise, unless ignore_unavailable);
    wildcards expand only to indices the user may read, as Elasticsearch's security does.
    """
    expression = expression if expression is not None else request.path_params.get("index")
    check_local(cluster, expression)
    ignore_unavailable = request.bool_param("ignore_unavailable")
    allow_no_indices = request.bool_param("allow_no_indices", True)
    expand = request.param("expand_wildcards") or default_expand
    request.bool_param("ignore_throttled")
    indices = cluster.resolve(expression, expand_wildcards=expand, ignore_unavailable=ignore_unavailable,
                              allow_no_indices=allow_no_indices)
    explicit = {p for p in (expression or "").split(",") if p and "*" not in p and not p.startswith("-")}
    chosen = []
    for index in indices:
        named = index.name in explicit or any(alias in explicit for alias in index.aliases)
        if named:
            cluster.security.authorize_indices(request.principal, action, [index.name])
        elif not _allowed(cluster, request, action, index.name):
            continue
        if not index.is_open:
            if named and not ignore_unavailable:
                raise errors.index_closed(index.name, index.uuid)
            continue
        chosen.append(index)
    return chosen


def _allowed(cluster: "Cluster", request: "RestRequest", action: str, name: str) -> bool:
    try:
        cluster.security.authorize_indices(request.principal, action, [name])
    except errors.EsError:
        return False
    return True


def check_local(cluster: "Cluster", expression: str | None) -> None:
    """Cross-cluster expressions (`alias:index`) are not searched by the practice clusters."""
    for part in (expression or "").split(","):
        alias, sep, _ = part.lstrip("-").partition(":")
        if not sep or part.startswith("<"):
            continue
        remotes = cluster.services.get("remotes")
        known = remotes.aliases() if remotes is not None else []
        if "*" not in alias and alias not in known:
            raise no_such_remote(alias)
        raise errors.not_implemented("cross-cluster search")


def shard_views(cluster: "Cluster", indices: list["Index"], routing: str | None = None) -> list[ShardView]:
    """Every shard of `indices` (only those `routing` selects), in the order Elasticsearch numbers them."""
    views: list[ShardView] = []
    for index in sorted(indices, key=lambda i: i.name):
        wanted = range(index.number_of_shards)
        if routing:
            wanted = sorted({shard_for("", r, index.number_of_shards) for r in routing.split(",")})
        for shard_id in wanted:
            views.append(ShardView(cluster, index, shard_id, len(views), index.shards[shard_id].refreshed_seq_no))
    return views
