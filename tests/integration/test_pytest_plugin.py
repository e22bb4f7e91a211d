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
    # /tmp is the environment's own 512 MB, not the host's disk: only what was written counts.
    assert (first["TmpUsed"], second["TmpUsed"]) == (0, 5)
    assert abs(second["TmpUsedPercent"] - 100 * 5 / 512) < 0.1
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


CART_HANDLER = """
import lambda_lifecycle

lambda_lifecycle.bootstrap(service="cart")
closed = []


@lambda_lifecycle.on_shutdown
def close():
    closed.append(True)


@lambda_lifecycle.instrument
def lambda_handler(event, context):
    return {"ok": True}
"""

CART_TESTS = """
import handler  # the README's way of importing: its bootstrap() and hook belong to no environment


def test_loaded_in_the_environment(lifecycle):
    cart = lifecycle.load("handler.py")
    lifecycle.invoke(cart.lambda_handler)
    lifecycle.shutdown()
    assert lifecycle.records[0]["service"] == "cart"
    assert cart.closed == [True]
    assert (lifecycle.shutdowns[0]["hooks_run"], lifecycle.shutdowns[0]["hooks_failed"]) == (1, 0)


def test_a_dotted_name_and_a_new_environment(lifecycle):
    first = lifecycle.load("handler")
    lifecycle.new_environment()  # imports it again: a new init
    second = lifecycle.module("handler")
    assert second is not first
    lifecycle.invoke(second.lambda_handler)
    lifecycle.shutdown()
    assert lifecycle.records[0]["service"] == "cart"
    assert lifecycle.shutdowns[0]["hooks_run"] == 1
    assert second.closed == [True] and first.closed == []


def test_imported_at_the_top_only(lifecycle):
    lifecycle.invoke(handler.lambda_handler)
    lifecycle.shutdown()  # the import's hook went with the first test's environment: no warning here
    assert "service" not in lifecycle.records[0]
    assert lifecycle.shutdowns[0]["hooks_run"] == 0


def test_nothing_is_left_in_sys_modules():
    import sys

    assert not [name for name in sys.modules if name.startswith("_lambda_lifecycle_load_")]
"""


def test_a_handler_module_loaded_in_the_environment_keeps_its_init(pytester):
    pytester.makepyfile(handler=CART_HANDLER, test_cart=CART_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:randomly", "-W", "error::lambda_lifecycle.LifecycleWarning")
    result.assert_outcomes(passed=4)


def test_a_handler_beside_its_test_is_found_from_any_directory(pytester):
    sub = pytester.mkpydir("service")
    (sub / "handler.py").write_text(CART_HANDLER)
    (sub / "test_cart.py").write_text(
        "def test_loaded(lifecycle):\n"
        "    cart = lifecycle.load('handler.py')\n"
        "    lifecycle.invoke(cart.lambda_handler)\n"
        "    lifecycle.new_environment()\n"
        "    lifecycle.invoke(lifecycle.module('handler.py').lambda_handler)\n"
        "    assert [r['service'] for r in lifecycle.invocations] == ['cart', 'cart']\n"
    )
    result = pytester.runpytest_subprocess("-q", "service")  # run from the directory above
    result.assert_outcomes(passed=1)


def test_the_shells_settings_do_not_leak_into_the_environment(pytester, monkeypatch):
    # Without its bootstrap(service=...), the handler has no service, whatever the shell says.
    pytester.makepyfile(
        handler=CART_HANDLER.replace('lambda_lifecycle.bootstrap(service="cart")', ""),
        test_cart="""
def test_no_service(lifecycle):
    cart = lifecycle.load("handler.py")
    lifecycle.invoke(cart.lambda_handler)
    assert "service" not in lifecycle.records[0]
""",
    )
    monkeypatch.setenv("LAMBDA_LIFECYCLE_SERVICE", "from-the-shell")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "from-the-shell")
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=1)


def test_the_readme_trap_fails_loudly(pytester):
    pytester.makepyfile(
        handler=CART_HANDLER,
        test_cart="""
import handler


def test_as_the_readme_had_it(lifecycle):
    lifecycle.invoke(handler.lambda_handler)
    lifecycle.shutdown()
    assert lifecycle.records[0]["service"] == "cart"
    assert lifecycle.shutdowns[0]["hooks_run"] == 1
""",
    )
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(['*LifecycleWarning*forgotten*lifecycle.load("handler.py")*'])
