"""lambda_lifecycle.otel under the real runtime client, stacked both ways with the Lambda instrumentation."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lambda_lifecycle.contract import KIND_KEY
from lambda_lifecycle.local.runtime_api import (
    Function,
    RuntimeAPI,
    kill_environment,
    lambda_environment,
    records,
    start_runtime,
)

ROOT = Path(__file__).parents[2]
APP = Path(__file__).parent / "e2e_app"
MB = 1_048_576
FUNCTION = Function(name="orders", version="3", memory_mb=256)

# The tracing wrapper outside: the instrumentation wraps the decorated handler, as with the layer.
WRAPPER_OUTSIDE = {"ORIG_HANDLER": "otel_functions.decorated"}
# The tracing wrapper inside: lambda-lifecycle instruments the instrumentation's wrapper.
WRAPPER_INSIDE = {"ORIG_HANDLER": "otel_functions.plain", "OTEL_E2E_SDK_OUTSIDE": "true"}
# No code change at all: the layer's wrapper around the SDK's entry point around the plain handler.
ENTRY_POINT = {"ORIG_HANDLER": "lambda_lifecycle.handler.handler", "LAMBDA_LIFECYCLE_HANDLER": "otel_functions.plain"}
STACKINGS = [WRAPPER_OUTSIDE, WRAPPER_INSIDE, ENTRY_POINT]
STACKING_IDS = ["wrapper outside", "wrapper inside", "layer and entry point"]


def start(api, **env):
    """The OpenTelemetry app under awslambdaric against ``api``; returns its process and environment."""
    environment = lambda_environment(
        api,
        LAMBDA_LIFECYCLE_OTEL="true",
        PYTHONPATH=f"{ROOT / 'tests'}:{ROOT / 'examples' / 'otel'}",
        OTEL_SERVICE_NAME="orders",
        **env,
    )
    return start_runtime(APP, "otel_app.lambda_handler", environment), environment


def run(events, *, before_first=None, **env):
    """One runtime process: ``events`` one after the other (each with 30 s to run, or its
    ``timeout_s``), then what the telemetry holds."""
    with RuntimeAPI(FUNCTION) as api:
        process, environment = start(api, **env)
        try:
            if before_first:
                before_first(api)
            for n, event in enumerate(events, start=1):
                api.invoke(event, timeout_s=event.get("timeout_s", 30.0))
                api.wait_done(n)
            telemetry = api.invoke({"telemetry": True})
            api.wait_done(len(events) + 1)
        finally:
            kill_environment(process)
            stdout, stderr = process.communicate(timeout=30)
    assert "Traceback" not in stderr, stderr
    assert "LifecycleWarning" not in stderr, stderr
    assert telemetry.outcome == "response", telemetry.body
    return api, environment, records(stdout), telemetry.body


def of_kind(found, kind):
    return [r for r in found if r[KIND_KEY] == kind]


def lambda_spans(telemetry):
    return [span for span in telemetry["spans"] if span["name"] == FUNCTION.name]


@pytest.mark.parametrize("stacking", STACKINGS, ids=STACKING_IDS)
def test_cold_then_warm_and_the_metrics_with_a_raising_handler(stacking):
    # The fourth comes within 300 ms of its deadline: the SDK's timeout warning, then it returns.
    events = [{"n": 1}, {"n": 2}, {"n": 3, "fail": True}, {"n": 4, "sleep": 0.5, "timeout_s": 0.7}]
    api, environment, found, telemetry = run(events, LAMBDA_LIFECYCLE_TIMEOUT_WARNING_MS="300", **stacking)
    found = of_kind(found, "invoke")
    spans = lambda_spans(telemetry)
    assert len(spans) == len(found) == 4
    attributes = [span["attributes"] for span in spans]
    assert [a["faas.coldstart"] for a in attributes] == [True, False, False, False]
    assert [a["faas.invocation_id"] for a in attributes] == [i.request_id for i in api.invocations[:4]]
    assert {a["cloud.resource_id"] for a in attributes} == {f"{FUNCTION.arn}:3"}
    assert [a["lambda_lifecycle.invocation"] for a in attributes] == [1, 2, 3, 4]
    assert {a["lambda_lifecycle.environment_id"] for a in attributes} == {found[0]["environment_id"]}
    assert attributes[0]["lambda_lifecycle.init_duration_ms"] == found[0]["InitDuration"]
    # The resource, from the detector: the log stream and bytes.
    for span in spans:
        assert span["resource"]["faas.instance"] == environment["AWS_LAMBDA_LOG_STREAM_NAME"]
        assert span["resource"]["faas.max_memory"] == 256 * MB
    if stacking is not WRAPPER_INSIDE:  # the span is still open when the call ends
        assert [a["lambda_lifecycle.memory_used_mb"] for a in attributes] == [r["MemoryUsed"] for r in found]
    else:
        assert not any("lambda_lifecycle.memory_used_mb" in a for a in attributes)

    metrics = telemetry["metrics"]
    assert metrics["faas.invocations"]["points"] == {"other": 3}
    assert metrics["faas.errors"]["points"] == {"other": 1}
    assert metrics["faas.timeouts"]["points"] == {"other": 1}
    assert metrics["faas.coldstarts"]["points"] == {"other": 1}
    (init,) = metrics["faas.init_duration"]["points"].values()
    assert init["count"] == 1
    assert init["sum"] == pytest.approx(found[0]["InitDuration"] / 1000, abs=0.001)
    assert metrics["faas.invoke_duration"]["points"]["other"]["count"] == 4
    assert metrics["faas.mem_usage"]["points"]["other"]["count"] == 4
    assert metrics["faas.invocations"]["resource"]["faas.instance"] == environment["AWS_LAMBDA_LOG_STREAM_NAME"]


def wait_for_init_then(seconds):
    def wait(api):
        api.wait(lambda: bool(api.next_calls), 60)  # the runtime is ready and waiting for work
        time.sleep(seconds)  # nobody invokes: Lambda initialized this environment ahead of demand

    return wait


@pytest.mark.parametrize("stacking", [WRAPPER_OUTSIDE, WRAPPER_INSIDE], ids=["wrapper outside", "wrapper inside"])
@pytest.mark.parametrize("init", ["provisioned concurrency", "proactive init"])
def test_no_cold_start_where_nobody_waited_for_the_init(init, stacking):
    if init == "provisioned concurrency":
        env, wait = {"AWS_LAMBDA_INITIALIZATION_TYPE": "provisioned-concurrency"}, None
    else:
        env, wait = {"LAMBDA_LIFECYCLE_PROACTIVE_INIT_THRESHOLD_MS": "300"}, wait_for_init_then(0.6)
    _, _, found, telemetry = run([{"n": 1}, {"n": 2}], before_first=wait, **env, **stacking)
    found = of_kind(found, "invoke")
    attributes = [span["attributes"] for span in lambda_spans(telemetry)]
    assert [a["faas.coldstart"] for a in attributes] == [False, False]
    assert [r["ColdStart"] for r in found] == [0, 0]
    assert attributes[0]["lambda_lifecycle.proactive_init"] is (init == "proactive init")
    metrics = telemetry["metrics"]
    assert "faas.coldstarts" not in metrics
    (init_duration,) = metrics["faas.init_duration"]["points"].values()
    assert init_duration["count"] == 1


@pytest.mark.parametrize("stacking", [WRAPPER_OUTSIDE, WRAPPER_INSIDE], ids=["wrapper outside", "wrapper inside"])
def test_a_process_that_replaced_a_crashed_one_starts_cold_again(stacking, tmp_path):
    tmp = str(tmp_path)  # one execution environment: its /tmp outlives the crashed process
    with RuntimeAPI(FUNCTION) as api:
        process, _ = start(api, LAMBDA_LIFECYCLE_TMP_PATH=tmp, **stacking)
        try:
            api.invoke({"n": 1})
            api.wait_done(1)
            api.invoke({"n": 2, "exit": True})
            process.wait(30)
        finally:
            kill_environment(process)
            process.communicate(timeout=30)
    _, _, found, telemetry = run([{"n": 3}, {"n": 4}], LAMBDA_LIFECYCLE_TMP_PATH=tmp, **stacking)
    found = of_kind(found, "invoke")
    attributes = [span["attributes"] for span in lambda_spans(telemetry)]
    assert [a["faas.coldstart"] for a in attributes] == [True, False]
    assert attributes[0]["lambda_lifecycle.reinit"] is True
    assert attributes[0]["lambda_lifecycle.process_restarts"] == 1
    assert found[0]["reinit"] is True
    assert telemetry["metrics"]["faas.coldstarts"]["points"] == {"other": 1}


def ms(span):
    return (span["end"] - span["start"]) / 1e6


@pytest.mark.parametrize("stacking", STACKINGS, ids=STACKING_IDS)
def test_the_first_invocations_trace_gets_the_init_at_its_real_times(stacking):
    _, _, found, telemetry = run([{"n": 1}, {"n": 2}], **stacking)
    (init_record,) = of_kind(found, "init")
    spans = telemetry["spans"]
    first, second = lambda_spans(telemetry)
    children = {span["name"]: span for span in spans if span["parent_id"] == first["span_id"]}
    assert {"init", "init wait"} <= set(children)
    assert not [span for span in spans if span["parent_id"] == second["span_id"]]
    init = children["init"]
    assert ms(init) == pytest.approx(init_record["InitDuration"], abs=1)
    assert init["end"] <= first["start"]  # init was over before the invocation began
    under_init = {span["name"]: span for span in spans if span["parent_id"] == init["span_id"]}
    assert ms(under_init["init runtime"]) == pytest.approx(init_record["InitRuntime"], abs=1)
    handler = under_init["init handler"]
    # otel_functions pulls in a module that sleeps 300 ms: its import is the record's, in time.
    # Through the entry point, otel_functions is the handler module: the slow module stands alone.
    module = "otel_slow_import" if stacking is ENTRY_POINT else "otel_functions"
    (entry,) = [entry for entry in init_record["imports"] if entry["module"] == module]
    slow = next(span for span in spans if span["name"] == f"import {module}")
    assert slow["parent_id"] == handler["span_id"]
    assert ms(slow) == pytest.approx(entry["ms"], abs=0.1)
    assert ms(slow) >= 300
    assert (slow["start"] - init["start"]) / 1e6 == pytest.approx(entry["at_ms"], abs=0.1)
    assert handler["start"] <= slow["start"]
    # Decorated as it loads, the handler is ready before its module's import has returned.
    assert slow["end"] <= first["start"]
