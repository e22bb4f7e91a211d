"""Shutdown, timeouts and forks under the real awslambdaric, ended the way Lambda ends runtimes."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from lambda_lifecycle.contract import KIND_KEY
from lambda_lifecycle.local.runtime_api import RuntimeAPI, lambda_environment, records, start_runtime

APP = Path(__file__).parent / "e2e_app"
PYTHON_312 = {"AWS_EXECUTION_ENV": "AWS_Lambda_python3.12"}


def run(events, *, running=None, **env):
    """Start the runtime, send ``events``, then shut it down; returns (api, exit code, stdout, stderr).

    With ``running`` (a path the last event's handler creates), shut down while that handler runs.
    """
    with RuntimeAPI() as api:
        process = start_runtime(APP, "app.handler", lambda_environment(api, **env))
        try:
            for event in events:
                api.invoke(event, timeout_s=event.get("timeout_s", 30))
            if running:
                deadline = time.monotonic() + 60
                while not running.exists() and time.monotonic() < deadline:
                    time.sleep(0.01)
            else:
                api.wait_done(len(events))
            code, took_s = api.shutdown(process)
        finally:
            process.kill()
            stdout, stderr = process.communicate(timeout=30)
    print(f"shutdown took {took_s * 1000:.0f} ms from SIGTERM to exit")
    return api, code, stdout, stderr


def of(kind, stdout):
    return [r for r in records(stdout) if r[KIND_KEY] == kind]


def test_python312_runtime_registers_an_extension_and_runs_hooks_on_sigterm():
    api, code, stdout, stderr = run([{"n": n} for n in range(1, 4)], **PYTHON_312)
    assert [name for name, _ in api.extensions] == ["lambda-lifecycle"]
    assert api.extensions[0][1] == {"events": []}
    # Lambda lets init end only after every extension's first /event/next.
    assert api.extension_next_calls
    assert api.extension_next_calls[0] <= api.next_calls[0]
    [shutdown] = of("shutdown", stdout)
    assert shutdown["reason"] == "SIGTERM"
    assert shutdown["invocations"] == 3
    assert shutdown["in_flight"] == 0
    assert shutdown["container_id"] == of("invoke", stdout)[0]["container_id"]
    assert (shutdown["hooks_run"], shutdown["hooks_failed"], shutdown["hooks_timed_out"]) == (2, 0, 0)
    # Last registered, first run; then the record; then the process ends by SIGTERM, as it would have.
    lines = stdout.splitlines()
    assert lines.index("hook: buffers flushed") < lines.index("hook: pool closed") < len(lines) - 1
    assert code == -signal.SIGTERM, stderr
    assert "lambda-lifecycle" not in stderr


def test_sigterm_during_an_invocation_counts_it_as_in_flight(tmp_path):
    started = tmp_path / "started"
    events = [{"n": 1}, {"n": 2}, {"n": 3, "sleep": 20, "started_file": str(started)}]
    _, code, stdout, stderr = run(events, running=started, **PYTHON_312)
    [shutdown] = of("shutdown", stdout)
    assert (shutdown["invocations"], shutdown["in_flight"]) == (3, 1)
    assert shutdown["hooks_run"] == 2
    assert [r["invocation"] for r in of("invoke", stdout)] == [1, 2]
    assert code == -signal.SIGTERM, stderr


@pytest.mark.parametrize("execution_env", ["AWS_Lambda_python3.11", None])
def test_older_runtimes_get_no_extension_and_are_killed_without_a_record(execution_env):
    env = {"AWS_EXECUTION_ENV": execution_env} if execution_env else {}
    api, code, stdout, _ = run([{"n": 1}], **env)
    assert api.extensions == []
    assert code == -signal.SIGKILL
    assert of("shutdown", stdout) == []
    assert "hook:" not in stdout


def test_extension_can_be_switched_off():
    api, _, stdout, _ = run([{"n": 1}], LAMBDA_LIFECYCLE_SHUTDOWN_EXTENSION="false", **PYTHON_312)
    assert api.extensions == []
    assert of("shutdown", stdout) == []


def test_a_handler_sleeping_past_its_deadline_leaves_a_timeout_warning_naming_the_line(tmp_path):
    started = tmp_path / "started"
    with RuntimeAPI() as api:
        process = start_runtime(APP, "app.handler", lambda_environment(api, **PYTHON_312))
        try:
            api.invoke({"n": 1})
            api.wait_done(1)
            stuck = api.invoke({"n": 2, "sleep": 20, "started_file": str(started)}, timeout_s=1.0)
            while not started.exists():
                time.sleep(0.01)
            # Lambda kills a runtime whose invocation timed out: SIGKILL, no shutdown phase.
            time.sleep(1.0)
            process.kill()
        finally:
            process.kill()
            stdout, _ = process.communicate(timeout=30)
    [warning] = of("timeout_warning", stdout)
    assert warning["request_id"] == stuck.request_id
    assert warning["invocation"] == 2
    # Default margin: 200 ms before the 1 s deadline.
    assert 700 <= warning["elapsed_ms"] <= 1000
    assert 0 <= warning["remaining_ms"] <= 300
    assert warning["stack"][0].startswith("app.py:")
    stuck_line = 'in handler: time.sleep(event["sleep"])  # the line a timeout warning must name'
    assert warning["stack"][0].endswith(stuck_line)
    assert "MemoryUsed" in warning
    assert "TmpUsed" in warning
    # The first invocation ended long before its deadline: no warning for it, then or later.
    assert of("shutdown", stdout) == []
    assert [r["invocation"] for r in of("invoke", stdout)] == [1]


def test_a_forked_child_runs_no_hooks_and_writes_no_shutdown_record():
    api, code, stdout, _ = run([{"n": 1, "fork": True}, {"n": 2}], **PYTHON_312)
    assert api.invocations[0].body == {"n": 1, "child_signal": signal.SIGTERM}
    assert stdout.count("hook: pool closed") == 1
    [shutdown] = of("shutdown", stdout)
    assert shutdown["invocations"] == 2
    assert code == -signal.SIGTERM
