"""The record contract: field names, units, EMF validity, formats and size."""

from __future__ import annotations

import contextlib
import json

import pytest
from emf import problems

import lambda_lifecycle
from lambda_lifecycle import contract, testing
from lambda_lifecycle.contract import KIND_KEY

CONTRACT_PROPERTIES = {
    KIND_KEY: str,
    "function_name": str,
    "function_version": str,
    "request_id": str,
    "container_id": str,
    "environment_id": str,
    "invocation": int,
}
CONTRACT_UNITS = {
    "ColdStart": "Count",
    "InitDuration": "Milliseconds",
    "Duration": "Milliseconds",
    "IdleTime": "Milliseconds",
    "ContainerAge": "Seconds",
    "TmpUsed": "Megabytes",
    "TmpUsedPercent": "Percent",
    "MemoryUsed": "Megabytes",
    "MaxMemoryUsed": "Megabytes",
    "MemoryUsedPercent": "Percent",
    "FileDescriptors": "Count",
    "Threads": "Count",
}
EVERY_INVOCATION = set(CONTRACT_UNITS) - {"InitDuration", "IdleTime"}


def lines_of(calls, capsys, clock=None, **options):
    handler = lambda_lifecycle.instrument(**options)(lambda event, context: None)
    for _ in range(calls):
        handler({}, testing.LambdaContext(function_name="orders", memory_limit_in_mb=512))
        if clock:
            clock.advance(1)
    return capsys.readouterr().out.splitlines()


def test_one_compact_json_line_per_invocation(capsys):
    lines = lines_of(3, capsys)
    assert len(lines) == 3
    for line in lines:
        doc = json.loads(line)
        assert line == json.dumps(doc, separators=(",", ":"))  # compact, nothing else on the line
        assert len(line.encode()) < 256 * 1024


@pytest.mark.parametrize("duration_ms", [0.0, 0.0004, 0.0005, 0.0015, 0.02, 1.5, 1.2345, 999.9996, 123456.789])
def test_duration_and_percentages_are_rounded_and_written_as_json_writes_them(duration_ms):
    # Made with integer arithmetic on the hot path: within half a unit of the last decimal, in
    # the text json.dumps gives that number (no trailing zeros, no exponent).
    from lambda_lifecycle import _config, _context, _probes, _record, _state

    testing.reset()
    invocation = _state.begin(10_000, "request")
    body, _ = _record.invoke_body(_config.resolve({}), invocation, _context.read(None), None, duration_ms, 0.0)
    usage = _probes.Usage(duration_ms, 1.0, 1, 1, duration_ms, 512.0)
    text, _ = _record.usage_fields(usage, 512)
    doc = json.loads("{" + body + text + "}")
    for name, exact, unit in (
        ("Duration", duration_ms, 0.001),
        ("MemoryUsedPercent", 100 * duration_ms / 512, 0.1),
        ("TmpUsedPercent", 100 * duration_ms / 512, 0.1),
    ):
        assert abs(doc[name] - exact) <= unit / 2 + 1e-9, name
        assert f'"{name}":{json.dumps(doc[name])}' in body + text, name


def test_flags_and_errors_appear_only_when_they_say_something(capsys):
    handler = lambda_lifecycle.instrument(lambda event, context: event["fail"] and 1 / 0)
    for fail in (False, True):
        with contextlib.suppress(ZeroDivisionError):
            handler({"fail": fail}, testing.LambdaContext())
    ok, failed = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    # Absent means false (proactive_init, reinit, restored) and no exception (error).
    assert not {"error", "proactive_init", "reinit", "restored"} & set(ok)
    assert failed["error"] == "ZeroDivisionError"


# The invoke record's fields in the order a line holds them (a line holds those it has).
FIELD_ORDER = [
    *(KIND_KEY, "function_name", "function_version", "container_id", "environment_id", "process_restarts"),
    *("worker", "init_type", "restored", "service", "stage", "request_id", "invocation", "cold_start"),
    *("proactive_init", "reinit", "previous_container_id", "previous_invocations", "previous_killed", "init_calls"),
    *("error", "tenant_id", "durable_execution_id", "replayed", "xray_trace_id", "ColdStart", "InitDuration"),
    *("RestoreToInvoke", "Duration", "IdleTime", "ContainerAge", *contract.USAGE),
]


