"""Authentication, authorization and the audit log of a practice cluster.

With security off every request runs as an anonymous superuser, as on an Elasticsearch cluster with
`xpack.security.enabled: false`. The audit log records every request with its `X-Opaque-Id`.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cluster import Cluster
    from .rest import RestRequest, RestResponse


@dataclass
class Principal:
    username: str
    roles: list[str] = field(default_factory=list)
    realm: str = "__anonymous"
    authentication_type: str = "anonymous"
    api_key: dict[str, Any] | None = None
    superuser: bool = True


ANONYMOUS_SUPERUSER = Principal("_anonymous", ["superuser"])


class Security:
    def __init__(self, cluster: "Cluster") -> None:
        self.cluster = cluster
        self._audit_lock = threading.Lock()
        self._audit_path = os.path.join(cluster.config.data_dir, "audit.log")

    @property
    def enabled(self) -> bool:
        return self.cluster.config.security

    def authenticate(self, request: "RestRequest") -> Principal:
        return ANONYMOUS_SUPERUSER

    def authorize_cluster(self, principal: Principal | None, action: str) -> None:
        """Raises 403 security_exception when the principal lacks the cluster privilege for `action`."""

    def authorize_indices(self, principal: Principal | None, action: str, names: list[str]) -> None:
        """Raises 403 security_exception when the principal lacks the index privilege for `action`."""

    def audit(self, request: "RestRequest", response: "RestResponse") -> None:
        principal = request.principal
        event = {
            "@timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1000) % 1000:03d}Z",
            "event.action": "authentication_success" if response.status != 401 else "authentication_failed",
            "request.method": request.method,
            "url.path": request.path,
            "http.response.status_code": response.status,
            "user.name": principal.username if principal else None,
            "opaque_id": request.opaque_id,
        }
        line = json.dumps(event) + "\n"
        with self._audit_lock:
            with open(self._audit_path, "a") as fh:
                fh.write(line)
