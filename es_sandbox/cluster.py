"""A practice cluster inside its process: metadata, indices, settings, and the services around them.

Handlers reach everything through one `Cluster`. Index names resolve as Elasticsearch resolves them
(comma lists, wildcards, aliases, `_all`, `-exclusions`, `expand_wildcards`, `ignore_unavailable`).
"""

from __future__ import annotations

import fnmatch
import logging
import os
import threading
import time
from typing import Any, Callable

from . import errors, index_settings
from .config import ClusterConfig
from .index import Index, new_index_meta
from .metadata_store import MetadataStore
from .rest import RestRequest, RestResponse, Router
from .version import Version

log = logging.getLogger(__name__)

_INVALID_CHARS = ["\\", "/", "*", "?", '"', "<", ">", "|", " ", ",", "#"]


def validate_index_name(name: str) -> None:
    def invalid(reason: str) -> errors.EsError:
        return errors.EsError(400, "invalid_index_name_exception", f"Invalid index name [{name}], {reason}", index_uuid="_na_", index=name)

    if name in (".", ".."):
        raise invalid("must not be '.' or '..'")
    if name != name.lower():
        raise invalid("must be lowercase")
    if any(c in name for c in _INVALID_CHARS):
        raise invalid('must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?]')
    if ":" in name:
        raise invalid("must not contain ':'")
    if name[0] in "_-+":
        raise invalid("must not start with '_', '-', or '+'")
    if len(name.encode()) > 255:
        raise invalid("index name is too long, (" + str(len(name.encode())) + " > 255)")


