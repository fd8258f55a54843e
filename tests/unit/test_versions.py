"""Version parsing and the CCR compatibility rule a preflight check relies on."""

from __future__ import annotations

import pytest

from runbook_lib.errors import RunbookError
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
