"""The public testing helpers behave like the platform they stand in for."""

from __future__ import annotations

import os
import tempfile
import time

import lambda_lifecycle
from lambda_lifecycle import testing


def test_context_looks_like_the_runtime_clients():
    context = testing.LambdaContext(function_name="orders", memory_limit_in_mb=512, timeout_s=2)
    assert context.memory_limit_in_mb == "512"  # a string, as awslambdaric gives it
    assert context.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:orders"
    assert len(context.aws_request_id) == 36
    assert context.aws_request_id[14] == "4"
    first = context.get_remaining_time_in_millis()
    time.sleep(0.05)
    assert 1800 < context.get_remaining_time_in_millis() < first <= 2000
    assert testing.LambdaContext().aws_request_id != testing.LambdaContext().aws_request_id


def test_capture_stops_printing_and_echo_prints(capsys):
    handler = lambda_lifecycle.instrument(lambda e, c: None)
    with testing.capture() as quiet:
        handler({}, None)
    with testing.capture(echo=True) as loud:
        handler({}, None)
    handler({}, None)
    out = capsys.readouterr().out.splitlines()
    assert (len(quiet), len(loud), len(out)) == (1, 1, 2)
    assert testing.parse(out[0]) == loud[0]


def test_simulated_clock_moves_only_inside_its_block(records):
    real = time.time()
    with testing.simulated_clock() as clock:
        clock.advance(3600)
        assert lambda_lifecycle.environment().age_s > 3599
    assert lambda_lifecycle.environment().age_s < time.time() - real + 600


def test_reset_starts_a_new_environment(records):
    handler = lambda_lifecycle.instrument(lambda e, c: None)
    handler({}, None)
    handler({}, None)
    testing.reset(init_duration_ms=120)
    handler({}, None)
    assert [r["invocation"] for r in records] == [1, 2, 1]
    assert records[2]["cold_start"]
    assert records[2]["InitDuration"] == 120


def test_what_a_handler_writes_to_tempfiles_tmp_is_the_environments():
    before = tempfile.gettempdir()

    @lambda_lifecycle.instrument
    def handler(event, context):
        with tempfile.NamedTemporaryFile(delete=False) as f:
            f.write(os.urandom(3 * 1024 * 1024))
        return f.name

    with testing.Lifecycle() as lifecycle:
        written = lifecycle.invoke(handler)
        assert os.path.dirname(written) == lifecycle.tmp_dir
        assert lifecycle.invocations[0]["TmpUsed"] == 3
    assert tempfile.gettempdir() == before


def test_filling_tmp_does_not_show_as_memory():
    handler = lambda_lifecycle.instrument(lambda event, context: None)
    with testing.Lifecycle() as lifecycle:
        lifecycle.invoke(handler)
        lifecycle.write_tmp(64)
        lifecycle.invoke(handler)
    first, second = lifecycle.invocations
    assert second["TmpUsed"] == 64
    assert second["MaxMemoryUsed"] < first["MaxMemoryUsed"] + 32


def test_a_simulated_environment_takes_its_tmp_away_with_it(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with testing.Lifecycle() as lifecycle:
        lifecycle.write_tmp(1)
        lifecycle.invoke(lambda_lifecycle.instrument(lambda event, context: None))
        assert [path.name.startswith("lambda-tmp-") for path in tmp_path.iterdir()] == [True]
    assert list(tmp_path.iterdir()) == []
