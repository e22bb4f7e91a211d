"""Every invocation accounted for, locally end to end: ``lambda-lifecycle run`` under the real runtime
client with invocations that time out, run out of memory (the run's memory limit enforced) and
``os._exit(1)``; ``report --input`` of its output accounts for each by cause, and ``timeline --input``
draws each where Lambda's line puts it, in a real browser."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from browser import CHROMIUM, open_in_chromium

from lambda_lifecycle.cli import main, timeline
from lambda_lifecycle.cli.accounting.event_rows import rows_from_events
from lambda_lifecycle.cli.log_events import environments_of, events_in, records_of

ROOT = Path(__file__).parents[2]
EVENTS = [
    {"n": 1},
    {"n": 2, "sleep": 5},  # past the 3 s timeout
    {"n": 3, "allocate_mb": 300},  # past the 128 MB memory limit
    {"n": 4, "exit": True},  # os._exit(1)
    {"n": 5},
]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("accounted")
    events, output = folder / "events.jsonl", folder / "run.jsonl"
    events.write_text("\n".join(json.dumps(e) for e in EVENTS) + "\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lambda_lifecycle.cli",
            "run",
            "tests/e2e/e2e_app/app.handler",
            "--event",
            str(events),
            "--timeout",
            "3",
            "--runtime",
            "python3.12",
            "--output",
            str(output),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return output


def test_report_input_accounts_for_each_invocation_by_cause(saved, capsys):
    assert main(["report", "--input", str(saved), "--format", "json"]) == 0
    built = json.loads(capsys.readouterr().out)
    accounted = built["accounted"]
    assert (accounted["reported"], accounted["records"]) == (5, 2)
    assert accounted["without_record"] == {"timeout": 1, "out of memory": 1, "runtime exit": 1}
    assert accounted["records_lost"] == 0
    assert accounted["suppressed_inits"] == 3  # after each kill, the next invocation inits again
    assert accounted["environments"] == {"shut_down": 1, "killed": 0, "alive": 0}  # SIGTERM, python3.12
    assert accounted["lambda_init_duration_ms"]["count"] == 1  # the cold start's REPORT carries it
    assert accounted["lambda_max_memory_used_mb"]["max"] == 128  # the out-of-memory kill
    assert accounted["gb_seconds"] == pytest.approx(accounted["billed_ms"] / 1000 * 128 / 1024, abs=1e-6)
    assert built["invocations"] == 2  # the SDK's own count: the records it wrote

    assert main(["report", "--input", str(saved)]) == 0
    table = capsys.readouterr().out
    assert "Lambda reported 5, invoke records 2; without a record: timeout 1, out of memory 1, runtime exit 1" in table


def test_timeline_input_draws_each_kill_where_lambda_put_it(saved, tmp_path):
    events = events_in(saved.read_text())
    _, lines, _ = rows_from_events(events)
    drawn = timeline.build(records_of(events).records, platform=lines, environment_of=environments_of(events))
    kills = [(m.details["cause"], m.end_ms) for lane in drawn.lanes for m in lane.marks if m.kind == timeline.KILLED]
    reports = [line for _, line in lines if line.kind == "report" and line.status != "success"]
    # each kill at its REPORT's time (when the line arrived), in the order they happened
    assert kills == [
        (cause, line.time_ms) for cause, line in zip(["timeout", "out of memory", "runtime exit"], reports, strict=True)
    ]
    ended = [lane.ended for lane in drawn.lanes]
    assert ended.count("killed: timeout") == 1
    assert ended.count("killed: out of memory") == 1
    assert ended.count("killed: runtime exit") == 1
    # every lane is one of the run's environment's processes, each kill on the process it ended (the
    # killed ones wrote their init record, if no invoke record)
    assert {lane.environment_id for lane in drawn.lanes} == set(environments_of(events).values())
    assert [lane.label.split()[-1] for lane in drawn.lanes] == ["0", "1", "2", "3"]

    page = tmp_path / "timeline.html"
    assert main(["timeline", "--input", str(saved), "--output", str(page)]) == 0
    if CHROMIUM is None:
        pytest.skip("no chromium on PATH: apt-get install -y chromium (Debian) to draw the page")
    dom, log = open_in_chromium(page, tmp_path / "profile", window="1400,500")
    assert f'data-lanes="{len(drawn.lanes)}" data-drawn="{len(drawn.lanes)}"' in dom
    start = dom.index('class="mark-symbol role-mark ends_marks"')
    assert dom[start : dom.index("</g>", start)].count("<path") == 4  # three kills and the shutdown, none hidden
    labels = re.findall(r">(\d\d:\d\d:\d\d\.\d{3})<", dom)
    assert len(labels) >= 2  # the time axis labelled, to the millisecond for a run of seconds
    assert [line for line in log.splitlines() if ":CONSOLE" in line] == []
