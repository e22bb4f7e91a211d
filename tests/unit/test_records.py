"""The one record reader: which lines are records (the discriminator, 0.2.x lines read only when they
can be told apart), the shapes a line comes in, completion per the contract, and ISO times."""

from __future__ import annotations

import json

import pytest

import lambda_lifecycle
from lambda_lifecycle import testing
from lambda_lifecycle.contract import ABSENT, KIND_KEY
from lambda_lifecycle.records import MalformedRecord, Timed, read_text, record_of, records_in, time_ms

T0 = 1_795_400_000_000

# What a function's own logs hold: structlog's default message key is "event".
USER_LINES = [
    '{"event": "invoke", "level": "info", "timestamp": "2026-11-22T08:00:00Z"}',
    '{"event": "shutdown"}',
    '{"event": "timeout_warning", "logger": "app"}',
    # A user's line with our fields but not a 0.2.x invoke (no _aws): still theirs.
    '{"event": "invoke", "container_id": "c", "environment_id": "e", "order": 7}',
    # The new key with a value that is no kind.
    '{"lambda_lifecycle": "started", "version": "1.2"}',
]

# As 0.2.x wrote them: EMF invoke records (an _aws block), shutdown and timeout warning records.
LEGACY_INVOKE = {
    "_aws": {
        "Timestamp": T0,
        "CloudWatchMetrics": [{"Namespace": "LambdaLifecycle", "Dimensions": [[]], "Metrics": []}],
    },
    "event": "invoke",
    "function_name": "orders",
    "container_id": "c1",
    "environment_id": "e1",
    "invocation": 1,
    "cold_start": True,
    "ColdStart": 1,
}
LEGACY_SHUTDOWN = {"event": "shutdown", "container_id": "c1", "environment_id": "e1", "reason": "SIGTERM"}


def sdk_lines(record_format, capfd):
    """The lines the SDK writes now: a cold and a warm invoke record and a shutdown record."""
    handler = lambda_lifecycle.instrument(lambda event, context: None, format=record_format)
    testing.reset()
    try:
        with testing.capture(echo=True):
            handler({}, testing.LambdaContext())
            handler({}, testing.LambdaContext())
            testing.shutdown()
    finally:
        testing.reset()
    return capfd.readouterr().out.splitlines()


@pytest.mark.parametrize("line", USER_LINES)
def test_a_functions_own_line_is_no_record_for_any_reader(line):
    assert record_of(line) is None
    assert read_text(line + "\n" + line).records == []
    export = json.dumps({"events": [{"timestamp": T0, "message": line}]})
    assert read_text(export).records == []
    with pytest.raises(ValueError, match="not a lambda-lifecycle record"):
        testing.parse(line)


def test_a_structlog_handlers_lines_are_left_out_and_its_records_kept(capsys):
    structlog = pytest.importorskip("structlog")
    structlog.configure(processors=[structlog.processors.JSONRenderer()], cache_logger_on_first_use=False)
    log = structlog.get_logger()

    @lambda_lifecycle.instrument
    def handler(event, context):
        log.info("invoke")
        log.info("shutdown")

    try:
        with testing.Lifecycle() as lifecycle:
            lifecycle.invoke(handler)
            lifecycle.invoke(handler)
            lifecycle.shutdown()
    finally:
        structlog.reset_defaults()
    out = capsys.readouterr().out
    assert out.count('"event": "invoke"') == 2  # structlog wrote its lines
    assert [r[KIND_KEY] for r in lifecycle.records] == ["invoke", "invoke", "shutdown"]
    reading = read_text(out + "\n".join(json.dumps(r) for r in lifecycle.records))
    assert [r[KIND_KEY] for _, r in reading.records] == ["invoke", "invoke", "shutdown"]


@pytest.mark.parametrize("legacy", [LEGACY_INVOKE, LEGACY_SHUTDOWN], ids=["invoke", "shutdown"])
def test_a_02_record_is_read_under_the_new_key(legacy):
    found = record_of(json.dumps(legacy))
    assert found is not None
    assert found[KIND_KEY] == legacy["event"]
    assert "event" not in found
    assert found["init_type"] == ABSENT["init_type"]  # completed as the contract reads it


