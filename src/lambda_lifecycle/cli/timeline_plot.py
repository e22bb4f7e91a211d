"""The timeline drawn with Vega-Altair: one self-contained HTML page (its JavaScript inlined, so it
works offline) or a PNG, both rendered by ``vl-convert-python`` without a browser. Needs the
``[timeline]`` extra; nothing else imports this module.
"""

from __future__ import annotations

import functools
import html
import json

from .errors import MissingExtra
from .timeline import (
    COLD,
    ERROR,
    INIT_CODE,
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
    INIT_RUNTIME: ("#c7c7c7", "square"),
    INIT_IMPORTS: ("#e377c2", "square"),
    INIT_CODE: ("#bcbd22", "square"),
}
_INIT = [kind for kind, _ in INIT_PHASES]


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
        {"lane": lane.label, "kind": m.kind, "start": m.start_ms, "end": m.end_ms, "details": _hover(m.details)}
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
    # A local run lasts a few seconds: ticks without milliseconds would all read the same second.
    short = timeline.end_ms - timeline.start_ms < 60_000
    time_format = "%H:%M:%S.%L" if short else "%H:%M:%S"
    x = alt.X("start:T", scale=alt.Scale(type="utc", padding=12), title="time (UTC)", axis=alt.Axis(format=time_format))
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
        .transform_filter(alt.FieldOneOfPredicate(field="kind", oneOf=[COLD, REINIT, WARM, ERROR]))
        .mark_bar(height=12, opacity=0.7)
        .encode(x=x, x2="end:T", y=y, color=colour, tooltip=tooltip)
    )
    init = (
        alt.Chart(alt.NamedData(name="marks"), name="init")
        .transform_filter(alt.FieldOneOfPredicate(field="kind", oneOf=_INIT))
        .mark_bar(height=8, opacity=0.9)
        .encode(x=x, x2="end:T", y=y, color=colour, tooltip=tooltip)
    )
    points = (
        alt.Chart(alt.NamedData(name="marks"), name="marks")
        .transform_filter(alt.FieldOneOfPredicate(field="kind", oneOf=[k for k in KINDS if k not in _INIT]))
        .mark_point(size=70, filled=True, opacity=0.9)
        .encode(x=x, y=y, color=colour, shape=shape, tooltip=tooltip)
    )
    marks = sum(len(lane.marks) for lane in timeline.lanes)
    subtitle = [*timeline.notes, f"{len(timeline.lanes)} process(es), {marks} marks"]
    return (
        # The init layer only where there are init records: an empty layer has no extent to draw.
        alt.layer(lives, *([init] if _has_init(timeline) else []), running, points)
        .properties(
            title=alt.Title(timeline.title or "lambda-lifecycle timeline", subtitle=subtitle),
            width=width,
            height=height,
            autosize=alt.AutoSizeParams(type="fit", contains="padding"),
        )
        .configure_view(stroke=None)
    )


def _spec(timeline: Timeline) -> dict[str, Any]:
    """The Vega-Lite spec with its data. The data is added after Altair has built (and validated)
    the chart: validating every value of a large timeline would take seconds."""
    spec: dict[str, Any] = chart(timeline).to_dict()
    spec["datasets"] = _datasets(timeline)
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
    spec = json.dumps(_spec(timeline), separators=(",", ":")).replace("</", "<\\/")
    script = _bundle()
    notes = "".join(f"<p class='note'>{html.escape(note)}</p>" for note in timeline.notes)
    title = html.escape(timeline.title or "lambda-lifecycle timeline")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>body {{ font-family: sans-serif; margin: 1em; }} .note {{ color: #8a4b00; }}</style>
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
