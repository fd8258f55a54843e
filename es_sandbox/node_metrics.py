"""Machine and process measurements reported for each node of a practice cluster.

Disk figures come from the real file system holding the cluster's data directory (what `fs` and
`disk.*` mean in Elasticsearch). Memory, load and file descriptors come from this machine and this
process; the JVM figures are a plausible, fixed heap (the practice cluster runs no JVM).
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass

HEAP_MAX = 1024 * 1024 * 1024  # what a 1g heap (-Xms1g -Xmx1g) reports
JVM_VERSION = "24.0.2"
JVM_NAME = "OpenJDK 64-Bit Server VM"


@dataclass
class Disk:
    path: str
    mount: str
    total: int
    free: int
    available: int


def disk(path: str) -> Disk:
    st = os.statvfs(path)
    mount = os.path.abspath(path)
    while not os.path.ismount(mount):
        mount = os.path.dirname(mount)
    return Disk(path, mount, st.f_blocks * st.f_frsize, st.f_bfree * st.f_frsize, st.f_bavail * st.f_frsize)


def memory() -> tuple[int, int]:
    """(total, free) bytes of this machine's memory."""
    info: dict[str, int] = {}
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                key, _, rest = line.partition(":")
                info[key] = int(rest.split()[0]) * 1024
    except OSError:
        return 8 * 1024**3, 4 * 1024**3
    return info.get("MemTotal", 0), info.get("MemAvailable", info.get("MemFree", 0))


def load_average() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (-1.0, -1.0, -1.0)


def cpu_percent() -> int:
    cores = os.cpu_count() or 1
    return min(100, int(load_average()[0] * 100 / cores)) if load_average()[0] >= 0 else 0


def heap_used() -> int:
    """The process's resident memory, capped below the heap size."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return min(rss, HEAP_MAX * 9 // 10)


def open_file_descriptors() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return -1


def max_file_descriptors() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def uptime_millis(started_at: float) -> int:
    return int((time.time() - started_at) * 1000)


def percent(part: int, whole: int) -> int:
    return 0 if whole <= 0 else round(part * 100 / whole)
