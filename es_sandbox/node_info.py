"""What `GET _nodes` and `GET _nodes/stats` say about each node of a practice cluster.

Addresses, roles and versions are the cluster's own; `fs` is measured on the real disk of the data
directory; `indices` sums the shard copies the node holds. The JVM sections describe a plausible 1g
heap. All nodes share the cluster's one HTTP address.
"""

from __future__ import annotations

import fnmatch
import os
import platform
import time
from typing import TYPE_CHECKING, Any

from . import node_metrics, shard_routing, shard_stats
from .humanize import Fields

if TYPE_CHECKING:
    from .cluster import Cluster
    from .config import NodeConfig

INFO_METRICS = ("settings", "os", "process", "jvm", "thread_pool", "transport", "http", "remote_cluster_server",
                "plugins", "ingest", "aggregations", "indices")
STATS_METRICS = ("indices", "os", "process", "jvm", "thread_pool", "fs", "transport", "http", "breaker", "script",
                 "discovery", "ingest", "adaptive_selection", "script_cache", "indexing_pressure", "repositories",
                 "allocations")
_THREAD_POOLS = {"search": ("fixed", 4, 1000), "write": ("fixed", 2, 10000), "get": ("fixed", 2, 1000),
                 "management": ("scaling", 1, -1), "generic": ("scaling", 4, -1), "ccr": ("fixed", 32, 100)}


def _http(cluster: "Cluster") -> str:
    return cluster.config.http_url.removeprefix("http://")


def header(cluster: "Cluster", node: "NodeConfig") -> dict[str, Any]:
    return {
        "name": node.name,
        "transport_address": node.transport_address,
        "host": node.transport_host,
        "ip": node.transport_host,
    }


