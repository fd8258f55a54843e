"""The errors CCR reports, worded as Elasticsearch's CCR plugin words them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import EsError, illegal_argument, index_not_found

if TYPE_CHECKING:
    from ..version import Version

# ElasticsearchException(cause) takes `cause.toString()` as its message: the Java class name, a
# colon and the cause's message. These are the classes the remote-cluster layer can fail with.
_JAVA_CLASSES = {
    "connect_transport_exception": "org.elasticsearch.transport.ConnectTransportException",
    "node_disconnected_exception": "org.elasticsearch.transport.NodeDisconnectedException",
    "node_not_connected_exception": "org.elasticsearch.transport.NodeNotConnectedException",
    "receive_timeout_transport_exception": "org.elasticsearch.transport.ReceiveTimeoutTransportException",
    "no_such_remote_cluster_exception": "org.elasticsearch.transport.NoSuchRemoteClusterException",
    "status_exception": "org.elasticsearch.ElasticsearchStatusException",
    "security_exception": "org.elasticsearch.ElasticsearchSecurityException",
    "index_not_found_exception": "org.elasticsearch.index.IndexNotFoundException",
    "index_closed_exception": "org.elasticsearch.indices.IndexClosedException",
    "retention_lease_not_found_exception": "org.elasticsearch.index.seqno.RetentionLeaseNotFoundException",
    "illegal_argument_exception": "java.lang.IllegalArgumentException",
    "illegal_state_exception": "java.lang.IllegalStateException",
}


def java_to_string(cause: EsError) -> str:
    """`Throwable.toString()` of a cause, which wrapping exceptions take as their message."""
    name = _JAVA_CLASSES.get(cause.type, "org.elasticsearch.ElasticsearchException")
    return f"{name}: {cause.reason}" if cause.reason is not None else name


def wrapped(cause: EsError, status: int = 500, **metadata: Any) -> EsError:
    """`new ElasticsearchException(cause)`: type `exception`, the cause's toString as reason."""
    return EsError(status, "exception", java_to_string(cause), caused_by=cause, **metadata)


def license_non_compliant() -> EsError:
    """LicenseUtils.newComplianceException("ccr"): the local cluster's licence does not include CCR."""
    return EsError(403, "security_exception", "current license is non-compliant for [ccr]", license__expired__feature="ccr")


def _license_problem(alias: str, license_info: dict[str, Any]) -> str:
    if license_info.get("status", "active") != "active":
        return f"the license on cluster [{alias}] is not active"
    return f"the license mode [{str(license_info.get('mode', 'basic')).upper()}] on cluster [{alias}] does not enable [ccr]"


def remote_index_not_licensed(alias: str, index: str, license_info: dict[str, Any]) -> EsError:
    return EsError(
        400,
        "status_exception",
        f"can not fetch remote index [{alias}:{index}] metadata as the remote cluster [{alias}] is not licensed for [ccr]; "
        + _license_problem(alias, license_info),
    )


def remote_state_not_licensed(alias: str, license_info: dict[str, Any]) -> EsError:
    return EsError(
        400,
        "status_exception",
        f"can not fetch remote cluster state as the remote cluster [{alias}] is not licensed for [ccr]; "
        + _license_problem(alias, license_info),
    )


def remote_index_license_unknown(alias: str, index: str, cause: EsError) -> EsError:
    return EsError(
        400,
        "status_exception",
        f"can not fetch remote index [{alias}:{index}] metadata as the license state of the remote cluster [{alias}] "
        "could not be determined",
        caused_by=cause,
    )


def remote_state_license_unknown(alias: str, cause: EsError) -> EsError:
    return EsError(
        400,
        "status_exception",
        f"can not fetch remote cluster state as the license state of the remote cluster [{alias}] could not be determined",
        caused_by=cause,
    )


def snapshot_restore(alias: str, reason: str) -> EsError:
    """The restore behind put-follow reads the leader through the `_ccr_<alias>` repository."""
    return EsError(500, "snapshot_restore_exception", f"[_ccr_{alias}:_latest_/_latest_] {reason}")


def leader_newer(alias: str, leader_version: str, local: "Version") -> EsError:
    """RestoreService's refusal of a snapshot from a newer release: the `_ccr_` repository's snapshot
    carries the leader cluster's highest node version. From 8.11 snapshots carry index versions,
    which Elasticsearch renders as the release(s) that use them; the sandbox shows the release."""
    what = "version" if local.at_least("8.11.0") else "Elasticsearch version"
    return snapshot_restore(
        alias, f"the snapshot was created with {what} [{leader_version}] which is higher than the version of this node [{local}]")


def index_not_found_plain(name: str) -> EsError:
    """IndexNotFoundException(name) as a transport action raises it: no resource fields."""
    error = index_not_found(name)
    for key in ("resource__type", "resource__id"):
        error.metadata.pop(key, None)
    return error


def not_a_follower(index: str) -> EsError:
    return illegal_argument(f"index [{index}] is not a follower index")


def no_shard_follow_tasks(index: str) -> EsError:
    return illegal_argument(f"no shard follow tasks for [{index}]")


def no_follow_stats(indices: list[str]) -> EsError:
    return EsError(404, "resource_not_found_exception", f"No shard follow tasks for follower indices [{','.join(indices)}]")


def task_already_exists(follower_uuid: str, shard: int) -> EsError:
    return EsError(400, "resource_already_exists_exception", f"task with id {{{follower_uuid}-{shard}}} already exist")


def pattern_missing(name: str) -> EsError:
    return EsError(404, "resource_not_found_exception", f"auto-follow pattern [{name}] is missing")


def lease_not_found(lease_id: str) -> EsError:
    return EsError(404, "retention_lease_not_found_exception", f"retention lease with ID [{lease_id}] not found")


def lease_already_exists(lease_id: str) -> EsError:
    return EsError(400, "retention_lease_already_exists_exception", f"retention lease with ID [{lease_id}] already exists")


# Failures a shard follow task retries (ShardFollowNodeTask.shouldRetry); anything else stops the
# task with a fatal_exception. A blackholed link surfaces here as a receive timeout, the sandbox's
# stand-in for the disconnect Elasticsearch eventually detects.
RETRYABLE = frozenset(
    {
        "connect_transport_exception",
        "node_disconnected_exception",
        "node_not_connected_exception",
        "node_closed_exception",
        "receive_timeout_transport_exception",
        "send_request_transport_exception",
        "no_such_remote_cluster_exception",
        "shard_not_found_exception",
        "illegal_index_shard_state_exception",
        "no_shard_available_action_exception",
        "unavailable_shards_exception",
        "already_closed_exception",
        "security_exception",
        "cluster_block_exception",
        "index_closed_exception",
        "es_rejected_execution_exception",
        "circuit_breaking_exception",
    }
)


def is_retryable(error: EsError) -> bool:
    return error.type in RETRYABLE
