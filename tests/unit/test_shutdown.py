"""Shutdown hooks: order, isolation, the time budget, and the record, in-process and in real processes."""

from __future__ import annotations

import json
import signal
import sys
import time

import pytest

import lambda_lifecycle
from lambda_lifecycle import testing
from lambda_lifecycle.contract import KIND_KEY


def shutdown_record(records):
    [record] = [r for r in records if r[KIND_KEY] == "shutdown"]
    return record


def test_hooks_run_last_registered_first_with_their_arguments(records):
    ran = []
    lambda_lifecycle.on_shutdown(ran.append, "first registered")

    @lambda_lifecycle.on_shutdown
    def close():
        ran.append("decorated")

    lambda_lifecycle.on_shutdown(lambda *a, **k: ran.append((a, k)), 1, key="v")
    testing.shutdown()
    assert ran == [((1,), {"key": "v"}), "decorated", "first registered"]
    record = shutdown_record(records)
    assert (record["hooks_run"], record["hooks_failed"], record["hooks_timed_out"], record["hooks_skipped"]) == (
        3,
        0,
        0,
        0,
    )
    assert "hook_errors" not in record


def test_on_shutdown_returns_the_function_and_refuses_what_cannot_be_called():
    def close():
        pass

    assert lambda_lifecycle.on_shutdown(close) is close
    with pytest.raises(TypeError, match="needs a callable"):
        lambda_lifecycle.on_shutdown("close")


def test_a_failing_hook_is_reported_and_the_others_still_run(records):
    ran = []
    lambda_lifecycle.on_shutdown(ran.append, "after")

    @lambda_lifecycle.on_shutdown
    def broken():
        raise ConnectionError("pool already gone")

    @lambda_lifecycle.on_shutdown
    def exits():
        sys.exit(1)  # not even SystemExit stops the others

    testing.shutdown()
    assert ran == ["after"]
    record = shutdown_record(records)
    assert (record["hooks_run"], record["hooks_failed"]) == (3, 2)
    exits_error, broken_error = record["hook_errors"]
    assert exits_error.startswith("test_a_failing_hook_is_reported_and_the_others_still_run.<locals>.exits: SystemExit")
    assert "broken: ConnectionError: pool already gone at " in broken_error
    assert broken_error.endswith(f"test_shutdown.py:{broken.__code__.co_firstlineno + 2}")


def test_a_hook_overrunning_the_budget_is_interrupted_and_the_rest_skipped(records):
    lambda_lifecycle.bootstrap(shutdown_budget_ms=300)
    ran = []
    lambda_lifecycle.on_shutdown(ran.append, "never")

    @lambda_lifecycle.on_shutdown
    def hangs():
        try:
            time.sleep(30)
        except Exception:  # noqa: BLE001 - a hook that swallows errors cannot swallow the interruption
            ran.append("swallowed")

    started = time.monotonic()
    testing.shutdown()
    took = time.monotonic() - started
    assert ran == []
    assert took < 10  # interrupted, not slept out: 30 s would fail this on any machine
    record = shutdown_record(records)
    assert (record["hooks_run"], record["hooks_timed_out"], record["hooks_skipped"]) == (1, 1, 1)
    assert record["hook_errors"] == [
        "test_a_hook_overrunning_the_budget_is_interrupted_and_the_rest_skipped.<locals>.hangs:"
        " still running when the 300 ms budget ended"
    ]
    assert record["shutdown_budget_ms"] == 300
    assert record["ShutdownDuration"] >= 300


def test_the_budget_interruption_leaves_the_users_alarm_handler_in_place():
    def mine(signum, frame):
        pass

    previous = signal.signal(signal.SIGALRM, mine)
    try:
        lambda_lifecycle.on_shutdown(lambda: None)
        with testing.capture():
            testing.shutdown()
        assert signal.getsignal(signal.SIGALRM) is mine
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_an_async_hook_is_reported_not_silently_skipped(records):
    async def close():
        pass

    lambda_lifecycle.on_shutdown(close)
    testing.shutdown()
    [error] = shutdown_record(records)["hook_errors"]
    assert "returned an awaitable" in error
    assert f"at {__file__}:" in error  # the user's hook, not the SDK line that refused it


def test_shutdown_happens_once(records):
    ran = []
    lambda_lifecycle.on_shutdown(ran.append, 1)
    testing.shutdown()
    testing.shutdown("exit")
    assert ran == [1]
    assert len(records) == 1


