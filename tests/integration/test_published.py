"""Issue 21, item 9: ``dashboard`` and ``alarms --apply`` with explicit ``--namespace`` /
``--service`` check the flags against the metrics that exist (``ListMetrics``, moto) and refuse,
in one line, to put a widget or an alarm on a metric that does not exist."""

from __future__ import annotations

import json

import boto3
import moto_aws
import pytest

from lambda_lifecycle import contract
from lambda_lifecycle.cli import main

FUNCTION = "orders"


@pytest.fixture
def aws(monkeypatch):
    for _ in moto_aws.mocked(monkeypatch):
        yield boto3.client("cloudwatch", region_name="us-east-1")


def publish(cw, namespace, dimensions, names):
    dims = [{"Name": name, "Value": value} for name, value in dimensions]
    cw.put_metric_data(
        Namespace=namespace, MetricData=[{"MetricName": n, "Dimensions": dims, "Value": 1.0} for n in names]
    )


def nothing_put(cw):
    return cw.describe_alarms()["MetricAlarms"] == [] and cw.list_dashboards()["DashboardEntries"] == []


def test_powertools_own_cold_start_series_is_refused(aws, capsys):
    # powertools.integrate(metrics=...): the SDK's metrics go out under Powertools' [service];
    # Powertools writes its own ColdStart (1 on cold starts only) under [function_name, service].
    publish(aws, "Shop", [("service", FUNCTION)], contract.DEFAULT_METRICS)
    publish(aws, "Shop", [("function_name", FUNCTION), ("service", FUNCTION)], ["ColdStart"])
    for command in ("alarms", "dashboard"):
        flags = [command, "--function", FUNCTION, "--namespace", "Shop", "--service", FUNCTION, "--apply"]
        assert main(flags) == 1
        [line] = capsys.readouterr().err.splitlines()
        assert line == (
            "lambda-lifecycle: Shop holds lambda-lifecycle's metrics under service=orders, not"
            " function_name=orders, service=orders (where it holds ColdStart): run without --namespace to use what"
            " the records declare"
        )
    assert nothing_put(aws)


@pytest.mark.parametrize(
    ("namespace", "service", "words"),
    [
        ("Nope", None, "no lambda-lifecycle metric exists in Nope under function_name=orders: check --namespace"),
        (
            "LambdaLifecycle",
            "billing",
            "LambdaLifecycle holds lambda-lifecycle's metrics under function_name=orders, not function_name=orders,"
            " service=billing (where it holds none of them)",
        ),
    ],
)
def test_flags_naming_metrics_never_published_are_refused(aws, capsys, namespace, service, words):
    publish(aws, "LambdaLifecycle", [("function_name", FUNCTION)], contract.DEFAULT_METRICS)
    for command in ("alarms", "dashboard"):
        flags = [command, "--function", FUNCTION, "--namespace", namespace, "--apply"]
        assert main(flags + (["--service", service] if service else [])) == 1
        [line] = capsys.readouterr().err.splitlines()
        assert words in line
    assert nothing_put(aws)


def test_only_the_metrics_that_exist_get_a_widget_or_an_alarm(aws, capsys):
    publish(aws, "LambdaLifecycle", [("function_name", FUNCTION)], ["ColdStart", "InitDuration"])
    assert main(["alarms", "--function", FUNCTION, "--namespace", "LambdaLifecycle", "--apply"]) == 0
    assert main(["dashboard", "--function", FUNCTION, "--namespace", "LambdaLifecycle", "--apply"]) == 0
    assert [a["AlarmName"] for a in aws.describe_alarms()["MetricAlarms"]] == [
        "lambda-lifecycle-orders-cold-start-rate"
    ]
    body = json.loads(aws.get_dashboard(DashboardName="lambda-lifecycle-orders-us-east-1")["DashboardBody"])
    charted = {m[1] for w in body["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]}
    assert charted == {"ColdStart", "InitDuration"}
    assert "no alarm on TmpUsedPercent, MemoryUsedPercent" in capsys.readouterr().err


def test_dry_run_checks_too_and_puts_nothing(aws, capsys):
    publish(aws, "LambdaLifecycle", [("function_name", FUNCTION)], contract.DEFAULT_METRICS)
    assert main(["alarms", "--function", FUNCTION, "--namespace", "LambdaLifecycle", "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "would put alarm lambda-lifecycle-orders-tmp-used: TmpUsedPercent (Maximum) > 80",
        "would put alarm lambda-lifecycle-orders-memory-used: MemoryUsedPercent (Maximum) > 90",
        "would put alarm lambda-lifecycle-orders-cold-start-rate: cold-start rate > 0.25",
    ]
    assert nothing_put(aws)
