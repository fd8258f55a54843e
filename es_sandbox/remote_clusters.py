"""The remote cluster service of a practice cluster: `cluster.services["remotes"]`.

    remotes = cluster.services["remotes"]
    remotes.aliases()                  # configured (enabled) aliases
    conn = remotes.connection("leader")  # 404 no_such_remote_cluster_exception, or the connect error
    conn.request("indices:...", {...}, timeout_s=60)

As in Elasticsearch, applying remote settings (re)connects the remotes whose connection settings
changed and waits up to 10s for each; a cut link (`refuse`) closes the connections to that cluster,
and nothing reconnects until a request needs the remote or its settings change. A settings change
that alters a connection replaces it; a caller still holding the old one is sent to the new one (or
told the alias is gone), as Elasticsearch looks remotes up by alias on every request.

Every cluster also answers `cluster:monitor/state` with its nodes, which sniff mode reads from a seed;
other modules may add sections to that answer with `register_state_section()`.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Callable

from . import remote_errors
from .remote_connection import STATE_ACTION, RemoteConnection
from .remote_nodes import CONNECT_TIMEOUT_S
from .remote_settings import remote_configs

if TYPE_CHECKING:
    from .cluster import Cluster

log = logging.getLogger(__name__)

APPLY_WAIT_S = 10.0  # RemoteClusterService.updateRemoteCluster waits this long for a new connection


class RemoteClusterService:
    def __init__(self, cluster: "Cluster") -> None:
        self.cluster = cluster
        self.peer_names: dict[str, str] = {}  # transport address -> cluster name, learnt in handshakes
        self._remotes: dict[str, RemoteConnection] = {}
        self._lock = threading.Lock()
        self._apply_lock = threading.Lock()
        cluster.listeners.append(self._on_event)

    def aliases(self) -> list[str]:
        with self._lock:
            return sorted(self._remotes)

    def get(self, alias: str) -> RemoteConnection:
        """The alias's connection, connected or not; raises no_such_remote_cluster_exception."""
        with self._lock:
            remote = self._remotes.get(alias)
        if remote is None:
            raise remote_errors.no_such_remote(alias)
        return remote

    def connection(self, alias: str, timeout_s: float = CONNECT_TIMEOUT_S) -> RemoteConnection:
        """The alias's connection, connected (Elasticsearch's connect error when it cannot be)."""
        remote = self.get(alias)
        remote.ensure_connected(timeout_s)
        return remote

    def info(self) -> dict[str, Any]:
        """`GET _remote/info`: the state of each remote as it is now; nothing is reconnected."""
        with self._lock:
            remotes = dict(self._remotes)
        return {alias: remotes[alias].info() for alias in sorted(remotes)}

    def apply_settings(self) -> None:
        """Brings the connections in line with the cluster settings (transient over persistent)."""
        settings = self.cluster.cluster_settings()
        desired = remote_configs(settings["persistent"], settings["transient"], self.cluster.version)
        with self._apply_lock:
            with self._lock:
                current = dict(self._remotes)
            for alias in sorted(set(current) | set(desired)):
                old, new = current.get(alias), desired.get(alias)
                if new is None:
                    self._replace(alias, None)
                elif old is None or old.config.connection_key() != new.connection_key():
                    remote = RemoteConnection(self, new)
                    self._replace(alias, remote)
                    self._connect_and_wait(remote)
                else:
                    old.config = new  # skip_unavailable changes without a reconnection

    def close(self) -> None:
        with self._lock:
            remotes, self._remotes = list(self._remotes.values()), {}
        for remote in remotes:
            remote.close()

    def start(self) -> None:
        """At process start, a full cluster restart: transient settings are gone, remotes reconnect."""
        self.cluster.store.put("cluster", "transient", {})
        threading.Thread(target=self.apply_settings, daemon=True, name="remote-clusters-start").start()

    def _replace(self, alias: str, remote: RemoteConnection | None) -> None:
        with self._lock:
            old = self._remotes.pop(alias, None)
            if remote is not None:
                self._remotes[alias] = remote
        if old is not None:
            old.close()

    def _connect_and_wait(self, remote: RemoteConnection) -> None:
        attempt = remote.start_connecting()
        if attempt is not None and not attempt.done.wait(APPLY_WAIT_S):
            log.warning("failed to connect to new remote cluster %s within 10s", remote.alias)
        elif attempt is not None and attempt.error is None:
            log.debug("connected to new remote cluster %s", remote.alias)

    def _on_event(self, event: str, payload: Any) -> None:
        if event == "cluster_settings":
            self.apply_settings()
        elif event == "link_cut" and self.cluster.transport.faults.get(payload) == "refuse":
            with self._lock:
                remotes = [r for r in self._remotes.values() if r.cluster_name == payload]
            for remote in remotes:
                log.info("transport connections to remote [%s] closed: link to [%s] cut", remote.alias, payload)
                remote.disconnect()


StateSection = Callable[[dict[str, Any]], Any]


def register_state_section(cluster: "Cluster", name: str, provider: StateSection) -> None:
    """Adds `name` to the `cluster:monitor/state` answer when a request asks for it (`{name: true}`)."""
    cluster.services.setdefault("cluster_state_sections", {})[name] = provider


def state_action(cluster: "Cluster") -> Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]:
    """The remote side of sniffing: who this cluster is and, with `{"nodes": true}`, its nodes."""

    def handle(body: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"cluster_name": cluster.config.name, "cluster_uuid": cluster.config.cluster_uuid}
        if body.get("nodes"):
            out["nodes"] = {
                n.id: {"name": n.name, "transport_address": n.transport_address, "roles": list(n.roles),
                       "version": str(cluster.version), "attributes": {}}
                for n in cluster.config.nodes
            }
        for name, provider in cluster.services.get("cluster_state_sections", {}).items():
            if body.get(name):
                out[name] = provider(body)
        return out

    return handle


def register(cluster: "Cluster") -> RemoteClusterService:
    service = RemoteClusterService(cluster)
    cluster.services["remotes"] = service
    cluster.transport.register(STATE_ACTION, state_action(cluster))  # type: ignore[attr-defined]
    cluster.__dict__.setdefault("starters", []).append(service.start)
    return service

