"""The licence of a practice cluster: self-generated trial or basic licences as Elasticsearch issues
them, trial eligibility, and which X-Pack features each licence type makes available.

The record lives in the metadata store (kind "license", name "current"): `type` (read by
`Cluster.license_type`), `uid`, `issue_date_in_millis`, `expiry_date_in_millis` (None for basic) and
`trial_used`. A cluster configured with a trial licence has used its trial.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from .humanize import iso_millis

if TYPE_CHECKING:
    from .cluster import Cluster

TRIAL_DAYS = 30
_RANK = {"basic": 0, "standard": 1, "gold": 2, "platinum": 3, "enterprise": 4, "trial": 5}

# Feature -> the lowest licence type that makes it available (XPackInfo features of 8.x).
FEATURES = {
    "aggregate_metric": "basic", "analytics": "basic", "archive": "enterprise", "ccr": "platinum",
    "data_streams": "basic", "data_tiers": "basic", "enrich": "basic", "enterprise_search": "enterprise",
    "eql": "basic", "esql": "basic", "frozen_indices": "basic", "graph": "platinum", "ilm": "basic",
    "logsdb": "enterprise", "logstash": "standard", "ml": "platinum", "monitoring": "basic", "rollup": "basic",
    "searchable_snapshots": "enterprise", "security": "basic", "slm": "basic", "spatial": "basic", "sql": "basic",
    "transform": "basic", "universal_profiling": "enterprise", "voting_only": "basic", "watcher": "gold",
}

TRIAL_ACK_HEADER = (
    "This API initiates a free 30-day trial for all platinum features. By starting this trial, you agree that it is "
    "subject to the terms and conditions at https://www.elastic.co/legal/trial_license/. To begin your free trial, "
    "call /start_trial again and specify the \"acknowledge=true\" parameter."
)
TRIAL_ACK_MESSAGES = {"security": ["With a trial license, X-Pack security features are available, but are not enabled by default."]}
BASIC_ACK_HEADER = (
    "This license update requires acknowledgement. To acknowledge the license, please read the following messages "
    "and call /start_basic again, this time with the \"acknowledge=true\" parameter:"
)


def basic_ack_messages() -> dict[str, list[str]]:
    """XPackLicenseState's acknowledgement messages for a move from a trial/platinum licence to basic."""
    return {
        "security": ["Authentication will be limited to the native and file realms.",
                     "Security tokens will not be supported.", "IP filtering and auditing will be disabled.",
                     "Field and document level access control will be disabled.", "Custom realms will be ignored.",
                     "A custom authorization engine will be ignored."],
        "watcher": ["Watcher will be disabled"],
        "monitoring": ["Multi-cluster support is disabled for clusters with [BASIC] license. If you are\n"
                       "running multiple clusters, users won't be able to access the clusters with\n"
                       "[BASIC] licenses from within a single X-Pack Kibana instance. You will have to deploy a\n"
                       "separate and dedicated X-pack Kibana instance for each [BASIC] cluster you wish to monitor."],
        "graph": ["Graph will be disabled"],
        "ml": ["Machine learning will be disabled"],
        "logstash": ["Logstash will no longer poll for centrally-managed pipelines"],
        "beats": ["Beats will no longer be able to use centrally-managed configuration"],
        "sql": ["JDBC and ODBC support will be disabled, but you can continue to use SQL CLI and REST endpoint"],
        "ccr": ["Cross-Cluster Replication will be disabled"],
        "enterprise_search": ["Search Applications and behavioral analytics will be disabled"],
        "redact_processor": ["Redact ingest pipeline processors will be disabled"],
    }


def _new(license_type: str, trial_used: bool) -> dict[str, Any]:
    now = int(time.time() * 1000)
    return {
        "type": license_type,
        "uid": str(uuid.uuid4()),
        "issue_date_in_millis": now,
        "expiry_date_in_millis": None if license_type == "basic" else now + TRIAL_DAYS * 86_400_000,
        "trial_used": trial_used,
    }


def current(cluster: "Cluster") -> dict[str, Any]:
    record = cluster.store.get("license", "current")
    if record is None or "uid" not in record:
        configured = (record or {}).get("type", cluster.config.license)
        record = _new(configured, trial_used=configured == "trial")
        cluster.store.put("license", "current", record)
    return record


def install(cluster: "Cluster", license_type: str) -> dict[str, Any]:
    record = _new(license_type, trial_used=current(cluster)["trial_used"] or license_type == "trial")
    cluster.store.put("license", "current", record)
    cluster.notify("license_changed", license_type)
    return record


def status(record: dict[str, Any]) -> str:
    expiry = record.get("expiry_date_in_millis")
    return "expired" if expiry is not None and expiry < time.time() * 1000 else "active"


def available(record: dict[str, Any], feature: str) -> bool:
    return status(record) == "active" and _RANK[record["type"]] >= _RANK[FEATURES[feature]]


def license_json(cluster: "Cluster", record: dict[str, Any]) -> dict[str, Any]:
    """The licence as GET _license shows it (always with readable dates)."""
    out: dict[str, Any] = {
        "status": status(record),
        "uid": record["uid"],
        "type": record["type"],
        "issue_date": iso_millis(record["issue_date_in_millis"]),
        "issue_date_in_millis": record["issue_date_in_millis"],
    }
    if record.get("expiry_date_in_millis") is not None:
        out["expiry_date"] = iso_millis(record["expiry_date_in_millis"])
        out["expiry_date_in_millis"] = record["expiry_date_in_millis"]
    out["max_nodes"] = 1000
    if cluster.version.major >= 7:  # License.VERSION_ENTERPRISE (7.x) added max_resource_units
        out["max_resource_units"] = None
    out.update({"issued_to": cluster.config.name, "issuer": "elasticsearch", "start_date_in_millis": -1})
    return out
