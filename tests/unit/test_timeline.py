"""lambda-lifecycle timeline: record files read, lanes and marks, the page and the PNG (the page in a
browser is tests/e2e/test_timeline.py)."""

from __future__ import annotations

import json
import struct
import sys
from datetime import datetime, timezone

import pytest
from timeline_story import T0, invoke, shutdown, story, timed_story

from lambda_lifecycle.cli import main, timeline, timeline_plot
from lambda_lifecycle.contract import KIND_KEY, TIMEOUT_WARNING
from lambda_lifecycle.records import read_text


def lanes_by_container(drawn):
    return {lane.container_id: lane for lane in drawn.lanes}


def kinds(lane):
    return [mark.kind for mark in lane.marks]


def test_one_lane_per_process_from_birth_to_end():
    drawn = timeline.build(timed_story(), title="orders")
    lanes = lanes_by_container(drawn)
    assert sorted(lanes) == ["a1", "a2", "b1", "c1", "c2"]
    assert drawn.notes == []
    a1, a2, b1, c1, c2 = (lanes[c] for c in ("a1", "a2", "b1", "c1", "c2"))
    # Born at the record's time minus ContainerAge; invocations end at their record's time.
    assert (a1.birth_ms, b1.birth_ms, c1.birth_ms) == (T0, T0 + 99_000, T0 + 40_000)
    assert [(m.start_ms - T0, m.end_ms - T0) for m in a1.marks[:2]] == [(500, 1_000), (59_960, 60_000)]
    # a1 timed out: its warning, then a2 (a restart of the same environment) re-initialized it.
    assert kinds(a1) == ["cold start", "warm", "warm", "timeout warning", "killed"]
    assert (a1.ended, a1.end_ms) == ("killed", T0 + 183_200)  # the warning's deadline
    assert kinds(a2) == ["re-init", "warm", "shutdown"]
    assert (a2.ended, a2.end_ms, a2.process_restarts) == ("shutdown", T0 + 900_000, 1)
    assert kinds(b1) == ["cold start", "error", "shutdown"]
    # Two Managed Instances workers of one environment: two lanes side by side.
    assert (c1.environment_id, c2.environment_id, c1.worker, c2.worker) == ("envC", "envC", 1, 2)
    assert c1.end_ms == c2.end_ms == T0 + 1_000_000
    # Drawing order: environments by birth, their processes by worker then birth; labels unique.
    assert [lane.container_id for lane in drawn.lanes] == ["a1", "a2", "c1", "c2", "b1"]
    assert len({lane.label for lane in drawn.lanes}) == 5
    hover = a1.marks[1].details
    assert (hover["request_id"], hover["Duration"], hover["IdleTime"], hover["MemoryUsed"]) == (
        "a1-r2",
        40.0,
        59_000,
        60,
    )
    assert a1.details["ended"] == "killed"


def test_records_without_a_time_are_placed_from_their_process():
    # The json and prefixed formats carry no time: the shutdown follows the last invocation by
    # IdleBeforeShutdown, a warning its invocation's start by elapsed_ms.
    records = [r for r in story() if r["container_id"] in ("b1", "c2")]
    invoke = {k: v for k, v in records[1].items() if k != "_aws"}
    records.insert(2, {**invoke, KIND_KEY: TIMEOUT_WARNING, "elapsed_ms": 30, "remaining_ms": 10})
    lanes = lanes_by_container(timeline.build([(None, r) for r in records]))
    b1 = lanes["b1"]
    assert [(m.kind, m.start_ms - T0) for m in b1.marks] == [
        ("cold start", 99_960),
        ("error", 129_960),
        ("timeout warning", 129_990),
        ("shutdown", 400_000),
    ]
    assert lanes["c2"].end_ms == T0 + 52_000 + 948_000
    untimed = [{k: v for k, v in r.items() if k != "_aws"} for r in records]
    drawn = timeline.build([(None, r) for r in untimed])
    assert drawn.lanes == []
    assert "2 process(es) left out" in drawn.notes[0]


