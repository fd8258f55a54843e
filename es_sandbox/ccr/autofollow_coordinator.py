"""The auto-follow coordinator (AutoFollowCoordinator): polls each remote cluster that has active
patterns every `config.auto_follow_poll_interval_s`, follows new matching leader indices, and keeps
the `auto_follow_stats` of GET /_ccr/stats.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from ..errors import EsError
from . import errors as ccr_errors
from .autofollow import Patterns, follower_name, matches
from .follow import PutFollowRequest, ccr_allowed
from .parameters import FollowParameters
from .remote import Leader

if TYPE_CHECKING:
    from ..cluster import Cluster
    from .followers import Followers

log = logging.getLogger(__name__)

_MAX_ERRORS = 256


class AutoFollowCoordinator:
    def __init__(self, cluster: "Cluster", patterns: Patterns, followers: "Followers") -> None:
        self.cluster = cluster
        self.patterns = patterns
        self.followers = followers
        self.lock = threading.Lock()
        self.successes = self.failures = self.failed_state_requests = 0
        self.errors: collections.OrderedDict[str, tuple[int, EsError]] = collections.OrderedDict()
        self.remotes: dict[str, dict[str, Any]] = {}  # alias -> last check (monotonic) and metadata version
        self.polling: set[str] = set()  # remotes whose poll is running

    def start(self) -> None:
        threading.Thread(target=self._loop, name="ccr-auto-follow", daemon=True).start()

    def _loop(self) -> None:
        while not self.cluster.stopping.wait(self.cluster.config.auto_follow_poll_interval_s):
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - one failed round must not end auto-following
                log.exception("auto-follow coordination failed")

    def run_once(self) -> None:
        """Starts a poll of each remote that has active patterns and no poll still running: as with
        Elasticsearch's one AutoFollower per remote, a slow remote holds up no other."""
        if not ccr_allowed(self.cluster):
            return  # Elasticsearch skips coordination (and logs) while the licence does not allow CCR
        records = self.patterns.all()
        by_remote: dict[str, list[str]] = {}
        for name in sorted(records):
            pattern = records[name]["pattern"]
            if pattern["active"]:
                by_remote.setdefault(pattern["remote_cluster"], []).append(name)
        with self.lock:
            for alias in [a for a in self.remotes if a not in by_remote]:
                del self.remotes[alias]
            starting = [alias for alias in by_remote if alias not in self.polling]
            self.polling.update(starting)
        for alias in starting:
            threading.Thread(target=self._poll, args=(alias, by_remote[alias], records), daemon=True,
                             name=f"ccr-auto-follow-{alias}").start()

    def _poll(self, alias: str, names: list[str], records: dict[str, dict[str, Any]]) -> None:
        try:
            self._poll_remote(alias, names, records)
        except Exception:  # noqa: BLE001 - one failed round must not end auto-following of the remote
            log.exception("auto-follow round for remote [%s] failed", alias)
        finally:
            with self.lock:
                self.polling.discard(alias)

    def _poll_remote(self, alias: str, names: list[str], records: dict[str, dict[str, Any]]) -> None:
        with self.lock:
            seen = self.remotes.setdefault(alias, {"version": 0})
            seen["checked"] = time.monotonic()
        try:
            state = Leader(self.cluster, alias).cluster_state()
        except EsError as exc:
            if exc.type == "no_such_remote_cluster_exception":
                return  # the auto-follower waits for the remote to be configured again, reporting nothing
            self._record_state_failure(names, exc)
            return
        seen["version"] = state["metadata_version"]
        for name in names:
            results = self._follow_new(name, records, state)
            self._record(name, results)
        self.patterns.forget_gone(names, {i["uuid"] for i in state["indices"]})

    def _follow_new(self, name: str, records: dict[str, dict[str, Any]], state: dict[str, Any]) -> dict[str, EsError | None]:
        record = records[name]
        pattern = record["pattern"]
        results: dict[str, EsError | None] = {}
        for leader in state["indices"]:
            if leader["state"] != "open" or not matches(pattern, leader["name"]) or leader["uuid"] in record["followed"]:
                continue
            others = [n for n, r in sorted(records.items()) if n != name and r["pattern"]["remote_cluster"] == pattern["remote_cluster"]
                      and matches(r["pattern"], leader["name"])]
            if others:
                results[leader["name"]] = EsError(500, "exception", f"index to follow [{leader['name']}] for pattern [{name}] "
                                                  f"matches with other patterns [{', '.join(others)}]")
            elif not leader["soft_deletes"]:
                self.patterns.record_followed(name, leader["uuid"])
                results[leader["name"]] = EsError(500, "exception", f"index [{leader['name']}] cannot be followed, because "
                                                  "soft deletes are not enabled")
            elif self._already_following(pattern, leader):
                self.patterns.record_followed(name, leader["uuid"])
                results[leader["name"]] = None
            else:
                results[leader["name"]] = self._follow(name, pattern, leader)
        return results

    def _already_following(self, pattern: dict[str, Any], leader: dict[str, Any]) -> bool:
        existing = self.cluster.indices.get(follower_name(pattern, leader["name"]))
        return existing is not None and (existing.ccr or {}).get("leader_index_uuid") == leader["uuid"]

    def _follow(self, name: str, pattern: dict[str, Any], leader: dict[str, Any]) -> EsError | None:
        request = PutFollowRequest(follower_name(pattern, leader["name"]), pattern["remote_cluster"], leader["name"],
                                   dict(pattern.get("settings") or {}), FollowParameters.from_stored(pattern.get("parameters")))
        try:
            self.followers.put_follow(request, 0)
        except EsError as exc:
            return exc
        log.info("auto followed leader index [%s] as follow index [%s]", leader["name"], request.follower_index)
        self.patterns.record_followed(name, leader["uuid"])
        return None

    # --- stats ----------------------------------------------------------------------------------

    def _remember(self, key: str, error: EsError) -> None:
        self.errors.pop(key, None)
        self.errors[key] = (int(time.time() * 1000), error)
        while len(self.errors) > _MAX_ERRORS:
            self.errors.popitem(last=False)

    def _record_state_failure(self, names: list[str], cause: EsError) -> None:
        with self.lock:
            for name in names:
                self.failed_state_requests += 1
                self._remember(name, ccr_errors.wrapped(cause))

    def _record(self, name: str, results: dict[str, EsError | None]) -> None:
        with self.lock:
            self.errors.pop(name, None)
            for leader_index, error in results.items():
                key = f"{name}:{leader_index}"
                if error is None:
                    self.successes += 1
                    self.errors.pop(key, None)
                else:
                    self.failures += 1
                    self._remember(key, error)

    def stats(self) -> dict[str, Any]:
        """AutoFollowStats."""
        with self.lock:
            now = time.monotonic()
            return {
                "number_of_failed_follow_indices": self.failures,
                "number_of_failed_remote_cluster_state_requests": self.failed_state_requests,
                "number_of_successful_follow_indices": self.successes,
                "recent_auto_follow_errors": [
                    {"leader_index": key, "timestamp": ts, "auto_follow_exception": error.fragment()}
                    for key, (ts, error) in sorted(self.errors.items())
                ],
                "auto_followed_clusters": [
                    {"cluster_name": alias,
                     "time_since_last_check_millis": int((now - seen["checked"]) * 1000) if "checked" in seen else -1,
                     "last_seen_metadata_version": seen["version"]}
                    for alias, seen in sorted(self.remotes.items())
                ],
            }
