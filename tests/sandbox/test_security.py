"""Security on a secured practice cluster: 401 challenges, 403 wording, users, roles, API keys,
_has_privileges and the audit log, as Elasticsearch 8 answers them."""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.sandbox_only

PASSWORD = "elastic-pass-1"


def call(url: str, method: str = "GET", path: str = "/", body=None, auth=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if isinstance(auth, tuple):
        all_headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    elif isinstance(auth, str):
        all_headers["Authorization"] = f"ApiKey {auth}"
    request = urllib.request.Request(url + path, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, resp.headers, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, json.loads(exc.read() or b"null")


ELASTIC = ("elastic", PASSWORD)
CHALLENGES = ['Basic realm="security", charset="UTF-8"', "ApiKey"]


@pytest.fixture(scope="module")
def secured(start_sandbox):
    box = start_sandbox("--clusters", "sec", "--security", env={"ES_SANDBOX_ELASTIC_PASSWORD": PASSWORD})
    url = box.url("sec")
    call(url, "PUT", "/_security/role/logs_reader", {
        "cluster": ["monitor"],
        "indices": [{"names": ["logs-*"], "privileges": ["read", "view_index_metadata"]}],
    }, auth=ELASTIC)
    call(url, "PUT", "/_security/user/reader", {"password": "reader-pass", "roles": ["logs_reader", "missing_role"]},
         auth=ELASTIC)
    call(url, "PUT", "/logs-1", auth=ELASTIC)
    call(url, "PUT", "/secret-1", auth=ELASTIC)
    return box


def test_missing_credentials_answer_401_with_the_challenges(secured):
    status, headers, body = call(secured.url("sec"), path="/_cluster/health?pretty")
    assert status == 401
    assert headers.get_all("WWW-Authenticate") == CHALLENGES
    expected = {"type": "security_exception",
                "reason": "missing authentication credentials for REST request [/_cluster/health?pretty]",
                "header": {"WWW-Authenticate": CHALLENGES}}
    assert body == {"error": {"root_cause": [expected], **expected}, "status": 401}


def test_wrong_password_answers_401(secured):
    status, _, body = call(secured.url("sec"), path="/", auth=("elastic", "nope"))
    assert status == 401
    assert body["error"]["reason"] == "unable to authenticate user [elastic] for REST request [/]"


def test_authenticate_reports_the_reserved_superuser(secured):
    status, _, body = call(secured.url("sec"), path="/_security/_authenticate", auth=ELASTIC)
    assert status == 200
    assert body == {"username": "elastic", "roles": ["superuser"], "full_name": None, "email": None,
                    "metadata": {"_reserved": True}, "enabled": True,
                    "authentication_realm": {"name": "reserved", "type": "reserved"},
                    "lookup_realm": {"name": "reserved", "type": "reserved"}, "authentication_type": "realm"}


def test_limited_user_gets_403_with_elasticsearch_wording(secured):
    url = secured.url("sec")
    reader = ("reader", "reader-pass")
    assert call(url, path="/logs-1/_settings", auth=reader)[0] == 200
    status, _, body = call(url, path="/logs-1,secret-1/_settings", auth=reader)
    assert status == 403
    assert body["error"]["type"] == "security_exception"
    assert body["error"]["reason"] == (
        "action [indices:monitor/settings/get] is unauthorized for user [reader] with effective roles [logs_reader] "
        "(assigned roles [missing_role] were not found) on indices [secret-1], this action is granted by the index "
        "privileges [monitor,manage,view_index_metadata,all]")
    status, _, body = call(url, "PUT", "/_security/role/other", {"cluster": ["all"]}, auth=reader)
    assert status == 403
    assert body["error"]["reason"] == (
        "action [cluster:admin/xpack/security/role/put] is unauthorized for user [reader] with effective roles "
        "[logs_reader] (assigned roles [missing_role] were not found), this action is granted by the cluster "
        "privileges [manage_security,all]")
    assert call(url, path="/_cluster/health", auth=reader)[0] == 200


def test_has_privileges_reports_each_privilege(secured):
    status, _, body = call(secured.url("sec"), "POST", "/_security/user/_has_privileges", {
        "cluster": ["monitor", "manage_ccr"],
        "index": [{"names": ["logs-*", "secret-1"], "privileges": ["read", "write"]}],
    }, auth=("reader", "reader-pass"))
    assert status == 200
    assert body == {"username": "reader", "has_all_requested": False,
                    "cluster": {"monitor": True, "manage_ccr": False},
                    "index": {"logs-*": {"read": True, "write": False}, "secret-1": {"read": False, "write": False}},
                    "application": {}}
    status, _, body = call(secured.url("sec"), "POST", "/_security/user/elastic/_has_privileges",
                           {"cluster": ["monitor"]}, auth=("reader", "reader-pass"))
    assert (status, body["error"]["reason"]) == (400, "users may only check the privileges of their own account")


def test_users_and_roles_round_trip(secured):
    url = secured.url("sec")
    _, _, roles = call(url, path="/_security/role/logs_reader", auth=ELASTIC)
    assert roles["logs_reader"]["indices"] == [{"names": ["logs-*"], "privileges": ["read", "view_index_metadata"],
                                                "allow_restricted_indices": False}]
    _, _, users = call(url, path="/_security/user/reader", auth=ELASTIC)
    assert users["reader"]["roles"] == ["logs_reader", "missing_role"]
    assert call(url, path="/_security/user/nobody", auth=ELASTIC)[:3:2] == (404, {})
    status, _, body = call(url, "PUT", "/_security/role/bad", {"cluster": ["manage_everything"]}, auth=ELASTIC)
    assert (status, body["error"]["type"]) == (400, "action_request_validation_exception")
    assert body["error"]["reason"].startswith("Validation Failed: 1: unknown cluster privilege [manage_everything]. "
                                              "a privilege must be either one of the predefined cluster privilege names [")
    status, _, body = call(url, "PUT", "/_security/user/shorty", {"password": "abc", "roles": []}, auth=ELASTIC)
    assert body["error"]["reason"] == "Validation Failed: 1: passwords must be at least [6] characters long;"
    assert call(url, "DELETE", "/_security/user/nobody", auth=ELASTIC)[::2] == (404, {"found": False})


def test_api_keys_authenticate_and_are_limited(secured):
    url = secured.url("sec")
    status, _, key = call(url, "POST", "/_security/api_key", {
        "name": "logs-only",
        "role_descriptors": {"r": {"cluster": [], "indices": [{"names": ["logs-*"], "privileges": ["read"]}]}},
    }, auth=ELASTIC)
    assert status == 200 and set(key) == {"id", "name", "api_key", "encoded"}
    assert base64.b64decode(key["encoded"]).decode() == f"{key['id']}:{key['api_key']}"
    _, _, me = call(url, path="/_security/_authenticate", auth=key["encoded"])
    assert (me["username"], me["authentication_type"], me["api_key"]) == (
        "elastic", "api_key", {"id": key["id"], "name": "logs-only"})
    status, _, body = call(url, path="/_cluster/health", auth=key["encoded"])
    assert status == 403
    assert body["error"]["reason"] == (
        f"action [cluster:monitor/health] is unauthorized for API key id [{key['id']}] of user [elastic], "
        "this action is granted by the cluster privileges [monitor,manage,all]")
    _, _, listed = call(url, path=f"/_security/api_key?id={key['id']}", auth=ELASTIC)
    assert [(k["id"], k["invalidated"], k["username"]) for k in listed["api_keys"]] == [(key["id"], False, "elastic")]
    assert call(url, "DELETE", "/_security/api_key", {"ids": [key["id"]]}, auth=ELASTIC)[2] == {
        "invalidated_api_keys": [key["id"]], "previously_invalidated_api_keys": [], "error_count": 0}
    status, _, body = call(url, path="/", auth=key["encoded"])
    assert status == 401
    assert body["error"]["additional_unsuccessful_credentials"] == f"API key: api key [{key['id']}] has been invalidated"


def test_audit_log_carries_opaque_id_principal_and_action(secured):
    url = secured.url("sec")
    call(url, path="/_cluster/health", auth=ELASTIC, headers={"X-Opaque-Id": "runbook-step-7"})
    call(url, path="/secret-1/_settings", auth=("reader", "reader-pass"), headers={"X-Opaque-Id": "runbook-step-8"})
    with open(os.path.join(secured.info("sec")["data"], "audit.log")) as fh:
        events = [json.loads(line) for line in fh]
    granted = next(e for e in events if e["opaque_id"] == "runbook-step-7")
    assert (granted["event.action"], granted["user.name"], granted["user.realm"], granted["action"]) == (
        "access_granted", "elastic", "reserved", "cluster:monitor/health")
    denied = next(e for e in events if e["opaque_id"] == "runbook-step-8")
    assert (denied["event.action"], denied["user.name"], denied["http.response.status_code"]) == (
        "access_denied", "reader", 403)
