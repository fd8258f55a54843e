"""How to reach one cluster (`remote` or `local`): URL, TLS, and where its credentials live.

Credentials are named, never given: `username_env`, `password_env` and `api_key_env` hold names of
environment variables, read by `read_credentials()` when a connection is made.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from . import naming
from .errors import ParameterError
from .redaction import redact
from .sandbox_state import SandboxCluster, UrlResolver
from .validation import Block

CLUSTER_FIELDS = ("url", "ca_certs", "verify_certs", "username_env", "password_env", "api_key_env",
                  "expected_cluster_uuid", "request_timeout")
DEFAULT_REQUEST_TIMEOUT_S = 30.0
URL_RULES = "an http:// or https:// URL such as `https://es.example.com:9200`"


@dataclass(frozen=True)
class Credentials:
    """Secrets read from the environment; never printed (repr shows only where they came from)."""

    source: str
    basic_auth: tuple[str, str] | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"Credentials({self.source})"


@dataclass(frozen=True)
class ClusterParameters:
    role: str
    url: str
    ca_certs: str | None = None
    verify_certs: bool = True
    username_env: str | None = None
    password_env: str | None = None
    api_key_env: str | None = None
    expected_cluster_uuid: str | None = None
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT_S
    # Not parameters: where the URL came from, and the practice cluster's state if it came from there.
    url_source: str = "parameters"
    sandbox: SandboxCluster | None = None

    def to_public_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in CLUSTER_FIELDS}

    def read_credentials(self, environ: Mapping[str, str] | None = None) -> Credentials:
        """Read the named variables; a missing one fails naming the field and the variable."""
        environ = os.environ if environ is None else environ

        def need(key: str) -> str:
            name = getattr(self, key)
            value = environ.get(name)
            if not value:
                raise ParameterError(
                    f"{self.role}.{key}",
                    f"environment variable {name} to be set for the {self.role} cluster",
                    got_text="it is unset or empty",
                    hint=f"Set {name} in the environment the kernel runs in, then restart the kernel",
                )
            return value

        if self.api_key_env:
            return Credentials(f"api_key_env={self.api_key_env}", api_key=need("api_key_env"))
        if self.username_env and self.password_env:
            return Credentials(f"username_env={self.username_env}, password_env={self.password_env}",
                               basic_auth=(need("username_env"), need("password_env")))
        return Credentials("none")


def url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # raises ValueError for a port that is not a number in range
    except ValueError as exc:
        return str(exc)
    if parts.scheme not in ("http", "https"):
        return "the scheme must be http or https"
    if not parts.hostname:
        return "it has no host"
    if parts.query or parts.fragment:
        return "it must not have a query string or fragment"
    return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_cluster(block: Block, role: str, resolver: UrlResolver, check_paths: bool,
                 notes: list[str]) -> ClusterParameters | None:
    """Validate one cluster block, adding problems to `block.problems`; None when it is unusable."""
    problems = block.problems
    env_names = {
        key: block.text(key, rule=naming.env_var_problem, rules=naming.ENV_VAR_RULES, conceal=True)
        for key in ("username_env", "password_env", "api_key_env")
    }
    url = _read_url(block, role, resolver)
    url_value, source, sandbox = url if url else ("", "", None)
    if sandbox is not None and not any(env_names.values()):
        env_names.update(sandbox.credentials_env)
    if sandbox is not None and sandbox.process_alive() is not True:
        # A warning only: the URL may still answer (the file can be older than a restart).
        notes.append(f"{role}: {source.partition(':')[2]} records the practice cluster's process as "
                     f"{'stopped' if sandbox.pid is None else f'{sandbox.pid}, which is not running'}; "
                     "run `python -m es_sandbox up`.")
    for have, missing in (("username_env", "password_env"), ("password_env", "username_env")):
        if env_names[have] and not env_names[missing]:
            problems.add(block.field(missing), f"an environment variable name, since `{role}.{have}` is "
                         "set (basic authentication needs both)", got_text="nothing")
    if env_names["api_key_env"] and env_names["username_env"]:
        problems.add(block.field("api_key_env"),
                     "either `api_key_env` or `username_env`/`password_env`, not both",
                     env_names["api_key_env"])
    ca_certs = block.text("ca_certs", rules="the path of a CA certificate file (PEM)")
    if ca_certs and check_paths and not Path(ca_certs).is_file():
        problems.add(block.field("ca_certs"), "the path of an existing CA certificate file (PEM)", ca_certs)
    verify = block.boolean("verify_certs", True)
    host = urlsplit(url_value).hostname or ""
    if url_value.startswith("https:") and not verify:
        notes.append(f"{role}.verify_certs is false: the {role} cluster's certificate is not checked, "
                     "so a different server could answer. Prefer `ca_certs`.")
    if url_value.startswith("http:") and any(env_names.values()) and not _is_loopback(host):
        notes.append(f"{role}.url uses plain http to {host}: credentials travel unencrypted.")
    uuid = block.text("expected_cluster_uuid", rule=naming.cluster_uuid_problem,
                      rules=naming.CLUSTER_UUID_RULES)
    timeout = block.number("request_timeout", DEFAULT_REQUEST_TIMEOUT_S)
    if url is None:
        return None  # every other field was still checked, so all problems are reported at once
    return ClusterParameters(
        role=role, url=url_value, ca_certs=ca_certs, verify_certs=verify,
        username_env=env_names["username_env"], password_env=env_names["password_env"],
        api_key_env=env_names["api_key_env"],
        expected_cluster_uuid=uuid, request_timeout=timeout,
        url_source=source, sandbox=sandbox,
    )


def _read_url(block: Block, role: str,
              resolver: UrlResolver) -> tuple[str, str, SandboxCluster | None] | None:
    given = block.text("url", rules=URL_RULES)
    if given is None and block.given("url"):
        return None  # not a string: already reported
    try:
        resolved = resolver.resolve(role, given)
    except ParameterError as exc:
        block.problems.append(exc)
        return None
    field_name = block.field("url")
    if resolved.source != "parameters":
        field_name += f" (from {resolved.origin})"
    parts = urlsplit(resolved.url)
    if parts.username is not None or parts.password is not None:
        # Never echo the URL as given: its password would end up in the notebook's error output.
        block.problems.add(
            field_name, f"{URL_RULES} without a user name or password", redact(resolved.url)[0],
            hint=f"Put credentials in environment variables and name them in `{role}.username_env` and "
            f"`{role}.password_env`, or `{role}.api_key_env`",
        )
        return None
    problem = url_problem(resolved.url)
    if problem:
        block.problems.add(field_name, URL_RULES, resolved.url, why=problem)
        return None
    return resolved.url.rstrip("/"), resolved.source, resolved.sandbox
