"""`PUT/GET _cluster/settings` on a practice cluster, answered as Elasticsearch 8 answers them.

Each test uses its own remote alias and removes what it set, since the session's clusters are shared.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest


def call(base: str, method: str, path: str, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null"), resp.headers
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null"), exc.headers


@pytest.fixture
def local(sandbox):
    base = sandbox.url("local")
    yield base
    # Leave the shared cluster as it was: drop every remote and generic setting a test may have set.
    status, current, _ = call(base, "GET", "/_cluster/settings?flat_settings=true")
    for scope in ("persistent", "transient"):
        keys = [k for k in current[scope] if not k.startswith("cluster.remote.")]
        aliases = {k.split(".")[2] for k in current[scope] if k.startswith("cluster.remote.t-")}
        reset = {k: None for k in keys} | {f"cluster.remote.{a}.*": None for a in aliases}
        if reset:
            call(base, "PUT", "/_cluster/settings", {scope: reset})


@pytest.fixture
def alias():
    return f"t-{uuid.uuid4().hex[:8]}"


def seeds(sandbox) -> list[str]:
    return sandbox.info("remote")["transport"]


def test_nested_input_is_answered_nested_and_stored_as_strings(local, alias, sandbox):
    body = {"persistent": {"cluster": {"remote": {alias: {"seeds": seeds(sandbox), "skip_unavailable": True,
                                                          "node_connections": 2}}},
                           "action": {"destructive_requires_name": False}}}
    status, answer, _ = call(local, "PUT", "/_cluster/settings", body)
    assert status == 200
    assert answer == {
        "acknowledged": True,
        "persistent": {
            "action": {"destructive_requires_name": "false"},
            "cluster": {"remote": {alias: {"node_connections": "2", "seeds": seeds(sandbox), "skip_unavailable": "true"}}},
        },
        "transient": {},
    }
    status, flat, _ = call(local, "GET", "/_cluster/settings?flat_settings=true")
    assert flat["persistent"][f"cluster.remote.{alias}.seeds"] == seeds(sandbox)
    assert flat["persistent"][f"cluster.remote.{alias}.skip_unavailable"] == "true"
    assert flat["persistent"]["action.destructive_requires_name"] == "false"


def test_flat_input_and_flat_settings_answer(local, alias, sandbox):
    status, answer, _ = call(local, "PUT", "/_cluster/settings?flat_settings=true",
                             {"persistent": {f"cluster.remote.{alias}.seeds": seeds(sandbox)[1:2]}})
    assert status == 200
    assert answer == {"acknowledged": True, "persistent": {f"cluster.remote.{alias}.seeds": seeds(sandbox)[1:2]},
                      "transient": {}}
    status, nested, _ = call(local, "GET", "/_cluster/settings")
    assert nested["persistent"]["cluster"]["remote"][alias] == {"seeds": seeds(sandbox)[1:2]}


def test_null_removes_a_key_and_a_wildcard_removes_the_remote(local, alias, sandbox):
    call(local, "PUT", "/_cluster/settings",
         {"persistent": {f"cluster.remote.{alias}.seeds": seeds(sandbox), f"cluster.remote.{alias}.skip_unavailable": True}})
    status, answer, _ = call(local, "PUT", "/_cluster/settings", {"persistent": {f"cluster.remote.{alias}.skip_unavailable": None}})
    assert (status, answer) == (200, {"acknowledged": True, "persistent": {}, "transient": {}})
    _, flat, _ = call(local, "GET", "/_cluster/settings?flat_settings=true")
    assert f"cluster.remote.{alias}.skip_unavailable" not in flat["persistent"]
    assert alias in call(local, "GET", "/_remote/info")[1]

    status, answer, _ = call(local, "PUT", "/_cluster/settings", {"persistent": {"cluster": {"remote": {alias: {"*": None}}}}})
    assert (status, answer) == (200, {"acknowledged": True, "persistent": {}, "transient": {}})
    _, flat, _ = call(local, "GET", "/_cluster/settings?flat_settings=true")
    assert not [k for k in flat["persistent"] if k.startswith(f"cluster.remote.{alias}.")]
    assert alias not in call(local, "GET", "/_remote/info")[1]


def test_transient_settings_are_kept_apart_and_deprecated(local):
    status, answer, headers = call(local, "PUT", "/_cluster/settings",
                                   {"transient": {"cluster.routing.allocation.enable": "primaries"}})
    assert answer == {"acknowledged": True, "persistent": {},
                      "transient": {"cluster": {"routing": {"allocation": {"enable": "primaries"}}}}}
    assert "[transient settings removal] Updating cluster settings through transient settings is deprecated." in headers["Warning"]
    assert headers["Warning"].startswith("299 Elasticsearch-8.19.3-")
    _, current, _ = call(local, "GET", "/_cluster/settings?flat_settings=true")
    assert current["transient"] == {"cluster.routing.allocation.enable": "primaries"}
    assert "cluster.routing.allocation.enable" not in current["persistent"]


def test_deprecated_setting_warns(local):
    _, _, headers = call(local, "PUT", "/_cluster/settings", {"persistent": {"xpack.monitoring.collection.enabled": True}})
    assert headers["Warning"].endswith(
        '"[xpack.monitoring.collection.enabled] setting was deprecated in Elasticsearch and will be removed in a future release."'
    )


def _remote(alias: str, **settings) -> dict:
    return {f"cluster.remote.{alias}.{k}": v for k, v in settings.items()}


INVALID = [
    ({"foo.bar": 1}, "persistent setting [foo.bar], not recognized", None),
    ({"cluster.remote.es-x..seeds": ["a:1"]}, "persistent setting [cluster.remote.es-x..seeds], not recognized", None),
    ({"cluster.remote.{a}": None}, "persistent setting [cluster.remote.{a}], not recognized", None),
    ({"cluster.name": "other"}, "persistent setting [cluster.name], not dynamically updateable", None),
    ({"cluster.remote.initial_connect_timeout": "1m"},
     "persistent setting [cluster.remote.initial_connect_timeout], not dynamically updateable", None),
    (_remote("{a}", seeds=["10.0.0.1"]), "remote hosts need to be configured as [host:port], found [10.0.0.1] instead", None),
    (_remote("{a}", seeds=["10.0.0.1:abc"]), "failed to parse port",
     {"type": "number_format_exception", "reason": 'For input string: "abc"'}),
    (_remote("{a}", seeds=["10.0.0.1:0"]), "port number must be > 0 but was: [0]", None),
    (_remote("{a}", mode="fast"), "No enum constant org.elasticsearch.transport.RemoteConnectionStrategy.ConnectionStrategy.FAST", None),
    (_remote("{a}", mode="proxy", seeds=["10.0.0.1:9300"]),
     'Setting "cluster.remote.{a}.seeds" cannot be used with the configured "cluster.remote.{a}.mode" [required=SNIFF, configured=PROXY]',
     None),
    (_remote("{a}", seeds=["10.0.0.1:9300"], proxy_address="10.0.0.1:9300"),
     'Setting "cluster.remote.{a}.proxy_address" cannot be used with the configured "cluster.remote.{a}.mode" [required=PROXY, configured=SNIFF]',
     None),
    (_remote("{a}", mode="proxy", proxy_address="10.0.0.1:9300", node_connections=2),
     'Setting "cluster.remote.{a}.node_connections" cannot be used with the configured "cluster.remote.{a}.mode" [required=SNIFF, configured=PROXY]',
     None),
    (_remote("{a}", mode="proxy", skip_unavailable=True),
     "Cannot configure setting [cluster.remote.{a}.skip_unavailable] if remote cluster is not enabled.", None),
    (_remote("{a}", seeds=["10.0.0.1:9300"], node_connections=0),
     "Failed to parse value [0] for setting [cluster.remote.{a}.node_connections] must be >= 1", None),
    (_remote("{a}", seeds=["10.0.0.1:9300"], skip_unavailable="yes"),
     "Failed to parse value [yes] as only [true] or [false] are allowed.", None),
    ({"cluster.routing.allocation.enable": "some"}, "Illegal allocation.enable value [SOME]", None),
    ({"action.auto_create_index": ",,,"},
     "Can't parse [,,,] for setting [action.auto_create_index] must be either [true, false, or a comma separated list of index patterns]",
     None),
    ({"cluster.max_shards_per_node": -5}, "Failed to parse value [-5] for setting [cluster.max_shards_per_node] must be >= 1", None),
    ({"cluster.max_shards_per_node": "many"}, "Failed to parse value [many] for setting [cluster.max_shards_per_node]",
     {"type": "number_format_exception", "reason": 'For input string: "many"'}),
    ({"logger.org.elasticsearch.transport": "chatty"}, "Unknown level constant [CHATTY].", None),
    ({"indices.id_field_data.enabled": "1"}, "Failed to parse value [1] as only [true] or [false] are allowed.", None),
]


@pytest.mark.parametrize("settings, reason, caused_by", INVALID)
def test_invalid_settings_are_refused_like_elasticsearch(local, alias, settings, reason, caused_by):
    body = {"persistent": {k.replace("{a}", alias): v for k, v in settings.items()}}
    status, answer, _ = call(local, "PUT", "/_cluster/settings", body)
    reason = reason.replace("{a}", alias)
    expected = {"type": "illegal_argument_exception", "reason": reason}
    assert status == 400
    assert answer["error"]["root_cause"] == [expected]
    assert answer["error"] == {"root_cause": [expected], **expected, **({"caused_by": caused_by} if caused_by else {})}


def test_nothing_is_saved_when_any_setting_is_refused(local, alias, sandbox):
    body = {"persistent": {"cluster.max_shards_per_node": 200, **_remote(alias, seeds=seeds(sandbox), node_connections="x")}}
    status, _, _ = call(local, "PUT", "/_cluster/settings", body)
    assert status == 400
    _, current, _ = call(local, "GET", "/_cluster/settings?flat_settings=true")
    assert "cluster.max_shards_per_node" not in current["persistent"]
    assert alias not in call(local, "GET", "/_remote/info")[1]


def test_each_scope_must_hold_together_by_itself(local, alias, sandbox):
    body = {"persistent": _remote(alias, seeds=seeds(sandbox)), "transient": _remote(alias, skip_unavailable=True)}
    status, answer, _ = call(local, "PUT", "/_cluster/settings", body)
    assert status == 400
    assert answer["error"]["reason"] == f"Cannot configure setting [cluster.remote.{alias}.skip_unavailable] if remote cluster is not enabled."


def test_no_settings_to_update(local):
    status, answer, _ = call(local, "PUT", "/_cluster/settings", {"persistent": {}})
    assert status == 400
    assert answer["error"]["type"] == "action_request_validation_exception"
    assert answer["error"]["reason"] == "Validation Failed: 1: no settings to update;"


def test_include_defaults_lists_real_defaults_only(local):
    status, answer, _ = call(local, "GET", "/_cluster/settings?include_defaults=true&flat_settings=true")
    defaults = answer["defaults"]
    assert defaults["cluster.remote.initial_connect_timeout"] == "30s"
    assert defaults["cluster.remote.connections_per_cluster"] == "3"
    assert defaults["action.destructive_requires_name"] == "true"
    assert defaults["cluster.name"] == "local"
    assert "cluster.remote.connect" not in defaults  # removed in 8.0
    _, nested, _ = call(local, "GET", "/_cluster/settings?include_defaults=true")
    assert nested["defaults"]["cluster"]["remote"]["initial_connect_timeout"] == "30s"


def test_unknown_parameter_is_refused(local):
    status, answer, _ = call(local, "GET", "/_cluster/settings?verbose=true")
    assert status == 400
    assert answer["error"]["reason"] == "request [/_cluster/settings] contains unrecognized parameter: [verbose]"


def test_official_client_round_trip(sandbox, local, alias):
    client = sandbox.client("local")
    answer = client.cluster.put_settings(persistent={f"cluster.remote.{alias}.seeds": seeds(sandbox)})
    assert answer["acknowledged"] is True
    assert client.cluster.get_settings(flat_settings=True)["persistent"][f"cluster.remote.{alias}.seeds"] == seeds(sandbox)
    assert client.cluster.remote_info()[alias]["connected"] is True
