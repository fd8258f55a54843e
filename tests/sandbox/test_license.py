"""Licence APIs: trial and basic as Elasticsearch issues them, with its exact answers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.sandbox_only


def call(url: str, method: str = "GET", path: str = "/", body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@pytest.fixture(scope="module")
def basic(start_sandbox):
    return start_sandbox("--clusters", "lic", "--license", "basic").url("lic")


def test_basic_licence_then_trial_then_basic_again(basic):
    status, body = call(basic, path="/_license")
    lic = body["license"]
    assert status == 200
    assert (lic["type"], lic["status"], lic["issuer"], lic["max_nodes"], lic["issued_to"]) == (
        "basic", "active", "elasticsearch", 1000, "lic")
    assert "expiry_date_in_millis" not in lic and lic["start_date_in_millis"] == -1
    assert call(basic, path="/_license/trial_status") == (200, {"eligible_to_start_trial": True})
    assert call(basic, path="/_xpack?categories=features")[1]["features"]["ccr"] == {"available": False, "enabled": True}

    status, body = call(basic, "POST", "/_license/start_trial")
    assert status == 200
    assert body["acknowledged"] is False and body["trial_was_started"] is False
    assert body["error_message"] == "Operation failed: Needs acknowledgement."
    assert body["acknowledge"]["security"] == [
        "With a trial license, X-Pack security features are available, but are not enabled by default."]
    assert call(basic, path="/_license")[1]["license"]["type"] == "basic"

    assert call(basic, "POST", "/_license/start_trial?acknowledge=true") == (
        200, {"acknowledged": True, "trial_was_started": True, "type": "trial"})
    lic = call(basic, path="/_license")[1]["license"]
    assert lic["type"] == "trial"
    assert lic["expiry_date_in_millis"] - lic["issue_date_in_millis"] == 30 * 86_400_000
    assert call(basic, path="/_xpack?categories=features")[1]["features"]["ccr"]["available"] is True
    assert call(basic, path="/_license/trial_status") == (200, {"eligible_to_start_trial": False})
    assert call(basic, "POST", "/_license/start_trial?acknowledge=true") == (
        403, {"acknowledged": True, "trial_was_started": False,
              "error_message": "Operation failed: Trial was already activated."})

    status, body = call(basic, "POST", "/_license/start_basic")
    assert (status, body["acknowledged"], body["basic_was_started"]) == (200, False, False)
    assert body["acknowledge"]["ccr"] == ["Cross-Cluster Replication will be disabled"]
    assert call(basic, "POST", "/_license/start_basic?acknowledge=true") == (
        200, {"acknowledged": True, "basic_was_started": True})
    assert call(basic, "POST", "/_license/start_basic?acknowledge=true") == (
        403, {"acknowledged": True, "basic_was_started": False,
              "error_message": "Operation failed: Current license is basic."})
    usage = call(basic, path="/_xpack/usage")[1]
    assert usage["ccr"]["available"] is False and usage["security"] == {"available": True, "enabled": False}


def test_put_license_needs_a_body_and_unknown_trial_type_is_refused(basic):
    status, body = call(basic, "PUT", "/_license")
    assert (status, body["error"]["reason"]) == (400, "The license must be provided in the request body")
    status, body = call(basic, "POST", "/_license/start_trial?acknowledge=true&type=basic")
    assert status == 400 and body["error"]["type"] == "illegal_argument_exception"


def test_default_practice_cluster_runs_a_trial(sandbox):
    status, body = call(sandbox.url("local"), path="/_xpack")
    assert status == 200
    assert body["license"]["type"] == "trial" and body["features"]["ccr"]["available"] is True
    assert body["tagline"] == "You know, for X"
