"""Parameter sets: what a user writes, what they get back, and what every mistake tells them."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest
import yaml

from runbook_lib.errors import ConfirmationRequired, ParameterError
from runbook_lib.parameters import SANDBOX_PARAMETERS_FILE, load_parameters

REPO = Path(__file__).resolve().parents[2]
URLS = {"CCR_REMOTE_URL": "http://127.0.0.1:19201", "CCR_LOCAL_URL": "http://127.0.0.1:19202"}


def base(**changes):
    """The smallest valid parameter set, with `changes` merged over it."""
    data = {
        "remote": {"url": "http://127.0.0.1:19201"},
        "local": {"url": "http://127.0.0.1:19202"},
        "remote_alias": "remote",
        "indices": [{"leader": "myindex"}],
    }
    data.update(changes)
    return data


def load(data, **kwargs):
    kwargs.setdefault("environ", {})
    return load_parameters(data, **kwargs)


def write_state(folder: Path, clusters: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    clusters = clusters or {
        "remote": {"http": "http://127.0.0.1:29201", "transport": ["127.0.0.1:29301"], "pid": None,
                   "version": "8.19.3", "data": str(folder / "remote")},
        "local": {"http": "http://127.0.0.1:29202", "transport": ["127.0.0.1:29302"], "pid": None,
                  "version": "8.19.3", "data": str(folder / "local")},
    }
    path = folder / "clusters.json"
    path.write_text(json.dumps({"clusters": clusters}))
    return path


# --- the embedded defaults -------------------------------------------------------------------------

def test_sandbox_file_gives_the_guides_example(tmp_path):
    params = load_parameters(environ=URLS, cwd=tmp_path)
    assert params.source == str(SANDBOX_PARAMETERS_FILE)
    assert [(p.leader, p.follower) for p in params.indices] == [("myindex", "myindex_follow")]
    assert params.remote_alias == "remote"
    assert [dict(d) for d in params.canary_documents] == [{"name": "Jack", "age": 40}, {"name": "Pony", "age": 50}]
    assert params.confirm == "" and params.dry_run is False and params.seeds == ()
    assert params.remote.url == URLS["CCR_REMOTE_URL"] and params.remote.url_source == "env:CCR_REMOTE_URL"


def test_empty_run_id_is_generated_sortable_and_unique():
    first, second = load(base()).run_id, load(base()).run_id
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{4}", first)
    assert first != second or first[:-4] == second[:-4]  # same second, different suffix (almost always)
    assert load(base(run_id="resume-42")).run_id == "resume-42"


def test_follower_defaults_to_leader_follow_and_a_string_is_a_leader():
    params = load(base(indices=["orders", {"leader": "customers", "follower": "customers_v2"}]))
    assert [(p.leader, p.follower) for p in params.indices] == [
        ("orders", "orders_follow"), ("customers", "customers_v2")]


def test_production_template_is_valid_and_starts_in_dry_run():
    params = load_parameters(REPO / "parameters" / "production.example.yaml", environ={}, check_paths=False)
    assert params.dry_run is True
    assert params.remote.url.startswith("https://") and params.remote.verify_certs
    assert params.remote.password_env == "CCR_REMOTE_PASSWORD"
    assert params.notes == ()


# --- where the URLs come from ----------------------------------------------------------------------

def test_urls_come_from_the_state_file_in_es_sandbox_home(tmp_path):
    state = write_state(tmp_path / "home")
    params = load(base(remote={}, local={}), environ={"ES_SANDBOX_HOME": str(tmp_path / "home")}, cwd=tmp_path)
    assert params.remote.url == "http://127.0.0.1:29201"
    assert params.local.url == "http://127.0.0.1:29202"
    assert params.remote.url_source == f"sandbox:{state}"
    assert params.remote.sandbox.transport == ("127.0.0.1:29301",)


def test_state_file_is_found_in_the_nearest_sandbox_folder_walking_up(tmp_path):
    write_state(tmp_path / ".sandbox")
    cwd = tmp_path / "notebooks" / "deep"
    cwd.mkdir(parents=True)
    params = load(base(remote={}, local={}), cwd=cwd)
    assert params.local.url == "http://127.0.0.1:29202"


def test_state_file_credentials_env_names_are_used(tmp_path):
    clusters = {role: {"http": f"http://127.0.0.1:2920{i}", "credentials_env":
                       {"username_env": "SANDBOX_USER", "password_env": "SANDBOX_PASS", "password": "x"}}
                for i, role in enumerate(("remote", "local"))}
    write_state(tmp_path / ".sandbox", clusters)
    params = load(base(remote={}, local={}), cwd=tmp_path)
    assert (params.remote.username_env, params.remote.password_env) == ("SANDBOX_USER", "SANDBOX_PASS")


def test_parameter_beats_environment_beats_state_file(tmp_path):
    write_state(tmp_path / ".sandbox")
    params = load(base(remote={"url": "http://10.1.1.1:9200"}, local={}),
                  environ={"CCR_LOCAL_URL": "http://10.2.2.2:9200"}, cwd=tmp_path)
    assert params.remote.url_source == "parameters" and params.remote.url == "http://10.1.1.1:9200"
    assert params.local.url_source == "env:CCR_LOCAL_URL" and params.local.url == "http://10.2.2.2:9200"


def test_nothing_found_says_so_and_how_to_fix_it(tmp_path):
    with pytest.raises(ParameterError) as err:
        load(base(remote={}), cwd=tmp_path)
    message = str(err.value)
    assert "`remote.url`" in message
    assert "CCR_REMOTE_URL is not set" in message
    assert "no practice clusters' state file was found" in message
    assert "python -m es_sandbox up" in message


def test_sandbox_folder_without_state_file_is_named(tmp_path):
    (tmp_path / ".sandbox").mkdir()
    with pytest.raises(ParameterError, match=r"\.sandbox\) has no clusters\.json"):
        load(base(local={}), cwd=tmp_path)


def test_es_sandbox_home_is_not_second_guessed(tmp_path):
    write_state(tmp_path / ".sandbox")  # would be found by walking up, but the home says otherwise
    with pytest.raises(ParameterError, match="ES_SANDBOX_HOME=.*has no clusters.json"):
        load(base(local={}), environ={"ES_SANDBOX_HOME": str(tmp_path / "elsewhere")}, cwd=tmp_path)


def test_damaged_state_file_is_reported_against_the_url(tmp_path):
    (tmp_path / ".sandbox").mkdir()
    (tmp_path / ".sandbox" / "clusters.json").write_text("{not json")
    with pytest.raises(ParameterError, match=r"`local.url`.*cannot be read as JSON"):
        load(base(local={}), cwd=tmp_path)


def test_stopped_practice_cluster_is_a_note_not_an_error(tmp_path):
    write_state(tmp_path / ".sandbox")
    params = load(base(remote={}), cwd=tmp_path)
    assert any("stopped" in note for note in params.notes)


# --- secrets ---------------------------------------------------------------------------------------

def test_credentials_in_url_are_refused_without_echoing_them():
    with pytest.raises(ParameterError) as err:
        load(base(remote={"url": "https://elastic:hunter2@es.example.com:9200"}))
    message = str(err.value)
    assert "`remote.url`" in message and "without a user name or password" in message
    assert "username_env" in message and "api_key_env" in message
    assert "hunter2" not in message


def test_credentials_in_environment_url_are_refused_too():
    with pytest.raises(ParameterError, match=r"`local.url \(from CCR_LOCAL_URL\)`") as err:
        load(base(local={}), environ={"CCR_LOCAL_URL": "http://u:s3cret@h:9200"})
    assert "s3cret" not in str(err.value)


def test_a_pasted_password_is_an_unknown_field_that_is_not_shown():
    with pytest.raises(ParameterError) as err:
        load(base(remote={"url": "http://h:9200", "password": "hunter2"}))
    message = str(err.value)
    assert "`remote.password`" in message and "never a parameter" in message
    assert "hunter2" not in message


def test_a_secret_where_a_variable_name_belongs_is_not_shown():
    with pytest.raises(ParameterError) as err:
        load(base(remote={"url": "http://h:9200", "username_env": "U", "password_env": "hunter2!"}))
    assert "`remote.password_env`" in str(err.value) and "hunter2" not in str(err.value)


def test_public_dict_holds_names_not_secrets_and_reloads_identically():
    env = {"R_USER": "elastic", "R_PASS": "hunter2"}
    params = load(base(remote={"url": "http://h:9200", "username_env": "R_USER", "password_env": "R_PASS"}),
                  environ=env)
    assert params.remote.read_credentials(env).basic_auth == ("elastic", "hunter2")
    public = params.to_public_dict()
    dumped = json.dumps(public) + yaml.safe_dump(public) + repr(params)
    assert "hunter2" not in dumped and "R_PASS" in dumped
    assert load(public).to_public_dict() == public


def test_missing_credential_variable_names_field_and_variable():
    params = load(base(remote={"url": "http://h:9200", "api_key_env": "REMOTE_KEY"}))
    with pytest.raises(ParameterError, match=r"`remote.api_key_env`.*REMOTE_KEY to be set"):
        params.remote.read_credentials({})
    creds = params.remote.read_credentials({"REMOTE_KEY": "abc=="})
    assert creds.api_key == "abc==" and "abc" not in repr(creds)


# --- every mistake names its field -----------------------------------------------------------------

BAD = [
    ({"remote": {"url": "ftp://h:9200"}}, "remote.url"),
    ({"remote": {"url": "localhost:9200"}}, "remote.url"),
    ({"local": {"url": "http://h:99999"}}, "local.url"),
    ({"local": {"url": "http://h:9200", "verify_certs": "sometimes"}}, "local.verify_certs"),
    ({"remote": {"url": "http://h:9200", "ca_certs": "/nonexistent/ca.pem"}}, "remote.ca_certs"),
    ({"remote": {"url": "http://h:9200", "username_env": "1BAD", "password_env": "P"}}, "remote.username_env"),
    ({"remote": {"url": "http://h:9200", "username_env": "U"}}, "remote.password_env"),
    ({"remote": {"url": "http://h:9200", "password_env": "P"}}, "remote.username_env"),
    ({"remote": {"url": "http://h:9200", "api_key_env": "K", "username_env": "U", "password_env": "P"}},
     "remote.api_key_env"),
    ({"remote": {"url": "http://h:9200", "expected_cluster_uuid": "_na_"}}, "remote.expected_cluster_uuid"),
    ({"remote": {"url": "http://h:9200", "request_timeout": 0}}, "remote.request_timeout"),
    ({"remote": {"url": "http://h:9200", "urll": "x"}}, "remote.urll"),
    ({"remote": "http://h:9200"}, "remote"),
    ({"remote_alias": "my:remote"}, "remote_alias"),
    ({"remote_alias": ""}, "remote_alias"),
    ({"indices": []}, "indices"),
    ({"indices": [{"follower": "x"}]}, "indices[0].leader"),
    ({"indices": [{"leader": "ok", "follower": "Bad"}]}, "indices[0].follower"),
    ({"indices": ["a", {"leader": "b", "follower": "a_follow"}]}, "indices[1].follower"),
    ({"indices": [{"leader": "a", "folower": "b"}]}, "indices[0].folower"),
    ({"indices": [{"leader": "a", "aliases": ["A"]}]}, "indices[0].aliases[0]"),
    ({"indices": [{"leader": "a", "aliases": ["a_follow"]}]}, "indices[0].aliases[0]"),
    ({"indices": [{"leader": "a", "aliases": ["w"]}, {"leader": "b", "aliases": ["w"]}]}, "indices[1].aliases[0]"),
    ({"auto_follow": {"name": "_logs", "leader_index_patterns": ["logs-*"]}}, "auto_follow.name"),
    ({"auto_follow": {"name": "logs"}}, "auto_follow.leader_index_patterns"),
    ({"auto_follow": {"name": "logs", "leader_index_patterns": ["Logs-*"]}}, "auto_follow.leader_index_patterns[0]"),
    ({"auto_follow": {"name": "logs", "leader_index_patterns": ["l-*"], "follow_index_pattern": "copy"}},
     "auto_follow.follow_index_pattern"),
    ({"seeds": ["10.0.0.1"]}, "seeds[0]"),
    ({"seeds": ["10.0.0.1:9300", "http://10.0.0.2:9300"]}, "seeds[1]"),
    ({"seeds": ["10.0.0.1:70000"]}, "seeds[0]"),
    ({"seeds": ["::1:9300"]}, "seeds[0]"),
    ({"follower_settings": {"max_read_request_size": 1024}}, "follower_settings.max_read_request_size"),
    ({"follower_settings": {"max_write_buffer_size": "lots"}}, "follower_settings.max_write_buffer_size"),
    ({"follower_settings": {"max_outstanding_read_requests": 0}}, "follower_settings.max_outstanding_read_requests"),
    ({"follower_settings": {"max_retry_delay": "6m"}}, "follower_settings.max_retry_delay"),
    ({"follower_settings": {"read_poll_timeout": "soon"}}, "follower_settings.read_poll_timeout"),
    ({"follower_settings": {"index.number_of_replicas": 1}}, "follower_settings.index.number_of_replicas"),
    ({"canary_documents": ["Jack"]}, "canary_documents[0]"),
    ({"canary_documents": []}, "canary_documents"),
    ({"confirm": 1}, "confirm"),
    ({"dry_run": "maybe"}, "dry_run"),
    ({"follow_timeout_s": -1}, "follow_timeout_s"),
    ({"catch_up_timeout_s": "soon"}, "catch_up_timeout_s"),
    ({"latency_timeout_s": float("nan")}, "latency_timeout_s"),
    ({"min_free_disk_bytes": "lots"}, "min_free_disk_bytes"),
    ({"min_free_disk_bytes": -1}, "min_free_disk_bytes"),
    ({"run_id": "has space"}, "run_id"),
    ({"colour": "blue"}, "colour"),
]


@pytest.mark.parametrize("changes, field", BAD, ids=[f for _, f in BAD])
def test_bad_input_names_the_field_and_what_is_expected(changes, field):
    with pytest.raises(ParameterError) as err:
        load(base(**changes), check_paths=True)
    fields = [p.field for p in err.value.problems]
    assert field in fields, str(err.value)
    assert f"parameter `{field}`: expected " in str(err.value)


BAD_INDEX_NAMES = ["MyIndex", "-x", "_x", "+x", ".", "..", "a b", "a,b", "a#b", "a*b", 'a"b', "a<b", "a>b",
                   "a|b", "a\\b", "a/b", "a?b", "remote:x", "x" * 256]


@pytest.mark.parametrize("name", BAD_INDEX_NAMES)
def test_index_names_follow_elasticsearch_rules(name):
    with pytest.raises(ParameterError, match=r"`indices\[0\]\.leader`: expected a lowercase index name"):
        load(base(indices=[{"leader": name, "follower": "ok"}]))


def test_every_problem_is_reported_at_once():
    with pytest.raises(ParameterError) as err:
        load(base(remote_alias="a b", dry_run="maybe", seeds=["nope"]))
    assert [p.field for p in err.value.problems] == ["remote_alias", "seeds[0]", "dry_run"]
    assert str(err.value).startswith("3 parameters are wrong:")


def test_unknown_fields_suggest_the_closest_name():
    with pytest.raises(ParameterError, match="Did you mean `max_read_request_size`"):
        load(base(follower_settings={"max_read_requests_size": "1mb"}))
    with pytest.raises(ParameterError, match="Did you mean `remote_alias`"):
        load(base(remote_aliass="x"))


def test_seed_on_http_port_is_a_note_not_an_error():
    params = load(base(seeds=["10.0.0.1:9200", "[fe80::1]:9300"]))
    assert params.seeds == ("10.0.0.1:9200", "[fe80::1]:9300")
    assert any("9200" in note and "transport" in note for note in params.notes)


def test_documented_follower_settings_are_kept():
    settings = {"max_read_request_size": "32mb", "max_outstanding_read_requests": 12,
                "max_retry_delay": "500ms", "read_poll_timeout": "1m", "max_write_buffer_count": 2147483647}
    assert dict(load(base(follower_settings=settings)).follower_settings) == settings


def test_papermill_overrides_merge_and_none_means_not_given(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(base(remote={"url": "http://h:9200", "request_timeout": 5})))
    params = load_parameters(path, overrides={"dry_run": "false", "confirm": None, "remote": {"request_timeout": 9}},
                             environ={})
    assert params.dry_run is False and params.confirm == ""
    assert params.remote.request_timeout == 9 and params.remote.url == "http://h:9200"


def test_relative_ca_certs_are_relative_to_the_yaml_file(tmp_path):
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(base(remote={"url": "https://h:9200", "ca_certs": "certs/ca.pem"})))
    params = load_parameters(path, environ={}, cwd=REPO)
    assert params.remote.ca_certs == str(tmp_path / "certs" / "ca.pem")


def test_missing_or_broken_parameter_file_is_named(tmp_path):
    with pytest.raises(ParameterError, match="`parameters_file`: expected an existing YAML file"):
        load_parameters(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("remote: [\n")
    with pytest.raises(ParameterError, match="`parameters_file`: expected valid YAML"):
        load_parameters(tmp_path / "bad.yaml")


def test_validation_touches_no_cluster(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("load_parameters opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    with pytest.raises(ParameterError):
        load(base(remote_alias="bad alias"))
    assert load(base()).remote_alias == "remote"


def test_destructive_steps_require_the_exact_confirmation():
    with pytest.raises(ConfirmationRequired, match="set parameter `confirm` to 'promote myindex_follow'"):
        load(base()).require_confirmation("promote myindex_follow", "promoting myindex_follow")
    load(base(confirm="promote myindex_follow")).require_confirmation("promote myindex_follow", "promoting")


def test_aliases_to_move_at_cutover_are_kept_per_pair_and_reload_identically():
    params = load(base(indices=[{"leader": "orders", "aliases": ["orders-write", "orders-all"]}, "customers"]))
    assert [(p.follower, p.aliases) for p in params.indices] == [
        ("orders_follow", ("orders-write", "orders-all")), ("customers_follow", ())]
    assert load(params.to_public_dict()).to_public_dict() == params.to_public_dict()
