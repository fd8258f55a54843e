"""Bad input and safety: each mistake stops the migration at the first cell that can know, with a
message naming it, and neither cluster has changed (indices and uuids, settings, aliases, remotes,
auto-follow patterns and followers read before and after)."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

from runbook_lib.runner import run_runbook

PARAMETER_CELL = "begin("  # the cell that loads the parameter set
CONNECT_CELL = "step.connect()"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


def host_port(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}"


@pytest.fixture
def names(practice, unique_name):
    """A leader that exists (so that only the mistake under test is wrong) and unused names."""
    leader = unique_name("leader")
    practice.leader(leader)
    return {"leader": leader, "follower": f"{leader}_follow", "alias": unique_name("remote")}


def fields(names: dict, **extra) -> dict:
    return {"indices": [{"leader": names["leader"], "follower": names["follower"]}], "remote_alias": names["alias"],
            **extra}


def migrate(params: Path, tmp_path: Path, confirm: str):
    return run_runbook("migrate", params, runs_dir=tmp_path / "runs", confirm=confirm, report=lambda line: None)


def assert_stopped(result, step: str, *words: str, cell: str | None = None) -> None:
    failed = result.failed_step
    assert result.status == "failed" and failed is not None
    assert failed.step == step, f"stopped at {failed.step}: {failed.message}"
    for word in words:
        assert word in failed.message, f"{word!r} not in: {failed.message}"
    if cell is not None:
        source = nbformat.read(failed.notebook, as_version=4).cells
        stopped = next(c for c in source if c.get("id") == failed.failed_cell["cell_id"])
        assert cell in stopped.source, f"stopped in a later cell than the first that could know:\n{stopped.source}"
    assert all(s.status == "not run" for s in result.steps[result.steps.index(failed) + 1:])


def test_a_malformed_parameter_file(practice, names, tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("remote: {url: ''\nindices: [")
    before = practice.fingerprint()

    result = migrate(params, tmp_path, names["follower"])

    assert_stopped(result, "00_preflight", "parameters_file", "valid YAML", cell=PARAMETER_CELL)
    assert practice.fingerprint() == before


def test_an_unknown_field(practice, names, tmp_path):
    params = practice.parameters(tmp_path, **fields(names, remote_alais="old"))
    before = practice.fingerprint()

    result = migrate(params, tmp_path, names["follower"])

    assert_stopped(result, "00_preflight", "`remote_alais`", "Did you mean `remote_alias`?", cell=PARAMETER_CELL)
    assert practice.fingerprint() == before


def test_a_url_with_credentials_is_refused_without_echoing_them(practice, names, tmp_path):
    remote = host_port(practice.urls["remote"])
    params = practice.parameters(tmp_path, **fields(names, remote={"url": f"http://elastic:hunter2@{remote}"}))
    before = practice.fingerprint()

    result = migrate(params, tmp_path, names["follower"])

    assert_stopped(result, "00_preflight", "remote.url", "without a user name or password", cell=PARAMETER_CELL)
    assert practice.fingerprint() == before
    assert not [p for p in result.folder.rglob("*") if p.is_file() and "hunter2" in p.read_text(errors="replace")]


def test_an_unreachable_url(practice, names, tmp_path):
    params = practice.parameters(tmp_path, **fields(names, local={"url": f"http://127.0.0.1:{closed_port()}"}))
    before = practice.fingerprint()

    result = migrate(params, tmp_path, names["follower"])

    assert_stopped(result, "00_preflight", "local", "cannot reach", cell=CONNECT_CELL)
    assert practice.fingerprint() == before


def test_the_wrong_cluster_is_refused_by_its_pinned_uuid(practice, names, tmp_path):
    local_uuid = practice.client("local").info()["cluster_uuid"]
    params = practice.parameters(tmp_path, **fields(names, remote={"url": "", "expected_cluster_uuid": local_uuid}))
    before = practice.fingerprint()

    result = migrate(params, tmp_path, names["follower"])

    assert_stopped(result, "00_preflight", "remote", local_uuid, cell=CONNECT_CELL)
    assert practice.fingerprint() == before


def test_a_seed_on_the_http_port(practice, names, tmp_path):
    nodes = practice.client("remote").nodes.info(metric="http")["nodes"].values()
    http_address = next(iter(nodes))["http"]["publish_address"].rpartition("/")[2]
    params = practice.parameters(tmp_path, **fields(names, seeds=[http_address]))
    before = practice.fingerprint()

    result = migrate(params, tmp_path, names["follower"])

    assert_stopped(result, "00_preflight", http_address, "HTTP")
    assert practice.fingerprint() == before


def test_a_missing_leader_index(practice, names, unique_name, tmp_path):
    missing = unique_name("missing")
    params = practice.parameters(tmp_path, **fields(names, indices=[{"leader": missing}]))
    before = practice.fingerprint()

    result = migrate(params, tmp_path, f"{missing}_follow")

    assert_stopped(result, "00_preflight", f"leader {missing} exists")
    assert practice.fingerprint() == before


def test_a_follower_name_already_taken(practice, names, tmp_path):
    practice.index("local", names["follower"])
    params = practice.parameters(tmp_path, **fields(names))
    before = practice.fingerprint()

    result = migrate(params, tmp_path, names["follower"])

    assert_stopped(result, "00_preflight", f"follower name {names['follower']} free", "exists")
    assert practice.fingerprint() == before


@pytest.mark.sandbox_only
def test_missing_privileges_on_a_secured_cluster(secured, unique_name, tmp_path, monkeypatch):
    leader = secured.leader(unique_name("leader"))
    user, password = unique_name("analyst"), "analyst-" + unique_name("pw")
    for role in ("remote", "local"):
        client = secured.client(role)
        client.security.put_role(name="read_only_monitor", cluster=["monitor"],
                                 indices=[{"names": ["*"], "privileges": ["read", "monitor", "view_index_metadata"]}])
        client.security.put_user(username=user, password=password, roles=["read_only_monitor"])
    monkeypatch.setenv("CCR_TEST_ANALYST", user)
    monkeypatch.setenv("CCR_TEST_ANALYST_PASSWORD", password)
    as_analyst = {"url": "", "username_env": "CCR_TEST_ANALYST", "password_env": "CCR_TEST_ANALYST_PASSWORD"}
    params = secured.parameters(tmp_path, indices=[{"leader": leader}], remote=as_analyst, local=as_analyst,
                                remote_alias=unique_name("remote"))
    before = secured.fingerprint()

    result = migrate(params, tmp_path, f"{leader}_follow")

    assert_stopped(result, "00_preflight", f"remote privileges of {user}", f"local privileges of {user}",
                   "grant the missing privileges")
    assert secured.fingerprint() == before


def test_the_fingerprint_sees_each_kind_of_change(practice, unique_name):
    """The guard of every test above: a fingerprint that missed changes would prove nothing."""
    local = practice.client("local")
    alias = unique_name("remote")
    seeds = f"cluster.remote.{alias}.seeds"
    before = practice.fingerprint()
    index = practice.index("local", unique_name("probe"))
    created = practice.fingerprint()
    local.indices.put_settings(index=index, settings={"index.number_of_replicas": 0})
    resized = practice.fingerprint()
    local.indices.put_alias(index=index, name=f"{index}-alias")
    aliased = practice.fingerprint()
    local.cluster.put_settings(persistent={seeds: ["127.0.0.1:9300"]})
    try:
        remote_added = practice.fingerprint()
    finally:
        local.cluster.put_settings(persistent={seeds: None})

    changes = [before, created, resized, aliased, remote_added]
    assert all(a["local"] != b["local"] for a, b in zip(changes, changes[1:]))
