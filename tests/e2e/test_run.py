"""``lambda-lifecycle run``: the examples under the real awslambdaric, as a user runs them before deploying."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lambda_lifecycle import contract
from lambda_lifecycle.contract import KIND_KEY
from lambda_lifecycle.local.runtime_api import records

ROOT = Path(__file__).parents[2]
GLOBAL_INIT = "examples/global_init/handler.lambda_handler"
TMP_CLEANUP = "examples/tmp_cleanup/handler.lambda_handler"
CACHED_CONFIG = "examples/cached_config/handler.lambda_handler"
POWERTOOLS = "examples/powertools/handler.lambda_handler"


def run(*args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "lambda_lifecycle.cli", "run", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    print(result.stdout, result.stderr)
    return result


def of(kind: str, stdout: str) -> list[dict]:
    return [r for r in records(stdout) if r[KIND_KEY] == kind]


def marked(stderr: str, prefix: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(prefix)]


def test_global_init_shows_one_record_per_invocation_the_first_cold_and_saves_them(tmp_path):
    saved, temporary = tmp_path / "records.jsonl", tmp_path / "temporary"
    temporary.mkdir()
    args = (GLOBAL_INIT, "--invocations", "3", "--runtime", "python3.12", "--output", str(saved))
    result = run(*args, TMPDIR=str(temporary))
    assert result.returncode == 0
    assert list(temporary.iterdir()) == []  # the environment's /tmp went with the run
    invokes = of("invoke", result.stdout)
    assert [(r["invocation"], r["cold_start"]) for r in invokes] == [(1, True), (2, False), (3, False)]
    assert {r["function_name"] for r in invokes} == {"global_init"}
    assert {r["service"] for r in invokes} == {"greeter"}  # the module's bootstrap() ran at init
    assert len({r["xray_trace_id"] for r in invokes}) == 3  # each invocation its own trace id
    assert "InitDuration" in invokes[0]
    # The run's /tmp reads as Lambda's 512 MB of ephemeral storage, not as the host's disk (read on
    # the first invocation, then at most once a second).
    assert (invokes[0]["TmpUsed"], invokes[0]["TmpUsedPercent"]) == (0, 0.0)
    assert {(r["TmpUsed"], r["TmpUsedPercent"]) for r in invokes if "TmpUsed" in r} == {(0, 0.0)}
    [shutdown] = of("shutdown", result.stdout)
    assert (shutdown["reason"], shutdown["invocations"], shutdown["hooks_run"]) == ("SIGTERM", 3, 0)
    # The file is the log stream as CloudWatch returns it: every line, each with the time it arrived.
    events = [json.loads(line) for line in saved.read_text().splitlines()]
    assert [e["message"] for e in events] == result.stdout.splitlines()
    [stream] = {e["logStreamName"] for e in events}
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", stream)
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps)
    lines = [e["message"] for e in events if e["message"].startswith("{")]
    assert [contract.complete(json.loads(line)) for line in lines] == records(result.stdout)
    # A warm line leaves out what is usual: cold_start false, init_type on-demand, no restarts.
    wire = [json.loads(line) for line in lines if f'"{KIND_KEY}":"invoke"' in line]
    assert [r.get("cold_start") for r in wire] == [True, None, None]
    assert not {"init_type", "process_restarts", "proactive_init", "reinit", "restored"} & {k for r in wire for k in r}
    # Each handler response, then the summary, on stderr.
    responses = marked(result.stderr, "[invocation ")
    assert [line.split("]")[0] for line in responses] == ["[invocation 1", "[invocation 2", "[invocation 3"]
    assert all('"statusCode": 200' in line for line in responses)
    summary = "\n".join(marked(result.stderr, "[summary]"))
    assert "3 invocations: 3 responses, 0 errors" in summary
    assert "1 cold start;" in summary
    assert f"init {invokes[0]['InitDuration']:g} ms" in summary
    assert "shutdown: SIGTERM" in summary
    assert "hooks run 0, failed 0" in summary


def test_tmp_cleanup_hook_runs_at_sigterm_on_python312(tmp_path):
    result = run(TMP_CLEANUP, "--invocations", "2", "--runtime", "python3.12", "--env", f"TMP_DIR={tmp_path}")
    assert result.returncode == 0
    created = [
        json.loads(json.loads(line.split("response: ")[1])["body"])["created"]
        for line in marked(result.stderr, "[invocation ")
    ]
    assert len(created) == 2
    assert sorted(line.split()[-1] for line in result.stdout.splitlines() if line.startswith("cleaned up")) == sorted(
        created
    )
    [shutdown] = of("shutdown", result.stdout)
    assert (shutdown["reason"], shutdown["hooks_run"], shutdown["hooks_failed"]) == ("SIGTERM", 1, 0)
    assert list(tmp_path.glob("lambda_temp*")) == []


def test_python311_gets_sigkill_no_shutdown_record_and_no_hooks(tmp_path):
    result = run(TMP_CLEANUP, "--runtime", "python3.11", "--env", f"TMP_DIR={tmp_path}")
    assert result.returncode == 0
    assert len(of("invoke", result.stdout)) == 1
    assert of("shutdown", result.stdout) == []
    assert "cleaned up" not in result.stdout
    assert len(list(tmp_path.glob("lambda_temp*"))) == 1  # the hook never ran: the file stays
    assert "shutdown: SIGKILL: no extension registered" in result.stderr
    assert "[summary] 1 invocation: 1 response, 0 errors, 0 timeouts, 0 crashes; 1 invoke record, 1 cold start;" in (
        result.stderr
    )


def test_shutdown_sigkill_ends_without_hooks(tmp_path):
    result = run(TMP_CLEANUP, "--runtime", "python3.12", "--shutdown", "sigkill", "--env", f"TMP_DIR={tmp_path}")
    assert result.returncode == 0
    assert of("shutdown", result.stdout) == []
    assert "cleaned up" not in result.stdout


def test_a_handler_error_is_data_events_from_stdin_cycle():
    events = '{"amount": 10}\n{"no_amount": true}\n'
    result = run(CACHED_CONFIG, "--event", "-", "--invocations", "3", stdin=events)
    assert result.returncode == 0
    invokes = of("invoke", result.stdout)
    assert [r.get("error") for r in invokes] == [None, "KeyError", None]
    lines = marked(result.stderr, "[invocation ")
    assert (
        lines[0]
        == '[invocation 1] response: {"statusCode": 200, "body": "{\\"total\\": 12.1, \\"currency\\": \\"EUR\\"}"}'
    )
    assert lines[1] == "[invocation 2] error: KeyError: 'amount'"
    assert lines[2] == lines[0].replace("invocation 1", "invocation 3")
    assert "3 invocations: 2 responses, 1 error, 0 timeouts" in result.stderr


def test_event_files_and_gaps(tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text('{\n  "amount": 1\n}\n')  # one document over several lines
    second.write_text('{"amount": 2}')
    result = run(CACHED_CONFIG, "--event", str(first), "--event", str(second), "--gap", "0.3")
    assert result.returncode == 0
    invokes = of("invoke", result.stdout)
    assert len(invokes) == 2
    assert invokes[1]["IdleTime"] >= 300
    assert '\\"total\\": 2.42' in marked(result.stderr, "[invocation 2]")[0]


def test_two_runs_on_one_host_are_two_environments():
    first = of("invoke", run(GLOBAL_INIT).stdout)
    second = of("invoke", run(GLOBAL_INIT).stdout)
    assert second[0]["process_restarts"] == 0
    assert second[0]["reinit"] is False
    assert second[0]["cold_start"] is True
    assert second[0]["environment_id"] != first[0]["environment_id"]


# init type -> (cold_start, proactive_init) of two invocations
INIT_TYPES = {
    "on-demand": [(True, False), (False, False)],
    "provisioned-concurrency": [(False, False), (False, False)],
    "snap-start": [(False, False), (False, False)],
    "lambda-managed-instances": [(False, False), (False, False)],
}


@pytest.mark.parametrize("init_type", list(INIT_TYPES))
def test_init_types(init_type):
    result = run(GLOBAL_INIT, "--init-type", init_type, "--invocations", "2", "--runtime", "python3.12")
    assert result.returncode == 0
    invokes = of("invoke", result.stdout)
    assert [(r["cold_start"], r.get("proactive_init", False)) for r in invokes] == INIT_TYPES[init_type]
    assert {r["init_type"] for r in invokes} == {init_type}
    assert invokes[0]["restored"] is (init_type == "snap-start")
    assert ("worker" in invokes[0]) == (init_type == "lambda-managed-instances")
    # On the wire the usual init type is left out, and cold_start is there only when true.
    wire = [
        json.loads(line)
        for line in result.stdout.splitlines()
        if line.startswith("{") and f'"{KIND_KEY}":"invoke"' in line
    ]
    assert [("init_type" in r, r.get("cold_start")) for r in wire] == [
        (init_type != "on-demand", cold or None) for cold, _ in INIT_TYPES[init_type]
    ]


def test_a_timeout_ends_the_runtime_and_the_next_invocation_reinits(tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text('{"n": 1, "sleep": 5}\n{"n": 2}\n')
    result = run("tests/e2e/e2e_app/app.handler", "--event", str(events), "--timeout", "1", "--runtime", "python3.12")
    assert result.returncode == 0
    [warning] = of("timeout_warning", result.stdout)
    assert warning["stack"][0].startswith("app.py:")
    assert "[invocation 1] timed out after 1 s" in result.stderr
    [second] = of("invoke", result.stdout)
    assert (second["invocation"], second["process_restarts"], second["reinit"]) == (1, 1, True)
    assert second["environment_id"] == warning["environment_id"]
    assert '[invocation 2] response: {"n": 2, "remaining_ms_positive": true}' in result.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        ((GLOBAL_INIT, "--event", "-"), "{bad", "lambda-lifecycle: stdin is not JSON (Expecting property name"),
        ((GLOBAL_INIT, "--event", "-"), '{"a": 1}\n{bad\n', "lambda-lifecycle: stdin line 2 is not JSON ("),
        ((GLOBAL_INIT, "--event", "missing.json"), None, "lambda-lifecycle: cannot read the event file missing.json:"),
        (("examples/global_init/handler.nope",), None, "lambda-lifecycle: init failed: Runtime.HandlerNotFound:"),
        (("examples/global_init/nomodule.handler",), None, "lambda-lifecycle: init failed: Runtime.ImportModuleError:"),
        (("examples/nowhere/handler.handler",), None, "lambda-lifecycle: no directory examples/nowhere"),
    ],
    ids=["bad-json", "bad-json-line", "no-file", "no-function", "no-module", "no-directory"],
)
def test_what_cannot_run_says_so_in_one_line(args, stdin, message):
    result = run(*args, stdin=stdin)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(message)
    assert "[summary]" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("handler",), "argument handler: expected a handler like dir/module.function, got 'handler'"),
        (("examples/global_init/handler.py",), "argument handler: name the function too, as in"),
        ((GLOBAL_INIT, "--memory", "-5"), "argument --memory: expected whole MB, at least 128 and at most 10240"),
        ((GLOBAL_INIT, "--memory", "10241"), "argument --memory: expected whole MB, at least 128 and at most 10240"),
    ],
    ids=["no-dot", "file-not-handler", "memory-negative", "memory-too-much"],
)
def test_usage_errors_exit_2_with_one_line(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"lambda-lifecycle run: error: {message}")


def test_the_powertools_example_runs_as_it_is(monkeypatch):
    # Nothing from the shell: the example names its own namespace and service.
    for name in [name for name in os.environ if name.startswith("POWERTOOLS_")]:
        monkeypatch.delenv(name)
    result = run(POWERTOOLS, "--invocations", "2", "--runtime", "python3.12")
    assert result.returncode == 0
    invokes = of("invoke", result.stdout)
    assert [(r["invocation"], r["cold_start"], r["ColdStart"]) for r in invokes] == [
        (1, True, [1.0]),
        (2, False, [0.0]),
    ]
    assert {r["_aws"]["CloudWatchMetrics"][0]["Namespace"] for r in invokes} == {"Shop"}
    summary = "\n".join(marked(result.stderr, "[summary]"))
    # Powertools writes InitDuration as a list; the summary reads it all the same.
    init = f"init {invokes[0]['InitDuration'][0]:g} ms"
    assert (
        f"2 invocations: 2 responses, 0 errors, 0 timeouts, 0 crashes; 2 invoke records, 1 cold start; {init}"
        in summary
    )


def _lambda_lines(stdout: str) -> list:
    from lambda_lifecycle.platform_log import PlatformLine, parse

    return [found for line in stdout.splitlines() if isinstance(found := parse(line), PlatformLine)]


KILLS = '{"n": 1}\n{"n": 2, "sleep": 5}\n{"n": 3, "allocate_mb": 300}\n{"n": 4, "exit": true}\n{"n": 5, "fail": true}\n'


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_lambdas_own_lines_say_how_each_invocation_ended(tmp_path, log_format):
    events = tmp_path / "events.jsonl"
    events.write_text(KILLS)
    args = ("--event", str(events), "--timeout", "2", "--runtime", "python3.12", "--log-format", log_format)
    result = run("tests/e2e/e2e_app/app.handler", *args)
    assert result.returncode == 0
    lines = _lambda_lines(result.stdout)
    assert {line.format for line in lines} == {log_format}
    reports = [line for line in lines if line.kind == "report"]
    assert [(r.status, r.error_type) for r in reports] == [
        ("success", None),
        ("timeout", None),
        ("error", "Runtime.OutOfMemory"),
        ("error", "Runtime.ExitError"),
        ("failure" if log_format == "json" else "success", "ValueError" if log_format == "json" else None),
    ]
    starts = [line.request_id for line in lines if line.kind == "start"]
    assert starts == [r.request_id for r in reports]
    assert {r.memory_mb for r in reports} == {128}
    cold, timed_out, oom, _, _ = reports
    assert cold.init_ms is not None
    assert cold.billed_ms == math.ceil(cold.duration_ms + cold.init_ms)
    assert timed_out.duration_ms == 2000.0  # the timeout itself, as Lambda reports it
    assert oom.max_memory_mb == 128
    assert 0 < cold.max_memory_mb < 128
    # After each kill the next invocation inits again within itself: a suppressed init.
    inits = [(line.kind, line.phase) for line in lines if line.kind in ("init_start", "init_report")]
    expected = [("init_start", "init")] + [("init_start", "invoke"), ("init_report", "invoke")] * 3
    if log_format == "json":  # JSON reports the cold start's init too
        expected.insert(1, ("init_report", "init"))
    else:  # INIT_START has no Phase in text
        expected = [(kind, None if kind == "init_start" else phase) for kind, phase in expected]
    assert inits == expected
    assert "[invocation 3] ran out of memory (more than 128 MB)" in result.stderr
    assert "1 out of memory" in result.stderr


def test_a_failed_init_is_reported_and_run_again_within_the_invocation(tmp_path):
    saved = tmp_path / "log.jsonl"
    result = run("examples/global_init/nomodule.handler", "--output", str(saved))
    assert result.returncode == 1
    assert result.stderr.startswith("lambda-lifecycle: init failed: Runtime.ImportModuleError:")
    lines = _lambda_lines(result.stdout)
    assert [(line.kind, line.phase, line.status, line.error_type) for line in lines] == [
        ("init_start", None, None, None),
        ("init_report", "init", "error", "Runtime.ImportModuleError"),
        ("start", None, None, None),
        ("init_start", None, None, None),
        ("init_report", "invoke", "error", "Runtime.ImportModuleError"),
        ("end", None, None, None),
        ("report", None, "error", "Runtime.ImportModuleError"),
    ]
    assert len(saved.read_text().splitlines()) == len(result.stdout.splitlines())
