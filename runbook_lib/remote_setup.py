"""Connecting the local cluster to the remote (02_connect_remote), and saying why it failed.

Seeds are the remote's transport addresses: from the parameters, or read from the remote's nodes.
After the settings are applied, one request that needs the remote is made, because Elasticsearch
connects when settings change and when a request needs the remote, never in the background.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from .connection import Cluster
from .errors import ClusterRequestError
from .naming import HTTP_DEFAULT_PORT, parse_seed
from .nodes import NodeAddresses, default_seeds, same_address
from .preflight import licence
from .remote_clusters import remote_info
from .versions import Version
from .waits import wait_until

# `_resolve/cluster` (8.13+) answers per remote whether it is connected; `_resolve/index` (7.9+)
# needs the remote too. Older clusters are probed with a search of the remote.
_RESOLVE_CLUSTER_SINCE = Version(8, 13, 0)
_RESOLVE_INDEX_SINCE = Version(7, 9, 0)


@dataclass(frozen=True)
class SeedFinding:
    seed: str
    verdict: str  # "pass", "warn" or "fail"
    observed: str
    advice: str = ""


def choose_seeds(given: tuple[str, ...] | list[str], nodes: list[NodeAddresses]) -> tuple[list[str], str]:
    if given:
        return list(given), "the parameters"
    return default_seeds(nodes), "the remote's nodes (GET _nodes/transport)"


def check_seeds(seeds: list[str], nodes: list[NodeAddresses]) -> list[SeedFinding]:
    """Each seed against the remote's transport and HTTP publish addresses (the 9300-not-9200 FAQ)."""
    findings = []
    for seed in seeds:
        node = next((n for n in nodes if same_address(seed, n.transport)), None)
        http = next((n for n in nodes if same_address(seed, n.http)), None)
        port = parse_seed(seed)[1]
        if http is not None:
            findings.append(SeedFinding(seed, "fail", f"the HTTP address of node {http.name}",
                                        f"use its transport address {http.transport} instead: a seed on an HTTP "
                                        "port never connects (seeds are transport addresses, 9300 by default)"))
        elif node is not None and node.dedicated_master:
            findings.append(SeedFinding(seed, "pass", f"transport address of {node.name}, a dedicated master "
                                        "(a seed only: Elasticsearch never uses it as a gateway)"))
        elif node is not None:
            findings.append(SeedFinding(seed, "pass", f"transport address of {node.name} ({', '.join(node.roles)})"))
        elif port == HTTP_DEFAULT_PORT:
            findings.append(SeedFinding(seed, "warn", "port 9200, the default HTTP port",
                                        "seeds are transport addresses (default port 9300), never the 9200 HTTP port"))
        else:
            findings.append(SeedFinding(seed, "warn", "not a publish address of any remote node",
                                        "fine behind NAT or a load balancer; otherwise check the address against "
                                        "GET _nodes/transport on the remote"))
    return findings


def vendor_master_advice(nodes: list[NodeAddresses], seeds: list[str]) -> str:
    masters = [n for n in nodes if n.dedicated_master]
    listed = [n.name for n in masters if any(same_address(s, n.transport) for s in seeds)]
    if not masters:
        return "the remote has no dedicated master node, so the vendor's advice does not apply"
    return (f"the vendor's guide advises listing a dedicated master among the seeds ({', '.join(listed) or 'none listed'}"
            f" of {', '.join(n.name for n in masters)}); in Elasticsearch a dedicated master is a seed at most, "
            "never a gateway node, so the data nodes' addresses matter more")


def probe(local: Cluster, alias: str, leader: str) -> tuple[bool, str]:
    """Make a request that needs the remote connection; (answered, what it said).

    The newest request the local cluster knows is tried first; one it has no handler for (an older
    version, or a proxy in front of it) falls back to the next.
    """
    candidates = [(f"/{alias}:{leader}/_search", {"size": 0})]
    if local.version >= _RESOLVE_INDEX_SINCE:
        candidates.insert(0, (f"/_resolve/index/{alias}:*", None))
    if local.version >= _RESOLVE_CLUSTER_SINCE:
        candidates.insert(0, (f"/_resolve/cluster/{alias}:*", None))
    said = ""
    for path, params in candidates:
        try:
            answer = local.request("GET", path, params=params)
        except ClusterRequestError as exc:
            said = f"GET {path.lstrip('/')}: {exc.status} {exc.error_type}: {exc.reason}"
            if "no handler found" in exc.reason:
                continue
            return False, said
        entry = (answer.body or {}).get(alias) if path.startswith("/_resolve/cluster") else None
        if isinstance(entry, dict) and (entry.get("error") or entry.get("connected") is False):
            return False, f"GET {path.lstrip('/')}: {entry.get('error') or 'not connected'}"
        return True, f"GET {path.lstrip('/')}: {answer.status}"
    return False, said


def connected(info: dict[str, Any] | None) -> bool:
    return bool(info and info.get("connected") and (info.get("num_nodes_connected", 0) > 0
                                                  or info.get("num_proxy_sockets_connected", 0) > 0))


def wait_connected(local: Cluster, alias: str, timeout_s: float) -> dict[str, Any] | None:
    """Poll `_remote/info` until the alias is connected; raise WaitTimedOut with the last entry."""
    def poll() -> tuple[bool, Any]:
        info = remote_info(local, alias)
        return connected(info), info
    return wait_until(poll, timeout_s, 1.0, f"remote {alias} to connect",
                      advice="the diagnosis cell below says why").state


def listening(seed: str, timeout_s: float = 2.0) -> bool:
    """Whether something accepts TCP connections at `seed`, as seen from this machine."""
    host, port = parse_seed(seed)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Cause:
    cause: str
    evidence: str
    advice: str


def diagnose(remote: Cluster, seeds: list[str], nodes: list[NodeAddresses], probe_said: str) -> list[Cause]:
    """The likely reasons the remote is not connected, most specific first."""
    causes = []
    for finding in check_seeds(seeds, nodes):
        if finding.verdict == "fail" or parse_seed(finding.seed)[1] == HTTP_DEFAULT_PORT:
            causes.append(Cause("HTTP port used as a seed", f"{finding.seed}: {finding.observed}", finding.advice))
    silent = [s for s in seeds if not listening(s)]
    if silent:
        causes.append(Cause("nothing listening", f"no answer at {', '.join(silent)} from this machine",
                            "check the addresses, that the remote's nodes run, and firewalls between the clusters"))
    lic = licence(remote)
    said = probe_said.lower()
    if not lic.allows_ccr or "licen" in said:
        causes.append(Cause("licence", f"remote licence {lic}; {probe_said}",
                            "CCR needs a platinum, enterprise or trial licence on both clusters"))
    if "security_exception" in said or "unauthorized" in said or "403" in said:
        causes.append(Cause("privileges", probe_said,
                            "the local user needs `manage` to add a remote, and the remote must trust the local "
                            "cluster (certificates or a cross-cluster API key)"))
    if not causes:
        causes.append(Cause("unknown", probe_said or "the remote did not connect",
                            "read the local cluster's log for the connection error (handshake, TLS, cluster name)"))
    return causes
