"""A runbook step as a notebook runs it: parameters, both clusters, and the step's checks.

A notebook's first code cell after its parameters is

    step = begin("03_follow", parameters_file, run_id=run_id, dry_run=dry_run, confirm=confirm,
                 overrides=overrides)

which validates the parameter set (failing on bad input before any cluster is touched) and shows
it; `step.connect()` then connects to both clusters, shows who they are and who we are on them,
checks they are the clusters the parameters expect, and records their relevant state (the "before"
fingerprint, state_fingerprint.py). `step.finish()` records the state again ("after"), then gives
the step's verdict. In a headless run, a cell that fails records the "after" state itself, since
papermill runs no cell after it.

Run in JupyterLab (journal.py), `begin` also opens the run's journal, which records every record and
every cell as it runs, and `step.finish()` seals the run folder.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Mapping

import yaml

from . import journal
from .checks import CheckList
from .connection import Cluster, connect
from .errors import ClusterRequestError, ParameterError, RunbookError
from .parameters import MigrationParameters, load_parameters, new_run_id
from .records import IDENTITY_MIME, emit, emit_display, json_safe, now_iso
from .state_fingerprint import record_state


@dataclass
class Step:
    name: str
    params: MigrationParameters
    checks: CheckList
    clusters: dict[str, Cluster] = field(default_factory=dict)
    mode: str = "script"  # journal.run_mode(): "interactive", "headless" or "script"
    state_before: dict[str, Any] | None = None  # the first "before" reading, which "after" is compared with
    state_after_recorded: bool = False

    @property
    def run_id(self) -> str:
        return self.params.run_id

    @property
    def remote(self) -> Cluster:
        return self._cluster("remote")

    @property
    def local(self) -> Cluster:
        return self._cluster("local")

    def _cluster(self, role: str) -> Cluster:
        if role not in self.clusters:
            raise RunbookError(f"the {role} cluster is not connected yet: run the cell that calls step.connect()")
        return self.clusters[role]

    def connect(self, roles: tuple[str, ...] = ("remote", "local")) -> "Step":
        """Connects to each side; a side that cannot be reached fails here, before any change."""
        for role in roles:
            cluster_params = self.params.cluster(role)
            try:
                cluster = connect(cluster_params, self.run_id, self.name, dry_run=self.params.dry_run)
            except ClusterRequestError as exc:
                self.checks.expect(f"{role} cluster reachable", "an answer to GET /", f"{exc.status or 'no answer'}: {exc.reason}",
                                   advice=str(exc), ok=False)
                self.checks.raise_on_failure()
                raise
            self.clusters[role] = cluster
            identity = cluster.identity
            self.checks.expect(
                f"{role} cluster reachable", "an answer to GET /",
                f"{identity.cluster_name} ({identity.cluster_uuid}), Elasticsearch {identity.version}, "
                f"as {identity.principal}", ok=True,
            )
            if cluster_params.expected_cluster_uuid:
                self.checks.expect(f"{role} cluster is the one pinned", cluster_params.expected_cluster_uuid,
                                   identity.cluster_uuid)
        _show_identities(self.clusters.values(), self)
        record = record_state(self.clusters, self.params, self.name, "before")
        if self.state_before is None:
            self.state_before = record["clusters"]
        self.state_after_recorded = False
        if self.mode == "headless":
            _on_failed_cell(self)
        return self

    def record_after(self) -> None:
        """The "after" state of every connected cluster, compared with the "before" one."""
        if self.clusters:
            record_state(self.clusters, self.params, self.name, "after", before=self.state_before)
        self.state_after_recorded = True

    def finish(self) -> None:
        """Records the state after the step, shows the checks, seals an interactive run, then stops the
        notebook with advice if any check failed."""
        self.checks.render()
        self.record_after()
        if self.mode == "interactive":
            failed = [c.name for c in self.checks.failures]
            error = f"CheckFailed: {self.checks.summary()}" if failed else ""
            counts: dict[str, int] = {}
            for check in self.checks.checks:
                counts[check.verdict] = counts.get(check.verdict, 0) + 1
            head = journal.finish(counts, failed, error)
            folder = journal.active().folder
            emit_display(f"Sealed {folder}; evidence chain head {head}\n"
                         "  record it outside this machine: a ticket, a change record",
                         f"<p>Sealed <code>{html.escape(str(folder))}</code>; evidence chain head "
                         f"<code>{head}</code>. Record it outside this machine: a ticket, a change record.</p>")
        self.checks.raise_on_failure()


def _on_failed_cell(step: Step) -> None:
    """In a headless run, record the "after" state when a cell fails: papermill runs nothing after it."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return

    def after_failure(result: Any) -> None:
        error = getattr(result, "error_in_exec", None)
        if error is None or step.state_after_recorded:
            return
        step.record_after()

    # One hook per kernel: a notebook that connects twice keeps only the newest step's.
    for callback in list(shell.events.callbacks["post_run_cell"]):
        if getattr(callback, "__name__", "") == "after_failure" and callback.__module__ == __name__:
            shell.events.unregister("post_run_cell", callback)
    shell.events.register("post_run_cell", after_failure)


