"""The timeline with Lambda's own lines: killed invocations and failed inits placed at their
platform line's time on their environment's lane, marks that never hide one another, a time axis
labelled at every scale."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from lambda_lifecycle.cli import timeline, timeline_plot
from lambda_lifecycle.contract import KIND_KEY
from lambda_lifecycle.platform_log import PlatformLine

T0 = 1_796_000_000_000


def invoke(container, end_ms, *, n, age_s=0, cold=False, restarts=0):
    return (
        T0 + end_ms,
        {
            KIND_KEY: "invoke",
            "function_name": "f",
            "request_id": f"{container}-{n}",
            "container_id": container,
            "environment_id": "env-a",
            "process_restarts": restarts,
            "invocation": n,
            "cold_start": cold,
            "ColdStart": int(cold),
            "Duration": 5.0,
            "ContainerAge": age_s,
        },
    )


def warning(container, at_ms):
    record = {
        KIND_KEY: "timeout_warning",
        "function_name": "f",
        "request_id": f"{container}-w",
        "container_id": container,
        "environment_id": "env-a",
        "elapsed_ms": 800,
        "remaining_ms": 200,
    }
    return (T0 + at_ms, record)


def report(at_ms, duration_ms, status, error_type=None, request_id="r"):
    line = PlatformLine(
        "report",
        "text",
        time_ms=T0 + at_ms,
        request_id=request_id,
        status=status,
        error_type=error_type,
        duration_ms=duration_ms,
        billed_ms=int(duration_ms),
        memory_mb=128,
        max_memory_mb=128,
    )
    return ("stream-a", line)


def init_report(at_ms, duration_ms, phase, status, error_type):
    line = PlatformLine(
        "init_report",
        "text",
        time_ms=T0 + at_ms,
        status=status,
        error_type=error_type,
        duration_ms=duration_ms,
        phase=phase,
    )
    return ("stream-a", line)


def test_killed_invocations_and_failed_inits_are_placed_on_their_environments_lanes():
    records = [
        invoke("p0", 1_000, n=1, cold=True),
        warning("p0", 2_800),  # the timeout warning, then the kill at 3 s
        warning("p1", 4_800),  # the next process wrote only a warning before running out of memory
    ]
    platform = [
        report(1_000, 5, "success", request_id="p0-1"),
        report(3_005, 2_000, "timeout"),
        report(5_000, 1_900, "error", "Runtime.OutOfMemory"),
        report(6_000, 900, "error", "Runtime.ExitError"),  # a process that wrote nothing
        init_report(6_500, 229.04, "init", "error", "Runtime.ImportModuleError"),
    ]
    drawn = timeline.build(records, platform=platform, environment_of={"stream-a": "env-a"})
    lanes = {lane.container_id: lane for lane in drawn.lanes}
    # the init that failed after the runtime exited is a new process's: a lane of its own
    assert set(lanes) == {"p0", "p1", "no record 1", "no record 2"}
    killed = {
        cid: [(m.start_ms - T0, m.end_ms - T0, m.details["cause"]) for m in lane.marks if m.kind == timeline.KILLED]
        for cid, lane in lanes.items()
        if cid != "no record 2"
    }
    assert killed == {
        "p0": [(1_005, 3_005, "timeout")],
        "p1": [(3_100, 5_000, "out of memory")],
        "no record 1": [(5_100, 6_000, "runtime exit")],
    }
    assert lanes["p0"].ended == "killed: timeout"
    assert lanes["p0"].end_ms == T0 + 3_005  # the kill ends the process, though its warning reached further
    assert lanes["no record 1"].label.endswith("no record 1")
    assert lanes["no record 1"].details["ended"] == "killed: runtime exit"
    assert lanes["no record 2"].details["ended"] == "init error: Runtime.ImportModuleError"
    [failed] = lanes["no record 2"].marks
    assert failed.kind == timeline.INIT_FAILED
    assert (failed.end_ms - T0, failed.details["error type"]) == (6_500, "Runtime.ImportModuleError")
    # The success was not a kill, and no mark says killed twice.
    assert sum(m.kind == timeline.KILLED for lane in drawn.lanes for m in lane.marks) == 3


def test_a_process_known_only_from_lambdas_lines_is_labelled_by_its_log_streams_id():
    # No record names the stream's environment: its lane's label is the stream's id, not its date.
    stream = "2026/12/07/[$LATEST]3223c372f3275303a16bbec93b5ed6e3"
    [(_, line)] = [report(3_005, 2_000, "timeout")]
    [lane] = timeline.build([], platform=[(stream, line)]).lanes
    assert lane.label == "3223c372 no record 1"


def test_marks_at_one_instant_sit_on_rows_of_their_own():
    records = [invoke("p0", 1_000, n=1, cold=True), warning("p0", 1_000)]
    drawn = timeline.build(records, platform=[report(1_000, 5, "timeout")], environment_of={"stream-a": "env-a"})
    marks = timeline_plot._datasets(drawn)["marks"]
    rows = {m["kind"]: m["row"] for m in marks}
    assert rows == {timeline.COLD: "on", timeline.TIMEOUT: "above", timeline.KILLED: "below"}
    # ends are drawn at their end, the rest at their start
    at = {m["kind"]: m["at"] - T0 for m in marks}
    assert at == {timeline.COLD: 995, timeline.TIMEOUT: 1_000, timeline.KILLED: 1_000}


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp() * 1000)


@pytest.mark.parametrize(
    "span_ms",
    [3, 180, 2_850, 59_000, 5 * 60_000, 3 * 3_600_000, 26 * 3_600_000, 3 * 86_400_000, 40 * 86_400_000],
)
def test_the_time_axis_is_labelled_at_every_scale(span_ms):
    start = _ms("2026-12-07T16:25:30.761")
    ticks = timeline_plot._ticks(start, start + span_ms)
    assert 2 <= len(ticks) <= 10
    moments = [
        datetime(
            t["year"], t["month"], t["date"], t["hours"], t["minutes"], t["seconds"], tzinfo=timezone.utc
        ).timestamp()
        * 1000
        + t["milliseconds"]
        for t in ticks
    ]
    assert moments == sorted(set(moments))
    assert all(t["utc"] for t in ticks)


def test_the_page_fills_the_windows_width():
    drawn = timeline.build([invoke("p0", 1_000, n=1, cold=True)])
    page = timeline_plot.to_html(drawn)
    assert '"width":"container"' in page
    assert "#chart { width: 100%; }" in page


def test_an_environments_processes_are_drawn_in_the_order_it_counted_them():
    # A birth is an estimate (here from a ContainerAge that reaches back before p0): the count of
    # processes before each, from its record, orders the lanes, and names the one a restart killed.
    first = invoke("p0", 1_000, n=1, cold=True)
    second = invoke("p1", 4_000, n=1, cold=True, age_s=5, restarts=1)
    second[1].update(previous_container_id="p0", previous_killed=True)
    drawn = timeline.build([first, second])
    assert [lane.container_id for lane in drawn.lanes] == ["p0", "p1"]
    assert drawn.lanes[1].birth_ms < drawn.lanes[0].birth_ms
    assert [lane.label.split()[-1] for lane in drawn.lanes] == ["0", "1"]
    assert drawn.lanes[0].ended == timeline.KILLED


def test_a_kill_goes_to_the_next_process_though_the_last_kills_line_came_after_it_began():
    # Under load Lambda's REPORT of a kill can be written after the next invocation began: the
    # process it ended ran nothing more, so the next kill is the next process's.
    records = [invoke("p0", 1_000, n=1, cold=True), warning("p1", 3_950)]
    platform = [report(4_000, 2_000, "timeout"), report(5_000, 1_900, "error", "Runtime.OutOfMemory")]
    drawn = timeline.build(records, platform=platform, environment_of={"stream-a": "env-a"})
    lanes = {lane.container_id: lane for lane in drawn.lanes}
    assert (lanes["p0"].ended, lanes["p1"].ended) == ("killed: timeout", "killed: out of memory")
    assert all("cause" in m.details for lane in drawn.lanes for m in lane.marks if m.kind == timeline.KILLED)


def test_a_kill_goes_to_the_first_process_born_during_its_invocation_not_the_next_one():
    # The out-of-memory kill's line comes after the next process has begun: of the two born during
    # the killed invocation, the first ran it.
    records = [invoke("p0", 1_000, n=1, cold=True), warning("p1", 3_600), invoke("p2", 4_905, n=1, restarts=2)]
    platform = [report(2_990, 1_985, "timeout"), report(5_000, 2_000, "error", "Runtime.OutOfMemory")]
    before = {lane.container_id: lane.birth_ms - T0 for lane in timeline.build(records).lanes}
    assert 3_000 < before["p1"] < before["p2"] <= 5_000  # both born during the killed invocation
    drawn = timeline.build(records, platform=platform, environment_of={"stream-a": "env-a"})
    lanes = {lane.container_id: lane for lane in drawn.lanes}
    assert (lanes["p0"].ended, lanes["p1"].ended, lanes["p2"].ended) == (
        "killed: timeout",
        "killed: out of memory",
        "running",
    )
