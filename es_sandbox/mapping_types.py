"""Mapping types across versions: the one type of a 6.x index, `include_type_name`, and `_type`.

6.x indices hold at most one mapping type, named by the first mapping or document that names one
(`_doc` by convention; `_doc` on a typed request resolves to the index's type, as 6.7's
MapperService.resolveDocumentType does). 7.x is typeless by default and accepts
`include_type_name=true` with a deprecation warning; 8.x refuses the parameter as unknown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors

if TYPE_CHECKING:
    from .cluster import Cluster
    from .index import Index
    from .rest import RestRequest

SINGLE = "_doc"

# RestCreateIndexAction / RestGetMappingAction / RestPutMappingAction / RestGetIndicesAction (6.7-7.x).
_CREATE_6X = ("[types removal] The parameter include_type_name should be explicitly specified in create index requests to "
              "prepare for 7.0. In 7.0 include_type_name will default to 'false', and requests are expected to omit the "
              "type name in mapping definitions.")
_USED_7X = {
    "create": "[types removal] Using include_type_name in create index requests is deprecated. "
              "The parameter will be removed in the next major version.",
    "get_mapping": "[types removal] Using include_type_name in get mapping requests is deprecated. "
                   "The parameter will be removed in the next major version.",
    "put_mapping": "[types removal] Using include_type_name in put mapping requests is deprecated. "
                   "The parameter will be removed in the next major version.",
    "get_index": "[types removal] Using `include_type_name` in get indices requests is deprecated. "
                 "The parameter will be removed in the next major version.",
}


def include_type_name(cluster: "Cluster", request: "RestRequest", api: str, warnings: list[str]) -> bool:
    """Whether mappings are typed in this request's body or answer (true by default on 6.x, false on 7.x)."""
    given = "include_type_name" in request.params
    if cluster.version.has_mapping_types:
        if api == "create" and not given:
            warnings.append(_CREATE_6X)
        return request.bool_param("include_type_name", True)
    if given:
        warnings.append(_USED_7X[api])
    return request.bool_param("include_type_name", False)


def split_typed(index_name: str, mappings: Any) -> tuple[str | None, dict[str, Any] | None]:
    """`{type: body}` of a typed create-index request -> (type, body); more than one type is refused."""
    if not isinstance(mappings, dict) or not mappings:
        return None, mappings
    if len(mappings) > 1:
        raise more_than_one_type(index_name, list(mappings))
    type_name, body = next(iter(mappings.items()))
    validate_type_name(type_name)
    return type_name, body


def parse_typed(type_name: str, body: Any) -> None:
    """Validates a typed mapping; MapperService names the type in its refusal (6.x)."""
    from .mapping import Mappings  # noqa: PLC0415 - mapping imports nothing of this module's users

    try:
        Mappings.from_body(body)
    except errors.EsError as exc:
        if exc.type != "mapper_parsing_exception" or exc.caused_by is None:
            raise
        inner = exc.caused_by.reason
        raise errors.EsError(400, "mapper_parsing_exception", f"Failed to parse mapping [{type_name}]: {inner}",
                             caused_by=errors.EsError(400, "mapper_parsing_exception", inner)) from None


def check_typeless(mappings: Any, api: str = "create index") -> None:
    """7.x without include_type_name: a body nested under `_doc` is refused (MapperService.isMappingSourceTyped)."""
    if not (isinstance(mappings, dict) and len(mappings) == 1 and SINGLE in mappings):
        return
    if api == "put mapping":  # RestPutMappingAction (7.x)
        raise errors.illegal_argument(
            "Types cannot be provided in put mapping requests, unless the include_type_name parameter is set to true.")
    raise errors.illegal_argument(
        f"The mapping definition cannot be nested under a type [{SINGLE}] unless include_type_name is set to true.")


def validate_type_name(type_name: str) -> None:
    """MapperService.validateTypeName (6.x)."""
    def invalid(reason: str) -> errors.EsError:
        return errors.EsError(400, "invalid_type_name_exception", f"mapping type name [{type_name}] {reason}")

    if not type_name:
        raise errors.EsError(400, "invalid_type_name_exception", "mapping type name is empty")
    if len(type_name) > 255:
        raise invalid(f"is too long; limit is length 255 but was [{len(type_name)}]")
    if type_name[0] == "_" and type_name != SINGLE:
        raise invalid(f"can't start with '_' unless it is called [{SINGLE}]")
    if "#" in type_name:
        raise invalid("should not include '#' in it")
    if "," in type_name:
        raise invalid("should not include ',' in it")
    if type_name[0] == ".":
        raise invalid("must not start with a '.'")


def _java_hash_bucket(text: str) -> int:
    h = 0
    for ch in text:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return (h ^ (h >> 16)) & 15  # a HashSet of two names has 16 buckets


def more_than_one_type(index_name: str, names: list[str]) -> errors.EsError:
    """MapperService.internalMerge: the types are listed in Java HashSet order, as Elasticsearch prints them."""
    listed = sorted(dict.fromkeys(names), key=_java_hash_bucket)
    return errors.illegal_argument(
        f"Rejecting mapping update to [{index_name}] as the final mapping would have more than 1 type: [{', '.join(listed)}]")


def resolve_for_write(index: "Index", type_name: str) -> str:
    """The type a 6.x document write goes to: the index's own, or a new one if it has none yet."""
    validate_type_name(type_name)
    current = index_type(index)
    if current is None:
        return type_name
    if type_name in (current, SINGLE):
        return current
    raise more_than_one_type(index.name, [current, type_name])


def adopt(index: "Index", type_name: str) -> None:
    """A 6.x index's first typed document names its type (the dynamic mapping update)."""
    if index.mappings.type_name is None:
        index.mappings.type_name = type_name
        index.persist()


def index_type(index: "Index") -> str | None:
    """The index's type; a mapping without a recorded name (e.g. copied by CCR) is `_doc`'s."""
    if index.mappings.type_name is not None:
        return index.mappings.type_name
    return SINGLE if index.mappings.to_body() else None


def doc_type(cluster: "Cluster", index: "Index") -> str | None:
    """`_type` of documents and hits: the index's type on 6.x, `_doc` on 7.x, absent from 8.0."""
    if not cluster.version.returns_doc_type:
        return None
    if cluster.version.has_mapping_types:
        return index_type(index) or SINGLE
    return SINGLE


def mapping_view(index: "Index", typed: bool) -> dict[str, Any]:
    body = index.mappings.to_body()
    if not typed:
        return body
    type_name = index_type(index)
    return {type_name: body} if type_name is not None else {}


def with_type(body: dict[str, Any], type_name: str | None) -> dict[str, Any]:
    """A document answer with `_type` right after `_index`, where Elasticsearch writes it."""
    if type_name is None:
        return body
    out: dict[str, Any] = {}
    for key, value in body.items():
        out[key] = value
        if key == "_index":
            out["_type"] = type_name
    return out
