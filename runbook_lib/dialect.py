"""How each Elasticsearch version from 6.7 to 9.x spells the requests the runbooks send, and shapes
the answers they read. Every module that builds a request or reads an answer that differs by
version asks here, so the notebooks stay the same for every version.

    difference                         6.7 / 6.8                  7.x                      8.x / 9.x
    security APIs                      /_xpack/security/...       /_security/...           /_security/...
    licence                            /_xpack/license            /_license                /_license
    mappings in requests and answers   one type: {"_doc": {...}}  typeless                 typeless
    document paths and bulk actions    the index's type           _doc (typeless)          _doc (typeless)
    write block                        index.blocks.write setting PUT <index>/_block/write from 7.9
    _cat/indices expand_wildcards      refused (unknown param)    accepted from 7.7        accepted
    remote connection modes            sniff only (no .mode key)  proxy from 7.7           sniff or proxy
    soft deletes                       off unless set at creation on by default            always on

Sources: the 6.x reference pages of each API (`_xpack/security/user/_has_privileges`,
`_xpack/license`, "Removal of mapping types"), the 7.9 add-index-block API, the 7.7 remote-clusters
page (connection modes), the 6.7 `seq_no_primary_term` search parameter (so 6.7 can be compared),
elastic/elasticsearch#53248 (7.7: `_cat/indices` takes indices options; before, it lists open and
closed indices and refuses the parameter).
"""

from __future__ import annotations

from typing import Any, Mapping

from .versions import Version

DEFAULT_TYPE = "_doc"
_BLOCK_API_SINCE = Version(7, 9, 0)
_PROXY_MODE_SINCE = Version(7, 7, 0)
_CAT_INDICES_OPTIONS_SINCE = Version(7, 7, 0)
# Keys that sit directly under `mappings` in a typeless mapping; a 6.x mapping has its type name there instead.
_MAPPING_KEYS = frozenset({"properties", "dynamic", "dynamic_templates", "_source", "_routing", "_meta",
                           "_field_names", "_all", "date_detection", "numeric_detection", "dynamic_date_formats",
                           "runtime", "enabled", "_data_stream_timestamp", "subobjects"})


def has_mapping_types(version: Version) -> bool:
    """6.x indices have exactly one mapping type, named in mappings, document paths and bulk actions."""
    return version.major < 7


def security_path(version: Version, api: str) -> str:
    """`security_path(v, "_authenticate")` -> `/_security/_authenticate` (7.0+) or `/_xpack/security/...`."""
    return f"/_xpack/security/{api}" if version.major < 7 else f"/_security/{api}"


def licence_path(version: Version) -> str:
    # 6.7-7.x serve both spellings (7.x warns on `_xpack`); 8.x removed `_xpack`. On 6.x the `_xpack`
    # spelling is the one every 6.x release and vendor build answers.
    return "/_xpack/license" if version.major < 7 else "/_license"


def untyped_mappings(mappings: Mapping[str, Any]) -> dict[str, Any]:
    """A mapping without its 6.x type level, so a 6.8 leader and a 7.x follower compare equal.

    Read by shape, not by version: a 6.x index answers `{"_doc": {"properties": ...}}` (or another
    type name), every later version `{"properties": ...}`.
    """
    if len(mappings) == 1:
        (name, inner), = mappings.items()
        if name not in _MAPPING_KEYS and isinstance(inner, Mapping):
            return dict(inner)
    return dict(mappings)


def mapping_type(mappings: Mapping[str, Any]) -> str:
    """The 6.x type name a `GET <index>/_mapping` answer shows (`_doc` when it shows none)."""
    if len(mappings) == 1:
        (name, inner), = mappings.items()
        if name not in _MAPPING_KEYS and isinstance(inner, Mapping):
            return str(name)
    return DEFAULT_TYPE


def create_index_body(version: Version, settings: Mapping[str, Any],
                      mappings: Mapping[str, Any] | None) -> dict[str, Any]:
    """`PUT <index>` body: typeless mappings wrapped in `_doc` on 6.x (7.x+ refuse a type there)."""
    body: dict[str, Any] = {"settings": dict(settings)}
    if mappings:
        plain = untyped_mappings(mappings)
        body["mappings"] = {DEFAULT_TYPE: plain} if has_mapping_types(version) else plain
    return body


def bulk_metadata(version: Version, index: str, doc_id: str, doc_type: str = DEFAULT_TYPE) -> dict[str, Any]:
    """A bulk action's metadata: 6.x refuses an action without `_type` ("type is missing")."""
    meta = {"_index": index, "_id": doc_id}
    if has_mapping_types(version):
        meta["_type"] = doc_type
    return meta


def has_block_api(version: Version) -> bool:
    """`PUT <index>/_block/write` exists from 7.9."""
    return version >= _BLOCK_API_SINCE


def write_block_request(version: Version, index: str) -> tuple[str, str, dict[str, Any] | None]:
    """(method, path, body) that blocks writes: the add-block API from 7.9, the setting before.

    The API also waits for writes in flight to finish; the setting does not, so the cutover's checks
    of the leader's checkpoints (re-read just before promoting) are what make either one safe.
    """
    if has_block_api(version):
        return "PUT", f"/{index}/_block/write", None
    return "PUT", f"/{index}/_settings", {"index.blocks.write": True}


def cat_indices_options(version: Version) -> dict[str, str]:
    """What makes `_cat/indices` list every index, closed and hidden ones included."""
    return {"expand_wildcards": "all"} if version >= _CAT_INDICES_OPTIONS_SINCE else {}


def has_proxy_mode(version: Version) -> bool:
    """`cluster.remote.<alias>.mode` (sniff or proxy) exists from 7.7; older clusters only sniff."""
    return version >= _PROXY_MODE_SINCE