def begin(
    name: str,
    parameters_file: str = "",
    *,
    run_id: str = "",
    dry_run: bool = False,
    confirm: str = "",
    overrides: Mapping[str, Any] | None = None,
) -> Step:
    """Loads and validates the parameter set (nothing is sent to any cluster if it is wrong)."""
    merged: dict[str, Any] = dict(_overrides_mapping(overrides))
    mode = journal.run_mode()
    requested, continues = run_id or merged.get("run_id") or "", None
    if mode == "interactive":
        requested, continues = journal.choose_run_id(name, requested)
    merged["run_id"] = requested or new_run_id()
    if dry_run:
        merged["dry_run"] = True
    if confirm:
        merged["confirm"] = confirm
    params = load_parameters(parameters_file or None, overrides=merged)
    step = Step(name, params, CheckList(name, params.run_id), mode=mode)
    if mode == "interactive":
        given = {"parameters_file": parameters_file, "run_id": run_id, "dry_run": dry_run, "confirm": confirm,
                 "overrides": dict(_overrides_mapping(overrides))}
        journal.start(name, params, given, continues)
    _show_parameters(step)
    return step


def _overrides_mapping(overrides: Any) -> Mapping[str, Any]:
    """`overrides` as a mapping; `papermill -p overrides '{...}'` passes it as text (YAML or JSON)."""
    if overrides is None or overrides == "":
        return {}
    if isinstance(overrides, str):
        try:
            overrides = yaml.safe_load(overrides)
        except yaml.YAMLError as exc:
            raise ParameterError("overrides", "a mapping of parameter-set fields (YAML or JSON)",
                                 got_text="text that is not YAML", why=str(exc).splitlines()[0]) from None
    if not isinstance(overrides, Mapping):
        raise ParameterError("overrides", "a mapping of parameter-set fields, e.g. {\"dry_run\": true}",
                             got=overrides)
    return overrides


def _show_parameters(step: Step) -> None:
    p = step.params
    rows = [
        ("run id", p.run_id),
        ("parameter set", p.source),
        ("remote (leader) cluster", f"{p.remote.url}  [{p.remote.url_source}]"),
        ("local (follower) cluster", f"{p.local.url}  [{p.local.url_source}]"),
        ("remote alias", p.remote_alias),
        ("indices", ", ".join(f"{i.leader} -> {i.follower}" for i in p.indices) or "(none)"),
        ("auto-follow", p.auto_follow.name if p.auto_follow else "(none)"),
        ("dry run", "yes: no change will be sent" if p.dry_run else "no"),
    ]
    rows += [("note", note) for note in p.notes]
    if step.mode == "interactive" and journal.active() is not None:
        rows.append(("evidence", f"interactive: journaled to {journal.active().path}; sealed by step.finish()"))
    _table(f"Step {step.name}", rows)


def _show_identities(clusters: Any, step: Step) -> None:
    rows = []
    for cluster in clusters:
        i = cluster.identity
        rows.append((f"{i.role}", f"{i.cluster_name}  uuid {i.cluster_uuid}  Elasticsearch {i.version}  "
                                  f"node {i.node_name}  as {i.principal} ({i.authentication})  at {i.url}"))
    # The table doubles as the identity record, so the evidence bundle can name both clusters.
    record = {"schema": "ccr-runbooks.identity.v1", "run_id": step.run_id, "step": step.name, "time": now_iso(),
              "clusters": [json_safe(c.identity.as_dict()) for c in clusters]}
    _table("Connected", rows, (IDENTITY_MIME, record))


def _table(title: str, rows: list[tuple[str, str]], record: tuple[str, Any] | None = None) -> None:
    text = "\n".join([title, *(f"  {k:<26} {v}" for k, v in rows)])
    cells = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th>"
                    f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>" for k, v in rows)
    html_text = f"<b>{html.escape(title)}</b><table>{cells}</table>"
    if record is None:
        emit_display(text, html_text)
    else:
        emit(record[0], record[1], text, html_text)
