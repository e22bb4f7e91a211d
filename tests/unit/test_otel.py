"""lambda_lifecycle.otel: the FaaS conventions on the invocation's span and as OTel metrics, in process."""

from __future__ import annotations

import pytest
from otel_sdk import Telemetry

import lambda_lifecycle
from lambda_lifecycle import otel, testing
from lambda_lifecycle._runtime import RUNTIME
from lambda_lifecycle.otel import _attributes as names

MB = 1_048_576


@pytest.fixture
def telemetry(lifecycle):
    """Providers of their own, integrated in the lifecycle's environment."""
    telemetry = Telemetry()
    otel.integrate(tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider)
    return telemetry


def instrumented(fail_on=()):
    @lambda_lifecycle.instrument
    def handler(event, context):
        if event.get("n") in fail_on:
            raise ValueError(f"invocation {event['n']} fails")
        return event

    return handler


def in_span(telemetry, handler):
    """``handler`` called inside a span of its own, as a tracing wrapper outside would."""

    def outer(event, context):
        with telemetry.tracer.start_as_current_span("wrapper"):
            return handler(event, context)

    return outer


def wrapping(telemetry, handler):
    """``handler`` that starts the invocation's span itself, as a tracing wrapper inside would."""

    def inner(event, context):
        with telemetry.tracer.start_as_current_span("wrapper"):
            return handler(event, context)

    return lambda_lifecycle.instrument(inner)


@pytest.mark.parametrize("stacking", ["wrapper outside", "wrapper inside"])
def test_the_invocation_span_gets_the_lifecycle(lifecycle, telemetry, stacking):
    if stacking == "wrapper outside":
        handler = in_span(telemetry, instrumented())
    else:
        handler = wrapping(telemetry, lambda event, context: event)
    context = testing.LambdaContext(function_name="orders", function_version="7", memory_limit_in_mb=256)
    context.invoked_function_arn += ":live"  # invoked through an alias
    lifecycle.invoke(handler, {"n": 1}, context)
    lifecycle.idle(2)
    lifecycle.invoke(handler, {"n": 2}, testing.LambdaContext(function_name="orders", function_version="7"))
    first, second = (span["attributes"] for span in telemetry.spans())
    records = lifecycle.invocations
    assert (first[names.COLDSTART], second[names.COLDSTART]) == (True, False)
    assert first[names.INVOCATION_ID] == context.aws_request_id == records[0]["request_id"]
    assert first[names.RESOURCE_ID] == "arn:aws:lambda:us-east-1:123456789012:function:orders:7"
    assert first[names.INVOKED_ARN] == "arn:aws:lambda:us-east-1:123456789012:function:orders:live"
    assert first[names.ACCOUNT_ID] == "123456789012"
    assert first[names.TRIGGER] == "other"
    assert [first[names.INVOCATION], second[names.INVOCATION]] == [1, 2]
    for attributes, record in zip((first, second), records, strict=True):
        assert attributes[names.ENVIRONMENT_ID] == record["environment_id"]
        assert attributes[names.CONTAINER_ID] == record["container_id"]
        assert attributes[names.INIT_TYPE] == "on-demand"
        assert names.RESTORED not in attributes
        assert names.PROCESS_RESTARTS not in attributes
    assert (first[names.PROACTIVE_INIT], first[names.REINIT]) == (False, False)
    assert first[names.INIT_DURATION_MS] == records[0]["InitDuration"]
    assert names.IDLE_MS not in first
    assert names.INIT_DURATION_MS not in second
    assert second[names.IDLE_MS] == records[1]["IdleTime"] >= 2000
    assert names.PROACTIVE_INIT not in second


def test_memory_and_tmp_go_on_a_span_still_open_at_the_end(lifecycle, telemetry):
    lifecycle.write_tmp(5)
    lifecycle.invoke(in_span(telemetry, instrumented()), {}, testing.LambdaContext(memory_limit_in_mb=256))
    (span,) = telemetry.spans()
    (record,) = lifecycle.invocations
    attributes = span["attributes"]
    assert attributes[names.MEMORY_USED_MB] == record["MemoryUsed"]
    assert attributes[names.MAX_MEMORY_USED_MB] == record["MaxMemoryUsed"]
    assert attributes[names.MEMORY_USED_PERCENT] == record["MemoryUsedPercent"]
    assert attributes[names.TMP_USED_MB] == record["TmpUsed"] >= 5
    assert attributes[names.TMP_USED_PERCENT] == record["TmpUsedPercent"]