def test_a_restart_named_by_the_next_process_is_a_kill_even_without_reinit():
    records = [
        (T0 + 1000, story()[0]),
        (T0 + 9000, {**story()[4], "reinit": False}),  # names a1 with previous_killed
    ]
    assert lanes_by_container(timeline.build(records))["a1"].ended == "killed"
    quiet = [(T0 + 1000, story()[0]), (T0 + 9000, {**story()[4], "reinit": False, "previous_killed": False})]
    assert lanes_by_container(timeline.build(quiet))["a1"].ended == "running"


def test_lanes_are_capped_to_the_newest_with_a_note():
    drawn = timeline.build(timed_story(), max_lanes=2)
    assert [lane.container_id for lane in drawn.lanes] == ["b1", "a2"]  # the two born last, in birth order
    assert drawn.notes == ["drew the 2 newest of 5 processes: narrow the window or raise --max-lanes to see more"]


def test_a_file_of_lines_as_written_reads_the_usual_values_they_leave_out():
    usual = {"process_restarts", "init_type", "cold_start", "proactive_init", "reinit", "restored", "error"}
    warm = {k: v for k, v in invoke("a1", "envA", 60, n=2, age_s=60, idle_ms=59_000).items() if k not in usual}
    end = {k: v for k, v in shutdown("a1", "envA", age_s=100, invocations=1, idle_ms=40_000).items() if k not in usual}
    reading = read_text(f"{json.dumps(warm)}\n{json.dumps(end)}\n")
    records = reading.records
    assert reading.malformed == 0
    assert [(r["init_type"], r["process_restarts"]) for _, r in records] == [("on-demand", 0)] * 2
    assert records[0][1]["cold_start"] is False
    (lane,) = timeline.build(records).lanes
    assert (lane.init_type, lane.process_restarts) == ("on-demand", 0)
    assert lane.marks[0].details["init_type"] == "on-demand"


def test_every_file_shape_is_read():
    invoke, warning, powertools = story()[0], story()[3], dict(story()[1])
    powertools.update(ColdStart=[0.0], Duration=[40.0], ContainerAge=[60.0])  # Powertools writes lists
    request = "8d1f1c3e-0000-4000-8000-000000000001"
    at_183_s = datetime.fromtimestamp((T0 + 183_000) / 1000, tz=timezone.utc).isoformat().replace("+00:00", "Z")
    lines = [
        "START RequestId: 8d1f1c3e Version: $LATEST",
        json.dumps(invoke),
        "METRICS: " + json.dumps(powertools),
        # A Lambda log line: time, request id, level, then the record; the warning takes its time.
        f"{at_183_s}\t{request}\tINFO\t{json.dumps(warning)}",
        json.dumps({"level": "INFO", "message": "an application log line", "event": "checkout"}),
        '{"lambda_lifecycle": "invoke", "container_id": "a1", broken',
        "END RequestId: 8d1f1c3e",
    ]
    reading = read_text("\n".join(lines))
    records = reading.records
    assert reading.malformed == 1
    assert [r[KIND_KEY] for _, r in records] == ["invoke", "invoke", "timeout_warning"]
    assert records[2][0] == T0 + 183_000
    lane = timeline.build(records).lanes[0]
    assert [(m.kind, m.start_ms - T0) for m in lane.marks] == [
        ("cold start", 500),
        ("warm", 59_960),
        ("timeout warning", 183_000),
    ]
    # A CloudWatch export: one JSON document of events, each message a line, each with its time.
    export = {"events": [{"timestamp": T0 + 900_000 + n, "message": json.dumps(r)} for n, r in enumerate(story())]}
    reading = read_text(json.dumps(export, indent=2))
    records = reading.records
    assert (len(records), reading.malformed) == (len(story()), 0)
    assert records[6][0] == T0 + 900_006
    # ... or export objects one per line, and Lambda's JSON log format (the record as message).
    text = "\n".join(json.dumps({"timestamp": "2026-11-22T08:00:00Z", "message": r}) for r in story()[:2])
    assert [r["request_id"] for _, r in read_text(text).records] == ["a1-r1", "a1-r2"]


