"""The timeline draws each process's init phases at the start of its lane, the slowest imports on hover."""

from __future__ import annotations

from lambda_lifecycle.cli import timeline
from lambda_lifecycle.cli.queries import PROCESSES
from lambda_lifecycle.contract import INIT, INVOKE, KIND_KEY

IDS = {"container_id": "c1", "environment_id": "e1"}
INIT_RECORD = {
    KIND_KEY: INIT,
    **IDS,
    "InitDuration": 900,
    "InitRuntime": 100,
    "InitImports": 600,
    "InitCode": 200,
    "InitWait": 20,
    "imports": [{"module": "boto3", "ms": 550.0}, {"module": "app.models", "ms": 40.0}],
}
INVOKE_RECORD = {KIND_KEY: INVOKE, **IDS, "invocation": 1, "cold_start": True, "ColdStart": 1, "Duration": 5.0}
INVOKE_RECORD["ContainerAge"] = 1


def test_init_phases_are_segments_from_the_process_start():
    # The init record is written as the first invocation begins (t = 10_000 ms), the invoke record as it ends.
    built = timeline.build([(10_000, INIT_RECORD), (10_005, INVOKE_RECORD)])
    [lane] = built.lanes
    init = [(m.kind, m.start_ms, m.end_ms) for m in lane.marks if m.kind in dict(timeline.INIT_PHASES)]
    start = 10_000 - 20 - 900
    assert init == [
        (timeline.INIT_RUNTIME, start, start + 100),
        (timeline.INIT_IMPORTS, start + 100, start + 700),
        (timeline.INIT_CODE, start + 700, start + 900),
    ]
    assert lane.birth_ms == start  # not the invoke record's rounded ContainerAge (1 s) before it
    [imports] = [m for m in lane.marks if m.kind == timeline.INIT_IMPORTS]
    assert imports.details["slowest imports"] == ["boto3 550.0 ms", "app.models 40.0 ms"]


def test_a_process_without_an_init_record_has_no_init_segments():
    [lane] = timeline.build([(10_005, INVOKE_RECORD)]).lanes
    assert [m.kind for m in lane.marks] == [timeline.COLD]


def test_from_logs_insights_rows_the_phases_start_at_the_lanes_birth():
    row = {
        "container_id": "c1",
        "environment": "e1",
        "born_ms": "1000",
        "first_ms": "2000",
        "last_ms": "3000",
        "invocations": "1",
        "init_runtime": "100",
        "init_imports": "600",
        "init_code": "200",
    }
    [lane] = timeline.from_rows([row], None, title="t").lanes
    assert [(m.kind, m.start_ms, m.end_ms) for m in lane.marks] == [
        (timeline.INIT_RUNTIME, 1000, 1100),
        (timeline.INIT_IMPORTS, 1100, 1700),
        (timeline.INIT_CODE, 1700, 1900),
    ]
    assert "max(InitImports) as init_imports" in PROCESSES
