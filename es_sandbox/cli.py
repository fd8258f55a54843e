"""`python -m es_sandbox up|down|status|kill|partition|heal`: start and control practice clusters.

A home directory (default `.sandbox/`) holds one data directory per cluster and `clusters.json`,
the state file tests and runbooks read to find the clusters.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

from .config import LICENSE_TYPES, ClusterConfig, NodeConfig, UserConfig
from .version import DEFAULT_VERSION, SUPPORTED_LINES, Version

DEFAULT_HOME = ".sandbox"
DEFAULT_CLUSTERS = ("remote", "local")
NODE_LAYOUT = [("master-1", ["master"]), ("data-1", ["data", "ingest", "remote_cluster_client"]),
               ("data-2", ["data", "ingest", "remote_cluster_client"])]
STATE_FILE = "clusters.json"
FLAVOURS = ("default", "vendor")  # vendor: the cloud vendor's 6.7 (index.replication.type on new indices)


class CliError(Exception):
    """Raised when a command cannot do what was asked; its message is shown to the user."""


# --- addresses ----------------------------------------------------------------------------------


def _can_bind(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            return True
        except OSError:
            return False


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def loopback_per_node_supported() -> bool:
    """Linux routes all of 127.0.0.0/8; elsewhere only 127.0.0.1 can be bound."""
    return _can_bind("127.3.2.1", 0)


def node_hosts(home: str, cluster_slot: int, count: int) -> list[str]:
    if not loopback_per_node_supported():
        return ["127.0.0.1"] * count
    # Each home gets its own second octet so parallel homes (test sessions) do not collide.
    octet = 16 + int(hashlib.sha1(os.path.abspath(home).encode()).hexdigest(), 16) % 200
    return [f"127.{octet}.{cluster_slot + 1}.{n + 1}" for n in range(count)]


def _pick_port(host: str, wanted: int) -> int:
    if wanted and _can_bind(host, wanted):
        return wanted
    return _free_port(host)


# --- state ------------------------------------------------------------------------------------


def state_path(home: str) -> str:
    return os.path.join(home, STATE_FILE)


def read_state(home: str) -> dict[str, Any]:
    try:
        with open(state_path(home)) as fh:
            return json.load(fh)
    except FileNotFoundError:
        return {"clusters": {}}


def write_state(home: str, state: dict[str, Any]) -> None:
    tmp = state_path(home) + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(state, fh, indent=2)
    os.replace(tmp, state_path(home))


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie child of ours is not alive
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return True


def answers(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url + "/", timeout=timeout) as resp:
            return resp.status in (200, 401)
    except urllib.error.HTTPError as exc:
        return exc.code == 401
    except (urllib.error.URLError, OSError):
        return False


# --- commands ---------------------------------------------------------------------------------


def check_presentation(name: str, args: argparse.Namespace, overrides: dict[str, str]) -> tuple[str, str]:
    """The version and flavour a cluster will present, refused before anything starts if unsupported."""
    version = overrides.get("version", args.version)
    try:
        Version.supported(version)
    except ValueError as exc:
        raise CliError(f"cluster [{name}]: {exc}") from None
    flavour = overrides.get("flavour", args.flavour)
    if flavour not in FLAVOURS:
        raise CliError(f"cluster [{name}]: unknown flavour [{flavour}]; expected one of {', '.join(FLAVOURS)}")
    return version, flavour


def configure(home: str, name: str, slot: int, args: argparse.Namespace, overrides: dict[str, str]) -> ClusterConfig:
    data_dir = os.path.abspath(os.path.join(args.data or home, name))
    config_file = os.path.join(data_dir, "config.json")
    if os.path.exists(config_file):
        config = ClusterConfig.load(config_file)
        # Addresses may have been taken meanwhile by something else: pick again if so.
        if not _can_bind(config.http_host, config.http_port):
            config.http_port = _free_port(config.http_host)
        for node in config.nodes:
            if not _can_bind(node.transport_host, node.transport_port):
                node.transport_port = _free_port(node.transport_host)
        config.save()
        return config
    hosts = node_hosts(home, slot, len(NODE_LAYOUT))
    transport_base = int(overrides.get("transport_port", args.transport_port))
    nodes = []
    for (node_name, roles), host in zip(NODE_LAYOUT, hosts):
        wanted = transport_base if host != "127.0.0.1" or not transport_base else transport_base + slot * 10 + len(nodes)
        nodes.append(NodeConfig(f"{name}-{node_name}", roles, host, _pick_port(host, wanted)))
    http_base = int(overrides.get("http_port", args.http_port))
    version, flavour = check_presentation(name, args, overrides)
    license_type = overrides.get("license", args.license)
    if license_type not in LICENSE_TYPES:
        raise CliError(f"unknown licence type [{license_type}]; expected one of {', '.join(LICENSE_TYPES)}")
    users = []
    if args.security:
        password = os.environ.get(args.password_env)
        if not password:
            raise CliError(f"--security needs the elastic user's password in the environment variable {args.password_env}")
        users.append(UserConfig("elastic", hashlib.sha256(password.encode()).hexdigest(), ["superuser"]))
    config = ClusterConfig(
        name=name,
        http_host="127.0.0.1",
        http_port=_pick_port("127.0.0.1", http_base + slot if http_base else 0),
        nodes=nodes,
        data_dir=data_dir,
        version=version,
        flavour=flavour,
        license=license_type,
        security=args.security,
        users=users,
    )
    config.save()
    return config


def start_process(config: ClusterConfig) -> int:
    log_path = os.path.join(config.data_dir, "stdout.log")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "es_sandbox.node", os.path.join(config.data_dir, "config.json")],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # detached from the terminal: survives it, stopped by pid
            close_fds=True,
            cwd=config.data_dir,
            env={**os.environ, "PYTHONPATH": _package_root() + os.pathsep + os.environ.get("PYTHONPATH", "")},
        )
    return proc.pid


def _package_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def wait_until_up(config: ClusterConfig, pid: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if answers(config.http_url, timeout=0.5):
            return
        if not pid_alive(pid):
            break
        time.sleep(0.1)
    tail = ""
    for name in ("stdout.log", "cluster.log"):
        try:
            with open(os.path.join(config.data_dir, name)) as fh:
                tail += fh.read()[-3000:]
        except OSError:
            pass
    raise CliError(f"cluster [{config.name}] did not start within {timeout_s:.0f}s (pid {pid}).\n{tail}")


def entry(config: ClusterConfig, pid: int) -> dict[str, Any]:
    return {
        "http": config.http_url,
        "transport": [n.transport_address for n in config.nodes],
        "nodes": [{"name": n.name, "roles": n.roles, "transport": n.transport_address} for n in config.nodes],
        "pid": pid,
        "version": config.version,
        "flavour": config.flavour,
        "license": config.license,
        "security": config.security,
        "data": config.data_dir,
    }


def cmd_up(args: argparse.Namespace) -> int:
    home = os.path.abspath(args.home)
    os.makedirs(home, exist_ok=True)
    state = read_state(home)
    names = args.clusters.split(",") if args.clusters else list(state["clusters"]) or list(DEFAULT_CLUSTERS)
    overrides = _parse_overrides(args.cluster_option)
    all_names = list(dict.fromkeys([*state["clusters"], *names]))
    for name in names:
        check_presentation(name, args, overrides.get(name, {}))
    started = []
    for name in names:
        known = state["clusters"].get(name)
        if known and pid_alive(known.get("pid")) and answers(known["http"]):
            continue
        config = configure(home, name, all_names.index(name), args, overrides.get(name, {}))
        pid = start_process(config)
        state["clusters"][name] = entry(config, pid)
        write_state(home, state)
        started.append((config, pid))
    for config, pid in started:
        wait_until_up(config, pid)
    write_state(home, state)
    for name in names:
        info = state["clusters"][name]
        status = "started" if any(c.name == name for c, _ in started) else "already running"
        print(f"{name:<10} {info['http']:<28} transport {', '.join(info['transport'])}  pid {info['pid']}  {info['version']}  ({status})")
    print(f"state file: {state_path(home)}")
    return 0


def _parse_overrides(items: list[str] | None) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for item in items or []:
        key, _, value = item.partition("=")
        cluster, _, option = key.partition(".")
        if not option or not value:
            raise CliError(f"--cluster-option expects NAME.OPTION=VALUE, got [{item}]")
        out.setdefault(cluster, {})[option.replace("-", "_")] = value
    return out


def stop_pid(pid: int, timeout_s: float = 15.0) -> None:
    if pid <= 0:  # kill(0) would signal our own process group: a cluster already stopped has no pid
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.05)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)


def cmd_down(args: argparse.Namespace) -> int:
    home = os.path.abspath(args.home)
    state = read_state(home)
    names = args.clusters.split(",") if args.clusters else list(state["clusters"])
    for name in names:
        info = state["clusters"].get(name)
        if info is None:
            raise CliError(f"no cluster named [{name}] in {home}")
        stop_pid(info.get("pid") or 0)
        info["pid"] = None
        print(f"{name:<10} stopped")
    write_state(home, state)
    if args.wipe:
        for name in names:
            shutil.rmtree(state["clusters"][name]["data"], ignore_errors=True)
            del state["clusters"][name]
        write_state(home, state)
        print("data removed")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    state = read_state(os.path.abspath(args.home))
    if not state["clusters"]:
        print(f"no clusters in {os.path.abspath(args.home)}; start them with: python -m es_sandbox up")
        return 1
    down = 0
    for name, info in state["clusters"].items():
        running = pid_alive(info.get("pid")) and answers(info["http"])
        down += not running
        print(f"{name:<10} {'up' if running else 'down':<5} {info['http']:<28} pid {info.get('pid')}  {info['version']}  licence {info['license']}")
    return 1 if down else 0


def cmd_kill(args: argparse.Namespace) -> int:
    state = read_state(os.path.abspath(args.home))
    info = state["clusters"].get(args.cluster)
    if info is None or not pid_alive(info.get("pid")):
        raise CliError(f"cluster [{args.cluster}] is not running")
    os.kill(info["pid"], signal.SIGKILL)
    print(f"{args.cluster} killed (SIGKILL, pid {info['pid']}); `python -m es_sandbox up` restarts it")
    return 0


def _control(info: dict[str, Any], method: str, path: str, body: dict | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(info["http"] + path, data=data, method=method, headers={"Content-Type": "application/json"})
    token = os.environ.get("ES_SANDBOX_CONTROL_AUTH")
    if token:
        request.add_header("Authorization", token)
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def cmd_partition(args: argparse.Namespace, heal: bool = False) -> int:
    state = read_state(os.path.abspath(args.home))
    a, b = (state["clusters"].get(args.a), state["clusters"].get(args.b))
    if a is None or b is None:
        raise CliError(f"unknown cluster: {args.a if a is None else args.b}")
    mode = "blackhole" if getattr(args, "blackhole", False) else "refuse"
    for info, peer in ((a, args.b), (b, args.a)):
        if heal:
            _control(info, "DELETE", f"/_sandbox/faults/{peer}")
        else:
            _control(info, "PUT", f"/_sandbox/faults/{peer}", {"mode": mode})
    print(f"{args.a} <-> {args.b}: {'healed' if heal else mode}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m es_sandbox", description=__doc__.splitlines()[0])
    p.add_argument("--home", default=os.environ.get("ES_SANDBOX_HOME", DEFAULT_HOME), help="state and data directory (default .sandbox/)")
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the clusters (the default pair: remote and local); a no-op when running")
    up.add_argument("--clusters", help="comma-separated cluster names (default: remote,local)")
    up.add_argument("--version", default=DEFAULT_VERSION, help=f"Elasticsearch version presented: lines {SUPPORTED_LINES} (default {DEFAULT_VERSION})")
    up.add_argument("--flavour", default="default", choices=FLAVOURS)
    up.add_argument("--license", default="trial", help="licence type: basic, trial, platinum, enterprise (default trial)")
    up.add_argument("--http-port", type=int, default=9200, help="first HTTP port (default 9200; 0 picks free ports)")
    up.add_argument("--transport-port", type=int, default=9300, help="transport port (default 9300; 0 picks free ports)")
    up.add_argument("--data", help="data directory (default: the home)")
    up.add_argument("--security", action="store_true", help="require authentication (user elastic)")
    up.add_argument("--password-env", default="ES_SANDBOX_ELASTIC_PASSWORD", help="variable holding the elastic user's password")
    up.add_argument("--cluster-option", action="append", metavar="NAME.OPTION=VALUE",
                    help="per-cluster option: version, license, flavour, http_port, transport_port")
    down = sub.add_parser("down", help="stop the clusters cleanly")
    down.add_argument("--clusters")
    down.add_argument("--wipe", action="store_true", help="also delete their data")
    sub.add_parser("status", help="show the clusters")
    kill = sub.add_parser("kill", help="kill -9 a cluster (a crash, for rehearsals)")
    kill.add_argument("cluster")
    part = sub.add_parser("partition", help="cut the link between two clusters")
    part.add_argument("a")
    part.add_argument("b")
    part.add_argument("--blackhole", action="store_true", help="requests hang until they time out instead of being refused")
    heal = sub.add_parser("heal", help="restore the link between two clusters")
    heal.add_argument("a")
    heal.add_argument("b")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    commands = {
        "up": cmd_up,
        "down": cmd_down,
        "status": cmd_status,
        "kill": cmd_kill,
        "partition": cmd_partition,
        "heal": lambda a: cmd_partition(a, heal=True),
    }
    try:
        return commands[args.command](args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
