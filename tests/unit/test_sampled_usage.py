"""Descriptors, threads and /tmp, a system call each, read at most once a second per process."""

from __future__ import annotations

import time

import pytest

import lambda_lifecycle
from lambda_lifecycle import testing
from lambda_lifecycle._runtime import RUNTIME
from lambda_lifecycle.contract import KIND_KEY, MEASUREMENTS, SAMPLED_USAGE

MEMORY = ("MemoryUsed", "MaxMemoryUsed", "MemoryUsedPercent")


@pytest.fixture
def real_process():
    """A real process, not a simulated environment (which reads everything every time)."""
    RUNTIME.reset()


def sampled(record):
    return [name for name in SAMPLED_USAGE if name in record]


def declared(record):
    return {metric["Name"] for metric in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]}


def test_a_busy_process_reads_them_on_its_first_invocation_then_once_a_second(real_process, records, clock, context):
    handler = lambda_lifecycle.instrument(metrics="all")(lambda event, context: None)
    for gap_s in (0, 0.3, 0.3, 0.5, 0.1):  # at 0, 0.3, 0.6, 1.1 and 1.2 s
        clock.advance(gap_s)
        handler({}, context)
    assert [bool(sampled(r)) for r in records] == [True, False, False, True, False]
    assert [sampled(r) for r in records[::3]] == [list(SAMPLED_USAGE)] * 2
    for record in records:
        assert all(name in record for name in MEMORY)  # memory on every line
        assert declared(record) == {name for name in MEASUREMENTS if name in record}  # EMF: no more, no less


def test_the_setting_reads_them_on_every_invocation(real_process, records, context, monkeypatch):
    monkeypatch.setenv("LAMBDA_LIFECYCLE_USAGE_EVERY_INVOCATION", "true")
    handler = lambda_lifecycle.instrument(lambda event, context: None)
    for _ in range(3):
        handler({}, context)
    lambda_lifecycle.bootstrap(usage_every_invocation=False)
    handler({}, context)
    assert [len(sampled(r)) for r in records] == [4, 4, 4, 0]


def test_a_timeout_warning_always_has_them(real_process, records):
    @lambda_lifecycle.instrument(timeout_warning_ms=300)
    def handler(event, context):
        time.sleep(event["sleep_s"])

    handler({"sleep_s": 0}, testing.LambdaContext())
    handler({"sleep_s": 0.6}, testing.LambdaContext(timeout_s=0.5))
    _, warning, second = records
    assert warning[KIND_KEY] == "timeout_warning"
    assert sampled(warning) == list(SAMPLED_USAGE)
    assert sampled(second) == []  # within a second of the first


def test_the_shutdown_record_reads_tmp_at_the_shutdown(monkeypatch, tmp_path, records, context):
    # Inside Lambda (a real process), with a simulated /tmp measured by what its files take.
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
    monkeypatch.setenv("LAMBDA_LIFECYCLE_HANDLE_SIGTERM", "false")
    monkeypatch.setenv("LAMBDA_LIFECYCLE_TMP_PATH", str(tmp_path))
    monkeypatch.setenv("LAMBDA_LIFECYCLE_TMP_SIZE_MB", "512")
    RUNTIME.reset()
    handler = lambda_lifecycle.instrument(lambda event, context: (tmp_path / "data").write_bytes(b"x" * event))
    handler(0, context)
    handler(3 << 20, context)  # writes 3 MB; its line, within the second, has no TmpUsed
    testing.shutdown()
    first, second, shutdown = records
    assert (first["TmpUsed"], "TmpUsed" in second) == (0, False)
    assert shutdown["MaxTmpUsed"] == 3  # read at the shutdown
