"""The Elasticsearch version a practice cluster presents, and what of it shows in its answers."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

DEFAULT_VERSION = "8.19.3"

# The release lines a practice cluster can present (`up --version` refuses any other).
SUPPORTED_LINES = "6.7, 6.8, 7.10-7.17, 8.x, 9.x"

# Lucene shipped with each minor line (Elasticsearch release notes / Version.java of each branch).
_LUCENE = {
    (6, 7): "7.7.0", (6, 8): "7.7.3",
    (7, 10): "8.7.0", (7, 11): "8.7.0", (7, 12): "8.8.0", (7, 13): "8.8.2", (7, 14): "8.9.0", (7, 15): "8.9.0",
    (7, 16): "8.10.1", (7, 17): "8.11.3",
    (8, 0): "9.0.0", (8, 1): "9.0.0", (8, 2): "9.1.0", (8, 3): "9.2.0", (8, 4): "9.3.0", (8, 5): "9.4.1",
    (8, 6): "9.4.2", (8, 7): "9.5.0", (8, 8): "9.6.0", (8, 9): "9.7.0", (8, 10): "9.7.0", (8, 11): "9.8.0",
    (8, 12): "9.9.2", (8, 13): "9.10.0", (8, 14): "9.10.0", (8, 15): "9.11.1", (8, 16): "9.12.0", (8, 17): "9.12.0",
    (8, 18): "9.12.1", (8, 19): "9.12.2",
    (9, 0): "10.1.0", (9, 1): "10.2.2", (9, 2): "10.3.1",
}
# Build dates of the preset releases; other patches of a line reuse their line's date (the fraction's
# precision is that of the JDK each release was built with).
_BUILD_DATES = {
    (6, 7): "2019-03-21T15:32:29.844721Z", (6, 8): "2022-01-06T21:30:50.087716Z",
    (7, 10): "2021-01-13T00:42:12.435326Z", (7, 17): "2025-06-19T11:30:12.291545293Z",
    (8, 19): "2025-08-26T02:32:41.185437541Z", (9, 1): "2025-10-02T22:07:12.966975992Z",
}
_MIN_WIRE = {9: "8.18.0", 8: "7.17.0", 7: "6.8.0", 6: "5.6.0"}
_MIN_INDEX = {9: "8.0.0", 8: "7.0.0", 7: "6.0.0-beta1", 6: "5.0.0"}


@functools.total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> "Version":
        parts = text.split("-")[0].split(".")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise ValueError(f"not a version: [{text}] (expected MAJOR.MINOR.PATCH, e.g. {DEFAULT_VERSION})")
        return cls(int(parts[0]), int(parts[1]), int(parts[2]))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def __lt__(self, other: "Version") -> bool:
        return (self.major, self.minor, self.patch) < (other.major, other.minor, other.patch)

    @property
    def id(self) -> int:
        """Elasticsearch's numeric version id (as in index.version.created)."""
        return self.major * 1_000_000 + self.minor * 10_000 + self.patch * 100 + 99

    @classmethod
    def supported(cls, text: str) -> "Version":
        """The version `up --version` accepts, or ValueError naming the supported lines."""
        version = cls.parse(text)
        if not version.is_supported:
            raise ValueError(f"version [{text}] is not supported by the practice clusters; "
                             f"supported lines: {SUPPORTED_LINES} (e.g. 6.7.0, 6.8.23, 7.10.2, 7.17.29, {DEFAULT_VERSION}, 9.1.5)")
        return version

    @property
    def is_supported(self) -> bool:
        return (self.major == 6 and self.minor in (7, 8)) or (self.major == 7 and 10 <= self.minor <= 17) \
            or self.major in (8, 9)

    @property
    def lucene(self) -> str:
        return _LUCENE.get((self.major, self.minor)) or max(v for (major, _), v in _LUCENE.items() if major == self.major)

    @property
    def build_hash(self) -> str:
        """A commit id as Build shows it: abbreviated to 7 characters before 7.0, full from 7.0."""
        full = hashlib.sha1(f"es-sandbox-{self}".encode()).hexdigest()
        return full[:7] if self.major < 7 else full

    @property
    def build_date(self) -> str:
        same_major = [d for (major, _), d in sorted(_BUILD_DATES.items()) if major == self.major]
        return _BUILD_DATES.get((self.major, self.minor)) or same_major[-1]

    @property
    def minimum_wire_compatibility(self) -> str:
        return _MIN_WIRE[self.major]

    @property
    def minimum_index_compatibility(self) -> str:
        return _MIN_INDEX[self.major]

    def warning(self, message: str) -> str:
        """A `Warning` header value as HeaderWarning/DeprecationLogger write it (7.x and later)."""
        escaped = message.replace("\\", "\\\\").replace('"', '\\"')
        return f'299 Elasticsearch-{self}-{self.build_hash} "{escaped}"'

    # --- what of the version shows in the answers (issue 5); each predicate names the release that changed it

    def at_least(self, text: str) -> bool:
        return self >= Version.parse(text)

    @property
    def sends_product_header(self) -> bool:
        """`X-Elastic-Product: Elasticsearch` on every response, from 7.14."""
        return self.at_least("7.14.0")

    @property
    def compatible_with_majors(self) -> frozenset[int]:
        """Which `compatible-with=N` media types are honoured (REST API compatibility, 8.0+)."""
        return frozenset({self.major, self.major - 1}) if self.major >= 8 else frozenset()

    @property
    def hits_total_is_object(self) -> bool:
        """`hits.total` is `{"value", "relation"}` from 7.0, a number before."""
        return self.major >= 7

    @property
    def has_mapping_types(self) -> bool:
        """6.x indices have one mapping type (`_doc` by convention) in mappings, documents and hits."""
        return self.major < 7

    @property
    def returns_doc_type(self) -> bool:
        """Documents and hits carry `_type` up to 7.x (`_doc` on 7.x)."""
        return self.major < 8

    @property
    def has_add_block_api(self) -> bool:
        """`PUT <index>/_block/<block>` exists from 7.9; before, `index.blocks.write` is set as a setting."""
        return self.at_least("7.9.0")

    @property
    def has_point_in_time(self) -> bool:
        """`POST <index>/_pit` and a search's `pit` exist from 7.10; before, `pit` is an unknown search key."""
        return self.at_least("7.10.0")

    @property
    def has_shard_doc_sort(self) -> bool:
        """`_shard_doc` (#66093) and the tiebreaker added to sorted point-in-time searches (#68833) exist
        from 7.12; before, `_shard_doc` is an ordinary field name, unmapped unless a mapping names it."""
        return self.at_least("7.12.0")

    @property
    def soft_deletes_default(self) -> bool:
        """`index.soft_deletes.enabled` defaults to true for indices created on 7.0+."""
        return self.major >= 7

    @property
    def soft_deletes_can_be_disabled(self) -> bool:
        """From 8.0 an index cannot be created with soft deletes disabled."""
        return self.major < 8

    @property
    def has_xpack_api_paths(self) -> bool:
        """`/_xpack/license...` and `/_xpack/security/...` exist up to 7.x. 6.7 added `/_license` and
        `/_security` beside them (elastic/elasticsearch#37139, #36293); 7.0 deprecated the `_xpack`
        paths (#35958) and 8.0 removed them (#48170)."""
        return self.major < 8

    @property
    def xpack_api_paths_deprecated(self) -> bool:
        """7.x answers the `_xpack` paths with a deprecation `Warning` naming the new path."""
        return self.major == 7

    @property
    def reads_vendor_media_types(self) -> bool:
        """7.11-7.17 read `application/vnd.elasticsearch+json;compatible-with=N` (any N) as plain JSON
        (XContentType.removeVersionInMediaType, #63071/#65362, after 7.10.0); 7.10 and 6.x refuse such a
        Content-Type with 406. 8.0+ negotiates it instead (compatible_with_majors)."""
        return self.major == 7 and self.minor >= 11

    @property
    def json_content_type(self) -> str:
        """The Content-Type of a JSON answer: 7.x and before add the charset, 8.0 dropped it."""
        return "application/json" if self.major >= 8 else "application/json; charset=UTF-8"

    @property
    def security_needs_explicit_enabling(self) -> bool:
        """Before 8.0 security was off unless `xpack.security.enabled` was set: the security APIs
        exist but refuse (SecurityBaseRestHandler); from 8.0 a cluster without security has none."""
        return self.major < 8

    @property
    def security_on_basic(self) -> bool:
        """Security became part of the basic licence in 6.8.0 / 7.1.0."""
        return self.at_least("6.8.0")

    def build_info(self) -> dict:
        return {
            "number": str(self),
            "build_flavor": "default",
            "build_type": "tar",
            "build_hash": self.build_hash,
            "build_date": self.build_date,
            "build_snapshot": False,
            "lucene_version": self.lucene,
            "minimum_wire_compatibility_version": self.minimum_wire_compatibility,
            "minimum_index_compatibility_version": self.minimum_index_compatibility,
        }
