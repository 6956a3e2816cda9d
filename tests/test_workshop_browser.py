"""The workshop page in a real browser: `alignsim workshop` serves it, headless Chromium
(Debian's package, driven by Playwright) opens it.

- At 1440x900 and at a projector's 1024x768, the headline and the chart by lever sit above
  the fold, inside the viewport; every chart text is at least 20 px and inside its chart; the
  funnel's stage labels are all there and unclipped. Screenshots go to test-artifacts/workshop/
  (gitignored) to look at.
- Moving the SLA lever changes the headline; moving it between two targets reps already keep
  says why nothing changed.

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
from alignsim.workshop import charts, words

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
ARTEFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "workshop"
"""Where the screenshots go (gitignored)."""

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
    headline = page.locator(".as-headline")  # type: ignore[attr-defined]
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


def _browser(playwright: object, tmp_path: Path, size: tuple[int, int]) -> object:
    return playwright.chromium.launch_persistent_context(  # type: ignore[attr-defined]
        str(tmp_path / "profile"),
        executable_path=str(CHROMIUM),
        headless=True,
        args=FLAGS,
        viewport={"width": size[0], "height": size[1]},
    )


def _opened(page: object, server: str) -> None:
    """The page, past its opening view, scrolled to the top."""
    from playwright.sync_api import expect

    page.goto(server)  # type: ignore[attr-defined]
    start = page.get_by_role("button", name="Start")  # type: ignore[attr-defined]
    expect(start).to_be_visible(timeout=WAIT_MS)
    question = page.get_by_text("How much revenue does current lose a year")  # type: ignore[attr-defined]
    expect(question).to_be_visible()
    start.click()
    expect(start).to_have_count(0, timeout=WAIT_MS)
    _settled(page)
    expect(_chart(page, "Where the loss comes from")).to_be_visible(timeout=WAIT_MS)
    page.evaluate(  # type: ignore[attr-defined]
        "() => document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; })"
    )


def _chart(page: object, title: str) -> object:
    """The SVG of the chart whose title starts with `title`."""
    return page.locator("svg").filter(has=page.locator("text", has_text=title))  # type: ignore[attr-defined]


def _texts(chart: object) -> list[dict[str, object]]:
    """Every text of an SVG chart: its words, font size (px) and box in the viewport."""
    return chart.evaluate(  # type: ignore[attr-defined]
        """svg => [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => {
            const r = t.getBoundingClientRect();
            return {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize),
                    left: r.left, right: r.right, top: r.top, bottom: r.bottom};
        })"""
    )


def _inside(box: dict[str, float], outer: dict[str, float], what: str) -> None:
    slack = 1.0
    assert box["left"] >= outer["left"] - slack, f"{what} cut on the left: {box} in {outer}"
    assert box["right"] <= outer["right"] + slack, f"{what} cut on the right: {box} in {outer}"
    assert box["top"] >= outer["top"] - slack, f"{what} cut at the top: {box} in {outer}"
    assert box["bottom"] <= outer["bottom"] + slack, f"{what} cut at the bottom: {box} in {outer}"


def _box(locator: object) -> dict[str, float]:
    b = locator.bounding_box()  # type: ignore[attr-defined]
    assert b is not None
    return {
        "left": b["x"],
        "right": b["x"] + b["width"],
        "top": b["y"],
        "bottom": b["y"] + b["height"],
    }


def _legible(chart: object, what: str) -> list[dict[str, object]]:
    """Every text of a chart at least FONT_PX and inside the chart and the viewport's width."""
    outer = _box(chart)
    texts = _texts(chart)
    assert texts, f"{what}: no text"
    for t in texts:
        assert float(t["px"]) >= charts.FONT_PX, f"{what}: {t['text']!r} at {t['px']} px"
        _inside(t, outer, f"{what}: {t['text']!r}")  # type: ignore[arg-type]
    return texts


@pytest.mark.parametrize("size", [(1440, 900), (1024, 768)], ids=["1440x900", "1024x768"])
def test_the_headline_and_the_charts_are_legible_and_unclipped(
    server: str, tmp_path: Path, size: tuple[int, int]
) -> None:
    from playwright.sync_api import sync_playwright

    width, height = size
    screen = {"left": 0.0, "right": float(width), "top": 0.0, "bottom": float(height)}
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = _browser(playwright, tmp_path, size)
        try:
            page = browser.new_page()  # type: ignore[attr-defined]
            _opened(page, server)
            number = page.locator(".as-number")
            assert number.inner_text().startswith("EUR ")
            for part in (".as-label", ".as-number", ".as-interval"):
                _inside(_box(page.locator(part)), screen, part)  # above the fold, uncut
            levers = _chart(page, "Where the loss comes from")
            _inside(_box(levers), screen, "the chart by lever")  # above the fold
            shown = {str(t["text"]) for t in _legible(levers, "the chart by lever")}
            assert set(words.LEVERS.values()) <= shown
            page.screenshot(path=str(ARTEFACTS / f"page-{width}x{height}.png"))

            funnel = _chart(page, "Marketing's leads a year")
            funnel.scroll_into_view_if_needed()
            shown = {str(t["text"]) for t in _legible(funnel, "the funnel")}
            assert set(words.STAGES.values()) <= shown
            _inside(_box(funnel), {**screen, "top": 0.0, "bottom": 1e9}, "the funnel")
            causes = _chart(page, "Where the deals were lost")
            causes.scroll_into_view_if_needed()
            _legible(causes, "the causes")
            page.screenshot(path=str(ARTEFACTS / f"page-{width}x{height}-full.png"), full_page=True)
        finally:
            browser.close()  # type: ignore[attr-defined]


def test_moving_the_sla_changes_the_headline_or_says_why_not(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = _browser(playwright, tmp_path, (1440, 900))
        try:
            page = browser.new_page()  # type: ignore[attr-defined]
            _opened(page, server)
            opened = _settled(page)
            assert opened.startswith("Revenue current loses a year against aligned\n\nEUR ")

            page.get_by_role("button", name="Reset every control to aligned").click()
            zero = "EUR 0 a year"
            expect(page.locator(".as-number")).to_have_text(zero, timeout=WAIT_MS)
            zero = _settled(page)

            # The aligned policy's four reps answer every target from 4h to 16h in time: the
            # second move changes no lead, and the page says why in the run's figures.
            _slide(page, "How fast reps must call a new lead", "ArrowLeft", "4h")
            _slide(page, "How fast reps must call a new lead", "ArrowLeft", "8h")
            why = page.get_by_text("The SLA changes nothing here: reps answer in")
            expect(why).to_be_visible(timeout=WAIT_MS)
            assert "% busy" in why.inner_text()
            page.screenshot(path=str(ARTEFACTS / "sla-already-kept.png"))
            page.get_by_role("button", name="Reset every control to aligned").click()
            expect(page.locator(".as-number")).to_have_text("EUR 0 a year", timeout=WAIT_MS)

            _slide(
                page, "Sales reps answering leads", "ArrowLeft", "1"
            )  # 4 reps -> 1: leads wait for a rep
            one_rep = _settled(page)
            assert one_rep != zero

            _slide(
                page, "How fast reps must call a new lead", "ArrowLeft", "none"
            )  # the aligned targets -> no target
            moved = _settled(page)
            assert moved != one_rep
            assert "a year" in moved
        finally:
            browser.close()  # type: ignore[attr-defined]
