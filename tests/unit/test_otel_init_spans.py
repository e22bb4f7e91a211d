"""The init record as spans under the first invocation's span: real times, a tree."""

from __future__ import annotations

import pytest
from otel_sdk import Telemetry

from lambda_lifecycle import testing
from lambda_lifecycle._state import Identity, Invocation, Process
from lambda_lifecycle.otel._init_spans import add_init_spans

START = 1_765_000_000.0  # the process started; epoch seconds
RECORD = {
    "event": "init",
    "handler": "handler.lambda_handler",
    "loaded_by": "entry_point",
    "InitDuration": 1414,
    "InitRuntime": 138,
    "InitImports": 750,
    "InitCode": 526,
    "InitWait": 10,
    "imports": [
        {"module": "boto3", "ms": 611.1, "own_ms": 22.1, "share": 43.2, "by": "handler", "at_ms": 150.5},
        {"module": "pricing", "ms": 128.8, "own_ms": 128.8, "share": 9.1, "by": "handler", "at_ms": 770.0},
    ],
    "imports_threshold_ms": 5.0,
    "imports_left_out": 3,
}


@pytest.fixture
def first():
    testing.reset()
    invocation = Invocation(Identity(Process(START, START + 1.414)), 1)
    return invocation


def spans_under(parent_name, record, first):
    telemetry = Telemetry()
    tracer = telemetry.tracer
    with tracer.start_as_current_span(parent_name, start_time=round((START + 1.424) * 1e9)) as parent:
        add_init_spans(telemetry.tracer_provider, parent, record, first, START, START + 1.424)
    return {span["name"]: span for span in telemetry.spans()}


def ms_after_start(ns):
    return round(ns / 1e6 - START * 1000, 1)


def test_the_phases_and_imports_are_a_tree_at_their_real_times(first):
    spans = spans_under("orders", RECORD, first)
    invocation, init, runtime, handler = (spans[n] for n in ("orders", "init", "init runtime", "init handler"))
    assert init["parent_id"] == invocation["span_id"]
    assert runtime["parent_id"] == handler["parent_id"] == init["span_id"]
    assert spans["import boto3"]["parent_id"] == spans["import pricing"]["parent_id"] == handler["span_id"]
    assert spans["init wait"]["parent_id"] == invocation["span_id"]
    assert (ms_after_start(init["start"]), ms_after_start(init["end"])) == (0.0, 1414.0)
    assert (ms_after_start(runtime["start"]), ms_after_start(runtime["end"])) == (0.0, 138.0)
    assert (ms_after_start(handler["start"]), ms_after_start(handler["end"])) == (138.0, 1414.0)
    assert (ms_after_start(spans["import boto3"]["start"]), ms_after_start(spans["import boto3"]["end"])) == (
        150.5,
        761.6,
    )
    assert (ms_after_start(spans["init wait"]["start"]), ms_after_start(spans["init wait"]["end"])) == (1414.0, 1424.0)
    assert handler["attributes"]["lambda_lifecycle.imports_ms"] == 750
    assert handler["attributes"]["lambda_lifecycle.code_ms"] == 526
    assert handler["attributes"]["lambda_lifecycle.imports_left_out"] == 3
    assert spans["import boto3"]["attributes"] == {
        "lambda_lifecycle.import.module": "boto3",
        "lambda_lifecycle.import.ms": 611.1,
        "lambda_lifecycle.import.own_ms": 22.1,
        "lambda_lifecycle.import.share": 43.2,
        "lambda_lifecycle.import.by": "handler",
    }
    assert init["attributes"]["lambda_lifecycle.init_type"] == "on-demand"


def test_a_restore_instead_of_a_wait(first):
    record = {**RECORD, "RestoreToInvoke": 40}
    del record["InitWait"]
    spans = spans_under("orders", record, first)
    assert "init wait" not in spans
    assert (ms_after_start(spans["restore"]["start"]), ms_after_start(spans["restore"]["end"])) == (1384.0, 1424.0)


def test_what_cannot_be_placed_is_left_out(first):
    record = {**RECORD, "imports": [{"module": "boto3", "ms": 611.1}, "not an entry"]}
    assert not [name for name in spans_under("orders", record, first) if name.startswith("import")]
    assert set(spans_under("orders", {"event": "init"}, first)) == {"orders"}


def test_the_first_invocation_only_gets_them_in_both_stackings(lifecycle):
    import lambda_lifecycle
    from lambda_lifecycle import otel
    from lambda_lifecycle._runtime import RUNTIME

    telemetry = Telemetry()
    otel.integrate(tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider)

    def inner(event, context):
        with telemetry.tracer.start_as_current_span("wrapper inside"):
            return event

    inside = lambda_lifecycle.instrument(inner)
    instrumented = lambda_lifecycle.instrument(lambda event, context: event)

    def outside(event, context):
        with telemetry.tracer.start_as_current_span("wrapper outside"):
            return instrumented(event, context)

    for handler in (outside, inside):
        lifecycle.new_environment(init_duration_ms=1414)
        otel.integrate(tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider)
        for listener in RUNTIME.init_listeners:  # as the init anatomy does when the first invocation begins
            listener({**RECORD, "InitWait": 0})
        lifecycle.invoke(handler)
        lifecycle.invoke(handler)
    spans = telemetry.spans()
    for wrapper in ("wrapper outside", "wrapper inside"):
        first, second = (span for span in spans if span["name"] == wrapper)
        children = {span["name"] for span in spans if span["parent_id"] == first["span_id"]}
        assert children == {"init"}, wrapper  # no InitWait: no wait span
        assert not [span for span in spans if span["parent_id"] == second["span_id"]]
        (init,) = (span for span in spans if span["name"] == "init" and span["parent_id"] == first["span_id"])
        assert (init["end"] - init["start"]) / 1e6 == pytest.approx(1414)
        assert init["end"] <= first["start"]  # init was over before the invocation began