def test_fields_are_in_the_documented_order(capsys, clock, monkeypatch):
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-67891233-abcdef012345678912345678;Sampled=1")
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "provisioned-concurrency")
    testing.reset()
    handler = lambda_lifecycle.instrument(service="orders", dimensions={"stage": "prod"})(lambda e, c: 1 / e)
    for event in (0, 1):
        with contextlib.suppress(ZeroDivisionError):
            handler(event, testing.LambdaContext(tenant_id="t-1"))
        clock.advance(1)
    failed, ok = ([key for key in json.loads(line) if key != "_aws"] for line in capsys.readouterr().out.splitlines())
    for keys in (failed, ok):
        assert keys == [name for name in FIELD_ORDER if name in keys]
        assert {"init_type", "service", "stage", "tenant_id", "xray_trace_id", "ColdStart", "Duration"} <= set(keys)
    assert {"error", "InitDuration"} <= set(failed)
    assert "IdleTime" in ok


def test_every_record_is_valid_emf(capsys, monkeypatch):
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-67891233-abcdef012345678912345678;Sampled=1")
    for line in lines_of(3, capsys, service="orders", dimensions={"stage": "prod"}, metrics="all"):
        assert problems(json.loads(line)) == []


def test_contract_properties_and_units(capsys, clock):
    first, second = (json.loads(line) for line in lines_of(2, capsys, clock=clock, metrics="all"))
    # What is usual (contract.ABSENT) is left out: here only the cold start says something.
    assert first["cold_start"] is True
    assert not (set(contract.ABSENT) - {"cold_start"}) & set(first)
    assert not set(contract.ABSENT) & set(second)
    assert {name: contract.complete(dict(second))[name] for name in contract.ABSENT} == {
        "function_version": "$LATEST",
        "process_restarts": 0,
        "init_type": "on-demand",
        "cold_start": False,
        "proactive_init": False,
        "reinit": False,
        "restored": False,
    }
    for doc in (first, second):
        for name, kind in CONTRACT_PROPERTIES.items():
            assert isinstance(contract.complete(dict(doc))[name], kind), name
        for name in EVERY_INVOCATION:
            assert isinstance(doc[name], (int, float)), name
            assert not isinstance(doc[name], bool), name
        assert doc[KIND_KEY] == "invoke"
        assert "xray_trace_id" not in doc
        assert "service" not in doc
    assert "InitDuration" in first
    assert "IdleTime" not in first
    assert "InitDuration" not in second
    assert second["IdleTime"] == pytest.approx(1000, abs=5)
    declared = {m["Name"]: m["Unit"] for m in second["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert declared == {k: v for k, v in CONTRACT_UNITS.items() if k != "InitDuration"}


def test_default_metrics_are_few_and_ids_are_never_dimensions(capsys, clock):
    first, second = (json.loads(line) for line in lines_of(2, capsys, clock=clock, service="orders"))
    directive = first["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "LambdaLifecycle"
    assert directive["Dimensions"] == [["function_name", "service"]]
    assert [m["Name"] for m in directive["Metrics"]] == [
        "ColdStart",
        "InitDuration",
        "MemoryUsedPercent",
        "TmpUsedPercent",
    ]
    assert [m["Name"] for m in second["_aws"]["CloudWatchMetrics"][0]["Metrics"]] == [
        "ColdStart",
        "IdleTime",
        "MemoryUsedPercent",
        "TmpUsedPercent",
    ]
    for doc in (first, second):
        dimensions = {d for ds in doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] for d in ds}
        assert not dimensions & {"container_id", "request_id", "xray_trace_id", "invocation"}
        # Every measurement stays in the line for Logs Insights, declared or not.
        assert set(doc) >= EVERY_INVOCATION


def test_user_dimensions_are_added_to_the_set_and_the_root(capsys):
    doc = json.loads(lines_of(1, capsys, dimensions={"stage": "prod", "team": "checkout"})[0])
    assert doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["function_name", "stage", "team"]]
    assert (doc["stage"], doc["team"]) == ("prod", "checkout")


@pytest.mark.parametrize("name", ["container_id", "request_id", "xray_trace_id", "ColdStart", "environment_id"])
def test_high_cardinality_or_reserved_dimension_names_are_refused(name):
    with pytest.raises(ValueError, match=name):
        lambda_lifecycle.instrument(dimensions={name: "x"})


def test_metrics_selection(capsys):
    doc = json.loads(lines_of(1, capsys, metrics=["Duration", "Threads"])[0])
    assert [m["Name"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]] == ["Duration", "Threads"]
    every = json.loads(lines_of(1, capsys, metrics="All")[0])
    assert len(every["_aws"]["CloudWatchMetrics"][0]["Metrics"]) == len(CONTRACT_UNITS) - 1  # no IdleTime yet
    none = json.loads(lines_of(1, capsys, metrics="none")[0])
    assert none["_aws"]["CloudWatchMetrics"][0]["Metrics"] == []
    assert problems(none) == []


def test_prefixed_format_is_the_seed_style_line_without_metrics(capsys):
    line = lines_of(1, capsys, format="prefixed")[0]
    assert line.startswith("METRICS: {")
    doc = json.loads(line[len("METRICS: ") :])
    assert "_aws" not in doc
    assert doc[KIND_KEY] == "invoke"
    assert "ColdStart" in doc


def test_json_format_has_no_emf_block(capsys):
    doc = json.loads(lines_of(1, capsys, format="json")[0])
    assert "_aws" not in doc
    assert doc["invocation"] == 1


def test_largest_possible_configuration_stays_far_below_the_limit(capsys):
    dimensions = {f"d{i:02}" + "k" * 250: "v" * 1024 for i in range(28)}
    line = lines_of(1, capsys, service="s" * 1024, dimensions=dimensions, metrics="all", namespace="n" * 255)[0]
    assert len(line.encode()) < 256 * 1024
    assert problems(json.loads(line)) == []


def test_typical_record_size(capsys):
    # The size users pay CloudWatch Logs ingestion for: report it, bound it loosely.
    warm = lines_of(2, capsys)[1]
    assert len(warm.encode()) < 900


@pytest.mark.parametrize("as_dict", [False, True])
def test_huge_context_fields_are_bounded_so_the_record_fits_one_log_event(capsys, monkeypatch, as_dict):
    huge = "r" * 300_000
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root=1-{'a' * 300_000};Parent=53995c3f42cd8ad8;Sampled=1")
    fields = {
        "function_name": "f" * 300_000,
        "function_version": huge,
        "aws_request_id": huge,
        "tenant_id": huge,
        "memory_limit_in_mb": 10**5000,
    }
    context: object = fields
    if not as_dict:
        context = testing.LambdaContext()
        for name, value in fields.items():
            setattr(context, name, value)
    result = object()
    assert lambda_lifecycle.instrument(lambda event, context: result)({}, context) is result
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert len(lines[0].encode()) < contract.MAX_RECORD_BYTES
    doc = json.loads(lines[0])
    assert problems(doc) == []
    assert doc["request_id"].startswith("rrr")
    assert doc["xray_trace_id"].startswith("1-aaa")


@pytest.mark.parametrize(
    "usage",
    [(18.3, 18.5, 8, 2, 24.0, 512.0), (0.4, 0.6, 1, 1, 0.0, 512.0), (1500.25, 1600.0, 1000, 50, 9999.5, 10240.0)],
)
def test_a_full_usage_is_written_as_each_field_alone_would_be(usage):
    # usage_fields writes a full sample (every invocation in Lambda) with one format; it must say
    # what the field-by-field path says.
    from lambda_lifecycle import _probes, _record

    text, mask = _record.usage_fields(_probes.Usage(*usage), 512)
    assert (text, mask) == _record._some_usage_fields(*usage[:4], 512, *usage[4:])


def _readings():
    # Every way the usage readings can fail or be missing: each alone, and the memory limit and
    # /tmp size they are related to.
    import itertools

    for present in itertools.product((True, False), repeat=7):
        rss, max_rss, fds, threads, tmp_used, limit, tmp_size = present
        yield (
            (
                18.3 if rss else None,
                18.5 if max_rss else None,
                8 if fds else None,
                2 if threads else None,
                24.0 if tmp_used else None,
                512.0 if tmp_size else None,
            ),
            (512 if limit else None),
        )


def test_a_line_declares_exactly_the_usage_it_carries_in_the_contracts_order():
    # The mask of the measurements a line carries chooses the metrics its EMF directive
    # declares: if it drifted from contract.USAGE's order (bits written as numbers), a line
    # would declare a metric it lacks (CloudWatch rejects it) or leave one unpublished.
    from lambda_lifecycle import _config, _context, _probes, _record, _state

    testing.reset()
    settings = _config.resolve(_config.check(metrics="all"))
    body, mask = _record.invoke_body(settings, _state.begin(10_000, "request"), _context.read(None), None, 1.0, 0.0)
    for readings, limit in _readings():
        usage, present = _record.usage_fields(_probes.Usage(*readings), limit)
        doc = json.loads(_record.invoke_line(settings, body, usage, mask | present, 1_796_000_000_000))
        written = [name for name in json.loads("{" + usage[1:] + "}")] if usage else []
        assert written == [name for name in contract.USAGE if name in written]
        declared = {metric["Name"] for metric in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
        assert declared == set(contract.MEASUREMENTS) & set(doc), (readings, limit)
        assert problems(doc) == []
    full, _ = _record.usage_fields(_probes.Usage(18.3, 18.5, 8, 2, 24.0, 512.0), 512)
    assert list(json.loads("{" + full[1:] + "}")) == list(contract.USAGE)
