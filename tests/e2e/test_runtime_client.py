"""The SDK under the real runtime client: awslambdaric against a local Runtime API."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambda_lifecycle.contract import INVOKE, KIND_KEY
from lambda_lifecycle.local.runtime_api import Function, RuntimeAPI, lambda_environment, records, start_runtime

APP = Path(__file__).parent / "e2e_app"
E2E = Function(name="e2e", memory_mb=256)


@pytest.fixture(scope="module")
def runtime_output():
    """Run five invocations, the fourth raising, and return (api, stdout, stderr); one run for
    the module, as its tests only read what it left."""
    with RuntimeAPI(E2E) as api:
        process = start_runtime(APP, "app.handler", lambda_environment(api))
        try:
            for n in range(1, 6):
                api.invoke({"n": n, "fail": n == 4})
            api.wait_done(5)
        finally:
            process.kill()
            stdout, stderr = process.communicate(timeout=30)
        yield api, stdout, stderr


def test_five_invocations_give_five_records(runtime_output):
    api, stdout, stderr = runtime_output
    found = [r for r in records(stdout) if r[KIND_KEY] == INVOKE]
    assert [r["invocation"] for r in found] == [1, 2, 3, 4, 5], stdout + stderr
    assert len({r["container_id"] for r in found}) == 1
    assert [r["cold_start"] for r in found] == [True, False, False, False, False]
    assert [r["ColdStart"] for r in found] == [1, 0, 0, 0, 0]
    assert [r.get("error") for r in found] == [None, None, None, "ValueError", None]
    assert [r["request_id"] for r in found] == [i.request_id for i in api.invocations]


def test_records_carry_what_the_runtime_gave(runtime_output):
    api, stdout, _ = runtime_output
    found = [r for r in records(stdout) if r[KIND_KEY] == INVOKE]
    # The trace id changes on every invocation; the record must follow it.
    assert [r["xray_trace_id"] for r in found] == [i.trace_root for i in api.invocations]
    assert {r["function_name"] for r in found} == {"e2e"}
    assert {r["service"] for r in found} == {"e2e"}
    # memory_limit_in_mb arrives as the string "256"; 256 MB is what the percentage is of.
    for r in found:
        # MemoryUsed is whole MB, so half a MB of rounding is 0.2 % of 256 MB.
        assert r["MemoryUsedPercent"] == pytest.approx(100 * r["MemoryUsed"] / 256, abs=0.25)
    assert "InitDuration" in found[0]
    assert all("InitDuration" not in r for r in found[1:])
    assert "IdleTime" not in found[0]
    assert all(r["IdleTime"] >= 0 for r in found[1:])


def test_handler_results_and_errors_pass_through_unchanged(runtime_output):
    api, _, _ = runtime_output
    outcomes = [(i.outcome, i.body) for i in api.invocations]
    for n, (outcome, body) in enumerate(outcomes, start=1):
        if n == 4:
            assert outcome == "error"
            assert body["errorType"] == "ValueError"
            assert body["errorMessage"] == "invocation 4 was asked to fail"
        else:
            assert (outcome, body) == ("response", {"n": n, "remaining_ms_positive": True})


def test_nothing_else_is_written_to_stderr(runtime_output):
    _, _, stderr = runtime_output
    assert "lambda-lifecycle" not in stderr
