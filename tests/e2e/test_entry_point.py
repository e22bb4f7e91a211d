"""The entry point ``lambda_lifecycle.handler.handler`` and the exec wrapper, under the real awslambdaric:
what Lambda reports stays the same, and the init record says where init's time went."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from lambda_lifecycle.contract import INIT, INVOKE, KIND_KEY
from lambda_lifecycle.local.runtime_api import EXEC_WRAPPER, RuntimeAPI, lambda_environment, records, start_runtime

SLOW_APP = {
    "app/__init__.py": "",
    # It says how long it really slept: under load a sleep of 300 ms can take longer, and the
    # record must say what it took.
    "app/slow.py": (
        "import sys, time\nt0 = time.perf_counter()\ntime.sleep(0.3)\n"
        "print(f'slept {(time.perf_counter() - t0) * 1000:.3f} ms', file=sys.stderr)\n"
    ),
    "app/main.py": (
        "import json\nfrom app import slow\n\n"
        "def handler(event, context):\n"
        "    if event.get('fail'):\n        raise KeyError('asked to')\n"
        "    return {'echo': event}\n"
    ),
    "app/decorated.py": (
        "import lambda_lifecycle\nimport json\nfrom app import slow\n\n"
        "@lambda_lifecycle.instrument\ndef handler(event, context):\n    return {'echo': event}\n"
    ),
    "broken/__init__.py": "",
    "broken/raises.py": "raise RuntimeError('config missing')\n",
    "broken/syntax.py": "def handler(event, context)\n    return 1\n",
    "broken/nofunction.py": "X = 1\n",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("function")
    for relative, text in SLOW_APP.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def run(app: Path, handler: str, events=({},), **how):
    """One runtime process: invoke it with ``events`` (or only init, when there are none)."""
    with RuntimeAPI() as api:
        process = start_runtime(app, handler, lambda_environment(api), **how)
        try:
            for n, event in enumerate(events, start=1):
                api.invoke(event)
                api.wait(lambda n=n: sum(1 for i in api.invocations if i.outcome) >= n or bool(api.init_errors), 30)
                if api.init_errors:
                    break
        finally:
            process.kill()
            stdout, stderr = process.communicate(timeout=30)
    return api, records(stdout), stderr


@pytest.mark.parametrize(
    ("handler", "error_type"),
    [
        ("broken/no_such_module.handler", "Runtime.ImportModuleError"),
        ("broken/nofunction.handler", "Runtime.HandlerNotFound"),
        ("broken/syntax.handler", "Runtime.UserCodeSyntaxError"),
        ("broken/raises.handler", "RuntimeError"),
    ],
)
def test_lambda_reports_the_same_init_error_through_the_entry_point(app, handler, error_type):
    direct, _, _ = run(app, handler)
    through, _, _ = run(app, handler, entry_point=True)
    [expected], [got] = direct.init_errors, through.init_errors
    assert expected["errorType"] == error_type
    # The same type and message, naming the function's module, not the entry point.
    assert (got["errorType"], got["errorMessage"]) == (expected["errorType"], expected["errorMessage"])


def test_an_unset_handler_variable_is_a_malformed_handler_name(app):
    with RuntimeAPI() as api:
        env = lambda_environment(api)
        process = start_runtime(app, "lambda_lifecycle.handler.handler", env)
        try:
            api.invoke({})
            api.wait(lambda: bool(api.init_errors), 30)
        finally:
            process.kill()
            process.communicate(timeout=30)
    [error] = api.init_errors
    assert error["errorType"] == "Runtime.MalformedHandlerName"
    assert "LAMBDA_LIFECYCLE_HANDLER is not set; set it to the function's own handler" in error["errorMessage"]


def test_results_and_exceptions_pass_through_the_entry_point_unchanged(app):
    api, found, _ = run(app, "app/main.handler", [{"n": 1}, {"fail": True}], entry_point=True)
    assert [(i.outcome, i.body.get("errorType") if i.outcome == "error" else i.body) for i in api.invocations] == [
        ("response", {"echo": {"n": 1}}),
        ("error", "KeyError"),
    ]
    assert [r.get("error") for r in found if r[KIND_KEY] == INVOKE] == [None, "KeyError"]


def test_an_already_instrumented_handler_writes_one_record_per_invocation(app):
    _, found, _ = run(app, "app/decorated.handler", [{}, {}], entry_point=True)
    assert [r["invocation"] for r in found if r[KIND_KEY] == INVOKE] == [1, 2]


def slow_import(record: dict) -> dict:
    [slow] = [i for i in record["imports"] if i["module"] == "app.slow"]
    return slow


def slept_ms(output: str) -> float:
    """How long ``app.slow`` really slept, as it said on stderr (at least 300 ms)."""
    [said] = re.findall(r"^slept ([\d.]+) ms$", output, re.M)
    assert float(said) >= 300
    return float(said)


@pytest.mark.parametrize(
    ("handler", "how", "loaded_by"),
    [
        ("app/main.handler", {"entry_point": True}, "entry_point"),
        ("app/decorated.handler", {}, "import"),
        ("app/main.handler", {"exec_wrapper": EXEC_WRAPPER}, "entry_point"),
        ("app/decorated.handler", {"exec_wrapper": EXEC_WRAPPER}, "entry_point"),
    ],
    ids=["entry point", "import lambda_lifecycle first", "exec wrapper", "exec wrapper, decorated"],
)
def test_a_module_sleeping_300_ms_at_import_is_among_the_slowest_imports(app, handler, how, loaded_by):
    _, found, stderr = run(app, handler, [{}, {}], **how)
    [init] = [r for r in found if r[KIND_KEY] == INIT]
    first = next(r for r in found if r[KIND_KEY] == INVOKE)
    assert init["loaded_by"] == loaded_by
    assert init["handler"] == handler
    slow, slept = slow_import(init), slept_ms(stderr)
    assert slow["ms"] == pytest.approx(slept, rel=0.05), init
    assert slow["own_ms"] == pytest.approx(slept, rel=0.05)
    assert slow["by"] == handler.replace("/", ".").rpartition(".")[0]
    # share is rounded to 0.1, ms to 0.1 ms and InitDuration to whole ms: the bound of the three
    init_ms = init["InitDuration"]
    rounding = 0.05 + 100 * 0.05 / init_ms + 100 * slow["ms"] * 0.5 / (init_ms * (init_ms - 0.5))
    assert slow["share"] == pytest.approx(100 * slow["ms"] / init_ms, abs=rounding)
    assert init["InitImports"] >= slow["ms"] - 1
    # It began after the SDK was loaded, and ended before the handler was ready.
    assert init["InitRuntime"] - 1 <= slow["at_ms"] <= init["InitDuration"] - slow["ms"] + 1
    phases = init["InitRuntime"] + init["InitImports"] + init["InitCode"]
    assert abs(phases - first["InitDuration"]) <= 10
    assert init["InitWait"] >= 0
    assert "lambda-lifecycle" not in stderr  # no warning


def test_the_switch_turns_the_init_record_off(app):
    with RuntimeAPI() as api:
        env = lambda_environment(api, LAMBDA_LIFECYCLE_INIT_BREAKDOWN="false")
        process = start_runtime(app, "app/main.handler", env, entry_point=True)
        try:
            api.invoke({})
            api.wait_done(1)
        finally:
            process.kill()
            stdout, _ = process.communicate(timeout=30)
    assert [r[KIND_KEY] for r in records(stdout)] == [INVOKE]


def test_the_exec_wrapper_is_an_executable_script_that_hands_the_handler_on(tmp_path):
    assert EXEC_WRAPPER.stat().st_mode & stat.S_IXUSR
    env = {"PATH": os.environ["PATH"], "_HANDLER": "src/app.handler"}
    shown = "echo $_HANDLER $LAMBDA_LIFECYCLE_HANDLER"
    out = subprocess.run([str(EXEC_WRAPPER), "/bin/sh", "-c", shown], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["lambda_lifecycle.handler.handler", "src/app.handler"]
    # Run twice (two wrappers in a row), it still names the function's own handler.
    twice = [str(EXEC_WRAPPER), str(EXEC_WRAPPER), "/bin/sh", "-c", shown]
    assert subprocess.run(twice, env=env, capture_output=True, text=True).stdout.split() == out.stdout.split()


def test_lambda_lifecycle_run_through_the_entry_point_and_the_exec_wrapper(app):
    for how in (["--entry-point"], ["--exec-wrapper"]):
        result = subprocess.run(
            [sys.executable, "-m", "lambda_lifecycle.cli", "run", "app/main.handler", "--cwd", str(app), *how],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        [init] = [r for r in records(result.stdout) if r[KIND_KEY] == INIT]
        assert slow_import(init)["ms"] == pytest.approx(slept_ms(result.stdout + result.stderr), rel=0.05)


def test_lambda_lifecycle_run_with_a_wrapper_named_relative_to_the_shell(app, tmp_path):
    # The runtime starts in the code root; the wrapper is found where the user named it from.
    (tmp_path / "wrapper.sh").write_bytes(EXEC_WRAPPER.read_bytes())
    (tmp_path / "wrapper.sh").chmod(0o755)
    command = ["run", "app/main.handler", "--cwd", str(app), "--exec-wrapper", "wrapper.sh"]
    result = subprocess.run(
        [sys.executable, "-m", "lambda_lifecycle.cli", *command],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    [init] = [r for r in records(result.stdout) if r[KIND_KEY] == INIT]
    assert init["loaded_by"] == "entry_point"
