"""The one place every cluster call goes through: auth, TLS, X-Opaque-Id, redaction, transcript.

`connect(cluster_parameters, run_id, step)` reads `GET /` first, with a plain request, to learn who
is answering (name, uuid, version) before choosing a client: the official 8.19 client for 8.x and
9.x servers, the 7.17 client (`elasticsearch7`) for 6.7-7.17 (runbook_lib/clients.py hides the
difference). It then asks who we are (`_security/_authenticate`, under `_xpack` on 6.x) and, when
the parameters pin a cluster uuid, refuses the wrong cluster before anything else is sent.

`Cluster.request(...)` sends one request. A request that changes a cluster (`changes=True`) is shown
in the notebook in Kibana Dev Tools form and recorded as evidence; in a dry run it is shown and
recorded but not sent.
"""

from __future__ import annotations

import base64
import json
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Mapping

from .clients import build_client, perform, verify_product
from .cluster_parameters import ClusterParameters, Credentials
from .errors import ClusterRequestError, WrongCluster
from .dialect import security_path
from .records import emit_request
from .versions import Version

@dataclass(frozen=True)
class Identity:
    """Who a cluster is and who we are on it, as read before any work."""

    role: str
    url: str
    cluster_name: str
    cluster_uuid: str
    version: str
    node_name: str
    principal: str
    authentication: str

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass
class Response:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


class Cluster:
    """A connected cluster (`role` is "remote" or "local"), with the transcript of what was sent."""

    def __init__(self, params: ClusterParameters, client: Any, identity: Identity, run_id: str, step: str,
                 dry_run: bool = False) -> None:
        self.params = params
        self.role = params.role
        self.client = client
        self.identity = identity
        self.run_id = run_id
        self.step = step
        self.dry_run = dry_run
        self.transcript: list[dict[str, Any]] = []

    @property
    def version(self) -> Version:
        return Version.parse(self.identity.version)

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None,
                changes: bool = False, ignore: tuple[int, ...] = (), timeout: float | None = None) -> Response:
        """Sends a request; raises ClusterRequestError on an error status unless it is in `ignore`.

        `changes=True` marks a request that changes the cluster: it is displayed and recorded, and
        in a dry run it is only displayed and recorded.
        """
        method = method.upper()
        if changes and self.dry_run:
            emit_request(method, path, params=params, body=body, cluster=self.role, step=self.step,
                         run_id=self.run_id, dry_run=True)
            self.transcript.append({"method": method, "path": path, "params": dict(params or {}), "dry_run": True})
            return Response(0, None)
        started = time.monotonic()
        status, answer, error = self._send(method, path, params, body, timeout)
        duration_ms = (time.monotonic() - started) * 1000
        self.transcript.append({"method": method, "path": path, "params": dict(params or {}), "status": status,
                                "changes": changes, "duration_ms": round(duration_ms, 1)})
        if changes:
            emit_request(method, path, params=params, body=body, status=status, cluster=self.role, step=self.step,
                         run_id=self.run_id, response=answer, error=error.reason if error else "",
                         duration_ms=duration_ms)
        if error is not None and status not in ignore:
            raise error
        return Response(status or 0, answer)

    def _send(self, method: str, path: str, params: Mapping[str, Any] | None, body: Any,
              timeout: float | None) -> tuple[int | None, Any, ClusterRequestError | None]:
        query = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        headers = {"accept": "application/json"}
        if body is not None:
            headers["content-type"] = "application/x-ndjson" if isinstance(body, str) else "application/json"
        try:
            status, answer = perform(self.client, method, path, params=query, headers=headers, body=body,
                                     timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - both client generations raise their own error types
            error = ClusterRequestError.from_client_error(exc, method, path, cluster=self.role)
            return error.status, error.body, error
        return status, answer, None


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


# --- connecting ------------------------------------------------------------------------------


def _auth_header(credentials: Credentials) -> dict[str, str]:
    if credentials.api_key:
        return {"Authorization": f"ApiKey {credentials.api_key}"}
    if credentials.basic_auth:
        token = base64.b64encode(":".join(credentials.basic_auth).encode()).decode()
        return {"Authorization": f"Basic {token}"}
    return {}


def _ssl_context(params: ClusterParameters) -> ssl.SSLContext | None:
    if not params.url.startswith("https://"):
        return None
    context = ssl.create_default_context(cafile=params.ca_certs) if params.ca_certs else ssl.create_default_context()
    if not params.verify_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def read_root(params: ClusterParameters, credentials: Credentials, opaque_id: str) -> dict[str, Any]:
    """`GET /` with a plain request: it works whatever the server's version, before a client is chosen."""
    request = urllib.request.Request(params.url.rstrip("/") + "/", method="GET",
                                     headers={"Accept": "application/json", "X-Opaque-Id": opaque_id,
                                              **_auth_header(credentials)})
    try:
        with urllib.request.urlopen(request, timeout=params.request_timeout, context=_ssl_context(params)) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read())
            error = body.get("error", {})
            reason = error.get("reason", str(error)) if isinstance(error, dict) else str(error)
            error_type = error.get("type", "http_error") if isinstance(error, dict) else "http_error"
        except (ValueError, AttributeError):
            reason, error_type = exc.reason, "http_error"
        advice = ""
        if exc.code == 401:
            advice = (f" Check the credentials named by {params.role}.username_env/password_env or "
                      f"{params.role}.api_key_env.")
        raise ClusterRequestError("GET", "/", exc.code, error_type, f"{reason}.{advice}", cluster=params.role) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ClusterRequestError(
            "GET", "/", None, "connection_error",
            f"cannot reach {params.url} ({reason}). Check {params.role}.url, that the cluster is running and "
            "that this machine can reach it", cluster=params.role,
        ) from None


