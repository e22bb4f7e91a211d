"""Shutdown hooks: order, isolation, the time budget, and the record, in-process and in real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest

import lambda_lifecycle
from lambda_lifecycle import testing


def shutdown_record(records):
    [record] = [r for r in records if r["event"] == "shutdown"]
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
    assert record["event"] == "shutdown"
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


def start(script: str, *, in_lambda: bool = True, **env: str) -> tuple[subprocess.Popen[str], str]:
    """A fresh Python process running ``script``, which prints "ready" once its hooks are in place.

    ``in_lambda``: as a runtime process in an execution environment (the Runtime API's address
    set, a /tmp of its own, no extension), else a plain script. Returns the process and what it
    printed before "ready".
    """
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_LIFECYCLE_"))}
    if in_lambda:
        environ.update(
            AWS_LAMBDA_RUNTIME_API="127.0.0.1:9",
            LAMBDA_LIFECYCLE_SHUTDOWN_EXTENSION="false",
            LAMBDA_LIFECYCLE_TMP_PATH=tempfile.mkdtemp(prefix="lambda-tmp-"),
        )
    environ.update(env)
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    before = ""
    for line in process.stdout:
        if line == "ready\n":
            return process, before
        before += line
    raise AssertionError(f"never ready: {before} {process.stderr.read() if process.stderr else ''}")


def finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    """The rest of the output and the exit. Not communicate(): it reads the pipes beneath the
    buffer start() read through, and would lose what that buffer already holds."""
    assert process.stdout is not None
    assert process.stderr is not None
    stdout, stderr = process.stdout.read(), process.stderr.read()
    process.wait(30)
    return stdout, stderr


HOOKS = """
    import signal, sys, time
    import lambda_lifecycle

    lambda_lifecycle.bootstrap(handle_sigterm=True, shutdown_budget_ms=400)

    @lambda_lifecycle.on_shutdown
    def slow():
        time.sleep(30)

    @lambda_lifecycle.on_shutdown
    def close_pool():
        print("hook: pool closed", flush=True)

    @lambda_lifecycle.on_shutdown
    def broken():
        raise RuntimeError("boom")

    @lambda_lifecycle.instrument
    def handler(event, context):
        return event
"""


def test_sigterm_runs_the_hooks_within_the_budget_and_ends_the_process(record_property):
    process, _ = start(HOOKS + "\n    handler({}, None)\n    print('ready', flush=True)\n    time.sleep(60)\n")
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    stdout, stderr = finish(process)
    took_ms = (time.monotonic() - started) * 1000
    lines = stdout.splitlines()
    record = json.loads(lines[-1])
    assert process.returncode == -signal.SIGTERM, stderr
    assert lines[0] == "hook: pool closed"  # after broken, which did not stop it
    assert record["reason"] == "SIGTERM"
    assert (record["invocations"], record["hooks_run"], record["hooks_failed"], record["hooks_timed_out"]) == (
        1,
        3,
        1,
        1,
    )
    # Measured and reported, not asserted tightly: the machine is shared.
    record_property("shutdown_ms", record["ShutdownDuration"])
    record_property("sigterm_to_exit_ms", round(took_ms))
    print(f"hooks took {record['ShutdownDuration']} ms of a 400 ms budget; SIGTERM to exit {took_ms:.0f} ms")
    assert record["ShutdownDuration"] < 5000


@pytest.mark.parametrize(
    ("previous", "survives"),
    [
        ("signal.signal(signal.SIGTERM, lambda s, f: print('previous handler', flush=True))", True),
        ("signal.signal(signal.SIGTERM, lambda s, f: sys.exit(7))", False),
        ("signal.signal(signal.SIGTERM, signal.SIG_IGN)", True),
    ],
)
def test_sigterm_then_does_what_the_earlier_disposition_would_have(previous, survives):
    script = f"""
    import signal, sys, time
    {previous}
    import lambda_lifecycle
    lambda_lifecycle.bootstrap(handle_sigterm=True)
    lambda_lifecycle.on_shutdown(print, "hook ran", flush=True)
    print("ready", flush=True)
    time.sleep(2)
    print("still alive", flush=True)
    """
    process, _ = start(script)
    process.send_signal(signal.SIGTERM)
    stdout, _ = finish(process)
    assert stdout.count("hook ran") == 1
    assert stdout.count('"event":"shutdown"') == 1  # and not again at the exit that follows
    assert ("still alive" in stdout) is survives
    if "exit(7)" in previous:
        assert process.returncode == 7


@pytest.mark.parametrize(
    "environment",
    [
        pytest.param({"in_lambda": False}, id="outside-lambda"),
        # python3.11 runtimes wait for events in C, where no Python handler runs: ours would only
        # keep the process from ending on SIGTERM.
        pytest.param(
            {"AWS_EXECUTION_ENV": "AWS_Lambda_python3.11"},
            id="python3.11-runtime",
        ),
    ],
)
def test_sigterm_is_left_alone_where_no_handler_can_run_unless_asked(environment):
    script = """
    import signal, time
    import lambda_lifecycle
    lambda_lifecycle.bootstrap()
    lambda_lifecycle.instrument(lambda e, c: None)
    lambda_lifecycle.on_shutdown(print, "hook ran", flush=True)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    print("ready", flush=True)
    time.sleep(60)
    """
    process, _ = start(script, **environment)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = finish(process)
    assert process.returncode == -signal.SIGTERM, stderr
    assert stdout == ""


NORMAL_EXIT = """
    import atexit
    import lambda_lifecycle
    atexit.register(print, "atexit function ran", flush=True)
    lambda_lifecycle.on_shutdown(print, "hook ran", flush=True)
    handler = lambda_lifecycle.instrument(lambda e, c: None)
    handler({}, None)
    handler({}, None)
    print("ready", flush=True)
