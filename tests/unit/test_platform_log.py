"""Lambda's own lines read as AWS writes them: the contract of ``lambda_lifecycle.platform_log``."""

from __future__ import annotations

import json

import platform_samples as s
import pytest

from lambda_lifecycle.platform_log import PlatformLine, Unread, cause, parse, to_json, to_text


def _line(message: str, time_ms: int | None = None) -> PlatformLine:
    found = parse(message, time_ms)
    assert isinstance(found, PlatformLine), found
    return found


def test_a_cold_start_report_in_text():
    line = _line(s.REPORT_COLD, 1_700_000_000_000)
    assert line == PlatformLine(
        kind="report",
        format="text",
        time_ms=1_700_000_000_000,
        request_id="8f507cfc-xmpl-4697-b07a-ac58fc914c95",
        status="success",
        duration_ms=15.74,
        billed_ms=16,
        memory_mb=128,
        max_memory_mb=56,
        init_ms=130.49,
    )


def test_start_end_and_init_start():
    start = _line(s.START)
    assert (start.kind, start.request_id, start.version) == ("start", "8f507cfc-xmpl-4697-b07a-ac58fc914c95", "$LATEST")
    end = _line(s.END)
    assert (end.kind, end.request_id) == ("end", "8f507cfc-xmpl-4697-b07a-ac58fc914c95")
    init = _line(s.INIT_START)
    assert (init.kind, init.runtime_version, init.status) == ("init_start", "python:3.12.v38", None)


def test_a_traced_report_keeps_its_fields_and_leaves_the_xray_line():
    line = _line(s.REPORT_TRACED)
    assert (line.request_id, line.duration_ms, line.billed_ms, line.max_memory_mb, line.init_ms) == (
        "3604209a-e9a3-11e6-939a-754dd98c7be3",
        12.34,
        13,
        18,
        None,
    )


@pytest.mark.parametrize(
    ("message", "status", "error_type", "why"),
    [
        (s.REPORT_COLD, "success", None, "success"),
        (s.REPORT_TIMEOUT, "timeout", None, "timeout"),
        (s.REPORT_COLD_TIMEOUT, "timeout", None, "timeout"),
        (s.REPORT_OOM, "error", "Runtime.OutOfMemory", "out of memory"),
        (s.REPORT_EXIT, "error", "Runtime.ExitError", "runtime exit"),
        (s.JSON_REPORT, "success", None, "success"),
        (s.JSON_REPORT_TIMEOUT, "timeout", None, "timeout"),
        (s.JSON_REPORT_OOM, "error", "Runtime.OutOfMemory", "out of memory"),
    ],
)
def test_report_status_and_its_cause(message, status, error_type, why):
    line = _line(message)
    assert (line.kind, line.status, line.error_type) == ("report", status, error_type)
    assert cause(line.status, line.error_type) == why


def test_a_cold_start_that_timed_out_bills_its_init():
    line = _line(s.REPORT_COLD_TIMEOUT)
    assert (line.duration_ms, line.billed_ms, line.init_ms, line.memory_mb) == (600000.0, 600477, 476.75, 1536)


def test_snapstart_restore_durations():
    line = _line(s.REPORT_SNAPSTART)
    assert (line.restore_ms, line.billed_restore_ms, line.init_ms, line.billed_ms) == (511.25, 303, None, 610)
    restore = _line(s.RESTORE_REPORT)
    assert (restore.kind, restore.duration_ms, restore.status) == ("restore_report", 511.25, "success")
    assert _line(s.RESTORE_START).kind == "restore_start"


@pytest.mark.parametrize(
    ("message", "duration", "phase", "status", "error_type"),
    [
        (s.INIT_REPORT_TIMEOUT, 10009.13, "init", "timeout", None),
        (s.INIT_REPORT_SUPPRESSED, 8431.38, "invoke", "error", "Runtime.ExitError"),
        (s.INIT_REPORT_IMPORT_ERROR, 229.04, "init", "error", "Runtime.ImportModuleError"),
        (s.JSON_INIT_REPORT_TIMEOUT, 10000.487, "init", "timeout", None),
    ],
)
def test_init_reports(message, duration, phase, status, error_type):
    line = _line(message)
    assert (line.kind, line.duration_ms, line.phase, line.status, line.error_type) == (
        "init_report",
        duration,
        phase,
        status,
        error_type,
    )


def test_json_records_carry_their_own_time_and_floats():
    line = _line(s.JSON_REPORT_COLD, time_ms=1)
    assert line.time_ms == 1791444629470  # 2026-10-08T07:30:29.470Z, not the log event's
    assert (line.format, line.duration_ms, line.billed_ms, line.init_ms, line.memory_mb, line.max_memory_mb) == (
        "json",
        1233.96,
        1698,
        463.512,
        256,
        123,
    )
    done = _line(s.JSON_RUNTIME_DONE_TIMEOUT)
    assert (done.kind, done.status, done.duration_ms) == ("runtime_done", "timeout", 5001.182)
    init = _line(s.JSON_INIT_START)
    assert (init.kind, init.init_type, init.phase) == ("init_start", "on-demand", "init")
    assert _line(s.JSON_INIT_RUNTIME_DONE).kind == "init_runtime_done"
    start = _line(s.JSON_START)
    assert (start.kind, start.version) == ("start", "8")
    restore = _line(s.JSON_RESTORE_REPORT_FAILED)
    assert (restore.kind, restore.status, restore.error_type, restore.duration_ms) == (
        "restore_report",
        "failure",
        "RestoreError",
        None,
    )


