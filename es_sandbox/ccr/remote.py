"""The follower's side of the leader's transport actions, over the remote-cluster connections.

`cluster.services["remotes"].connection(alias)` gives a RemoteConnection whose `request()` raises
EsErrors for transport failures; failures of the leader's own handlers come back in-band and are
rebuilt here with their metadata and causes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import EsError, illegal_argument, index_closed
from . import errors as ccr_errors
from . import leader_actions as actions

if TYPE_CHECKING:
    from ..cluster import Cluster

METADATA_TIMEOUT_S = 30.0
# A shard changes request is held by the leader up to its poll timeout; past it, by this much more,
# the follower gives up on the answer (a blackholed link) and retries.
POLL_MARGIN_S = 10.0


def rebuild(fragment: dict[str, Any], status: int) -> EsError:
    """An EsError equal to the one whose `fragment()` this is."""
    metadata = {k.replace(".", "__"): v for k, v in fragment.items() if k not in ("type", "reason", "caused_by")}
    cause = fragment.get("caused_by")
    return EsError(status, fragment["type"], fragment.get("reason"), caused_by=rebuild(cause, status) if cause else None, **metadata)


class Leader:
    """One remote cluster seen through its alias."""

    def __init__(self, cluster: "Cluster", alias: str) -> None:
        self.cluster = cluster
        self.alias = alias
        self.remotes = cluster.services.get("remotes")
        if self.remotes is None:  # no remote cluster is configured on this cluster at all
            raise EsError(404, "no_such_remote_cluster_exception", f"no such remote cluster: [{alias}]")
        # An unknown alias fails here (getRemoteClusterClient); an unreachable remote only fails the
        # first request, so that e.g. the licence check reports it as its cause.
        try:
            self.connection = self.remotes.connection(alias)
        except EsError as exc:
            if exc.type == "no_such_remote_cluster_exception":
                raise
            self.connection = None

    def call(self, action: str, body: dict[str, Any], timeout_s: float = METADATA_TIMEOUT_S) -> dict[str, Any]:
        if self.connection is None:
            self.connection = self.remotes.connection(self.alias)
        answer = self.connection.request(action, body, timeout_s)
        if isinstance(answer, dict) and "_failure" in answer:
            raise rebuild(answer["_failure"], answer["_status"])
        return answer

    # --- licence and metadata (CcrLicenseChecker) ---------------------------------------------

    def check_license_for_index(self, index: str) -> None:
        try:
            info = self.call(actions.LICENSE, {})
        except EsError as exc:
            raise ccr_errors.remote_index_license_unknown(self.alias, index, exc) from None
        if not info["allows_ccr"] or info.get("status") != "active":
            raise ccr_errors.remote_index_not_licensed(self.alias, index, info)

    def check_license_for_state(self) -> None:
        try:
            info = self.call(actions.LICENSE, {})
        except EsError as exc:
            raise ccr_errors.remote_state_license_unknown(self.alias, exc) from None
        if not info["allows_ccr"] or info.get("status") != "active":
            raise ccr_errors.remote_state_not_licensed(self.alias, info)

    def leader_index(self, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(cluster facts, index metadata) after the licence check, refusing what cannot be followed."""
        self.check_license_for_index(name)
        state = self.call(actions.CLUSTER_STATE, {"index": name})
        if not state["indices"]:
            if state.get("abstraction"):
                raise illegal_argument(f"cannot follow [{name}], because it is a {state['abstraction']}")
            raise ccr_errors.index_not_found_plain(name)
        meta = state["indices"][0]
        if meta["state"] != "open":
            raise index_closed(meta["name"], meta["uuid"])
        return state, meta

    def cluster_state(self) -> dict[str, Any]:
        self.check_license_for_state()
        return self.call(actions.CLUSTER_STATE, {})

    def index_metadata(self, name: str) -> dict[str, Any]:
        """The leader index's metadata without the licence check (a running follower's refresh)."""
        state = self.call(actions.CLUSTER_STATE, {"index": name})
        if not state["indices"]:
            raise ccr_errors.index_not_found_plain(name)
        return state["indices"][0]

    # --- data -------------------------------------------------------------------------------

    def restore_start(self, index_uuid: str, index: str) -> dict[str, Any]:
        return self.call(actions.RESTORE_START, {"index_uuid": index_uuid, "index": index})

    def restore_chunk(self, index_uuid: str, index: str, shard: int, at: int, after: int, max_docs: int) -> dict[str, Any]:
        return self.call(actions.RESTORE_CHUNK, {"index_uuid": index_uuid, "index": index, "shard": shard,
                                                 "snapshot_seq_no": at, "after_seq_no": after, "max_docs": max_docs})

    def shard_changes(self, index_uuid: str, index: str, shard: int, from_seq_no: int, max_ops: int,
                      poll_timeout_ms: int, max_bytes: int) -> dict[str, Any]:
        body = {"index_uuid": index_uuid, "index": index, "shard": shard, "from_seq_no": from_seq_no,
                "max_operation_count": max_ops, "poll_timeout_ms": poll_timeout_ms, "max_batch_size": max_bytes}
        return self.call(actions.SHARD_CHANGES, body, timeout_s=poll_timeout_ms / 1000 + POLL_MARGIN_S)

    def lease(self, action: str, index_uuid: str, index: str, shard: int, lease_id: str, retaining_seq_no: int | None = None) -> None:
        body: dict[str, Any] = {"index_uuid": index_uuid, "index": index, "shard": shard, "id": lease_id}
        if retaining_seq_no is not None:
            body["retaining_seq_no"] = retaining_seq_no
        self.call(action, body)

    def keep_lease(self, index_uuid: str, index: str, shard: int, lease_id: str, retaining_seq_no: int) -> None:
        """Renew the lease, adding it again when the leader has let it expire."""
        try:
            self.lease(actions.RENEW_LEASE, index_uuid, index, shard, lease_id, retaining_seq_no)
        except EsError as exc:
            if exc.type != "retention_lease_not_found_exception":
                raise
            self.lease(actions.ADD_LEASE, index_uuid, index, shard, lease_id, retaining_seq_no)

    def add_lease(self, index_uuid: str, index: str, shard: int, lease_id: str, retaining_seq_no: int) -> None:
        """Add the lease, renewing it when it is already there (a retried recovery)."""
        try:
            self.lease(actions.ADD_LEASE, index_uuid, index, shard, lease_id, retaining_seq_no)
        except EsError as exc:
            if exc.type != "retention_lease_already_exists_exception":
                raise
            self.lease(actions.RENEW_LEASE, index_uuid, index, shard, lease_id, retaining_seq_no)

    def remove_lease(self, index_uuid: str, index: str, shard: int, lease_id: str) -> None:
        self.lease(actions.REMOVE_LEASE, index_uuid, index, shard, lease_id)
