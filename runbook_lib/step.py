"""A runbook step as a notebook runs it: parameters, both clusters, and the step's checks.

A notebook's first code cell after its parameters is

    step = begin("03_follow", parameters_file, run_id=run_id, dry_run=dry_run, confirm=confirm,
                 overrides=overrides)

which validates the parameter set (failing on bad input before any cluster is touched) and shows
it; `step.connect()` then connects to both clusters, shows who they are and who we are on them, and
checks they are the clusters the parameters expect.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Mapping

from .checks import CheckList
from .connection import Cluster, connect
import yaml

from .errors import ClusterRequestError, ParameterError, RunbookError
from .parameters import MigrationParameters, load_parameters, new_run_id
from .records import IDENTITY_MIME, emit, emit_display, json_safe, now_iso


@dataclass
class Step:
    name: str
    params: MigrationParameters
    checks: CheckList
    clusters: dict[str, Cluster] = field(default_factory=dict)

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
        return self

    def finish(self) -> None:
        """Shows the step's checks and stops the notebook with advice if any failed."""
        self.checks.raise_on_failure()


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
    merged["run_id"] = run_id or merged.get("run_id") or new_run_id()
    if dry_run:
        merged["dry_run"] = True
    if confirm:
        merged["confirm"] = confirm
    params = load_parameters(parameters_file or None, overrides=merged)
    step = Step(name, params, CheckList(name, params.run_id))
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
