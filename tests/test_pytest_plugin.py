"""The pytest plugin, run as a user's suite would run it (pytester)."""

from __future__ import annotations

USER_TESTS = """
import lambda_lifecycle

calls = []


@lambda_lifecycle.on_shutdown
def close():
    calls.append("closed")


@lambda_lifecycle.instrument
def handler(event, context):
    return {"remaining": context.get_remaining_time_in_millis(), "memory": context.memory_limit_in_mb}


def test_lambda_context_is_realistic(lambda_context):
    result = handler({}, lambda_context)
    assert result["memory"] == "128"  # a string, as the real runtime client gives it
    assert 0 < result["remaining"] <= 3000


def test_a_whole_lifecycle(lifecycle):
    lambda_lifecycle.on_shutdown(calls.append, "hook")
    lifecycle.invoke(handler)
    lifecycle.idle(600)
    lifecycle.write_tmp(5)
    lifecycle.invoke(handler, {"n": 2})
    lifecycle.shutdown()
    first, second = lifecycle.invocations
    assert first["cold_start"] and not second["cold_start"]
    assert second["IdleTime"] >= 600_000
    assert second["TmpUsed"] >= first["TmpUsed"] + 5
    [shutdown] = lifecycle.shutdowns
    assert shutdown["invocations"] == 2
    assert calls[-1] == "hook"


def test_other_init_types_and_a_snapstart_restore(lifecycle):
    lifecycle.new_environment(init_type="provisioned-concurrency", init_duration_ms=900)
    lifecycle.invoke(handler)
    assert lifecycle.invocations[-1]["cold_start"] is False
    assert lifecycle.invocations[-1]["InitDuration"] >= 900
    lifecycle.new_environment(init_type="snap-start")
    before = lambda_lifecycle.environment().container_id
    lifecycle.idle(3600)
    lifecycle.restore()
    lifecycle.invoke(handler)
    record = lifecycle.invocations[-1]
    assert record["restored"] is True
    assert record["container_id"] != before


def test_proactive_init(lifecycle):
    lifecycle.idle(30)  # nobody invoked for half a minute after init
    lifecycle.invoke(handler)
    assert lifecycle.invocations[0]["proactive_init"] is True
"""

UNRELATED_TESTS = """
import os, signal, threading

def test_nothing_is_installed_for_suites_that_do_not_ask():
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert not any(name.startswith(("AWS_LAMBDA_", "LAMBDA_LIFECYCLE_")) for name in os.environ)
    assert not [t for t in threading.enumerate() if t.name.startswith("lambda-lifecycle")]
"""


def test_the_fixtures_drive_a_users_handler(pytester):
    pytester.makepyfile(test_handler=USER_TESTS)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=4)


def test_the_plugin_does_nothing_to_suites_that_do_not_use_it(pytester):
    pytester.makepyfile(test_other=UNRELATED_TESTS)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=1)
    assert "lambda_lifecycle" in "\n".join(pytester.runpytest_subprocess("--trace-config", "-q").outlines)


def test_the_lifecycle_fixture_leaves_nothing_behind(pytester):
    pytester.makepyfile(
        test_order="""
import os
import lambda_lifecycle

def test_first(lifecycle):
    lifecycle.new_environment(init_type="provisioned-concurrency")
    lambda_lifecycle.instrument(lambda e, c: None)({}, None)

def test_after():
    assert "AWS_LAMBDA_INITIALIZATION_TYPE" not in os.environ
    assert "LAMBDA_LIFECYCLE_TMP_PATH" not in os.environ
"""
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
