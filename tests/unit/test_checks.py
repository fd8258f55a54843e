"""Checks: displayed as they happen, each with its record, and failures that say what to do."""

from __future__ import annotations

import pytest

from runbook_lib import records
from runbook_lib.checks import Check, CheckList
from runbook_lib.errors import CheckFailed, RunbookError
from runbook_lib.records import CHECK_MIME


@pytest.fixture
def shown(monkeypatch):
    """Every bundle a check list displays, in order."""
    bundles: list[dict] = []
    monkeypatch.setattr(records, "_publish", lambda bundle: bundles.append(dict(bundle)))
    return bundles


def with_record(bundles):
    return [b for b in bundles if CHECK_MIME in b]


def test_each_check_is_one_output_with_record_text_and_html(shown):
    checks = CheckList("preflight", run_id="r1")
    checks.expect("soft deletes on myindex", True, True)
    checks.add("licence allows CCR", "platinum, enterprise or trial", "basic", "fail",
               "POST _license/start_trial?acknowledge=true")
    bundles = with_record(shown)
    assert len(bundles) == 2
    for bundle in bundles:
        assert set(bundle) == {CHECK_MIME, "text/plain", "text/html"}
    record = bundles[1][CHECK_MIME]
    assert record["schema"] == "ccr-runbooks.check.v1"
    assert (record["run_id"], record["step"], record["name"]) == ("r1", "preflight", "licence allows CCR")
    assert (record["expected"], record["observed"], record["verdict"]) == ("platinum, enterprise or trial", "basic", "fail")
    assert record["advice"] == "POST _license/start_trial?acknowledge=true"
    assert record["time"].endswith("+00:00")
    assert "FAIL" in bundles[1]["text/plain"] and "start_trial" in bundles[1]["text/plain"]
    assert "<table" in bundles[1]["text/html"]


def test_checks_are_shown_as_they_are_added(shown):
    checks = CheckList("connect")
    checks.expect("remote answers", 200, 200)
    assert len(with_record(shown)) == 1  # before anything else happens in the cell
    assert shown[0]["text/plain"] == "Checks of connect"  # a header once, before the first row


def test_render_adds_a_summary_once(shown):
    checks = CheckList("connect", live=False)
    checks.expect("a", 1, 1)
    checks.add("b", "9300", "9200", "warn", "seeds are transport addresses")
    assert shown == []
    checks.render()
    checks.render()
    texts = [b["text/plain"] for b in shown]
    assert len(with_record(shown)) == 2
    assert texts[-1] == "connect: 1 passed, 1 warning(s), 0 failed"
    assert texts.count(texts[-1]) == 1


def test_raise_on_failure_names_each_failed_check_observation_and_advice(shown):
    checks = CheckList("preflight")
    checks.expect("licence allows CCR", "trial or better", "basic", "start a trial", ok=False)
    checks.expect("soft deletes on myindex", True, False, "reindex into an index with soft deletes")
    checks.expect("disk", ">= 1 GiB", "2 GiB", ok=True)
    with pytest.raises(CheckFailed) as err:
        checks.raise_on_failure()
    message = str(err.value)
    assert message.startswith("preflight: 2 checks failed")
    assert "licence allows CCR: observed 'basic'" in message and "Next: start a trial" in message
    assert "soft deletes on myindex: observed False, expected True" in message
    assert "reindex into an index with soft deletes" in message
    assert "disk" not in message
    assert [c.name for c in err.value.failed] == ["licence allows CCR", "soft deletes on myindex"]
    assert isinstance(err.value, RunbookError)
    assert shown[-1]["text/plain"].startswith("preflight: 1 passed")  # the summary came first


def test_single_failure_message_is_one_sentence(shown):
    checks = CheckList("follow")
    checks.expect("follower status", "active", "paused", "POST myindex_follow/_ccr/resume_follow")
    with pytest.raises(CheckFailed, match=r"^check failed: follow: follower status: observed 'paused', "
                       r"expected 'active'\. Next: POST myindex_follow/_ccr/resume_follow$"):
        checks.raise_on_failure()


def test_warnings_and_information_do_not_raise(shown):
    checks = CheckList("preflight")
    checks.expect("seeds port", 9300, 9200, "use the transport port", warn_only=True)
    checks.info("remote version", "8.19.3")
    checks.raise_on_failure()
    assert [c.verdict for c in checks.checks] == ["warn", "info"]


def test_secrets_observed_are_redacted_in_the_record(shown):
    CheckList("connect").expect("settings", {}, {"xpack.security.password": "hunter2"}, ok=False)
    bundle = with_record(shown)[0]
    assert "hunter2" not in repr(bundle)


def test_html_is_escaped(shown):
    CheckList("x").expect("<script>alert(1)</script>", "a", "b")
    assert "<script>" not in with_record(shown)[0]["text/html"]


def test_unknown_verdict_is_refused():
    with pytest.raises(ValueError, match="verdict must be one of pass, warn, fail, info"):
        Check("x", 1, 1, "ok")


def test_plain_text_table_without_a_notebook(capsys):
    checks = CheckList("preflight")
    checks.expect("remote answers", 200, 200)
    out = capsys.readouterr().out
    assert "PASS  remote answers: observed 200; expected 200" in out
    assert "remote answers" in checks.to_text() and "remote answers" in checks.to_html()
