"""The timeline page in a real headless Chromium: one lane per process, a broken page caught."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from timeline_story import timed_story

from lambda_lifecycle.cli import timeline, timeline_plot

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def open_in_chromium(path, profile):
    """The page's DOM after its scripts ran, and Chromium's log (console messages included)."""
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=15000",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout, result.stderr


@pytest.fixture
def chromium():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test: install Debian's chromium (apt-get install -y chromium)")
        pytest.skip("no chromium on PATH: apt-get install -y chromium (Debian) to run the browser test")
    return CHROMIUM


def drawn_lanes(dom):
    """How many lane bars the SVG holds: the paths of the mark group Vega names after the layer."""
    start = dom.index('class="mark-rect role-mark lanes_marks"')
    return dom[start : dom.index("</g>", start)].count("<path")


def test_the_page_draws_one_lane_per_process_in_a_real_browser(chromium, tmp_path):
    page = tmp_path / "timeline.html"
    page.write_text(timeline_plot.to_html(timeline.build(timed_story(), title="orders")), encoding="utf-8")
    dom, log = open_in_chromium(page, tmp_path / "profile")
    assert 'data-lanes="5" data-drawn="5"' in dom
    assert drawn_lanes(dom) == 5
    assert dom.count("<path") > 5  # the invocations and ends, besides the lanes
    assert [line for line in log.splitlines() if ":CONSOLE" in line] == []


def test_a_broken_page_is_caught_by_the_browser_check(chromium, tmp_path):
    # The check above must be able to fail: a page that cannot draw logs a console error.
    page = tmp_path / "broken.html"
    html = timeline_plot.to_html(timeline.build(timed_story()))
    page.write_text(html.replace('"#chart"', '"#no-such-element"', 1), encoding="utf-8")
    dom, log = open_in_chromium(page, tmp_path / "profile")
    assert 'data-drawn=""' in dom
    assert any(":CONSOLE" in line for line in log.splitlines())
