"""Requests rendered as Kibana Dev Tools text, with every secret redacted."""

from __future__ import annotations

import copy

import pytest

from runbook_lib.devtools import redact, render_request


def test_follow_request_reads_like_dev_tools():
    text = render_request("put", "/myindex_follow/_ccr/follow", {"wait_for_active_shards": 1},
                          {"remote_cluster": "remote", "leader_index": "myindex"})
    assert text == (
        "PUT myindex_follow/_ccr/follow?wait_for_active_shards=1\n"
        "{\n"
        '  "remote_cluster": "remote",\n'
        '  "leader_index": "myindex"\n'
        "}"
    )


def test_request_without_body_is_one_line():
    assert render_request("GET", "/") == "GET /"
    assert render_request("POST", "/myindex_follow/_ccr/pause_follow") == "POST myindex_follow/_ccr/pause_follow"


def test_query_parameters_booleans_lists_and_existing_query():
    assert render_request("GET", "_cat/nodes?v", {"h": ["ip", "port", "node.role"], "skip": None}) == (
        "GET _cat/nodes?v&h=ip,port,node.role")
    assert render_request("POST", "_license/start_trial", {"acknowledge": True}) == (
        "POST _license/start_trial?acknowledge=true")


def test_ndjson_body_is_one_object_per_line():
    text = render_request("POST", "_bulk", None, [{"index": {"_index": "myindex"}}, {"name": "Jack", "age": 40}])
    assert text.splitlines() == ["POST _bulk", '{"index": {"_index": "myindex"}}', '{"name": "Jack", "age": 40}']


def test_serialised_bodies_are_reformatted():
    assert render_request("POST", "myindex/_doc", None, '{"name":"Pony","age":50}').splitlines()[1:] == [
        "{", '  "name": "Pony",', '  "age": 50', "}"]
    ndjson = b'{"index":{}}\n{"name":"Jack"}\n'
    assert render_request("POST", "myindex/_bulk", None, ndjson).splitlines()[1:] == ['{"index": {}}', '{"name": "Jack"}']


@pytest.mark.parametrize("key", ["password", "passwd", "new_password", "client_secret", "api_key", "apiKey",
                                 "access_token", "Authorization", "credentials", "secret_key", "bootstrap.password"])
def test_secret_keys_are_redacted_with_a_reason(key):
    text = render_request("PUT", "_security/user/bob", None, {key: "hunter2", "roles": ["reader"]})
    assert "hunter2" not in text
    assert f"\"<redacted: key '{key}' holds a secret>\"" in text
    assert '"reader"' in text


@pytest.mark.parametrize("value, reason", [("Basic ZWxhc3RpYzpodW50ZXIy", "Basic credentials"),
                                           ("ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==",
                                            "Apikey credentials"),
                                           ("bearer eyJhbGciOiJIUzI1NiJ9.e30.x", "Bearer credentials")])
def test_credential_values_are_redacted_whatever_their_key(value, reason):
    redacted, reasons = redact({"headers": {"x-forwarded": value}, "note": [value]})
    assert redacted == {"headers": {"x-forwarded": f"<redacted: {reason}>"}, "note": [f"<redacted: {reason}>"]}
    assert reasons == [reason, reason]


def test_credentials_inside_urls_are_cut_out():
    text = render_request("PUT", "_cluster/settings", None, {"proxy": "https://admin:hunter2@proxy:3128/x"})
    assert "hunter2" not in text and "admin" not in text
    assert "https://<redacted: credentials in a URL>@proxy:3128/x" in text


def test_secrets_in_query_and_serialised_bodies_are_redacted():
    text = render_request("POST", "x/_doc", {"token": "abc123"}, '{"user": {"password": "hunter2"}}')
    assert "abc123" not in text and "hunter2" not in text


def test_lookalikes_are_not_redacted():
    body = {
        "settings": {"analysis": {"tokenizer": {"t": {"type": "standard", "max_token_length": 5,
                                                      "token_chars": ["letter"]}}}},
        "password_env": "CCR_REMOTE_PASSWORD",
        "username_env": "CCR_REMOTE_USERNAME",
        "message": "Basic setup finished",
        "password": "",
    }
    redacted, reasons = redact(body)
    assert redacted == body and reasons == []


def test_redaction_never_changes_the_original():
    body = {"user": {"password": "hunter2"}}
    before = copy.deepcopy(body)
    redact(body)
    render_request("PUT", "x", None, body)
    assert body == before
