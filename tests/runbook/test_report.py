"""report.html on tiny fixture runs: self-contained, sealed with the run, failing step first, every section fed."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from runbook_lib import __main__ as cli
from runbook_lib.evidence import report as report_module
from runbook_lib.evidence.bundle import build_evidence
from runbook_lib.evidence.notebook_html import make_inert
from runbook_lib.evidence.report import REPORT_FILE, render_report, write_report
from runbook_lib.evidence.seal import SUMS_FILE, read_sums
from runbook_lib.evidence.verify import verify_run
from runbook_lib.errors import RunbookError
from runbook_lib.runner import NotebookStep, Runbook, run_runbook

FIXTURES = Path(__file__).parent / "fixtures"
_URL_ATTRIBUTES = ("src", "href", "srcset", "action", "data", "poster", "background", "formaction", "xlink:href")


class _Links(HTMLParser):
    """Every URL-bearing attribute of a page, and every tag name."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.urls += [value or "" for name, value in attrs if name in _URL_ATTRIBUTES]


def links(page: str) -> _Links:
    parser = _Links()
    parser.feed(page)
    return parser


def book(*names: str) -> Runbook:
    return Runbook("fixture", tuple(NotebookStep(n) for n in names))


@pytest.fixture
def run(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("remote: {url: 'http://127.0.0.1:9'}\nlocal: {url: 'http://127.0.0.1:10'}\n"
                      "remote_alias: remote\nindices: [myindex]\n")

    def go(runbook: Runbook, run_id: str, **kwargs):
        return run_runbook(runbook, params, run_id=run_id, runs_dir=tmp_path / "runs", notebooks_dir=FIXTURES,
                           report=lambda line: None, **kwargs)

    return go


def test_the_report_is_written_before_the_seal_and_covered_by_it(run):
    result = run(book("ok"), "r1")

    assert REPORT_FILE in read_sums(result.folder)
    assert verify_run(result.folder, head=result.head).ok
    (result.folder / REPORT_FILE).write_text("<p>edited</p>")
    assert "run r1: report.html was changed" in verify_run(result.folder).problems


def test_the_report_fetches_nothing_and_runs_no_script(run):
    page = (run(book("ok", "failing_check"), "r1").folder / REPORT_FILE).read_text()
    found = links(page)

    assert not [u for u in found.urls if re.match(r"\s*(https?:)?//", u, re.I)], found.urls
    assert all(u.startswith(("#", "data:image/", "../")) for u in found.urls), found.urls
    assert "script" not in found.tags and "link" not in found.tags
    assert "default-src 'none'" in page  # the browser itself refuses any load that is not inline
    assert not re.search(r"https?://(?!127\.0\.0\.1)", page), "an outside address appears in the page"


def test_notebook_markup_is_made_inert(tmp_path):
    fragment = ('<h2 id="Parameters">P</h2><a href="#Parameters">up</a><a href="https://example.org/doc">docs</a>'
                '<img src="https://example.org/x.png"><img src="data:image/png;base64,AAAA" onerror="x()">'
                '<script src="https://cdn.example/require.js"></script><style>@import url(//x/y.css)</style>')

    inert = make_inert(fragment, "step-03")

    assert 'id="step-03-Parameters"' in inert and 'href="#step-03-Parameters"' in inert
    assert "docs (https://example.org/doc)" in inert and 'href="https' not in inert
    assert "[image not in the notebook: https://example.org/x.png]" in inert
    assert 'src="data:image/png;base64,AAAA"' in inert and "onerror" not in inert
    assert "<script" not in inert and "<style" not in inert


def test_a_failed_runs_report_puts_the_failing_step_first(run):
    page = (run(book("ok", "failing_check"), "r1").folder / REPORT_FILE).read_text()

    assert re.search(r'class="verdict fail"[^>]*>\s*<div class="verdict-label">FAILED<', page)
    order = [page.index(f'id="{anchor}"') for anchor in ("summary", "stopped", "failing", "checks", "notebooks")]
    assert order == sorted(order)
    failing = page[page.index('id="failing"'):page.index('id="checks"')]
    assert "follower status" in failing and "paused" in failing and "CheckFailed" in failing
    notebooks = page[page.index('id="notebooks"'):]
    assert notebooks.index('id="step-failing_check"') < notebooks.index('id="step-ok"')


def test_a_passing_runs_report_has_no_failing_section(run):
    page = (run(book("ok"), "r1").folder / REPORT_FILE).read_text()

    assert '<div class="verdict-label">PASSED</div>' in page
    assert 'id="failing"' not in page and 'id="stopped"' not in page
    assert "one plus one" in page[page.index('id="checks-table"'):]


def test_state_interactive_flags_redactions_and_figures_are_shown(run, monkeypatch):
    result = run(book("ok"), "r1")
    evidence = build_evidence(result.folder)
    fingerprint = {"digest": "a" * 64, "indices": {"logs_follow": {"uuid": "U1", "state": "open", "aliases": {},
                                                                   "follower": None}}, "remotes": {}}
    evidence["mode"] = "interactive"
    evidence["steps"][0]["state"] = {"before": {"local": {"digest": "b" * 64, "indices": {}, "remotes": {}}},
                                     "after": {"local": fingerprint},
                                     "changed": ["local: index logs_follow created (uuid U1)"]}
    evidence["steps"][0]["interactive"] = {"cells_out_of_order": ["ok-03"], "cells_run_twice": []}
    evidence["parameters"]["remote"]["url"] = "https://<redacted: credentials in a URL>@es.example"
    evidence["checks"].append({"step": "ok", "name": "Jack readable by realtime GET", "expected": "within 60 s",
                               "observed": "8 ms", "verdict": "pass", "advice": "",
                               "time": "2026-01-01T00:00:00+00:00"})
    notebook = nbformat.read(result.folder / "ok.ipynb", as_version=4)
    notebook.cells[-1].outputs.append(nbformat.v4.new_output("display_data", data={
        "text/html": '<b>Latency and lag</b><br><img alt="canary GET 8 ms" src="data:image/png;base64,iVBORw0KGgo=">',
        "text/plain": "Latency and lag"}))
    folder = result.folder.parent / "unsealed"
    folder.mkdir()
    for name in ("run.json", "parameters.json"):
        (folder / name).write_text((result.folder / name).read_text())
    nbformat.write(notebook, folder / "ok.ipynb")
    monkeypatch.setattr(report_module, "build_evidence", lambda _: evidence)

    page = render_report(folder)

    state = page[page.index('id="state"'):page.index('id="figures"')]
    assert "index logs_follow created (uuid U1)" in state and "aaaaaaaaaaaa" in state and "bbbbbbbbbbbb" in state
    assert "interactive session" in page and "cells out of order" in page and "ok-03" in page
    assert "&lt;redacted: credentials in a URL&gt;" in page and '<span class="pill warn">redacted</span>' in page
    figures = page[page.index('id="figures"'):page.index('id="notebooks"')]
    assert "Jack readable by realtime GET" in figures and "<b>Latency and lag</b>" in figures
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in figures


def test_the_command_renders_elsewhere_but_never_into_a_sealed_folder(run, tmp_path, capsys):
    result = run(book("ok"), "r1")
    sums = (result.folder / SUMS_FILE).read_text()

    assert cli.main(["evidence", "report", str(result.folder)]) == 0
    assert capsys.readouterr().out.startswith("<!DOCTYPE html>")
    assert cli.main(["evidence", "report", str(result.folder), "-o", str(tmp_path / "copy.html")]) == 0
    assert (tmp_path / "copy.html").read_text() == (result.folder / REPORT_FILE).read_text()
    assert cli.main(["evidence", "report", str(result.folder), "-o", str(result.folder / "again.html")]) == 2
    assert "inside the sealed run folder" in capsys.readouterr().err
    with pytest.raises(RunbookError, match="is sealed"):
        write_report(result.folder)
    assert (result.folder / SUMS_FILE).read_text() == sums and verify_run(result.folder).ok
    assert json.loads((result.folder / "evidence.json").read_text())["run_id"] == "r1"
