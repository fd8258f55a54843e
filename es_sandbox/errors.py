"""Elasticsearch's exceptions, rendered as Elasticsearch renders them.

Every failure a practice cluster reports is an `EsError`. Handlers raise them; the HTTP layer turns
them into the body Elasticsearch sends:

    {"error": {"root_cause": [...], "type": ..., "reason": ..., "caused_by": ...}, "status": N}

`root_cause` follows Elasticsearch's `guessRootCauses`: the innermost exception of the chain.
"""

from __future__ import annotations

from typing import Any


# Exceptions that are not ElasticsearchException subclasses in Elasticsearch's source.
JAVA_EXCEPTION_TYPES = frozenset(
    {
        "illegal_argument_exception",
        "illegal_state_exception",
        "media_type_header_exception",
        "x_content_parse_exception",
        "json_parse_exception",
        "json_e_o_f_exception",
        "number_format_exception",
        "date_time_parse_exception",
        "unsupported_operation_exception",
        "named_object_not_found_exception",
        "arithmetic_exception",
        "annotated_connect_exception",  # Netty's, under connect_transport_exception
        "unknown_host_exception",
    }
)


class SandboxError(Exception):
    """Raised for a fault of the practice clusters themselves (not an Elasticsearch answer)."""


class EsError(Exception):
    """Raised when a request fails; carries Elasticsearch's status, type, reason and metadata."""

    def __init__(
        self,
        status: int,
        type: str,
        reason: str | None,
        caused_by: "EsError | None" = None,
        headers: dict[str, str] | None = None,
        **metadata: Any,
    ) -> None:
        super().__init__(f"{type}: {reason}")
        self.status = status
        self.type = type
        self.reason = reason
        self.caused_by = caused_by
        self.headers = headers or {}
        self.metadata = metadata

    def fragment(self) -> dict[str, Any]:
        """The exception alone, as it appears in root_cause, caused_by or a bulk item."""
        out: dict[str, Any] = {"type": self.type, "reason": self.reason}
        out.update({k.replace("__", "."): v for k, v in self.metadata.items()})
        if self.caused_by is not None:
            out["caused_by"] = self.caused_by.fragment()
        return out

    def root_causes(self) -> list[dict[str, Any]]:
        # Elasticsearch descends the cause chain only through its own exception classes; a plain Java
        # exception (IllegalArgumentException, ...) as a cause ends the descent above it.
        innermost = self
        while innermost.type not in JAVA_EXCEPTION_TYPES and innermost.caused_by is not None and innermost.caused_by.type not in JAVA_EXCEPTION_TYPES:
            innermost = innermost.caused_by
        fragment = innermost.fragment()
        fragment.pop("caused_by", None)
        return [fragment]

    def body(self) -> dict[str, Any]:
        error = {"root_cause": self.root_causes()}
        error.update(self.fragment())
        return {"error": error, "status": self.status}


# Metadata keys with a dot (resource.type) are passed with a double underscore (resource__type).


def index_not_found(name: str) -> EsError:
    return EsError(
        404,
        "index_not_found_exception",
        f"no such index [{name}]",
        resource__type="index_or_alias",
        resource__id=name,
        index_uuid="_na_",
        index=name,
    )


def index_closed(name: str, uuid: str) -> EsError:
    return EsError(400, "index_closed_exception", "closed", index_uuid=uuid, index=name)


def resource_already_exists(name: str, uuid: str) -> EsError:
    return EsError(
        400,
        "resource_already_exists_exception",
        f"index [{name}/{uuid}] already exists",
        index_uuid=uuid,
        index=name,
    )


def illegal_argument(reason: str, caused_by: EsError | None = None) -> EsError:
    return EsError(400, "illegal_argument_exception", reason, caused_by=caused_by)


def parsing(reason: str, line: int | None = None, col: int | None = None) -> EsError:
    meta: dict[str, Any] = {}
    if line is not None:
        meta = {"line": line, "col": col}
    return EsError(400, "parsing_exception", reason, **meta)


def x_content_parse(reason: str, line: int = 1, col: int = 1) -> EsError:
    return EsError(400, "x_content_parse_exception", f"[{line}:{col}] {reason}")


def action_request_validation(*problems: str) -> EsError:
    numbered = "".join(f"{i}: {p};" for i, p in enumerate(problems, start=1))
    return EsError(400, "action_request_validation_exception", f"Validation Failed: {numbered}")


def resource_not_found(reason: str) -> EsError:
    return EsError(404, "resource_not_found_exception", reason)


def status(status_code: int, reason: str) -> EsError:
    return EsError(status_code, "status_exception", reason)


def security(status_code: int, reason: str, headers: dict[str, str] | None = None) -> EsError:
    return EsError(status_code, "security_exception", reason, headers=headers)


