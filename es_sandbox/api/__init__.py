"""The REST endpoints, one module per API group; each module's `register(cluster)` adds its routes."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..cluster import Cluster

MODULES = [
    "root",
    "indices_api",
    "documents_api",
    "typed_documents_api",
    "bulk_api",
    "search_api",
    "reindex_api",
    "resolve_api",
    "cluster_api",
    "cat_api",
    "nodes_api",
    "stats_api",
    "license_api",
    "security_api",
    "remote_api",
    "ccr_api",
    "tasks_api",
    "sandbox_api",
    "unimplemented",
]


def register_all(cluster: "Cluster") -> None:
    for name in MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # an API group not built yet
            raise
        module.register(cluster)