def info(cluster: "Cluster", node: "NodeConfig", metrics: set[str], human: bool) -> dict[str, Any]:
    v = cluster.version
    f = Fields(human)
    for key, value in header(cluster, node).items():
        f.put(key, value)
    f.put("version", str(v)).put("transport_version", v.id).put("index_version", v.id)
    f.put("build_flavor", "default").put("build_type", "tar").put("build_hash", v.build_hash)
    f.bytes("total_indexing_buffer_in_bytes", "total_indexing_buffer", node_metrics.HEAP_MAX // 10)
    f.put("roles", sorted(node.roles)).put("attributes", {"xpack.installed": "true"})
    out = f.out
    sections = {
        "settings": lambda: _settings(cluster, node),
        "os": lambda: {"refresh_interval_in_millis": 1000, "name": platform.system(), "pretty_name": platform.system(),
                       "arch": platform.machine(), "version": platform.release(),
                       "available_processors": os.cpu_count() or 1, "allocated_processors": os.cpu_count() or 1},
        "process": lambda: {"refresh_interval_in_millis": 1000, "id": os.getpid(), "mlockall": False},
        "jvm": lambda: _jvm_info(cluster, human),
        "thread_pool": lambda: {name: {"type": t, "size" if t == "fixed" else "max": size,
                                       **({"queue_size": q} if t == "fixed" else {"keep_alive": "30s", "queue_size": q})}
                                for name, (t, size, q) in _THREAD_POOLS.items()},
        "transport": lambda: {"bound_address": [node.transport_address], "publish_address": node.transport_address,
                              "profiles": {}},
        "http": lambda: Fields(human).put("bound_address", [_http(cluster)]).put("publish_address", _http(cluster))
                                     .bytes("max_content_length_in_bytes", "max_content_length",
                                            cluster.config.http_max_content_length).out,
        "remote_cluster_server": lambda: {"bound_address": [], "publish_address": ""},
        "plugins": lambda: [],
        "ingest": lambda: {"processors": [{"type": t} for t in ("append", "convert", "date", "drop", "remove",
                                                                 "rename", "set", "split")]},
        "aggregations": lambda: {},
        "indices": lambda: {"total_indexing_buffer": node_metrics.HEAP_MAX // 10},
    }
    for name in INFO_METRICS:
        if name in metrics:
            out[name] = sections[name]()
    if "plugins" in metrics:
        out["modules"] = []
    return out


def _settings(cluster: "Cluster", node: "NodeConfig") -> dict[str, Any]:
    return {
        "cluster": {"name": cluster.config.name},
        "node": {"name": node.name, "roles": sorted(node.roles), "attr": {"xpack.installed": "true"}},
        "path": {"data": [cluster.config.data_dir], "logs": cluster.config.data_dir, "home": cluster.config.data_dir},
        "transport": {"host": node.transport_host, "port": str(node.transport_port)},
        "http": {"type": "security4" if cluster.config.security else "netty4"},
        "xpack": {"security": {"enabled": "true" if cluster.config.security else "false"}},
        "client": {"type": "node"},
    }


def _jvm_info(cluster: "Cluster", human: bool) -> dict[str, Any]:
    f = Fields(human).put("pid", os.getpid()).put("version", node_metrics.JVM_VERSION)
    f.put("vm_name", node_metrics.JVM_NAME).put("vm_version", node_metrics.JVM_VERSION).put("vm_vendor", "Oracle Corporation")
    f.put("bundled_jdk", True).put("using_bundled_jdk", True)
    f.timestamp("start_time_in_millis", "start_time", int(cluster.started_at * 1000))
    mem = (Fields(human).bytes("heap_init_in_bytes", "heap_init", node_metrics.HEAP_MAX)
           .bytes("heap_max_in_bytes", "heap_max", node_metrics.HEAP_MAX)
           .bytes("non_heap_init_in_bytes", "non_heap_init", 7667712).bytes("non_heap_max_in_bytes", "non_heap_max", 0)
           .bytes("direct_max_in_bytes", "direct_max", 0).out)
    f.put("mem", mem).put("gc_collectors", ["G1 Young Generation", "G1 Concurrent GC", "G1 Old Generation"])
    f.put("memory_pools", ["CodeHeap 'non-nmethods'", "Metaspace", "CodeHeap 'profiled nmethods'",
                           "Compressed Class Space", "G1 Eden Space", "G1 Old Gen", "G1 Survivor Space",
                           "CodeHeap 'non-profiled nmethods'"])
    f.put("using_compressed_ordinary_object_pointers", "true")
    return f.put("input_arguments", ["-Xms1g", "-Xmx1g"]).out


def _mount(path: str) -> tuple[str, str]:
    """The mount point of `path` as Elasticsearch's FsInfo shows it (`/ (/dev/sda1)`), and its type."""
    mount = node_metrics.disk(path).mount
    try:
        with open("/proc/mounts") as fh:
            for line in fh:
                device, point, kind = line.split()[:3]
                if point == mount:
                    return f"{point} ({device})", kind
    except OSError:
        pass
    return mount, "unknown"


def stats(cluster: "Cluster", node: "NodeConfig", metrics: set[str], numbers: shard_stats.ShardNumbers,
          index_metrics: set[str], human: bool) -> dict[str, Any]:
    now = int(time.time() * 1000)
    out: dict[str, Any] = {"timestamp": now, **header(cluster, node), "roles": sorted(node.roles),
                           "attributes": {"xpack.installed": "true"}}
    if "indices" in metrics:
        out["indices"] = shard_stats.common_stats(numbers, index_metrics, human)
    if "os" in metrics:
        total, free = node_metrics.memory()
        load = node_metrics.load_average()
        mem = (Fields(human).bytes("total_in_bytes", "total", total).bytes("adjusted_total_in_bytes", "adjusted_total", total)
               .bytes("free_in_bytes", "free", free).bytes("used_in_bytes", "used", total - free)
               .put("free_percent", node_metrics.percent(free, total)).put("used_percent", node_metrics.percent(total - free, total)).out)
        out["os"] = {"timestamp": now, "cpu": {"percent": node_metrics.cpu_percent(), "load_average": {
            "1m": load[0], "5m": load[1], "15m": load[2]}}, "mem": mem,
            "swap": Fields(human).bytes("total_in_bytes", "total", 0).bytes("free_in_bytes", "free", 0).bytes("used_in_bytes", "used", 0).out}
    if "process" in metrics:
        out["process"] = {"timestamp": now, "open_file_descriptors": node_metrics.open_file_descriptors(),
                          "max_file_descriptors": node_metrics.max_file_descriptors(),
                          "cpu": Fields(human).put("percent", 0).millis("total_in_millis", "total", int(time.process_time() * 1000)).out,
                          "mem": Fields(human).bytes("total_virtual_in_bytes", "total_virtual", 0).out}
    if "jvm" in metrics:
        heap = node_metrics.heap_used()
        mem = (Fields(human).bytes("heap_used_in_bytes", "heap_used", heap)
               .put("heap_used_percent", node_metrics.percent(heap, node_metrics.HEAP_MAX))
               .bytes("heap_committed_in_bytes", "heap_committed", node_metrics.HEAP_MAX)
               .bytes("heap_max_in_bytes", "heap_max", node_metrics.HEAP_MAX)
               .bytes("non_heap_used_in_bytes", "non_heap_used", 0).bytes("non_heap_committed_in_bytes", "non_heap_committed", 0).out)
        out["jvm"] = Fields(human).put("timestamp", now).millis("uptime_in_millis", "uptime", node_metrics.uptime_millis(cluster.started_at)).put("mem", mem).out
    if "thread_pool" in metrics:
        out["thread_pool"] = {name: {"threads": 0, "queue": 0, "active": 0, "rejected": 0, "largest": 0, "completed": 0}
                              for name in sorted(_THREAD_POOLS)}
    if "fs" in metrics:
        disk = node_metrics.disk(cluster.config.data_dir)
        totals = (Fields(human).bytes("total_in_bytes", "total", disk.total).bytes("free_in_bytes", "free", disk.free)
                  .bytes("available_in_bytes", "available", disk.available).out)
        mount, kind = _mount(cluster.config.data_dir)
        out["fs"] = {"timestamp": now, "total": totals,
                     "data": [{"path": cluster.config.data_dir, "mount": mount, "type": kind, **totals}]}
    if "transport" in metrics:
        out["transport"] = Fields(human).put("server_open", 0).put("total_outbound_connections", 0).put("rx_count", 0) \
            .bytes("rx_size_in_bytes", "rx_size", 0).put("tx_count", 0).bytes("tx_size_in_bytes", "tx_size", 0).out
    if "http" in metrics:
        out["http"] = {"current_open": 0, "total_opened": 0}
    return out


def selected(cluster: "Cluster", spec: str | None) -> list["NodeConfig"]:
    """The nodes a node-id expression names: ids, names, addresses, wildcards, _all, _local,
    _master, role:true|false."""
    nodes = cluster.config.nodes
    master = shard_routing.master_node(cluster.config)
    if not spec or spec == "_all":
        return list(nodes)
    chosen: dict[str, "NodeConfig"] = {}
    for part in spec.split(","):
        if part in ("_all", "*"):
            chosen.update({n.id: n for n in nodes})
        elif part in ("_local", "_master"):
            chosen[master.id] = master
        elif ":" in part and part.split(":", 1)[1] in ("true", "false"):
            role, want = part.split(":", 1)
            for n in nodes:
                if (role in n.roles) == (want == "true"):
                    chosen[n.id] = n
        else:
            for n in nodes:
                if part in (n.id, n.name, n.transport_host) or fnmatch.fnmatchcase(n.name, part):
                    chosen[n.id] = n
    return [n for n in nodes if n.id in chosen]
