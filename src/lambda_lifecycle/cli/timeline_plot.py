"""The timeline drawn with Vega-Altair: one self-contained HTML page (its JavaScript inlined, so it
works offline) or a PNG, both rendered by ``vl-convert-python`` without a browser. Needs the
``[timeline]`` extra; nothing else imports this module.
"""

from __future__ import annotations

import functools
import html
import json
from datetime import datetime, timezone

from .errors import MissingExtra
from .timeline.model import (
    COLD,
    ERROR,
    INIT_CODE,
    INIT_FAILED,
    INIT_IMPORTS,
    INIT_PHASES,
    INIT_RUNTIME,
    KILLED,
    KINDS,
    REINIT,
    SHUT,
    TIMEOUT,
    WARM,
    Timeline,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _missing() -> MissingExtra:
    return MissingExtra("drawing the timeline needs Vega-Altair", "timeline")


NEEDS_EXTRA = str(_missing())

WIDTH = 1000
LANE_PX = 22
_CHROME_PX = 130  # title, notes, the time axis and the legend, besides the lanes
_STYLE = {  # kind: (colour, symbol)
    COLD: ("#1f77b4", "triangle-up"),
    REINIT: ("#ff7f0e", "diamond"),
    WARM: ("#7f7f7f", "circle"),
    ERROR: ("#d62728", "cross"),
    TIMEOUT: ("#9467bd", "triangle-down"),
    SHUT: ("#2ca02c", "square"),
    KILLED: ("#8c564b", "cross"),
    INIT_FAILED: ("#17becf", "triangle-right"),
    INIT_RUNTIME: ("#c7c7c7", "square"),
    INIT_IMPORTS: ("#e377c2", "square"),
    INIT_CODE: ("#bcbd22", "square"),
}
_INIT = [kind for kind, _ in INIT_PHASES]
# Marks of one lane can fall on one instant (an invocation and the kill or shutdown after it, a
# timeout warning and the kill, a failed init and its re-run): warnings and failed inits sit above
# the lane's line, invocations on it, ends below it, and ends are drawn hollow, on top.
_ROWS = ("above", "on", "below")
_ROW = {COLD: "on", REINIT: "on", WARM: "on", ERROR: "on", TIMEOUT: "above", INIT_FAILED: "above"}
_ENDS = (SHUT, KILLED, INIT_FAILED)
_AT_END = (KILLED, INIT_FAILED)  # marked where they ended (the platform line's time), not where they began
_SECOND, _DAY = 1000, 86_400_000


def require() -> None:
    """Raise :class:`MissingExtra` unless the ``[timeline]`` extra is installed."""
    try:
        import altair  # noqa: F401
        import vl_convert  # noqa: F401
    except ImportError:
        raise _missing() from None


def size(timeline: Timeline) -> tuple[int, int]:
    """The picture's width and height in pixels (at scale 1)."""
    return WIDTH, _CHROME_PX + LANE_PX * max(1, len(timeline.lanes))


def _hover(details: dict[str, object]) -> str:
    return "\n".join(f"{k}: {'; '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in details.items())


def _datasets(timeline: Timeline) -> dict[str, list[dict[str, object]]]:
    """The chart's data: the lanes, and every mark."""
    marks = [
        {
            "lane": lane.label,
            "kind": m.kind,
            "start": m.start_ms,
            "end": m.end_ms,
            "at": m.end_ms if m.kind in _AT_END else m.start_ms,
            "row": _ROW.get(m.kind, "below"),
            "details": _hover(m.details),
        }
        for lane in timeline.lanes
        for m in lane.marks
    ]
    marks.sort(key=lambda m: m["kind"] != WARM)  # drawn in order: the rarer kinds on top
    return {
        "lanes": [
            {"lane": lane.label, "start": lane.birth_ms, "end": lane.end_ms, "details": _hover(lane.details)}
            for lane in timeline.lanes
        ],
        "marks": marks,
    }


def _has_init(timeline: Timeline) -> bool:
    return any(m.kind in _INIT for lane in timeline.lanes for m in lane.marks)


def chart(timeline: Timeline) -> Any:
    """The Altair chart, its data by name (``_datasets``): a thin line per process from birth to end
    (frozen between invocations), a thick bar while an invocation runs, and a symbol per
    invocation, warning and end."""
    try:
        import altair as alt
    except ImportError:
        raise _missing() from None

    width, height = size(timeline)
    order = [lane.label for lane in timeline.lanes]
    y = alt.Y("lane:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    time_format, title = _time_axis(timeline)
    axis = alt.Axis(format=time_format, values=_ticks(timeline.start_ms, timeline.end_ms), labelOverlap=False)
    x = alt.X("start:T", scale=alt.Scale(type="utc", padding=12), title=title, axis=axis)
    at = alt.X("at:T", scale=alt.Scale(type="utc", padding=12), title=title, axis=axis)
    tooltip = [alt.Tooltip("lane:N"), alt.Tooltip("details:N", title="")]
    colour = alt.Color(
        "kind:N",
        title=None,
        scale=alt.Scale(domain=list(KINDS), range=[_STYLE[k][0] for k in KINDS]),
        legend=alt.Legend(orient="bottom", columns=len(KINDS)),
    )
    shape = alt.Shape("kind:N", scale=alt.Scale(domain=list(KINDS), range=[_STYLE[k][1] for k in KINDS]))
    lives = (
        alt.Chart(alt.NamedData(name="lanes"), name="lanes")
        .mark_bar(height=2, color="#bbbbbb")
        .encode(x=x, x2="end:T", y=y, tooltip=tooltip)
    )
    running = (
        alt.Chart(alt.NamedData(name="marks"), name="running")
        .transform_filter(alt.FieldOneOfPredicate(field="kind", oneOf=[COLD, REINIT, WARM, ERROR, KILLED, INIT_FAILED]))
        .mark_bar(height=12, opacity=0.5)
        .encode(x=x, x2="end:T", y=y, color=colour, tooltip=tooltip)
    )
    init = (
        alt.Chart(alt.NamedData(name="marks"), name="init")
        .transform_filter(alt.FieldOneOfPredicate(field="kind", oneOf=_INIT))
        .mark_bar(height=8, opacity=0.9)
        .encode(x=x, x2="end:T", y=y, color=colour, tooltip=tooltip)
    )
    offset = alt.YOffset("row:N", scale=alt.Scale(domain=list(_ROWS)))
    points = (
        alt.Chart(alt.NamedData(name="marks"), name="marks")
        .transform_filter(alt.FieldOneOfPredicate(field="kind", oneOf=[k for k in KINDS if k not in (*_INIT, *_ENDS)]))
        .mark_point(size=60, filled=True, opacity=0.9)
        .encode(x=at, y=y, yOffset=offset, color=colour, shape=shape, tooltip=tooltip)
    )
    ends = (
        alt.Chart(alt.NamedData(name="marks"), name="ends")
        .transform_filter(alt.FieldOneOfPredicate(field="kind", oneOf=list(_ENDS)))
        .mark_point(size=130, filled=False, strokeWidth=2.5, opacity=1)
        .encode(x=at, y=y, yOffset=offset, color=colour, shape=shape, tooltip=tooltip)
    )
    marks = sum(len(lane.marks) for lane in timeline.lanes)
    subtitle = [*timeline.notes, f"{len(timeline.lanes)} process(es), {marks} marks"]
    return (
        # The init layer only where there are init records: an empty layer has no extent to draw.
        alt.layer(lives, *([init] if _has_init(timeline) else []), running, points, ends)
        .properties(
            title=alt.Title(timeline.title or "lambda-lifecycle timeline", subtitle=subtitle),
            width=width,
            height=height,
            autosize=alt.AutoSizeParams(type="fit", contains="padding"),
        )
        .configure_view(stroke=None)
    )


_STEPS_MS = (
    *(n for n in (1, 2, 5, 10, 20, 50, 100, 200, 250, 500)),
    *(n * _SECOND for n in (1, 2, 5, 10, 15, 30)),
    *(n * 60 * _SECOND for n in (1, 2, 5, 10, 15, 30)),
    *(n * 3600 * _SECOND for n in (1, 2, 3, 6, 12)),
    *(n * _DAY for n in (1, 2, 7, 14, 30)),
)


def _ticks(start_ms: int, end_ms: int, most: int = 10) -> list[dict[str, int | bool]]:
    """Round times for the axis, at most ``most`` of them and at least two, at any span: from a
    run of milliseconds to weeks (Vega's own choice left long stretches unlabelled). As Vega-Lite
    date-times in UTC: it reads a bare number there as a year."""
    span = max(1, end_ms - start_ms)
    step = next((s for s in _STEPS_MS if span / s <= most), _STEPS_MS[-1])
    first = -(-start_ms // step) * step
    ticks = list(range(first, end_ms + 1, step)) or [start_ms, end_ms]
    return [_datetime(ms) for ms in ticks]


def _datetime(ms: int) -> dict[str, int | bool]:
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return {
        "utc": True,
        "year": moment.year,
        "month": moment.month,
        "date": moment.day,
        "hours": moment.hour,
        "minutes": moment.minute,
        "seconds": moment.second,
        "milliseconds": ms % 1000,
    }


def _time_axis(timeline: Timeline) -> tuple[str, str]:
    """The time axis's label format and title for the span drawn: milliseconds for a local run of
    a few seconds, the day on every label for a span of days, the day in the title otherwise."""
    span = timeline.end_ms - timeline.start_ms
    day = datetime.fromtimestamp(timeline.start_ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d")
    if span < 60 * _SECOND:
        return "%H:%M:%S.%L", f"time (UTC), {day}"
    if span < _DAY:
        return "%H:%M:%S", f"time (UTC), {day}"
    return "%b %d %H:%M", "time (UTC)"


def _spec(timeline: Timeline, width: int | str = WIDTH) -> dict[str, Any]:
    """The Vega-Lite spec with its data. The data is added after Altair has built (and validated)
    the chart: validating every value of a large timeline would take seconds."""
    spec: dict[str, Any] = chart(timeline).to_dict()
    spec["datasets"] = _datasets(timeline)
    spec["width"] = width
    return spec


_SNIPPET = """
const root = document.getElementById("lambda-lifecycle-timeline");
const spec = JSON.parse(document.getElementById("spec").textContent);
vegaEmbed("#chart", spec, {renderer: "svg", actions: false})
  .then(() => { root.dataset.drawn = String(root.querySelectorAll("g.lanes_marks path").length); })
  .catch((error) => console.error(error));
"""


@functools.lru_cache(maxsize=1)
def _bundle() -> str:
    """Vega, Vega-Lite, Vega-Embed and the page's snippet as one script (the same for every page;
    building it takes seconds)."""
    bundle: str = _vl_convert().javascript_bundle(_SNIPPET)
    return bundle


def _vl_convert() -> Any:
    try:
        import vl_convert
    except ImportError:
        raise _missing() from None
    return vl_convert


def to_html(timeline: Timeline) -> str:
    """One page, its JavaScript inlined: it opens offline. The page says how many lanes it draws
    (``data-lanes`` on ``#lambda-lifecycle-timeline``) and, once drawn, how many it drew
    (``data-drawn``)."""
    # The spec is data, not code: a JSON script block the snippet reads, so the bundle stays the
    # same for every page. "</" is escaped (JSON allows "<\/") so no value can end the block.
    # The page's chart takes the window's width ("container"); the PNG has a width of its own.
    spec = json.dumps(_spec(timeline, "container"), separators=(",", ":")).replace("</", "<\\/")
    script = _bundle()
    notes = "".join(f"<p class='note'>{html.escape(note)}</p>" for note in timeline.notes)
    title = html.escape(timeline.title or "lambda-lifecycle timeline")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>body {{ font-family: sans-serif; margin: 1em; }} .note {{ color: #8a4b00; }} #chart {{ width: 100%; }}</style>
</head>
<body>
<div id="lambda-lifecycle-timeline" data-lanes="{len(timeline.lanes)}" data-drawn="">{notes}<div id="chart"></div></div>
<script type="application/json" id="spec">{spec}</script>
<script type="module">
{script}
</script>
</body>
</html>
"""


def to_png(timeline: Timeline, scale: float = 1.0) -> bytes:
    """The picture as PNG bytes, ``size()`` times ``scale`` pixels."""
    data: bytes = _vl_convert().vegalite_to_png(_spec(timeline), scale=scale)
    return data