@pytest.mark.parametrize(
    ("init_type", "idle_before_first_s", "cold"),
    [
        ("on-demand", 0, True),
        ("on-demand", 11, False),  # a proactive init: nobody waited for it
        ("provisioned-concurrency", 0, False),
        ("lambda-managed-instances", 0, False),
    ],
)
def test_faas_coldstart_follows_the_sdk_rules(lifecycle, init_type, idle_before_first_s, cold):
    lifecycle.new_environment(init_type=init_type)
    telemetry = Telemetry()
    otel.integrate(tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider)
    handler = in_span(telemetry, instrumented())
    lifecycle.idle(idle_before_first_s)
    lifecycle.invoke(handler)
    lifecycle.invoke(handler)
    assert [span["attributes"][names.COLDSTART] for span in telemetry.spans()] == [cold, False]
    assert [r["ColdStart"] for r in lifecycle.invocations] == [int(cold), 0]
    coldstarts = telemetry.metrics().get("faas.coldstarts", {"points": {}})["points"]
    assert coldstarts == ({"other": 1} if cold else {})
    assert telemetry.spans()[0]["attributes"][names.PROACTIVE_INIT] is (idle_before_first_s > 10)


def test_a_snapstart_restore_is_no_cold_start_and_says_restored(lifecycle, monkeypatch):
    import sys
    import types

    hooks = []
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", types.SimpleNamespace(register_after_restore=hooks.append))
    lifecycle.new_environment(init_type="snap-start")
    telemetry = Telemetry()
    otel.integrate(tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider)
    handler = in_span(telemetry, instrumented())
    before = lambda_lifecycle.environment().environment_id
    lifecycle.restore()
    lifecycle.invoke(handler)
    (span,) = telemetry.spans()
    assert span["attributes"][names.COLDSTART] is False
    assert span["attributes"][names.RESTORED] is True
    assert span["attributes"][names.ENVIRONMENT_ID] != before  # renewed after the restore
    assert names.RESTORE_TO_INVOKE_MS in span["attributes"]


