"""The timeline page in a real headless Chromium: one lane per process, a broken page caught."""

from __future__ import annotations

from browser import open_in_chromium
from timeline_story import timed_story

from lambda_lifecycle.cli import timeline, timeline_plot


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