@pytest.mark.parametrize(
    "message",
    [
        s.XRAY,
        s.EXTENSION,
        s.TELEMETRY,
        s.EXIT_MESSAGE,
        s.JSON_TELEMETRY_SUBSCRIPTION,
        "Runtime.ExitError",
        "END of the batch: 3 items",
        "REPORT written to s3://bucket/key",
        '{"level":"INFO","message":"START RequestId: x"}',
        '{"lambda_lifecycle":"invoke","Duration":1.5}',
        "[INFO] START RequestId: 1",
        "",
    ],
)
def test_lines_that_are_not_to_be_read(message):
    assert parse(message) is None


@pytest.mark.parametrize(
    ("message", "why"),
    [
        ("INIT_RUNTIME_DONE Status: success", "unknown"),
        ('{"time":"2026-01-01T00:00:00Z","type":"platform.somethingNew","record":{}}', "unknown"),
        ("REPORT RequestId: abc\tDuration: fast\tBilled Duration: 1 ms", "malformed"),
        ("REPORT Duration: 1.00 ms\tBilled Duration: 1 ms", "malformed"),  # no RequestId
        ("INIT_REPORT Phase: init\tStatus: error", "malformed"),  # no Init Duration
        ('{"time":"x","type":"platform.report","record":{"requestId":"a","metrics":{"durationMs":"1"}}}', "malformed"),
        ('{"time":"x","type":"platform.report","record":{"metrics":{"durationMs":1}}}', "malformed"),
        ('{"type":"platform.report","record":[]}', "malformed"),
        ('{"type":"platform.report","record":{', "malformed"),
    ],
)
def test_unknown_and_malformed_lines_are_told_apart_never_raised(message, why):
    found = parse(message)
    assert isinstance(found, Unread)
    assert found.why == why


def test_a_copy_that_lost_its_tabs_still_reads():
    line = _line(
        "REPORT RequestId: 069c8528-5926-43e2-a016-66ceeb943a46 Duration: 300000.00 ms Billed Duration: 300000 ms"
        " Memory Size: 128 MB Max Memory Used: 127 MB Status: timeout"
    )
    assert (line.duration_ms, line.billed_ms, line.memory_mb, line.max_memory_mb, line.status) == (
        300000.0,
        300000,
        128,
        127,
        "timeout",
    )


@pytest.mark.parametrize(
    ("status", "error_type", "why"),
    [
        (None, None, "success"),
        ("failure", "ValueError", "function error"),
        ("error", "Runtime.Unknown", "runtime exit"),
        ("error", "Runtime.ImportModuleError", "init error"),
        ("error", None, "unknown"),
        ("somethingNew", None, "unknown"),
    ],
)
def test_causes(status, error_type, why):
    assert cause(status, error_type) == why


@pytest.mark.parametrize(
    "message",
    [
        s.INIT_START,
        s.START,
        s.END,
        s.REPORT_COLD,
        s.REPORT_TIMEOUT,
        s.REPORT_COLD_TIMEOUT,
        s.REPORT_OOM,
        s.REPORT_EXIT,
        s.REPORT_SNAPSTART,
        s.RESTORE_START,
        s.RESTORE_REPORT,
        s.INIT_REPORT_TIMEOUT,
        s.INIT_REPORT_SUPPRESSED,
        s.INIT_REPORT_IMPORT_ERROR,
    ],
)
def test_written_text_is_lambdas_line(message):
    assert to_text(_line(message)) == message.rstrip()


@pytest.mark.parametrize(
    "message",
    [
        s.JSON_REPORT,
        s.JSON_REPORT_COLD,
        s.JSON_REPORT_TIMEOUT,
        s.JSON_RUNTIME_DONE_TIMEOUT,
        s.JSON_REPORT_OOM,
        s.JSON_INIT_START,
        s.JSON_INIT_REPORT_TIMEOUT,
        s.JSON_START,
        s.JSON_RESTORE_REPORT_FAILED,
    ],
)
def test_written_json_reads_back_the_same(message):
    line = _line(message)
    written = to_json(line)
    assert written is not None
    assert json.loads(written)["type"] == json.loads(message)["type"]
    assert parse(written) == line


def test_end_has_no_json_form_and_runtime_done_no_text_form():
    assert to_json(_line(s.END, 5)) is None
    assert to_text(_line(s.JSON_RUNTIME_DONE_TIMEOUT)) is None