class Cluster:
    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.version = Version.parse(config.version)
        self.started_at = time.time()
        os.makedirs(config.data_dir, exist_ok=True)
        self.store = MetadataStore(os.path.join(config.data_dir, "cluster.sqlite"))
        self.lock = threading.RLock()  # guards the set of indices and cluster-level metadata
        self.indices: dict[str, Index] = {}
        for meta in self.store.load_indices():
            self._attach(Index(meta, config.data_dir, config.flavour))
        self.router = Router()
        self.listeners: list[Callable[[str, Any], None]] = []  # cluster-state change observers
        self.stopping = threading.Event()
        from .security import Security  # noqa: PLC0415 - services need the cluster half-built

        self.security = Security(self)
        self.services: dict[str, Any] = {}

    # --- dispatch ---------------------------------------------------------------------------

    def dispatch(self, request: RestRequest) -> RestResponse:
        from .http_server import handle  # noqa: PLC0415

        response = handle(self, request)
        self.security.audit(request, response)
        return response

    def notify(self, event: str, payload: Any = None) -> None:
        for listener in list(self.listeners):
            try:
                listener(event, payload)
            except Exception:  # an observer's failure must not fail the change that happened
                log.exception("listener failed on %s", event)

    # --- indices ----------------------------------------------------------------------------

    def _attach(self, index: Index) -> None:
        index.on_metadata_change = self._persist_index
        self.indices[index.name] = index

    def _persist_index(self, index: Index) -> None:
        self.store.save_index(index.uuid, index.meta())

    def index_by_uuid(self, uuid: str) -> Index | None:
        return next((i for i in self.indices.values() if i.uuid == uuid), None)

    def create_index(
        self,
        name: str,
        settings: dict[str, Any] | None = None,
        mappings: dict | None = None,
        aliases: dict | None = None,
        private: dict[str, str] | None = None,
        ccr: dict[str, Any] | None = None,
        mapping_type: str | None = None,
        warnings: list[str] | None = None,
    ) -> Index:
        """`mapping_type`: a 6.x index's type (mappings are then its body); `warnings` collects deprecations."""
        # MetadataCreateIndexService: the settings are validated before the name.
        flavour = index_settings.effective_flavour(self.config.flavour, self.version)
        flat = index_settings.validate_new(index_settings.flatten(settings), flavour)
        validate_index_name(name)
        deprecations = index_settings.check_soft_deletes(flat, self.version, name)
        # A follower is restored from its leader's metadata: the vendor's default applies to new indices only.
        if flavour == "vendor" and ccr is None:
            flat.setdefault("index.replication.type", "physical")
        flat.update(private or {})
        from .mapping import Mappings  # noqa: PLC0415

        Mappings.from_body(mappings)  # validate before anything is written
        with self.lock:
            if name in self.indices:
                existing = self.indices[name]
                raise errors.resource_already_exists(name, existing.uuid)
            if name in self.alias_names():
                raise errors.EsError(400, "invalid_index_name_exception", f"Invalid index name [{name}], already exists as alias", index_uuid="_na_", index=name)
            meta = new_index_meta(name, flat, mappings, aliases, self.version.id)
            meta["ccr"] = ccr
            meta["mapping_type"] = mapping_type
            if not self.version.at_least("7.10.0"):  # data tiers (and their default preference) came in 7.10
                meta["settings"].pop("index.routing.allocation.include._tier_preference", None)
            index = Index(meta, self.config.data_dir, self.config.flavour)
            self._attach(index)
            self._persist_index(index)
        if warnings is not None:
            warnings.extend(deprecations)
        self.notify("index_created", index)
        return index

    def delete_index(self, index: Index) -> None:
        with self.lock:
            self.indices.pop(index.name, None)
            self.store.delete_index(index.uuid)
            index.close_store()
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.remove(index.path + suffix)
                except OSError:
                    pass
        self.notify("index_deleted", index)

    def alias_names(self) -> set[str]:
        return {alias for index in self.indices.values() for alias in index.aliases}

    def get_index(self, name: str) -> Index:
        index = self.indices.get(name)
        if index is None:
            raise errors.index_not_found(name)
        return index

    def resolve(
        self,
        expression: str | None,
        expand_wildcards: str = "open",
        ignore_unavailable: bool = False,
        allow_no_indices: bool = True,
        allow_aliases: bool = True,
    ) -> list[Index]:
        """Indices named by an index expression, in name order, as Elasticsearch resolves them."""
        if not expression or expression in ("_all", "*"):
            parts = ["*"]
        else:
            parts = [p for p in expression.split(",") if p]
        states = {"open", "closed"} if "all" in expand_wildcards else {
            s for s in ("open", "closed") if s in expand_wildcards.split(",")
        }
        chosen: dict[str, Index] = {}
        for part in parts:
            exclude = part.startswith("-") and chosen
            pattern = part[1:] if exclude else part
            if "*" in pattern:
                names = [n for n, i in self.indices.items() if fnmatch.fnmatchcase(n, pattern) and
                         (("open" if i.is_open else "closed") in states) and
                         (not n.startswith(".") or pattern.startswith("."))]
                if allow_aliases:
                    for n, i in self.indices.items():
                        if any(fnmatch.fnmatchcase(a, pattern) for a in i.aliases):
                            names.append(n)
                if not names and not allow_no_indices and not exclude:
                    raise errors.index_not_found(pattern)
            elif pattern in self.indices:
                names = [pattern]
            elif allow_aliases and pattern in self.alias_names():
                names = [n for n, i in self.indices.items() if pattern in i.aliases]
            else:
                if exclude:
                    names = []
                elif ignore_unavailable:
                    continue
                else:
                    raise errors.index_not_found(pattern)
            for name in names:
                if exclude:
                    chosen.pop(name, None)
                else:
                    chosen[name] = self.indices[name]
        if not chosen and not allow_no_indices:
            raise errors.index_not_found(expression or "_all")
        return [chosen[n] for n in sorted(chosen)]

    def resolve_write_index(self, name: str, auto_create: bool = True) -> Index:
        """The index a document write goes to: a concrete index, or an alias's write index."""
        if name in self.indices:
            return self.indices[name]
        holders = [i for i in self.indices.values() if name in i.aliases]
        if holders:
            writers = [i for i in holders if i.aliases[name].get("is_write_index") is True]
            if len(holders) == 1 and holders[0].aliases[name].get("is_write_index") is not False:
                return holders[0]
            if len(writers) == 1:
                return writers[0]
            raise errors.illegal_argument(
                f"no write index is defined for alias [{name}]. The write index may be explicitly disabled using "
                "is_write_index=false or the alias points to multiple indices without one being designated as a write index"
            )
        if not auto_create:
            raise errors.index_not_found(name)
        self._check_auto_create(name)
        try:
            return self.create_index(name)
        except errors.EsError as exc:
            if exc.type == "resource_already_exists_exception":
                return self.indices[name]
            raise

    def _check_auto_create(self, name: str) -> None:
        """AutoCreateIndex.shouldAutoCreate: `true`, `false`, or `+pattern,-pattern` tried in order."""
        value = str(self.cluster_setting("action.auto_create_index", "true"))

        def refuse(why: str) -> errors.EsError:
            return errors.EsError(404, "index_not_found_exception", f"no such index [{name}] and {why}", index_uuid="_na_", index=name)

        if value.lower() == "true":
            return
        if value.lower() == "false":
            raise refuse("[action.auto_create_index] is [false]")
        for expression in (e.strip() for e in value.split(",") if e.strip()):
            include = not expression.startswith("-")
            pattern = expression[1:] if expression[0] in "+-" else expression
            if fnmatch.fnmatchcase(name, pattern):
                if include:
                    return
                raise refuse(f"[action.auto_create_index] contains [-{pattern}] which forbids automatic creation of the index")
        raise refuse(f"[action.auto_create_index] ([{value}]) doesn't match")

    # --- cluster settings -------------------------------------------------------------------

    def cluster_settings(self) -> dict[str, dict[str, str]]:
        return {
            "persistent": self.store.get("cluster", "persistent", {}),
            "transient": self.store.get("cluster", "transient", {}),
        }

    def cluster_setting(self, key: str, default: str | None = None) -> str | None:
        both = self.cluster_settings()
        return both["transient"].get(key, both["persistent"].get(key, default))

    def save_cluster_settings(self, persistent: dict[str, str], transient: dict[str, str]) -> None:
        self.store.put("cluster", "persistent", persistent)
        self.store.put("cluster", "transient", transient)
        self.notify("cluster_settings", None)

    # --- licence ----------------------------------------------------------------------------

    @property
    def license_type(self) -> str:
        return self.store.get("license", "current", {"type": self.config.license})["type"]

    def license_allows_ccr(self) -> bool:
        return self.license_type in ("trial", "platinum", "enterprise")

    def close(self) -> None:
        self.stopping.set()
        for index in list(self.indices.values()):
            index.close_store()
        self.store.close()