"""


def test_a_normal_exit_in_lambda_runs_the_hooks_and_writes_the_record_once():
    # A runtime that exits (sys.exit in a handler) runs atexit; no SIGTERM handler on 3.11.
    process, _ = start(NORMAL_EXIT)
    stdout, stderr = finish(process)
    assert process.returncode == 0, stderr
    # atexit runs last registered first: ours came with on_shutdown, after the user's function.
    hook, shutdown, atexit_function = [line for line in stdout.splitlines() if '"event":"invoke"' not in line]
    assert (hook, atexit_function) == ("hook ran", "atexit function ran")
    record = json.loads(shutdown)
    assert (record["event"], record["reason"], record["invocations"]) == ("shutdown", "exit", 2)


def test_a_plain_script_runs_the_hooks_at_exit_and_writes_no_shutdown_record():
    # No Lambda: no execution environment ends, and the host's disk and memory are not one's.
    process, before = start(NORMAL_EXIT, in_lambda=False)
    stdout, stderr = finish(process)
    assert process.returncode == 0, stderr
    assert [json.loads(line)["event"] for line in before.splitlines()] == ["invoke", "invoke"]
    assert stdout.splitlines() == ["hook ran", "atexit function ran"]
    assert stderr == ""


def test_run_atexit_also_runs_atexit_functions_on_sigterm():
    script = """
    import atexit, time
    import lambda_lifecycle
    atexit.register(print, "atexit function ran", flush=True)
    lambda_lifecycle.bootstrap(handle_sigterm=True, run_atexit=True)
    lambda_lifecycle.on_shutdown(print, "hook ran", flush=True)
    print("ready", flush=True)
    time.sleep(60)
    """
    process, _ = start(script)
    process.send_signal(signal.SIGTERM)
    stdout, _ = finish(process)
    lines = stdout.splitlines()
    assert lines[:2] == ["hook ran", "atexit function ran"]
    assert json.loads(lines[2])["hooks_run"] == 2
    assert process.returncode == -signal.SIGTERM


@pytest.mark.parametrize("how", ["os.fork", "multiprocessing"])
def test_a_child_process_runs_none_of_the_parents_hooks(how):
    child = {
        "os.fork": """
    pid = os.fork()
    if pid == 0:
        atexit._run_exitfuncs()  # what a normal exit of the child would run
        os._exit(0)
    os.waitpid(pid, 0)
    """,
        "multiprocessing": """
    import multiprocessing
    def work():
        handler({}, None)  # the child may call the handler: its own lifecycle, not the parent's
        os.kill(os.getpid(), signal.SIGTERM)  # the parent's SIGTERM handler is inherited
    p = multiprocessing.get_context("fork").Process(target=work)
    p.start()
    p.join()
    """,
    }[how]
    script = (
        """
    import atexit, os, signal, time
    import lambda_lifecycle
    lambda_lifecycle.bootstrap(handle_sigterm=True)
    lambda_lifecycle.on_shutdown(print, "hook ran in", os.getpid(), flush=True)
    handler = lambda_lifecycle.instrument(lambda e, c: None)
    handler({}, None)
    """
        + child
        + """
    print("ready", flush=True)
    time.sleep(60)
    """
    )
    process, before = start(script)
    process.send_signal(signal.SIGTERM)
    stdout, _ = finish(process)
    stdout = before + stdout
    assert stdout.count("hook ran in") == 1
    assert f"hook ran in {process.pid}" in stdout
    shutdowns = [json.loads(line) for line in stdout.splitlines() if '"event":"shutdown"' in line]
    assert len(shutdowns) == 1
    assert shutdowns[0]["invocations"] == 1


def test_sigterm_is_handled_on_runtimes_that_deliver_it():
    script = """
    import signal
    import lambda_lifecycle
    lambda_lifecycle.bootstrap(shutdown_extension=False)
    assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    print("ready", flush=True)
    """
    process, _ = start(script, AWS_EXECUTION_ENV="AWS_Lambda_python3.12")
    _, stderr = finish(process)
    assert process.returncode == 0, stderr


def test_an_environment_that_served_nothing_or_is_busy_has_no_idle_before_shutdown(records, context):
    testing.shutdown()
    assert "IdleBeforeShutdown" not in shutdown_record(records)
    testing.reset()
    handler = lambda_lifecycle.instrument(lambda event, context: testing.shutdown())
    handler({}, context)  # SIGTERM during an invocation
    busy = [r for r in records if r["event"] == "shutdown"][-1]
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
    assert record["event"] == "shutdown"
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
