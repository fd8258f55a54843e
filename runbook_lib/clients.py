"""The two official Python client generations behind one call: `perform(...) -> (status, body)`.

No client of one major talks to every version (notebook-facts): 6.7-7.17 servers get the 7.17
client (`elasticsearch7`), 8.x and 9.x servers the 8.19 client (`elasticsearch`). They differ in how
a raw request is made:

- 8.19: `Elasticsearch.perform_request` answers an ApiResponse with `.meta.status`; a timeout is an
  `.options(request_timeout=...)`; a HEAD 404 comes back as an answer, not an error. It checks the
  product header on every answer itself.
- 7.17: the client has neither `perform_request` nor `.options()`, and its transport returns only the
  body (True/False for HEAD), so the status an audit record needs would be lost. Requests go to a
  connection of its pool instead, which returns the status; the product check the 7.17 client makes
  before its first request (`GET /`: the tagline on 6.x, `build_flavor` on 7.0-7.13, the product header
  from 7.14) is made once by `verify_product`, at connect.

Both raise their own errors for an error status; `ClusterRequestError.from_client_error` reads either.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from .cluster_parameters import ClusterParameters, Credentials
from .versions import Version, client_module


def build_client(params: ClusterParameters, credentials: Credentials, version: Version, opaque_id: str) -> Any:
    """The official client for a server of `version`, as an application would build it."""
    options: dict[str, Any] = {"max_retries": 0, "headers": {"X-Opaque-Id": opaque_id}}
    if params.url.startswith("https://"):
        options["verify_certs"] = params.verify_certs
        if params.ca_certs:
            options["ca_certs"] = params.ca_certs
        if not params.verify_certs:
            options["ssl_show_warn"] = False
    if credentials.api_key:
        options["api_key"] = credentials.api_key
    if client_module(version) == "elasticsearch":
        from elasticsearch import Elasticsearch

        if credentials.basic_auth and not credentials.api_key:
            options["basic_auth"] = credentials.basic_auth
        return Elasticsearch(params.url, request_timeout=params.request_timeout, **options)
    from elasticsearch7 import Elasticsearch as Elasticsearch7

    if credentials.basic_auth and not credentials.api_key:
        options["http_auth"] = credentials.basic_auth
    return Elasticsearch7(params.url, timeout=params.request_timeout, **options)


def is_7x_client(client: Any) -> bool:
    return type(client).__module__.split(".")[0] == "elasticsearch7"


def verify_product(client: Any) -> None:
    """Make the 7.17 client's product check now (it raises for a server it would refuse)."""
    if is_7x_client(client):
        client.info()


def perform(client: Any, method: str, path: str, *, params: Mapping[str, str], headers: Mapping[str, str],
            body: Any, timeout: float | None) -> tuple[int, Any]:
    """Send one request; (status, decoded body). A HEAD answer has no body. Raises the client's error."""
    if is_7x_client(client):
        return _perform_7x(client, method, path, params, headers, body, timeout)
    target = client.options(request_timeout=timeout) if timeout else client
    answer = target.perform_request(method, path, params=dict(params), headers=dict(headers), body=body)
    return answer.meta.status, None if method == "HEAD" else answer.body


def _perform_7x(client: Any, method: str, path: str, params: Mapping[str, str], headers: Mapping[str, str],
                body: Any, timeout: float | None) -> tuple[int, Any]:
    transport = client.transport
    if body is not None and not isinstance(body, str):  # a str is an ndjson body, already serialised
        body = json.dumps(body)
    status, answer_headers, data = transport.get_connection().perform_request(
        method, path, dict(params) or None, body, timeout=timeout, headers=dict(headers))
    if method == "HEAD" or not data:
        return status, None
    content_type = {k.lower(): v for k, v in answer_headers.items()}.get("content-type")
    return status, transport.deserializer.loads(data, content_type)
