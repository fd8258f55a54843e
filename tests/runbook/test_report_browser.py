"""report.html in a real browser: Debian's headless Chromium, with networking off, on real run folders.

Chromium is driven over the DevTools protocol through a pipe (`--remote-debugging-pipe`), so the test
needs no port, no WebDriver and no network; it runs in a network namespace of its own (`unshare
--net`) where that is allowed, and is told to resolve no host and use an unreachable proxy besides.
Every request the page makes is recorded from the protocol's Network events: only the report's own
file:// URL and inline data: images may appear.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from runbook_lib.evidence.report import REPORT_FILE
from runbook_lib.evidence.verify import verify_run
from runbook_lib.runner import NotebookStep, Runbook, run_runbook

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FIXTURES = Path(__file__).parent / "fixtures"
# Set to a folder to keep the screenshots for a look by eye (they are otherwise in pytest's tmp_path).
KEEP_SCREENSHOTS = os.environ.get("CCR_RUNBOOKS_KEEP_SCREENSHOTS", "")
VIEWPORT = (1280, 1000)

pytestmark = pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                                reason="Debian's chromium is not installed: `make browser` installs it")


class Chromium:
    """A headless Chromium spoken to over the DevTools pipe: fd 3 carries commands in, fd 4 answers out."""

    def __init__(self, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-extensions", "--disable-dev-shm-usage", "--remote-debugging-pipe",
                 "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://0.0.0.0:9",
                 f"--user-data-dir={profile}", f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}", "about:blank"]
        self.isolated = _network_namespace()
        command = [*self.isolated, CHROMIUM, *flags]

        # Moved above 10 first, so that placing them at 3 and 4 in the child cannot overwrite one another.
        ends = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser_r, from_browser_w)]

        def child_fds() -> None:
            os.dup2(ends[0], 3)
            os.dup2(ends[1], 4)

        self.process = subprocess.Popen(command, preexec_fn=child_fds, pass_fds=(3, 4),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for fd in (to_browser_r, from_browser_w, *ends):
            os.close(fd)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session = ""

    def send(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30) -> dict[str, Any]:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, event: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            found = next((e for e in self.events if e.get("method") == event), None)
            if found is not None:
                return found
            self.events.append(self._read(deadline))

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError(f"Chromium did not answer; it said: {self._stderr()}")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError(f"Chromium exited ({self.process.poll()}): {self._stderr()}")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def _stderr(self) -> str:
        if self.process.poll() is None:
            return "(still running)"
        return self.process.stderr.read().decode(errors="replace")[-2000:]

    def open(self, url: str) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Network.enable")
        self.send("Page.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": VIEWPORT[0], "height": VIEWPORT[1], "deviceScaleFactor": 1, "mobile": False})
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        answer = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return answer["result"].get("value")

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.send("Page.getLayoutMetrics")["cssContentSize"]
            params.update(captureBeyondViewport=True, clip={"x": 0, "y": 0, "width": size["width"],
                                                            "height": min(size["height"], 16000), "scale": 1})
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", params)["data"]))
        return path

    def requested_urls(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        try:
            self.session = ""
            self.send("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self.process.stderr.close()


def _network_namespace() -> list[str]:
    """`unshare --net` (as root, or mapped to root) when this machine allows it: no interface but loopback."""
    unshare = shutil.which("unshare")
    for prefix in ([unshare, "--net"], [unshare, "--net", "--map-root-user"]) if unshare else ():
        if subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
            return prefix
    return []


@pytest.fixture
def browser(tmp_path):
    chromium = Chromium(tmp_path / "profile")
    yield chromium
    chromium.close()


_LAYOUT = """JSON.stringify((() => {
  const box = (selector) => {
    const element = document.querySelector(selector);
    if (!element) return null;
    element.scrollIntoView({block: "start"});
    const r = element.getBoundingClientRect(), style = getComputedStyle(element);
    const top = document.elementFromPoint(Math.min(r.x + 20, innerWidth - 1), Math.min(r.y + 10, innerHeight - 1));
    const result = {x: r.x, y: r.y + scrollY, width: r.width, height: r.height, text: element.innerText,
                    shown: style.display !== "none" && style.visibility !== "hidden" && Number(style.opacity) > 0,
                    on_top: !!top && (element === top || element.contains(top))};
    scrollTo(0, 0);
    return result;
  };
  return {viewport: [innerWidth, innerHeight], summary: box("#summary"), verdict: box("#verdict"),
          checks: box("#checks-table"), failing: box("#failing"), stopped: box("#stopped"),
          images: document.images.length,
          broken_images: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).length,
          scripts: document.scripts.length};
})())"""


def _assert_visible(box: dict[str, Any] | None, name: str) -> None:
    assert box is not None, f"the report has no {name}"
    assert box["shown"] and box["width"] > 200 and box["height"] > 20, f"{name} is not rendered: {box}"
    assert box["on_top"], f"something covers the {name}: {box}"


def _render(browser: Chromium, report: Path, shots: Path) -> dict[str, Any]:
    browser.open(report.resolve().as_uri())
    shots.mkdir(exist_ok=True)
    browser.screenshot(shots / "viewport.png")
    browser.screenshot(shots / "page.png", full_page=True)
    layout = json.loads(browser.evaluate(_LAYOUT))
    urls = browser.requested_urls()
    assert urls and urls[0] == report.resolve().as_uri()
    assert all(u.startswith(("file:", "data:")) for u in urls), f"the report made network requests: {urls}"
    assert (layout["scripts"], layout["broken_images"]) == (0, 0)
    return layout


@pytest.mark.slow
def test_a_real_migration_report_renders_offline_with_summary_and_checks_visible(practice, unique_name, tmp_path,
                                                                               browser):
    leader = practice.leader(unique_name("report"), docs=30)
    follower = practice.remove_at_end("local", f"{leader}_follow")
    params = practice.parameters(tmp_path, indices=[{"leader": leader, "follower": follower}],
                                 remote_alias=unique_name("remote"))
    result = run_runbook("migrate", params, runs_dir=tmp_path / "runs", confirm=follower, report=lambda line: None)
    assert result.passed, result.failed_step and result.failed_step.message
    report = result.folder / REPORT_FILE
    assert verify_run(result.folder, head=result.head).ok  # written before the seal, so covered by it

    layout = _render(browser, report, tmp_path / "shots")

    _assert_visible(layout["summary"], "summary")
    assert layout["summary"]["y"] < VIEWPORT[1] / 2, "the summary does not start in the first half of the screen"
    _assert_visible(layout["verdict"], "verdict")
    assert layout["verdict"]["text"].strip() == "PASSED" and layout["verdict"]["y"] < 200
    _assert_visible(layout["checks"], "checks table")
    assert "readable by realtime GET" in layout["checks"]["text"] and "PASS" in layout["checks"]["text"]
    assert layout["images"] >= 2  # the latency and lag figure, the cutover timeline (twice: figures + notebook)
    if KEEP_SCREENSHOTS:
        shutil.copy(tmp_path / "shots" / "viewport.png", Path(KEEP_SCREENSHOTS) / "report-passed.png")


def test_a_failed_run_report_shows_the_failing_step_right_after_the_summary(tmp_path, browser):
    params = tmp_path / "params.yaml"
    params.write_text("remote: {url: 'http://127.0.0.1:9'}\nlocal: {url: 'http://127.0.0.1:10'}\n"
                      "remote_alias: remote\nindices: [myindex]\n")
    book = Runbook("fixture", (NotebookStep("ok"), NotebookStep("failing_check")))
    result = run_runbook(book, params, run_id="failed", runs_dir=tmp_path / "runs", notebooks_dir=FIXTURES,
                         report=lambda line: None)
    assert result.status == "failed"

    layout = _render(browser, result.folder / REPORT_FILE, tmp_path / "shots")

    assert layout["verdict"]["text"].strip() == "FAILED"
    _assert_visible(layout["stopped"], "failure callout")
    assert layout["stopped"]["y"] < VIEWPORT[1] / 2, "the failure is not told in the first half of the screen"
    _assert_visible(layout["failing"], "failing step")
    assert layout["summary"]["y"] < layout["failing"]["y"] < layout["checks"]["y"]
    assert "follower status" in layout["failing"]["text"] and "paused" in layout["failing"]["text"]
    if KEEP_SCREENSHOTS:
        shutil.copy(tmp_path / "shots" / "viewport.png", Path(KEEP_SCREENSHOTS) / "report-failed.png")
