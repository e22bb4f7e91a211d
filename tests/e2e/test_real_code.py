"""Handlers shaped like real ones under the real runtime client (``lambda-lifecycle run``): an async
handler named directly, child processes, a thread started at import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto_aws import cli, server

from lambda_lifecycle.contract import KIND_KEY
from lambda_lifecycle.local.runtime_api import records

ROOT = Path(__file__).parents[2]
APP = "tests/e2e/e2e_app"


def run(handler: str, events: list[str], tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``lambda-lifecycle run`` of ``handler`` with ``events``; its log stream saved in ``tmp_path``."""
    event_file = tmp_path / "events.jsonl"
    event_file.write_text("".join(f"{event}\n" for event in events))
    flags = ["--event", str(event_file), "--output", str(tmp_path / "stream.jsonl"), "--function-name", tmp_path.name]
    result = subprocess.run(
        [sys.executable, "-m", "lambda_lifecycle.cli", "run", f"{APP}/{handler}", *flags, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    print(result.stdout, result.stderr)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def moto_url():
    yield from server()


def reported(moto_url: str, tmp_path: Path) -> dict[str, Any]:
    """What ``report --engine fetch`` makes of the saved log stream, put into CloudWatch (moto)."""
    logs = boto3.client(
        "logs", endpoint_url=moto_url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    group = f"/aws/lambda/{tmp_path.name}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    stream = [json.loads(line) for line in (tmp_path / "stream.jsonl").read_text().splitlines()]
    events = [{"timestamp": e["timestamp"], "message": e["message"]} for e in stream]
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=events)
    done = cli(
        moto_url, "report", "--function", tmp_path.name, "--since", "1h", "--engine", "fetch", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    assert (report["malformed_lines"], report["unrecognised_lines"]) == (0, 0)
    return report


def summary(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("[summary]")]


def of(kind: str, result: subprocess.CompletedProcess[str]) -> list[dict]:
    return [r for r in records(result.stdout) if r[KIND_KEY] == kind]


def test_an_async_handler_named_directly_serves_and_its_timeout_names_the_await(tmp_path, moto_url):
    result = run(
        "async_app.handler",
        ['{"n": 1}', '{"n": 2}', '{"n": 3, "await_s": 5}', '{"n": 4}'],
        tmp_path,
        "--runtime",
        "python3.12",
        # Lambda re-runs a killed runtime's init within the next invocation's timeout: 3 s leaves room
        # for a loaded machine's interpreter start, and the 5 s await still times out.
        "--timeout",
        "3",
    )
    assert summary(result)[0] == (
        "[summary] 4 invocations: 3 responses, 0 errors, 1 timeout, 0 crashes; 3 invoke records, 2 cold starts;"
        + summary(result)[0].split("cold starts;")[1]
    )
    responses = [line for line in result.stderr.splitlines() if "] response: " in line]
    assert [line.split("]")[0] for line in responses] == ["[invocation 1", "[invocation 2", "[invocation 4"]
    # One loop for a process's invocations: the first two share it.
    assert responses[0].split('"loop": ')[1] == responses[1].split('"loop": ')[1]
    [warning] = of("timeout_warning", result)
    assert warning["invocation"] == 3
    assert warning["stack"][-1].startswith("async_app.py:11 in handler: await asyncio.sleep(")
    report = reported(moto_url, tmp_path)
    assert (report["invocations"], report["cold_starts"], report["reinits"]) == (3, 2, 1)
    assert (report["environments"]["seen"], report["environments"]["ended"]["shutdown"]) == (1, 1)
    [read_back] = report["timeout_warnings"]
    assert read_back["stack"] == warning["stack"]
    assert [(r["invocation"], r.get("process_restarts", 0)) for r in of("invoke", result)] == [(1, 0), (2, 0), (1, 1)]


def test_an_async_handler_behind_the_entry_point_serves_too(tmp_path):
    # lambda_lifecycle.handler.handler, the entry point that instruments LAMBDA_LIFECYCLE_HANDLER.
    events = tmp_path / "events.jsonl"
    events.write_text('{"n": 1}\n{"n": 2}\n')
    flags = ["--env", "LAMBDA_LIFECYCLE_HANDLER=async_app.handler", "--event", str(events), "--runtime", "python3.12"]
    result = subprocess.run(
        [sys.executable, "-m", "lambda_lifecycle.cli", "run", "lambda_lifecycle.handler.handler", "--cwd", APP, *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert summary(result)[0].startswith(
        "[summary] 2 invocations: 2 responses, 0 errors, 0 timeouts, 0 crashes; 2 invoke records, 1 cold start;"
    )


def test_children_of_every_start_method_are_not_the_environments_processes_and_a_crash_after_them_is_right(
    tmp_path, moto_url
):
    events = [f'{{"n": {n}, "children": "{method}"}}' for n, method in enumerate(["spawn", "forkserver", "fork"], 1)]
    # Pools of two children per start method on a loaded machine can take longer than Lambda's
    # default 3 s: the counts are the point here, not the speed.
    result = run(
        "children.handler",
        [*events, '{"n": 4, "exit": true}', '{"n": 5}'],
        tmp_path,
        "--runtime",
        "python3.12",
        "--timeout",
        "30",
    )
    assert summary(result)[0].startswith(
        "[summary] 5 invocations: 4 responses, 0 errors, 0 timeouts, 1 crash; 4 invoke records, 2 cold starts;"
    )
    responses = [line for line in result.stderr.splitlines() if "] response: " in line]
    assert all('"children": [10, 20]' in line for line in responses[:3])  # the children called the handler
    first, second, third, restarted = of("invoke", result)
    parent = first["container_id"]
    assert [r["container_id"] for r in (first, second, third)] == [parent] * 3
    assert [r["invocation"] for r in (first, second, third)] == [1, 2, 3]
    # The crash is recorded as without children: the parent's count, killed, one restart.
    assert (restarted["invocation"], restarted["process_restarts"], restarted["reinit"]) == (1, 1, True)
    assert restarted["previous_container_id"] == parent
    assert (restarted["previous_invocations"], restarted["previous_killed"]) == (4, True)
    assert restarted["environment_id"] == first["environment_id"]
    [shutdown] = of("shutdown", result)  # the children wrote none
    assert (shutdown["container_id"], shutdown["reason"], shutdown["invocations"]) == (
        restarted["container_id"],
        "SIGTERM",
        1,
    )
    assert "lambda-lifecycle:" not in result.stderr  # no warning either
    report = reported(moto_url, tmp_path)
    assert (report["invocations"], report["cold_starts"], report["reinits"]) == (4, 2, 1)
    assert report["environments"]["seen"] == 1
    assert report["environments"]["ended"] == {"shutdown": 1, "killed": 0, "unknown": 0}
    assert report["keep_warm"]["processes_shut_down"] == 1


def test_calls_before_the_first_invocation_take_no_cold_start_and_feed_no_idle_time(tmp_path, moto_url):
    result = run("init_thread.handler", ['{"n": 1}', '{"n": 2}'], tmp_path, "--gap", "0.3", "--runtime", "python3.12")
    assert summary(result)[0].startswith(
        "[summary] 2 invocations: 2 responses, 0 errors, 0 timeouts, 0 crashes; 2 invoke records, 1 cold start;"
    )
    first, second = of("invoke", result)
    assert (first["invocation"], first["cold_start"], first["init_calls"]) == (1, True, 4)
    assert "InitDuration" in first
    assert "init_calls" not in second
    assert (second["invocation"], second["cold_start"]) == (2, False)
    assert second["IdleTime"] >= 300  # from the first invocation's end, not from a warm-up call's
    report = reported(moto_url, tmp_path)
    assert (report["invocations"], report["cold_starts"], report["cold_start_rate"]) == (2, 1, 0.5)
    assert (report["init_duration_ms"]["count"], report["idle_time_ms"]["count"]) == (1, 1)
    assert report["idle_time_ms"]["max"] >= 300
    assert report["environments"]["ended"] == {"shutdown": 1, "killed": 0, "unknown": 0}


def test_a_second_bootstrap_warns_once_and_idle_before_shutdown_ends_at_sigterm(tmp_path):
    result = run("reconfigured.handler", ['{"n": 1}', '{"n": 2}'], tmp_path, "--runtime", "python3.12")
    warnings = [line for line in result.stderr.splitlines() if "lambda-lifecycle:" in line]
    assert len(warnings) == 1
    assert "bootstrap() called again changes service 'orders' -> 'billing'" in warnings[0]
    assert {r["service"] for r in of("invoke", result)} == {"billing"}
    [shutdown] = of("shutdown", result)
    assert (shutdown["hooks_run"], shutdown["hooks_failed"]) == (1, 0)
    assert shutdown["ShutdownDuration"] >= 300  # the hook's 300 ms are the shutdown's
    assert shutdown["IdleBeforeShutdown"] < 300  # and not the idle time's: run sends SIGTERM at once
