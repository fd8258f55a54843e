"""A whole migration on secured practice clusters with a known password: the password, and the Basic
credentials made from it, appear in no executed notebook and no file under runs/."""

from __future__ import annotations

import base64

import pytest

from runbook_lib.runner import run_runbook


@pytest.mark.sandbox_only
def test_a_known_password_is_found_in_no_file_the_runs_leave(secured, secured_password, unique_name, tmp_path):
    leader = secured.leader(unique_name("secret"), docs=10)
    follower = secured.remove_at_end("local", f"{leader}_follow")
    params = secured.parameters(tmp_path, indices=[{"leader": leader, "follower": follower}],
                                remote_alias=unique_name("remote"))
    runs = tmp_path / "runs"

    for runbook in ("migrate", "cleanup"):
        result = run_runbook(runbook, params, runs_dir=runs, confirm=follower, report=lambda line: None)
        failed = result.failed_step
        assert result.passed, f"{failed.step}: {failed.message}" if failed else result.status

    forms = {secured_password, base64.b64encode(f"elastic:{secured_password}".encode()).decode()}
    files = [p for p in runs.rglob("*") if p.is_file()]
    assert len([p for p in files if p.suffix == ".ipynb"]) == 7
    leaks = [(p.relative_to(runs), form) for p in files for form in forms if form in p.read_text(errors="replace")]
    assert leaks == []
