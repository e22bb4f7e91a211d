"""lambda_lifecycle.powertools: one story across Powertools Logger, Metrics and Tracer."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics.provider import cold_start as metrics_cold_start

import lambda_lifecycle
from lambda_lifecycle import powertools as integration
from lambda_lifecycle import testing
from lambda_lifecycle.contract import KIND_KEY


@pytest.fixture(autouse=True)
def fresh_integration(monkeypatch):
    # Integrations are undone by the suite's testing.reset() around every test.
    monkeypatch.setattr(metrics_cold_start, "is_cold_start", True)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Shop")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "orders")


def lines(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def stacked(order, logger, handler):
    """``handler`` under @instrument and @logger.inject_lambda_context, in ``order`` (outermost first)."""
    decorators = {
        "instrument": lambda_lifecycle.instrument,
        "logger": logger.inject_lambda_context(clear_state=True),
    }
    for name in reversed(order):
        handler = decorators[name](handler)
    return handler


@pytest.mark.parametrize("order", [("instrument", "logger"), ("logger", "instrument")])
def test_every_log_line_carries_the_lifecycle_in_any_order(order, capsys, context):
    # A service of its own: Powertools keeps one handler per service, bound to the stdout it saw first.
    service = "orders-" + "-".join(order)
    logger = Logger(service=service)
    child = Logger(service=service, child=True)

    def handler(event, context):
        logger.info("charging")
        child.info("from a child logger")
        return event

    handler = stacked(order, logger, handler)
    testing.reset()
    integration.integrate(logger=logger)
    handler({"n": 1}, context)
    handler({"n": 2}, context)
    logs = [line for line in lines(capsys) if "message" in line]
    env = lambda_lifecycle.environment()
    assert [line["invocation"] for line in logs] == [1, 1, 2, 2]
    assert [line["cold_start"] for line in logs] == [True, True, False, False]
    assert {line["container_id"] for line in logs} == {env.container_id}
    assert {line["environment_id"] for line in logs} == {env.environment_id}
    assert {line["init_type"] for line in logs} == {"on-demand"}


def test_integrate_refuses_what_is_not_a_powertools_logger():
    with pytest.raises(TypeError, match=r"aws_lambda_powertools\.Logger"):
        integration.integrate(logger=object())


def test_one_emf_document_per_invocation_with_log_metrics_outermost(capsys, context):
    metrics = Metrics()
    metrics.set_default_dimensions(stage="prod")
    integration.integrate(metrics=metrics)

    @metrics.log_metrics
    @lambda_lifecycle.instrument
    def handler(event, context):
        metrics.add_metric(name="OrdersPlaced", unit="Count", value=1)

    handler({}, context)
    handler({}, context)
    documents = lines(capsys)
    assert len(documents) == 2  # no line of our own
    first = documents[0]
    directive = first["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "Shop"
    assert sorted(directive["Dimensions"][0]) == ["service", "stage"]
    names = {m["Name"] for m in directive["Metrics"]}
    assert {"OrdersPlaced", "ColdStart", "InitDuration", "MemoryUsedPercent"} <= names
    assert (first["ColdStart"], documents[1]["ColdStart"]) == ([1.0], [0.0])  # Powertools keeps lists
    # What is not a declared metric travels as metadata, in the same document.
    assert first[KIND_KEY] == "invoke"
    assert first["container_id"] == lambda_lifecycle.environment().container_id
    assert first["invocation"] == 1
    assert "Duration" in first


@pytest.mark.parametrize("log_metrics", ["below", "absent"])
def test_without_log_metrics_above_the_records_are_still_flushed(log_metrics, capsys, context):
    metrics = Metrics()
    integration.integrate(metrics=metrics)
    handler = lambda_lifecycle.instrument(lambda event, context: None)
    if log_metrics == "below":

        @lambda_lifecycle.instrument
        @metrics.log_metrics
        def handler(event, context):
            metrics.add_metric(name="OrdersPlaced", unit="Count", value=1)

    handler({}, context)
    handler({}, context)
    documents = lines(capsys)
    ours = [d for d in documents if d.get(KIND_KEY) == "invoke"]
    assert [d["invocation"] for d in ours] == [1, 2]  # none left over for a later document
    assert all(d["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Shop" for d in ours)


@pytest.mark.parametrize(
    ("scenario", "cold"),
    [("on-demand", [1, 0]), ("proactive", [0, 0]), ("provisioned-concurrency", [0, 0])],
)
def test_the_powertools_cold_start_metric_agrees_with_ours(scenario, cold, capsys, clock, context, monkeypatch):
    if scenario == "provisioned-concurrency":
        monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", scenario)
    metrics = Metrics()
    handler = metrics.log_metrics(capture_cold_start_metric=True)(
        lambda_lifecycle.instrument(lambda event, context: None)
    )
    testing.reset()
    integration.integrate(metrics=Metrics(namespace="Other"))  # any integration brings agreement
    if scenario == "proactive":
        clock.advance(60)  # initialized a minute before anyone invoked it
    handler({}, context)
    handler({}, context)
    documents = lines(capsys)
    powertools_cold = [d for d in documents if "ColdStart" in d and KIND_KEY not in d]
    ours = [d["ColdStart"] for d in documents if d.get(KIND_KEY) == "invoke"]
    assert ours == [[float(c)] for c in cold]
    assert len(powertools_cold) == sum(cold)  # Powertools writes ColdStart only when it is one


def test_tracer_annotations_agree_in_either_order(monkeypatch, context):
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    provider = mock.MagicMock()
    tracer = Tracer(service="orders", provider=provider, disabled=False)
    testing.reset()
    integration.integrate(tracer=tracer)

    @tracer.capture_lambda_handler
    @lambda_lifecycle.instrument
    def handler(event, context):
        return None

    handler({}, context)
    handler({}, context)
    ours = [c.kwargs for c in provider.put_annotation.call_args_list]
    assert {"key": "init_type", "value": "on-demand"} in ours
    assert [a["value"] for a in ours if a["key"] == "ColdStart"] == [True, False]
    subsegment = provider.in_subsegment.return_value.__enter__.return_value
    theirs = [c.kwargs["value"] for c in subsegment.put_annotation.call_args_list if c.kwargs["key"] == "ColdStart"]
    assert theirs == [True, False]


@pytest.mark.parametrize("take_back", ["undo", "reset"])
def test_an_integration_can_be_taken_back(take_back, capsys, context):
    logger = Logger(service=f"orders-{take_back}")  # one per test: a handler keeps the stdout it first saw
    metrics = Metrics()
    undo = integration.integrate(logger=logger, metrics=metrics)

    @lambda_lifecycle.instrument
    def handler(event, context):
        logger.info("charging")

    if take_back == "undo":
        undo()
        undo()  # twice is harmless
    else:
        testing.reset()  # a new simulated environment: its handler module has not integrated yet
    handler({}, context)
    documents = lines(capsys)
    [log] = [d for d in documents if "message" in d]
    assert "container_id" not in log
    [record] = [d for d in documents if d.get(KIND_KEY) == "invoke"]
    assert record["ColdStart"] == 1  # our own line, not a Powertools document with list values


def test_capture_sees_records_published_through_powertools(context):
    metrics = Metrics()
    integration.integrate(metrics=metrics)
    handler = metrics.log_metrics(lambda_lifecycle.instrument(lambda event, context: None))
    with testing.capture() as records:
        handler({}, context)
        handler({}, context)
    assert [r["invocation"] for r in records] == [1, 2]
    assert [r["cold_start"] for r in records] == [True, False]