def connect(params: ClusterParameters, run_id: str, step: str, dry_run: bool = False) -> Cluster:
    """Connects to one side and checks it is the cluster the parameters expect."""
    credentials = params.read_credentials()
    opaque_id = f"ccr-runbooks/{run_id}/{step}"
    root = read_root(params, credentials, opaque_id)
    version = Version.parse(root.get("version", {}).get("number", "0.0.0"))
    uuid = root.get("cluster_uuid", "")
    if params.expected_cluster_uuid and uuid != params.expected_cluster_uuid:
        raise WrongCluster(
            params.role, params.expected_cluster_uuid, uuid,
            f"{params.url} answers as cluster [{root.get('cluster_name', '')}]. Check {params.role}.url, or update "
            f"{params.role}.expected_cluster_uuid if the cluster was rebuilt",
        )
    client = build_client(params, credentials, version, opaque_id)
    try:
        verify_product(client)
    except Exception as exc:  # noqa: BLE001 - the 7.17 client refuses a server it does not recognise
        raise ClusterRequestError.from_client_error(exc, "GET", "/", cluster=params.role) from None
    principal, authentication = _who_am_i(client, version)
    identity = Identity(
        role=params.role,
        url=params.url,
        cluster_name=root.get("cluster_name", ""),
        cluster_uuid=uuid,
        version=str(version),
        node_name=root.get("name", ""),
        principal=principal,
        authentication=authentication,
    )
    return Cluster(params, client, identity, run_id, step, dry_run=dry_run)


def _who_am_i(client: Any, version: Version) -> tuple[str, str]:
    """The authenticated principal: `_security/_authenticate` (7.0+) or `_xpack/security/_authenticate`."""
    try:
        _, body = perform(client, "GET", security_path(version, "_authenticate"), params={},
                          headers={"accept": "application/json"}, body=None, timeout=None)
    except Exception:  # noqa: BLE001 - security disabled or unavailable: nobody is authenticated
        return "(security disabled: anonymous)", "none"
    body = body or {}
    kind = body.get("authentication_type", "realm")
    if body.get("api_key"):
        return f"api key {body['api_key'].get('name') or body['api_key'].get('id')} of {body.get('username')}", kind
    return body.get("username", "?"), kind