def test_metrics_count_invocations_and_errors_with_a_raising_handler(lifecycle, telemetry):
    handler = in_span(telemetry, instrumented(fail_on={2}))
    sqs = {"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}
    lifecycle.invoke(handler, {"n": 1})
    with pytest.raises(ValueError, match="invocation 2 fails"):
        lifecycle.invoke(handler, {"n": 2})
    lifecycle.invoke(handler, {"n": 3})
    lifecycle.invoke(handler, {**sqs, "n": 4})
    found = telemetry.metrics()
    # The conventions count successful invocations in faas.invocations, the others in faas.errors.
    assert found["faas.invocations"]["points"] == {"other": 2, "pubsub": 1}
    assert found["faas.errors"]["points"] == {"other": 1}
    assert found["faas.coldstarts"]["points"] == {"other": 1}
    durations = found["faas.invoke_duration"]["points"]
    assert {trigger: point["count"] for trigger, point in durations.items()} == {"other": 3, "pubsub": 1}
    recorded_s = sum(point["sum"] for point in durations.values())
    assert recorded_s == pytest.approx(sum(r["Duration"] for r in lifecycle.invocations) / 1000, abs=0.001)
    assert durations["other"]["bounds"][:3] == [0.005, 0.01, 0.025]
    memory = found["faas.mem_usage"]["points"]
    assert sum(point["count"] for point in memory.values()) == 4
    # Bytes: the record's whole megabytes, to within their rounding.
    assert memory["pubsub"]["sum"] == pytest.approx(lifecycle.invocations[-1]["MaxMemoryUsed"] * MB, abs=MB / 2)
    assert "faas.timeouts" not in found
    units = {name: metric["unit"] for name, metric in found.items()}
    assert units == {
        "faas.invocations": "{invocation}",
        "faas.errors": "{error}",
        "faas.coldstarts": "{coldstart}",
        "faas.init_duration": "s",
        "faas.invoke_duration": "s",
        "faas.mem_usage": "By",
    }
    assert {metric["scope"] for metric in found.values()} == {"lambda_lifecycle"}


def test_init_duration_is_one_point_per_process_in_seconds(lifecycle):
    lifecycle.new_environment(init_duration_ms=1500)
    telemetry = Telemetry()
    otel.integrate(tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider)
    handler = instrumented()
    for _ in range(3):
        lifecycle.invoke(handler)
    (point,) = telemetry.metrics()["faas.init_duration"]["points"].values()
    assert point["count"] == 1
    # The SDK's own InitDuration, in seconds: the 1.5 s simulated plus the real time the setup
    # above took before the handler was ready, which a loaded machine stretches.
    init_ms = lifecycle.invocations[0]["InitDuration"]
    assert 1500 <= init_ms < 3000
    assert point["sum"] == pytest.approx(init_ms / 1000, abs=0.001)  # the record has whole ms


def test_a_timeout_warning_counts_a_timeout(lifecycle, telemetry):
    import threading

    warned = threading.Event()

    @lambda_lifecycle.instrument(timeout_warning_ms=250)
    def slow(event, context):
        warned.wait(5)  # the watchdog's warning comes 250 ms before the deadline
        return event

    class Warned:
        def begin(self, *facts):
            pass

        def end(self, *facts):
            pass

        def timed_out(self, *facts):
            warned.set()

    RUNTIME.observers.append(Warned())
    lifecycle.invoke(
        in_span(telemetry, slow),
        {"detail-type": "Scheduled Event", "source": "aws.events"},
        testing.LambdaContext(timeout_s=0.5),
    )
    assert warned.is_set()
    assert len(lifecycle.timeout_warnings) == 1
    assert telemetry.metrics()["faas.timeouts"]["points"] == {"timer": 1}


def test_faas_instance_and_max_memory_go_on_the_span_when_the_resource_lacks_them(lifecycle, monkeypatch):
    from opentelemetry.sdk.resources import Resource

    monkeypatch.setenv("AWS_LAMBDA_LOG_STREAM_NAME", "2026/12/07/[$LATEST]0123456789abcdef0123456789abcdef")
    for resource, expected in (
        (
            Resource.get_empty(),
            {names.INSTANCE: "2026/12/07/[$LATEST]0123456789abcdef0123456789abcdef", names.MAX_MEMORY: 256 * MB},
        ),
        (
            Resource({names.MAX_MEMORY: 256}),
            {names.INSTANCE: "2026/12/07/[$LATEST]0123456789abcdef0123456789abcdef", names.MAX_MEMORY: 256 * MB},
        ),  # MB, as another detector writes
        (
            Resource(
                {names.INSTANCE: "2026/12/07/[$LATEST]0123456789abcdef0123456789abcdef", names.MAX_MEMORY: 256 * MB}
            ),
            {},
        ),
    ):
        lifecycle.new_environment()
        telemetry = Telemetry(resource)
        otel.integrate(tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider)
        lifecycle.invoke(in_span(telemetry, instrumented()), {}, testing.LambdaContext(memory_limit_in_mb=256))
        (span,) = telemetry.spans()
        attributes = span["attributes"]
        on_span = {key: attributes[key] for key in (names.INSTANCE, names.MAX_MEMORY) if key in attributes}
        assert on_span == expected


def test_integrate_twice_adds_nothing_and_undo_takes_it_back(lifecycle, telemetry):
    assert otel.integrate()() is None  # a second call: nothing added, nothing to take back
    handler = in_span(telemetry, instrumented())
    lifecycle.invoke(handler)
    assert names.COLDSTART in telemetry.spans()[0]["attributes"]
    for undo in list(RUNTIME.undo):
        undo()
    assert RUNTIME.observers == []
    lifecycle.invoke(handler)
    assert names.COLDSTART not in telemetry.spans()[1]["attributes"]


def test_without_any_span_nothing_fails(lifecycle, telemetry):
    assert lifecycle.invoke(instrumented(), {"n": 1}) == {"n": 1}
    assert telemetry.spans() == []
    assert telemetry.metrics()["faas.invocations"]["points"] == {"other": 1}


def test_the_setting_integrates_at_decoration(lifecycle, monkeypatch):
    monkeypatch.setenv("LAMBDA_LIFECYCLE_OTEL", "true")
    lifecycle.new_environment()
    assert RUNTIME.observers == []
    telemetry = Telemetry()
    handler = in_span(telemetry, instrumented())
    assert [type(observer).__name__ for observer in RUNTIME.observers] == ["OpenTelemetry"]
    lifecycle.invoke(handler)
    assert telemetry.spans()[0]["attributes"][names.COLDSTART] is True


def test_bootstrap_integrates_once(lifecycle):
    lambda_lifecycle.bootstrap(otel=True)
    lambda_lifecycle.bootstrap(otel=True)
    instrumented()
    assert [type(observer).__name__ for observer in RUNTIME.observers] == ["OpenTelemetry"]


def test_the_docs_list_every_attribute_and_metric():
    from pathlib import Path

    page = (Path(__file__).parents[2] / "docs" / "otel.md").read_text()
    documented = [line.split("`")[1] for line in page.splitlines() if line.startswith("| `")]
    attributes = [name for name in documented if name in names.SPAN_ATTRIBUTES]
    assert attributes == list(names.SPAN_ATTRIBUTES)
    from lambda_lifecycle.otel._metrics import FaasMetrics

    made = [instrument.name for instrument in vars(FaasMetrics(Telemetry().meter_provider)).values()]
    metrics = [name for name in documented if name.startswith("faas.") and name not in names.SPAN_ATTRIBUTES]
    assert metrics == made


def test_the_resource_detector_is_named_for_the_sdk(monkeypatch):
    from opentelemetry.sdk.resources import Resource

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "orders")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1769")
    monkeypatch.setenv("AWS_LAMBDA_LOG_STREAM_NAME", "2026/12/07/[3]0123456789abcdef0123456789abcdef")
    monkeypatch.setenv("OTEL_EXPERIMENTAL_RESOURCE_DETECTORS", "lambda_lifecycle")
    attributes = Resource.create().attributes
    assert attributes[names.MAX_MEMORY] == 1769 * MB
    assert attributes[names.INSTANCE] == "2026/12/07/[3]0123456789abcdef0123456789abcdef"
    assert (attributes["faas.name"], attributes["cloud.provider"], attributes["cloud.platform"]) == (
        "orders",
        "aws",
        "aws_lambda",
    )