def cluster_block(status_code: int, reason: str) -> EsError:
    return EsError(status_code, "cluster_block_exception", reason)


def version_conflict(index: str, uuid: str, doc_id: str, reason: str) -> EsError:
    return EsError(
        409,
        "version_conflict_engine_exception",
        f"[{doc_id}]: {reason}",
        index_uuid=uuid,
        shard="0",
        index=index,
    )


def not_implemented(what: str) -> EsError:
    """An Elasticsearch endpoint the practice clusters do not emulate: never mistaken for ES's answer."""
    return EsError(
        501,
        "es_sandbox_not_implemented_exception",
        f"[{what}] exists in Elasticsearch but is not emulated by the ccr-runbooks practice cluster",
    )


class _SearchPhaseError(EsError):
    """Raised when every shard failed a search phase; root_cause lists each distinct failure."""

    def __init__(self, causes: list[EsError], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._causes = causes

    def root_causes(self) -> list[dict[str, Any]]:
        roots = []
        for cause in self._causes:
            fragment = _root_of(cause).fragment()
            fragment.pop("caused_by", None)
            roots.append(fragment)
        return roots


def java_exception(type: str, reason: str, caused_by: EsError | None = None) -> EsError:
    """A plain Java exception (IllegalArgumentException...) used as a cause or a shard failure."""
    return EsError(400, type, reason, caused_by=caused_by)


def document_parsing(reason: str, line: int, col: int, caused_by: EsError | None = None) -> EsError:
    return EsError(400, "document_parsing_exception", f"[{line}:{col}] {reason}", caused_by=caused_by)


def strict_dynamic_mapping(field: str, parent_path: str, line: int, col: int) -> EsError:
    return EsError(
        400,
        "strict_dynamic_mapping_exception",
        f"[{line}:{col}] mapping set to strict, dynamic introduction of [{field}] within [{parent_path}] is not allowed",
    )


def mapper_parsing(reason: str) -> EsError:
    """A mapping definition refused while parsed (create index, put mapping, templates)."""
    return EsError(400, "mapper_parsing_exception", f"Failed to parse mapping: {reason}",
                   caused_by=EsError(400, "mapper_parsing_exception", reason))


def query_shard(reason: str, index: str, index_uuid: str, caused_by: EsError | None = None) -> EsError:
    return EsError(400, "query_shard_exception", reason, caused_by=caused_by, index_uuid=index_uuid, index=index)


def unknown_named_object(reason: str, name: str, line: int, col: int) -> EsError:
    """parsing_exception for a query or aggregation name the registry does not know.

    `reason` is the parser's message ("unknown query [foo]", "Unknown aggregation type [foo]").
    """
    cause = EsError(400, "named_object_not_found_exception", f"[{line}:{col}] unknown field [{name}]")
    return EsError(400, "parsing_exception", reason, caused_by=cause, line=line, col=col)


def _root_of(cause: EsError) -> EsError:
    """ElasticsearchException.guessRootCauses(cause)[0]: Java exceptions come back wrapped."""
    if cause.type in JAVA_EXCEPTION_TYPES:
        return EsError(cause.status, cause.type, cause.reason, caused_by=cause)
    root = cause
    while root.caused_by is not None and root.caused_by.type not in JAVA_EXCEPTION_TYPES:
        root = root.caused_by
    return root


def shard_failure(shard: int, index: str, node: str, cause: EsError) -> dict[str, Any]:
    """One entry of `failed_shards` / `_shards.failures`."""
    return {"shard": shard, "index": index, "node": node, "reason": cause.fragment()}


def group_shard_failures(failures: list[tuple[int, str, str, EsError]]) -> list[tuple[int, str, str, EsError]]:
    """ExceptionsHelper.groupBy: one failure per (index, exception type, message)."""
    seen: set[tuple[str, str, str | None]] = set()
    grouped = []
    for shard, index, node, cause in failures:
        key = (index, cause.type, cause.reason)
        if key not in seen:
            seen.add(key)
            grouped.append((shard, index, node, cause))
    return grouped


def all_shards_failed(failures: list[tuple[int, str, str, EsError]], phase: str = "query") -> EsError:
    """search_phase_execution_exception "all shards failed" from (shard, index, node, cause) tuples."""
    grouped = group_shard_failures(failures)
    causes = [cause for _, _, _, cause in grouped]
    status_code = causes[0].status
    for cause in causes[1:]:
        if cause.status >= 500:
            status_code = cause.status
    return _SearchPhaseError(
        causes,
        status=status_code,
        type="search_phase_execution_exception",
        reason="all shards failed",
        caused_by=_root_of(causes[0]),
        phase=phase,
        grouped=True,
        failed_shards=[shard_failure(*failure) for failure in grouped],
    )
