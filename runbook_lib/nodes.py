"""A cluster's nodes as the remote-cluster connection sees them: roles, transport and HTTP addresses.

Seeds for `cluster.remote.<alias>.seeds` are transport addresses (`GET _nodes/transport` publish
addresses, port 9300 by default), never HTTP ones. In sniff mode the local cluster connects to up to
three gateway nodes of the remote; Elasticsearch never picks a dedicated master node as a gateway.
"""

from __future__ import annotations

from dataclasses import dataclass

from .connection import Cluster
from .naming import parse_seed

MASTER_ROLES = ("master",)
DATA_ROLES = ("data", "data_content", "data_hot", "data_warm", "data_cold", "data_frozen")


@dataclass(frozen=True)
class NodeAddresses:
    name: str
    roles: tuple[str, ...]
    transport: str  # publish address, `host:port`
    http: str

    @property
    def dedicated_master(self) -> bool:
        """Master-eligible and nothing that holds or serves data: never a gateway node."""
        return "master" in self.roles and not any(r in self.roles for r in (*DATA_ROLES, "ingest", "ml", "transform"))

    @property
    def data(self) -> bool:
        return any(r in self.roles for r in DATA_ROLES)


def publish_address(text: str) -> str:
    """`host/1.2.3.4:9300` (a hostname was configured) or `1.2.3.4:9300` -> `1.2.3.4:9300`."""
    return (text or "").rpartition("/")[2]


def _roles(node: dict) -> tuple[str, ...]:
    roles = node.get("roles")
    if isinstance(roles, list):
        return tuple(roles)
    # 6.x reports attributes instead of a role list.
    attributes = node.get("attributes") or {}
    return tuple(r for r, flag in (("master", "master"), ("data", "data"), ("ingest", "ingest"))
                 if str(attributes.get(flag, "true")) == "true")


def node_addresses(cluster: Cluster) -> list[NodeAddresses]:
    answer = cluster.request("GET", "/_nodes/_all/transport,http")
    nodes = []
    for node in (answer.body or {}).get("nodes", {}).values():
        nodes.append(NodeAddresses(
            name=node.get("name", ""), roles=_roles(node),
            transport=publish_address((node.get("transport") or {}).get("publish_address", "")),
            http=publish_address((node.get("http") or {}).get("publish_address", "")),
        ))
    return sorted(nodes, key=lambda n: n.name)


def default_seeds(nodes: list[NodeAddresses]) -> list[str]:
    """Transport addresses of every node that can be a gateway (not dedicated masters), up to 3."""
    gateways = [n.transport for n in nodes if n.transport and not n.dedicated_master]
    return gateways[:3] or [n.transport for n in nodes if n.transport][:3]


def same_address(a: str, b: str) -> bool:
    try:
        (host_a, port_a), (host_b, port_b) = parse_seed(a), parse_seed(b)
    except ValueError:
        return a == b
    loopback = ("localhost", "127.0.0.1", "::1")
    return port_a == port_b and (host_a == host_b or (host_a in loopback and host_b in loopback))
