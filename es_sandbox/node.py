"""The process of one practice cluster: `python -m es_sandbox.node <data>/config.json`.

Starts the HTTP server, every node's transport socket and the cluster's background work (scheduled
refreshes, retention-lease expiry, merges, CCR), then runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time

from .api import register_all
from .cluster import Cluster
from .config import ClusterConfig
from .http_server import SandboxHTTPServer, serve_forever_in_thread
from .transport import TransportService

log = logging.getLogger("es_sandbox.node")

_TICK_S = 0.05
_MERGE_EVERY_S = 30.0
_LEASE_CHECK_EVERY_S = 1.0


def housekeeping(cluster: Cluster) -> None:
    """Scheduled refreshes (index.refresh_interval), lease expiry and background merges."""
    last_merge = last_lease_check = time.monotonic()
    while not cluster.stopping.wait(_TICK_S):
        now = time.monotonic()
        for index in list(cluster.indices.values()):
            if not index.is_open:
                continue
            interval = index.refresh_interval_ms()
            if interval >= 0 and (now - index.last_refresh) * 1000 >= interval:
                index.refresh()
        if now - last_lease_check >= _LEASE_CHECK_EVERY_S:
            last_lease_check = now
            for index in list(cluster.indices.values()):
                index.expire_leases(int(time.time() * 1000))
        if now - last_merge >= _MERGE_EVERY_S:
            last_merge = now
            for index in list(cluster.indices.values()):
                if index.is_open:
                    try:
                        index.merge()
                    except Exception:  # noqa: BLE001 - a failed background merge is retried next time
                        log.exception("background merge of %s failed", index.name)


def build(config: ClusterConfig) -> tuple[Cluster, SandboxHTTPServer]:
    cluster = Cluster(config)
    cluster.transport = TransportService(cluster)  # type: ignore[attr-defined]
    register_all(cluster)
    cluster.transport.start()  # type: ignore[attr-defined]
    server = SandboxHTTPServer((config.http_host, config.http_port), cluster)
    return cluster, server


def main(argv: list[str]) -> int:
    config_path = argv[0]
    config = ClusterConfig.load(config_path)
    logging.basicConfig(
        filename=os.path.join(config.data_dir, "cluster.log"),
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    cluster, server = build(config)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=housekeeping, args=(cluster,), daemon=True, name="housekeeping").start()
    for starter in getattr(cluster, "starters", []):
        starter()
    serve_forever_in_thread(server, "http")
    log.info("cluster %s started on %s", config.name, config.http_url)
    stop.wait()
    log.info("cluster %s stopping", config.name)
    server.shutdown()
    cluster.transport.stop()  # type: ignore[attr-defined]
    cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