def test_a_02_invoke_line_without_aws_is_counted_not_read():
    line = json.dumps({k: v for k, v in LEGACY_INVOKE.items() if k != "_aws"})
    reading = read_text(f"{line}\n{json.dumps(LEGACY_SHUTDOWN)}\n")
    assert [r[KIND_KEY] for _, r in reading.records] == ["shutdown"]
    assert (reading.unrecognised, reading.malformed) == (1, 0)


@pytest.mark.parametrize("legacy", [LEGACY_INVOKE, LEGACY_SHUTDOWN], ids=["invoke", "shutdown"])
@pytest.mark.parametrize("field", ["container_id", "environment_id"])
def test_a_02_line_needs_its_string_ids(legacy, field):
    assert record_of(json.dumps({**legacy, field: 7})) is None
    assert record_of(json.dumps({k: v for k, v in legacy.items() if k != field})) is None


@pytest.mark.parametrize("record_format", ["emf", "json", "prefixed"])
def test_every_format_the_sdk_writes_is_read_back(record_format, capfd):
    lines = sdk_lines(record_format, capfd)
    assert len(lines) == 3
    assert [record_of(line)[KIND_KEY] for line in lines] == ["invoke", "invoke", "shutdown"]
    assert all('"event"' not in line for line in lines)


def test_every_shape_a_line_comes_in():
    record = {KIND_KEY: "invoke", "container_id": "c", "environment_id": "e", "request_id": "r"}
    line = json.dumps(record)
    shapes = {
        "plain": (line, None),
        "prefixed": ("METRICS: " + line, None),
        "lambda text log line": (f"2026-11-22T08:00:01.500Z\t8d1f1c3e\tINFO\t{line}", 1_795_334_401_500),
        "CloudWatch event": (json.dumps({"timestamp": T0, "message": line}), T0),
        "Lambda JSON log format": (
            json.dumps({"timestamp": "2026-11-22T08:00:00Z", "message": record}),
            1_795_334_400_000,
        ),
        "Logs Insights row": (
            json.dumps({"@timestamp": "2026-11-22 08:00:00.250", "@message": line}),
            1_795_334_400_250,
        ),
    }
    for name, (text, ms) in shapes.items():
        reading = records_in(text)
        assert [(t.ms, t.record["request_id"]) for t in reading.records] == [(ms, "r")], name
    # A CloudWatch export or a list of Logs Insights rows: one JSON document.
    export = json.dumps([{"@timestamp": "2026-11-22 08:00:00.250", "@message": line}] * 2, indent=1)
    assert [t.ms for t in read_text(export).records] == [1_795_334_400_250] * 2
    assert read_text(export).records[0] == Timed(1_795_334_400_250, record_of(line))


@pytest.mark.parametrize(
    "line",
    [
        '{"lambda_lifecycle": "invoke", "container_id": "a1", broken',
        '{"data":{"lambda_lifecycle":"invoke"},"lambda_lifecycle":["invoke"]}',
    ],
)
def test_a_line_of_ours_that_does_not_read_is_malformed(line):
    assert records_in(line).malformed == 1
    with pytest.raises(MalformedRecord):
        record_of(line)


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("2026-11-22T08:00Z", 1_795_334_400_000),
        ("2026-11-22T08:00:00.250Z", 1_795_334_400_250),
        ("2026-11-22 08:00:00.250", 1_795_334_400_250),  # Logs Insights' @timestamp, UTC
        ("2026-11-22T09:00:00+01:00", 1_795_334_400_000),
        ("2026-11-22", 1_795_305_600_000),
        (1_795_334_400_000, 1_795_334_400_000),
        ("yesterday", None),
        (float("nan"), None),
        (True, None),
    ],
)
def test_times_are_read_in_one_place(text, ms):
    assert time_ms(text) == ms


def test_a_kind_02_never_wrote_is_read_only_under_the_new_key():
    ids = {"container_id": "c", "environment_id": "e"}
    assert record_of(json.dumps({"event": "init", **ids})) is None  # a function's own line
    assert record_of(json.dumps({KIND_KEY: "init", **ids}))[KIND_KEY] == "init"
