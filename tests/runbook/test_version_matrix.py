"""The whole migration through the runner, against practice pairs of every supported version line.

One set of clusters per pair, stopped as soon as its test ends (2 cores in CI), a few hundred
documents. Three pairs also carry a second leader created WITHOUT soft deletes, so that the reindex
path of 01_prepare_leader runs end to end: writers using its name on the vendor's 6.7 (no clone API;
the vendor setting reaches the new index too) and on 7.10 (the old index is cloned first, 7.4+), and
writers using an alias on 6.8. Two pairs that cannot replicate must stop in 00_preflight, changing
nothing.
8.19.3 -> 8.19.3 is the session's default pair: tests/runbook/test_chain.py runs it.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from runbook_lib.connection import Cluster, connect
from runbook_lib.dialect import cat_indices_options, create_index_body
from runbook_lib.leader_prep import BACKUP_SUFFIX
from runbook_lib.parameters import SANDBOX_PARAMETERS_FILE, load_parameters
from runbook_lib.runner import NOTEBOOKS_DIR, run_runbook
from runbook_lib.sample_data import GUIDE_SETTINGS, MAPPINGS, sample_actions
from runbook_lib.versions import Version

REAL_CLUSTERS = bool(os.environ.get("CCR_REMOTE_URL") and os.environ.get("CCR_LOCAL_URL"))
pytestmark = [pytest.mark.slow, pytest.mark.sandbox_only,
              pytest.mark.skipif(REAL_CLUSTERS, reason="needs practice clusters of chosen versions")]

DOCS = 300
LEADER, FOLLOWER = "orders", "orders_follow"
OLD, OLD_FOLLOWER = "legacy", "legacy_follow"  # the leader without soft deletes
WRITERS_ALIAS = "legacy-writes"
ALIAS = "old_dc"


def up_options(remote: str, local: str, flavour: str = "default") -> list[str]:
    options = []
    for role, version in (("remote", remote), ("local", local)):
        options += ["--cluster-option", f"{role}.version={version}", "--cluster-option", f"{role}.flavour={flavour}"]
    return options


class VersionPair:
    """A started pair of practice clusters, reached the way the notebooks reach them."""

    def __init__(self, sandbox: Any, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ES_SANDBOX_HOME", sandbox.home)  # the notebooks' kernels inherit it
        self.folder = folder
        self.base = yaml.safe_load(SANDBOX_PARAMETERS_FILE.read_text())
        params = load_parameters(self.base, cwd=NOTEBOOKS_DIR)
        self.clusters: dict[str, Cluster] = {role: connect(params.cluster(role), "matrix", "test")
                                             for role in ("remote", "local")}

    @property
    def remote(self) -> Cluster:
        return self.clusters["remote"]

    @property
    def local(self) -> Cluster:
        return self.clusters["local"]

    def leader(self, name: str, soft_deletes: bool) -> None:
        """A leader of DOCS sample documents: the guide's settings, or soft deletes explicitly off."""
        settings = GUIDE_SETTINGS if soft_deletes else {"index.soft_deletes.enabled": False}
        self.remote.request("PUT", f"/{name}", body=create_index_body(self.remote.version, settings, MAPPINGS))
        lines = []
        for action in sample_actions(name, DOCS, version=self.remote.version):
            source = action.pop("_source")
            lines += [json.dumps({"index": action}), json.dumps(source)]
        answer = self.remote.request("POST", "/_bulk", params={"refresh": "true"}, body="\n".join(lines) + "\n")
        assert not answer.body["errors"], answer.body["items"][:1]

    def parameters(self, indices: list[dict[str, str]]) -> Path:
        path = self.folder / "params.yaml"
        path.write_text(yaml.safe_dump({**self.base, "indices": indices, "remote_alias": ALIAS}, sort_keys=False))
        return path

    def count(self, role: str, index: str) -> int:
        cluster = self.clusters[role]
        cluster.request("POST", f"/{index}/_refresh")
        return int(cluster.request("GET", f"/{index}/_count").body["count"])

    def fingerprint(self) -> dict[str, Any]:
        """What a refused run must leave as it was: indices, their settings, aliases, cluster settings."""
        seen = {}
        for role, cluster in self.clusters.items():
            rows = cluster.request("GET", "/_cat/indices", params={"format": "json", "h": "index,uuid,status",
                                                                    **cat_indices_options(cluster.version)}).body
            seen[role] = {
                "indices": sorted((r["index"], r["uuid"], r["status"]) for r in rows),
                "settings": cluster.request("GET", "/_all/_settings", params={"flat_settings": "true"}).body,
                "aliases": cluster.request("GET", "/_alias").body,
                "cluster_settings": cluster.request("GET", "/_cluster/settings", params={"flat_settings": "true"}).body,
            }
        return seen


def stop(sandbox: Any) -> None:
    """Stop the pair's cluster processes by their pids, leaving the state file to the session's `down`.

    Not `down` itself: the session runs `down` for every home it started, and a second `down` finds
    no pid and signals pid 0, the caller's whole process group (es_sandbox/cli.py stop_pid).
    """
    pids = [info["pid"] for info in sandbox.state["clusters"].values() if info.get("pid")]
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


