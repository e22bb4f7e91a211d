"""The near-timeout warning: one watchdog thread, armed per invocation, never for a finished one."""

from __future__ import annotations

import threading
import time
from unittest import mock

import pytest

import lambda_lifecycle
from lambda_lifecycle import testing
from lambda_lifecycle.contract import KIND_KEY


def watchdogs():
    return [t for t in threading.enumerate() if t.name == "lambda-lifecycle-watchdog"]


def warnings_in(records):
    return [r for r in records if r[KIND_KEY] == "timeout_warning"]


def test_a_slow_invocation_is_warned_about_with_its_stack(records):
    @lambda_lifecycle.instrument(timeout_warning_ms=300)
    def handler(event, context):
        time.sleep(0.6)  # stuck here

    context = testing.LambdaContext(timeout_s=0.5)
    handler({}, context)
    [warning] = warnings_in(records)
    assert records[-1][KIND_KEY] == "invoke"  # the warning came first, while it ran
    assert warning["request_id"] == context.aws_request_id
    assert warning["invocation"] == 1
    assert warning["container_id"] == records[-1]["container_id"]
    assert 150 <= warning["elapsed_ms"] < 500
    assert 0 < warning["remaining_ms"] <= 350
    assert warning["stack"][0].endswith("in handler: time.sleep(0.6)  # stuck here")
    assert len(warning["stack"]) <= 10
    assert not [line for line in warning["stack"] if "lambda_lifecycle" in line]  # nothing of the SDK's


def test_the_auto_margin_is_at_least_200_ms(records):
    @lambda_lifecycle.instrument
    def handler(event, context):
        time.sleep(0.5)

    handler({}, testing.LambdaContext(timeout_s=0.6))
    [warning] = warnings_in(records)
    assert warning["elapsed_ms"] < 450  # fired about 400 ms in, 200 ms before the deadline


def test_finished_invocations_are_never_warned_about(records):
    handler = lambda_lifecycle.instrument(timeout_warning_ms=50)(lambda event, context: None)
    for _ in range(50):
        handler({}, testing.LambdaContext(timeout_s=0.2))
    time.sleep(0.4)  # every deadline has passed; the frozen time between invocations is like this
    assert warnings_in(records) == []
    assert len(records) == 50


def test_one_watchdog_thread_serves_every_invocation(records):
    handler = lambda_lifecycle.instrument(lambda event, context: None)
    for _ in range(20):
        handler({}, testing.LambdaContext())
    assert len(watchdogs()) == 1
    assert watchdogs()[0].daemon


def test_concurrent_invocations_are_each_watched(records):
    @lambda_lifecycle.instrument(timeout_warning_ms=100)
    def handler(event, context):
        time.sleep(event["sleep"])

    contexts = [testing.LambdaContext(timeout_s=0.4), testing.LambdaContext(timeout_s=5)]
    threads = [
        threading.Thread(target=handler, args=({"sleep": 0.5}, contexts[0])),
        threading.Thread(target=handler, args=({"sleep": 0.1}, contexts[1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [w["request_id"] for w in warnings_in(records)] == [contexts[0].aws_request_id]


@pytest.mark.parametrize("context", [None, {"aws_request_id": "r"}, mock.Mock(), object()])
def test_contexts_without_a_deadline_are_not_watched(records, context):
    lambda_lifecycle.instrument(timeout_warning_ms=1)(lambda event, context: time.sleep(0.05))({}, context)
    assert warnings_in(records) == []
    assert len(records) == 1


@pytest.mark.parametrize("off", [0, "off", False])
def test_the_warning_can_be_switched_off(records, off):
    handler = lambda_lifecycle.instrument(timeout_warning_ms=off)(lambda event, context: time.sleep(0.3))
    handler({}, testing.LambdaContext(timeout_s=0.4))
    assert warnings_in(records) == []


def test_the_margin_comes_from_the_environment_too(records, monkeypatch):
    monkeypatch.setenv("LAMBDA_LIFECYCLE_TIMEOUT_WARNING_MS", "off")
    lambda_lifecycle.instrument(lambda event, context: time.sleep(0.3))({}, testing.LambdaContext(timeout_s=0.4))
    assert warnings_in(records) == []
    # 400 ms before a 500 ms deadline: the default margin (200 ms) would wait until the handler,
    # done after 250 ms, had returned.
    monkeypatch.setenv("LAMBDA_LIFECYCLE_TIMEOUT_WARNING_MS", "400")
    testing.reset()
    lambda_lifecycle.instrument(lambda event, context: time.sleep(0.25))({}, testing.LambdaContext(timeout_s=0.5))
    [warning] = warnings_in(records)
    assert 250 < warning["remaining_ms"] <= 400


def test_a_bad_margin_is_refused_when_decorating():
    with pytest.raises(ValueError, match="timeout_warning_ms"):
        lambda_lifecycle.instrument(timeout_warning_ms=-1)


def test_the_watchdog_survives_a_deadline_beyond_what_a_wait_can_take(records):
    from lambda_lifecycle import _watchdog

    fired = threading.Event()
    dog = _watchdog.start()
    far = dog.arm(time.monotonic() + 1e13, lambda: None)
    time.sleep(0.05)  # let the thread start its wait for the far deadline
    near = dog.arm(time.monotonic() + 0.05, fired.set)
    try:
        assert fired.wait(5)
    finally:
        dog.disarm(far)
        dog.disarm(near)


def test_a_warning_taken_just_as_the_handler_returns_is_not_written(records, monkeypatch):
    from lambda_lifecycle import _measurement, _record

    firing, returned, done = threading.Event(), threading.Event(), threading.Event()
    timeout_record = _record.timeout_record
    warn_timeout = _measurement._warn_timeout

    def slow_timeout_record(*args, **kwargs):
        firing.set()
        assert returned.wait(5)  # the handler has returned and its record is written
        return timeout_record(*args, **kwargs)

    def warn_then_say_so(deadline):
        try:
            warn_timeout(deadline)
        finally:
            done.set()

    monkeypatch.setattr(_record, "timeout_record", slow_timeout_record)
    monkeypatch.setattr(_measurement, "_warn_timeout", warn_then_say_so)

    @lambda_lifecycle.instrument(timeout_warning_ms=100)
    def handler(event, context):
        assert firing.wait(5)
        return "ok"

    assert handler({}, testing.LambdaContext(timeout_s=0.2)) == "ok"
    returned.set()
    assert done.wait(5)
    assert [r[KIND_KEY] for r in records] == ["invoke"]


def test_arming_a_later_deadline_does_not_wake_the_waiting_watchdog():
    # Waking the thread costs the handler a GIL hand-off: the first invocation's deadline, later
    # than the idle thread's next look, must not wake it; an earlier one must, and fires.
    from lambda_lifecycle import _watchdog

    dog = _watchdog.Watchdog()
    for _ in range(500):  # the thread publishes what it waits until, then waits
        if dog._waiting_until != _watchdog._AWAKE:
            break
        time.sleep(0.002)
    woken = []
    notify = dog._cond.notify
    dog._cond.notify = lambda *a: (woken.append(1), notify(*a))  # type: ignore[method-assign]
    far = dog.arm(time.monotonic() + 900, lambda: None)
    assert woken == []
    fired = threading.Event()
    dog.arm(time.monotonic() + 0.01, fired.set)
    assert woken == [1]
    assert fired.wait(5)
    assert dog.disarm(far)
