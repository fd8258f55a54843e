"""Version parsing and the CCR compatibility rule a preflight check relies on."""

from __future__ import annotations

import pytest

from runbook_lib.errors import RunbookError
from runbook_lib import dialect
from runbook_lib.versions import Version, ccr_compatibility, client_module


def test_versions_parse_and_compare_down_to_the_patch():
    assert Version.parse("8.19.3") == Version(8, 19, 3)
    assert Version.parse("7.17") == Version(7, 17, 0)
    assert Version.parse("8.19.2") < Version.parse("8.19.3") < Version.parse("8.20.0") < Version.parse("9.0.0")
    assert Version.parse("7.9.0") < Version.parse("7.10.0")  # numeric, not text, order
    assert str(Version.parse("9.0.0-beta1")) == "9.0.0-beta1"


def test_pre_releases_sort_before_the_release():
    ordered = sorted(Version.parse(v) for v in ["9.0.0", "9.0.0-rc1", "9.0.0-beta1", "9.0.0-alpha2", "8.19.3"])
    assert [str(v) for v in ordered] == ["8.19.3", "9.0.0-alpha2", "9.0.0-beta1", "9.0.0-rc1", "9.0.0"]
    assert Version.parse("7.17.0-SNAPSHOT") == Version.parse("7.17.0")


@pytest.mark.parametrize("text", ["", "eight", "8", "8.x.1", "v"])
def test_unreadable_versions_fail_with_the_expected_form(text):
    with pytest.raises(RunbookError, match="expected MAJOR.MINOR.PATCH"):
        Version.parse(text)


MATRIX = [
    # leader, follower, verdict
    ("8.19.3", "8.19.3", "compatible"),
    ("8.19.2", "8.19.3", "compatible"),
    ("8.19.3", "8.19.2", "incompatible"),  # one patch older: refused
    ("7.17.0", "8.0.0", "compatible"),
    ("7.16.3", "8.19.3", "incompatible"),
    ("6.7.0", "6.7.2", "compatible"),
    ("6.8.0", "6.7.2", "incompatible"),
    ("6.7.0", "6.8.23", "compatible"),
    ("6.7.0", "7.0.1", "compatible"),
    ("7.0.1", "7.0.1", "compatible"),
    ("6.7.2", "7.1.0", "incompatible"),
    ("6.8.23", "7.1.0", "compatible"),
    ("6.8.23", "7.17.9", "compatible"),
    ("7.10.2", "7.17.9", "compatible"),
    ("6.8.23", "8.0.0", "incompatible"),
    ("8.17.4", "9.0.0", "incompatible"),
    ("8.18.0", "9.0.0", "compatible"),
    ("8.19.3", "9.1.0", "compatible"),
    ("9.0.0", "9.1.0", "compatible"),
    ("6.6.2", "7.17.0", "unsupported"),
    ("6.5.0", "6.5.0", "unsupported"),
    ("6.7.0", "6.6.0", "incompatible"),
    ("9.1.0", "10.0.0", "unknown"),
]


@pytest.mark.parametrize("leader, follower, verdict", MATRIX)
def test_documented_matrix(leader, follower, verdict):
    result = ccr_compatibility(leader, follower)
    assert result.verdict == verdict, result.explanation
    assert result.ok is (verdict == "compatible")
    assert result.check_verdict == {"compatible": "pass", "unknown": "warn"}.get(verdict, "fail")


def test_explanations_say_which_versions_would_work():
    older_follower = ccr_compatibility("7.17.9", "7.10.2").explanation
    assert "7.10.2" in older_follower and "Upgrade the local cluster to 7.17.9 or later" in older_follower
    assert "7.17.9 to 8.x" in older_follower

    too_old_leader = ccr_compatibility("7.10.2", "8.19.3").explanation
    assert "accepts leaders from 7.17.0 to 8.19.3" in too_old_leader
    assert "Upgrade the remote to 7.17.0 or later" in too_old_leader
    assert "7.10.2 to 7.17.x" in too_old_leader

    assert "6.7.0 or later" in ccr_compatibility("6.6.0", "7.0.0").explanation
    assert "accepts leaders from 8.18.0 to 9.0.0" in ccr_compatibility("8.18.0", "9.0.0").explanation


def test_client_module_by_server_major():
    assert client_module("6.8.23") == "elasticsearch7"
    assert client_module("7.17.9") == "elasticsearch7"
    assert client_module("8.19.3") == "elasticsearch"
    assert client_module("9.1.0") == "elasticsearch"


# --- how each version spells requests and shapes answers (runbook_lib/dialect.py) ---

V67, V710, V717, V819 = (Version.parse(v) for v in ("6.7.0", "7.10.2", "7.17.29", "8.19.3"))


def test_security_and_licence_paths_are_under_xpack_only_on_6x():
    assert dialect.security_path(V67, "_authenticate") == "/_xpack/security/_authenticate"
    assert dialect.security_path(V710, "user/_has_privileges") == "/_security/user/_has_privileges"
    assert (dialect.licence_path(V67), dialect.licence_path(V717), dialect.licence_path(V819)) == \
        ("/_xpack/license", "/_license", "/_license")


def test_a_6x_mapping_compares_equal_to_the_same_mapping_on_7x():
    plain = {"properties": {"age": {"type": "integer"}}, "dynamic": "strict"}
    assert dialect.untyped_mappings({"_doc": plain}) == plain
    assert dialect.untyped_mappings({"doc": plain}) == plain  # Logstash 6 named its type `doc`
    assert dialect.untyped_mappings(plain) == plain
    assert dialect.untyped_mappings({"properties": {}}) == {"properties": {}}  # one key, but a mapping key
    assert (dialect.mapping_type({"doc": plain}), dialect.mapping_type(plain), dialect.mapping_type({})) == \
        ("doc", "_doc", "_doc")


def test_index_bodies_and_bulk_actions_carry_a_type_only_on_6x():
    plain = {"properties": {"age": {"type": "integer"}}}
    settings = {"index.soft_deletes.enabled": True}
    assert dialect.create_index_body(V67, settings, plain) == {"settings": settings, "mappings": {"_doc": plain}}
    assert dialect.create_index_body(V710, settings, {"_doc": plain}) == {"settings": settings, "mappings": plain}
    assert dialect.create_index_body(V819, settings, None) == {"settings": settings}
    assert dialect.bulk_metadata(V67, "i", "1") == {"_index": "i", "_id": "1", "_type": "_doc"}
    assert dialect.bulk_metadata(V717, "i", "1") == {"_index": "i", "_id": "1"}


@pytest.mark.parametrize("version, request_", [
    ("6.8.23", ("PUT", "/i/_settings", {"index.blocks.write": True})),
    ("7.8.1", ("PUT", "/i/_settings", {"index.blocks.write": True})),
    ("7.9.0", ("PUT", "/i/_block/write", None)),
    ("9.1.5", ("PUT", "/i/_block/write", None)),
])
def test_the_write_block_is_the_add_block_api_from_7_9(version, request_):
    assert dialect.write_block_request(Version.parse(version), "i") == request_


def test_connection_modes_and_cat_indices_options_exist_from_7_7():
    assert [dialect.has_proxy_mode(Version.parse(v)) for v in ("6.8.23", "7.6.2", "7.7.0", "9.1.5")] == \
        [False, False, True, True]
    assert dialect.cat_indices_options(Version.parse("7.6.2")) == {}
    assert dialect.cat_indices_options(Version.parse("7.7.0")) == {"expand_wildcards": "all"}