def process_rows(pairs):
    """What the ``processes`` Logs Insights query returns for these (time, record) pairs."""
    rows = {}
    for at, r in pairs:
        at = at or r["_aws"]["Timestamp"]
        row = rows.setdefault(r["container_id"], {"container_id": r["container_id"], "records": 0, "born": []})
        row["records"] += 1
        row["last_ms"] = max(row.get("last_ms", at), at)
        row["first_ms"] = min(row.get("first_ms", at), at)
        if "ContainerAge" in r:
            row["born"].append(at - r["ContainerAge"] * 1000)
        row["invocations"] = row.get("invocations", 0) + (r[KIND_KEY] == "invoke")
        row["shutdowns"] = row.get("shutdowns", 0) + (r[KIND_KEY] == "shutdown")
        row["reinits"] = row.get("reinits", 0) + bool(r.get("reinit"))
        row["environment"], row["restarts"] = r["environment_id"], r["process_restarts"]
        if "worker" in r:
            row["worker_number"] = r["worker"]
    return [
        {k: str(v) for k, v in row.items() if k != "born"} | {"born_ms": str(min(row["born"]))} for row in rows.values()
    ]


def test_lanes_from_logs_insights_rows_alone():
    rows = process_rows(timed_story())
    drawn = timeline.from_rows(rows, None, title="orders", notes=["lanes only"])
    lanes = lanes_by_container(drawn)
    assert sorted(lanes) == ["a1", "a2", "b1", "c1", "c2"]
    assert (lanes["a1"].ended, lanes["a2"].ended, lanes["c2"].worker) == ("killed", "shutdown", 2)
    assert (lanes["b1"].birth_ms, lanes["b1"].end_ms) == (T0 + 99_000, T0 + 400_000)
    assert drawn.notes == ["lanes only"]
    # A process seen in both halves of a split window is one process.
    early, late = process_rows(timed_story()[:2]), process_rows(timed_story()[2:4])
    [merged] = timeline.merge_processes(early, late)
    assert (merged["records"], merged["first_ms"], merged["last_ms"]) == ("4", str(T0 + 1000), str(T0 + 183_000))
    assert merged["born_ms"] == str(T0)


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_png_has_the_size_the_lanes_need():
    drawn = timeline.build(timed_story())
    width, height = timeline_plot.size(drawn)
    assert (width, height) == (timeline_plot.WIDTH, timeline_plot._CHROME_PX + 5 * timeline_plot.LANE_PX)
    assert png_size(timeline_plot.to_png(drawn)) == (width, height)
    assert png_size(timeline_plot.to_png(drawn, scale=2)) == (2 * width, 2 * height)


def test_the_page_needs_no_network():
    page = timeline_plot.to_html(timeline.build(timed_story(), title="orders </script> & co"))
    assert "<script src" not in page
    assert 'data-lanes="5"' in page
    assert page.count("</script>") == 2  # the spec and the script: no value can end either early
    assert "orders &lt;/script&gt; &amp; co" in page


