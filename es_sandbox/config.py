"""What one practice cluster is: its name, nodes, addresses, version, licence and data directory.

The command line writes a cluster's config to `<data>/config.json`; the cluster process reads it.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass, field

from .version import DEFAULT_VERSION

LICENSE_TYPES = ("basic", "trial", "gold", "platinum", "enterprise")


@dataclass
class NodeConfig:
    name: str
    roles: list[str]
    transport_host: str
    transport_port: int
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:22])

    @property
    def transport_address(self) -> str:
        return f"{self.transport_host}:{self.transport_port}"

    @property
    def is_dedicated_master(self) -> bool:
        return self.roles == ["master"]


@dataclass
class UserConfig:
    username: str
    password_sha256: str
    roles: list[str]


@dataclass
class ClusterConfig:
    name: str  # also the cluster_name
    http_host: str
    http_port: int
    nodes: list[NodeConfig]
    data_dir: str
    version: str = DEFAULT_VERSION
    flavour: str = "default"  # "vendor": the cloud vendor's flavour (index.replication.type)
    license: str = "trial"
    cluster_uuid: str = field(default_factory=lambda: uuid.uuid4().hex[:22])
    security: bool = False
    users: list[UserConfig] = field(default_factory=list)
    http_max_content_length: int = 100 * 1024 * 1024
    ccr_lease_renew_interval_s: float = 30.0
    auto_follow_poll_interval_s: float = 1.0

    @property
    def http_url(self) -> str:
        return f"http://{self.http_host}:{self.http_port}"

    def save(self) -> str:
        os.makedirs(self.data_dir, exist_ok=True)
        path = os.path.join(self.data_dir, "config.json")
        tmp = path + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(asdict(self), fh, indent=2)
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str) -> "ClusterConfig":
        with open(path) as fh:
            raw = json.load(fh)
        raw["nodes"] = [NodeConfig(**n) for n in raw["nodes"]]
        raw["users"] = [UserConfig(**u) for u in raw.get("users", [])]
        return cls(**raw)