@pytest.fixture
def versions(start_sandbox, tmp_path, monkeypatch, request):
    """`versions(remote, local, flavour)`: a fresh pair, stopped when the test ends (2 cores in CI)."""
    def start(remote: str, local: str, flavour: str = "default") -> VersionPair:
        sandbox = start_sandbox(*up_options(remote, local, flavour))
        request.addfinalizer(lambda: stop(sandbox))
        return VersionPair(sandbox, tmp_path, monkeypatch)
    return start


def run(pair: VersionPair, runbook: str, indices: list[dict[str, str]], confirm: str):
    return run_runbook(runbook, pair.parameters(indices), runs_dir=pair.folder / "runs", confirm=confirm,
                       report=lambda line: None)


MIGRATIONS = [
    # remote (leader), local (follower), flavour, and how writers reach a second leader created without
    # soft deletes: by its name (it becomes an alias of the new index) or by an alias (which moves).
    pytest.param("6.7.0", "6.7.0", "vendor", "name", id="vendor-6.7-to-vendor-6.7"),
    pytest.param("6.8.23", "7.10.2", "default", "alias", id="6.8-to-7.10"),
    pytest.param("7.10.2", "7.17.29", "default", "name", id="7.10-to-7.17"),
    pytest.param("7.17.29", "8.19.3", "default", None, id="7.17-to-8.19"),
    pytest.param("8.19.3", "9.1.5", "default", None, id="8.19-to-9.1"),
]


@pytest.mark.parametrize("remote, local, flavour, reindex", MIGRATIONS)
def test_the_migration_runs_end_to_end_on_every_version_line(versions, remote, local, flavour, reindex):
    pair = versions(remote, local, flavour)
    assert (str(pair.remote.version), str(pair.local.version)) == (remote, local)
    pair.leader(LEADER, soft_deletes=True)
    indices = [{"leader": LEADER, "follower": FOLLOWER}]
    if reindex:
        pair.leader(OLD, soft_deletes=False)
        if reindex == "alias":
            pair.remote.request("PUT", f"/{OLD}/_alias/{WRITERS_ALIAS}")
        indices.append({"leader": OLD, "follower": OLD_FOLLOWER})
    confirm = FOLLOWER if len(indices) == 1 else pair.local.identity.cluster_name

    result = run(pair, "migrate", indices, confirm)

    failed = result.failed_step
    assert result.passed, f"{remote} -> {local}: {failed.step}: {failed.message}" if failed else result.status
    for spec in indices:
        follower = spec["follower"]
        assert pair.local.request("GET", f"/{follower}/_ccr/info").body["follower_indices"] == []
        assert pair.count("local", follower) == DOCS
    if reindex:
        # The name (or the writers' alias) now leads to the new index with soft deletes, which was followed.
        moved = OLD if reindex == "name" else WRITERS_ALIAS
        assert list(pair.remote.request("GET", f"/_alias/{moved}").body) == [f"{OLD}-soft-deletes"]
        settings = pair.remote.request("GET", f"/{OLD}-soft-deletes/_settings", params={"flat_settings": "true"})
        new = settings.body[f"{OLD}-soft-deletes"]["settings"]
        assert new.get("index.soft_deletes.enabled") == "true" and "index.replication.type" not in new
        if reindex == "name" and pair.remote.version >= Version(7, 4, 0):
            # Before the name became an alias, the old index was cloned (write-blocked, as its source was).
            backup = OLD + BACKUP_SUFFIX
            assert pair.count("remote", backup) == DOCS
            kept = pair.remote.request("GET", f"/{backup}/_settings", params={"flat_settings": "true"}).body
            assert kept[backup]["settings"]["index.resize.source.name"] == OLD
            assert kept[backup]["settings"]["index.blocks.write"] == "true"

    cleanup = run(pair, "cleanup", indices, confirm)
    assert cleanup.passed, cleanup.failed_step.message if cleanup.failed_step else cleanup.status
    remotes = pair.local.request("GET", "/_cluster/settings", params={"flat_settings": "true"}).body
    assert not [k for part in remotes.values() for k in part if k.startswith(f"cluster.remote.{ALIAS}.")]


REFUSALS = [
    pytest.param("7.17.29", "6.8.23", "7.17.29 to 8.x", id="7.17-to-6.8"),
    pytest.param("9.1.5", "8.19.3", "9.1.5 to 9.x", id="9.1-to-8.19"),
]


@pytest.mark.parametrize("remote, local, would_work", REFUSALS)
def test_preflight_refuses_a_follower_older_than_its_leader_and_changes_nothing(versions, remote, local, would_work):
    pair = versions(remote, local)
    pair.leader(LEADER, soft_deletes=True)
    before = pair.fingerprint()

    result = run(pair, "migrate", [{"leader": LEADER, "follower": FOLLOWER}], FOLLOWER)

    assert result.status == "failed"
    failed = result.failed_step
    assert failed.step == "00_preflight" and [s.status for s in result.steps][1:] == ["not run"] * 5
    assert f"runs {local}, older than the remote's {remote}" in failed.message
    assert f"versions that can follow it: {would_work}" in failed.message
    assert pair.fingerprint() == before
