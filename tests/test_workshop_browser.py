"""The workshop page in a real browser: `alignsim workshop` serves it, headless Chromium
(Debian's package, driven by Playwright) opens it, and moving the SLA lever changes the
headline.

The SLA only orders the reps' queue, so it changes revenue only while leads wait for a rep:
the test resets to the aligned policy, leaves one rep, then moves the SLA.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from alignsim.engines import ENGINES

CHROMIUM = Path("/usr/bin/chromium")
ENGINE = "fast" if "fast" in ENGINES else None
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 120_000

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (`make test` installs it)",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(default_toml: Path, tmp_path: Path) -> Iterator[str]:
    """`alignsim workshop` on a free port, until its health endpoint answers."""
    port = _free_port()
    command = [sys.executable, "-m", "alignsim", "workshop", str(default_toml), "--port", str(port)]
    command += ["--replications", "4", "--weeks", "13"]
    command += ["--engine", ENGINE] if ENGINE else []
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.read().strip() == b"ok":
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if process.poll() is not None:
                pytest.fail(f"the server stopped (exit {process.returncode}):\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no health answer from {url} in 90 s:\n{log.read_text()}")
            time.sleep(0.25)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the command and the Streamlit server it runs
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _settled(page: object) -> str:
    """The headline once the page has stopped running for a second (key presses each
    start a rerun)."""
    from playwright.sync_api import expect

    status = page.get_by_test_id("stStatusWidget")  # type: ignore[attr-defined]
    quiet_since = None
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline:
        if status.is_visible():
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 1:
            break
        time.sleep(0.1)
    headline = page.locator("h1").filter(has_text="Revenue lost per year")  # type: ignore[attr-defined]
    expect(headline).to_be_visible()
    return str(headline.inner_text())


def _slide(page: object, label: str, key: str, value: str) -> None:
    """Press `key` on the slider labelled `label` until it shows `value`, letting the page
    finish the rerun each press starts (a press during a rerun may be lost)."""
    box = page.get_by_test_id("stSlider").filter(has_text=label)  # type: ignore[attr-defined]
    thumb = box.get_by_role("slider")
    deadline = time.monotonic() + WAIT_MS / 1000
    while thumb.get_attribute("aria-valuetext") != value:
        assert time.monotonic() < deadline, f"{label} never reached {value}"
        thumb.focus()
        thumb.press(key)
        _settled(page)


def test_moving_the_sla_changes_the_headline(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
        )
        try:
            page = browser.new_page()
            page.goto(server)
            headline = page.locator("h1").filter(has_text="Revenue lost per year")
            expect(headline).to_contain_text("(95% interval", timeout=WAIT_MS)
            opened = headline.inner_text()
            assert "against the aligned policy: EUR" in opened

            page.get_by_role("button", name="Reset every lever to aligned").click()
            zero = "Revenue lost per year against the aligned policy: EUR 0 (95% interval 0 to 0)"
            expect(headline).to_have_text(zero, timeout=WAIT_MS)

            _slide(page, "Sales reps", "ArrowLeft", "1")  # 4 reps -> 1: leads wait for a rep
            one_rep = _settled(page)
            assert one_rep != zero

            _slide(page, "Response SLA", "ArrowLeft", "none")  # the aligned targets -> no target
            moved = _settled(page)
            assert moved != one_rep
            assert moved.startswith("Revenue lost per year against the aligned policy: ")
        finally:
            browser.close()