def test_cli_draws_a_file_of_records(tmp_path, capsys):
    source = tmp_path / "records.log"
    source.write_text("\n".join(json.dumps(r) for r in story()) + "\nnot a record\n", encoding="utf-8")
    out, png = tmp_path / "t.html", tmp_path / "t.png"
    assert main(["timeline", "--input", str(source), "--output", str(out), "--png", str(png)]) == 0
    printed = capsys.readouterr()
    assert f"wrote {out}: 5 processes" in printed.out
    assert 'data-lanes="5"' in out.read_text(encoding="utf-8")
    assert png_size(png.read_bytes())[1] == timeline_plot._CHROME_PX + 5 * timeline_plot.LANE_PX
    # The story's timeout warning has no time here (nor an invocation record): said, not hidden.
    assert "1 timeout warning(s) left out" in printed.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input", "missing.log"], "cannot read missing.log: no such file or directory"),
        (["--input", "empty.log"], "no lambda-lifecycle records with a time in empty.log"),
    ],
)
def test_cli_bad_input_is_one_line(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.log").write_text("hello\n", encoding="utf-8")
    assert main(["timeline", *args]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("lambda-lifecycle: ")
    assert message in line


def test_cli_without_the_extra_says_how_to_get_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "altair", None)  # not installed
    assert main(["timeline", "--input", "x.log"]) == 1
    assert capsys.readouterr().err.strip() == "lambda-lifecycle: " + timeline_plot.NEEDS_EXTRA


def test_cli_needs_one_source(capsys):
    assert main(["timeline", "--function", "orders", "--input", "x.log"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("lambda-lifecycle timeline: error: ")
    assert "--function (read CloudWatch) or --input FILE" in line


class FakeLogs:
    """CloudWatch Logs for the timeline: the log group, the processes query (computed here from
    the story, as Logs Insights would), and the raw events."""

    def __init__(self, pairs):
        self.pairs = [(at or r["_aws"]["Timestamp"], r) for at, r in pairs]
        self.queries, self.fetched = [], []

    def describe_log_groups(self, **kwargs):
        return {"logGroups": [{"logGroupName": "/aws/lambda/orders"}]}

    def start_query(self, **kwargs):
        self.queries.append(kwargs)
        return {"queryId": "1"}

    def get_query_results(self, queryId):
        rows = process_rows(self.pairs)
        return {"status": "Complete", "results": [[{"field": k, "value": v} for k, v in row.items()] for row in rows]}

    def filter_log_events(self, logGroupName, startTime, endTime):
        self.fetched.append((startTime, endTime))
        events = [{"timestamp": at, "message": json.dumps(r)} for at, r in self.pairs if startTime <= at < endTime]
        return {"events": events}


@pytest.fixture
def cloudwatch(monkeypatch):
    from lambda_lifecycle.cli import aws

    fake = FakeLogs(timed_story())
    monkeypatch.setattr(aws, "client", lambda *args: aws.Client(fake))
    return fake


def from_cloudwatch(tmp_path, *args):
    out = tmp_path / "t.html"
    window = ["--start", "2026-11-23T00:00Z", "--end", "2026-11-24T00:00Z"]
    assert main(["timeline", "--function", "orders", *window, "--output", str(out), *args]) == 0
    return out.read_text(encoding="utf-8")


def test_from_cloudwatch_one_query_then_the_records_of_the_drawn_processes(cloudwatch, tmp_path, capsys):
    from lambda_lifecycle.cli import queries

    page = from_cloudwatch(tmp_path)
    assert [q["queryString"] for q in cloudwatch.queries] == [queries.PROCESSES]
    assert cloudwatch.fetched == [(T0 + 1000, T0 + 1_000_001)]  # the first record of a drawn process to the last
    assert 'data-lanes="5"' in page
    assert "killed" in page  # a1, known only from the records
    assert "wrote" in capsys.readouterr().out


def test_from_cloudwatch_above_max_marks_lanes_only_with_a_note(cloudwatch, tmp_path, capsys):
    page = from_cloudwatch(tmp_path, "--max-marks", "3", "--max-lanes", "4")
    assert cloudwatch.fetched == []
    assert 'data-lanes="4"' in page
    err = capsys.readouterr().err
    assert "drew the 4 newest of 5 processes" in err
    assert "above --max-marks 3: lanes only" in err
    assert "above --max-marks 3: lanes only" in page


def test_from_cloudwatch_with_the_fetch_engine_reads_the_records_alone(cloudwatch, tmp_path):
    # No Logs Insights query: every record of the window, fetched, as `report --engine fetch` does.
    window_ms = (1_795_392_000_000, 1_795_478_400_000)  # 2026-11-23T00:00Z to 2026-11-24T00:00Z
    page = from_cloudwatch(tmp_path, "--engine", "fetch")
    assert cloudwatch.queries == []
    assert cloudwatch.fetched == [window_ms]
    assert 'data-lanes="5"' in page
    assert "killed" in page


def test_from_cloudwatch_lambdas_own_lines_mark_their_kills(monkeypatch, tmp_path):
    # The insights engine fetches the drawn processes' lines: Lambda's REPORT among them says why a1 ended.
    import platform_samples

    from lambda_lifecycle.cli import aws

    class WithLambdasLines(FakeLogs):
        def filter_log_events(self, logGroupName, startTime, endTime):
            found = super().filter_log_events(logGroupName, startTime, endTime)
            return {
                "events": [*found["events"], {"timestamp": T0 + 185_000, "message": platform_samples.REPORT_TIMEOUT}]
            }

    monkeypatch.setattr(aws, "client", lambda *args: aws.Client(WithLambdasLines(timed_story())))
    page = from_cloudwatch(tmp_path)
    assert "cause: timeout" in page
    assert "ended: killed: timeout" in page