def test_the_record_says_what_the_environment_served(records, clock, context):
    handler = lambda_lifecycle.instrument(lambda event, context: None)
    for _ in range(3):
        handler({}, context)
        clock.advance(60)
    testing.shutdown()
    invoke, record = records[0], records[-1]
    assert record[KIND_KEY] == "shutdown"
    assert record["reason"] == "SIGTERM"
    assert record["container_id"] == invoke["container_id"]
    assert (record["invocations"], record["in_flight"]) == (3, 0)
    assert record["ContainerAge"] == pytest.approx(180, abs=1)
    assert record["MaxMemoryUsed"] >= invoke["MemoryUsed"]
    assert record["MaxTmpUsed"] == max(r["TmpUsed"] for r in records[:-1])
    assert record["IdleBeforeShutdown"] == pytest.approx(60_000, abs=1000)  # kept warm after the last one
    assert "_aws" not in record  # no metrics: it is for Logs Insights


def test_hooks_of_a_simulated_environment_are_forgotten_by_reset(records):
    ran = []
    lambda_lifecycle.on_shutdown(ran.append, 1)
    testing.reset()
    with pytest.warns(lambda_lifecycle.LifecycleWarning, match=r"the 1 registered .* were forgotten"):
        testing.shutdown()  # loud: a test that imported its handler before the reset lost its hooks
    assert ran == []
    assert shutdown_record(records)["hooks_run"] == 0


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("shutdown_budget_ms", -5, "non-negative"),
        ("handle_sigterm", "perhaps", "true or false"),
        ("run_atexit", 2, "true or false"),
    ],
)
def test_bootstrap_refuses_bad_shutdown_options(name, value, message):
    with pytest.raises(ValueError, match=message):
        lambda_lifecycle.bootstrap(**{name: value})


def test_an_environment_that_served_nothing_or_is_busy_has_no_idle_before_shutdown(records, context):
    testing.shutdown()
    assert "IdleBeforeShutdown" not in shutdown_record(records)
    testing.reset()
    handler = lambda_lifecycle.instrument(lambda event, context: testing.shutdown())
    handler({}, context)  # SIGTERM during an invocation
    busy = [r for r in records if r[KIND_KEY] == "shutdown"][-1]
    assert busy["in_flight"] == 1
    assert "IdleBeforeShutdown" not in busy


def test_idle_before_shutdown_ends_at_the_signal_not_after_the_hooks(records, clock, context):
    lambda_lifecycle.instrument(lambda event, context: None)({}, context)
    clock.advance(5)  # frozen for 5 s, then Lambda shuts the environment down
    lambda_lifecycle.on_shutdown(clock.advance, 0.6)  # a hook that takes 600 ms
    testing.shutdown()
    record = shutdown_record(records)
    assert record["IdleBeforeShutdown"] == pytest.approx(5000, abs=50)
    assert record["ContainerAge"] == 6  # the age is the record's own: after the hooks


def test_the_record_has_the_settings_name_and_version_of_the_handler_that_served(capsys):
    # Outside Lambda (no AWS_LAMBDA_FUNCTION_NAME): only the context knows the function.
    context = testing.LambdaContext(function_name="checkout", function_version="7")
    lambda_lifecycle.instrument(service="cart", format="prefixed")(lambda event, context: None)({}, context)
    testing.shutdown()
    invoke, shutdown = capsys.readouterr().out.splitlines()
    assert invoke.startswith("METRICS: ")
    assert shutdown.startswith("METRICS: ")
    record = json.loads(shutdown.removeprefix("METRICS: "))
    assert record[KIND_KEY] == "shutdown"
    assert (record["service"], record["function_name"], record["function_version"]) == ("cart", "checkout", "7")


def test_the_record_has_the_settings_of_the_handler_that_served_last(records, context):
    cart = lambda_lifecycle.instrument(service="cart")(lambda event, context: None)
    orders = lambda_lifecycle.instrument(service="orders")(lambda event, context: None)
    cart({}, context)
    orders({}, context)
    cart({}, context)
    testing.shutdown()
    assert shutdown_record(records)["service"] == "cart"


def test_before_any_invocation_the_record_has_the_first_handlers_settings(records):
    lambda_lifecycle.instrument(service="cart")(lambda event, context: None)
    lambda_lifecycle.instrument(service="orders")(lambda event, context: None)
    testing.shutdown()
    record = shutdown_record(records)
    assert (record["service"], record["function_name"]) == ("cart", "unknown")
