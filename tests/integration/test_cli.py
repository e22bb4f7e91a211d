"""lambda-lifecycle queries, dashboard and alarms against moto and botocore's Stubber, report against a
moto server, and the CLI as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import boto3
import moto_aws
import pytest
from cli_story import FUNCTION, LOG_GROUP, T0, check, scenario_records

import lambda_lifecycle
from lambda_lifecycle import contract, testing
from lambda_lifecycle.cli import aws, main, queries
from lambda_lifecycle.contract import KIND_KEY


@pytest.fixture(scope="module")
def records():
    return scenario_records()


@pytest.fixture
def moto_env(monkeypatch):
    yield from moto_aws.mocked(monkeypatch)


def test_queries_apply_twice_keeps_one_definition_each(monkeypatch, capsys):
    # moto has no query definitions; botocore's Stubber checks each call against the API model.
    from botocore.stub import Stubber

    stubbed = boto3.client("logs", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    monkeypatch.setattr(aws, "client", lambda service, region, endpoint, progress: aws.Client(stubbed, progress))
    saved = {}  # name -> (id, log groups): what CloudWatch holds, for every function
    with Stubber(stubbed) as stub:
        for function in (FUNCTION, FUNCTION, "payments"):
            prefix = f"lambda-lifecycle/{function}/"
            stub.add_response(
                "describe_query_definitions",
                {
                    "queryDefinitions": [
                        {"name": n, "queryDefinitionId": i} for n, (i, _) in saved.items() if n.startswith(prefix)
                    ]
                },
                {"queryDefinitionNamePrefix": prefix},
            )
            for name, query in queries.QUERIES.items():
                full = prefix + name
                groups = [f"/aws/lambda/{function}"]
                expected = {"name": full, "queryString": query, "logGroupNames": groups}
                if full in saved:
                    expected["queryDefinitionId"] = saved[full][0]
                ident = saved.setdefault(full, (f"id-{len(saved)}", groups))[0]
                stub.add_response("put_query_definition", {"queryDefinitionId": ident}, expected)
            assert main(["queries", "--function", function, "--apply"]) == 0
        stub.assert_no_pending_responses()
    out = capsys.readouterr().out.splitlines()
    n = len(queries.QUERIES)
    assert out[:n] == [f"created query definition lambda-lifecycle/orders/{q}" for q in queries.QUERIES]
    assert out[n : 2 * n] == [f"updated query definition lambda-lifecycle/orders/{q}" for q in queries.QUERIES]
    assert out[2 * n :] == [f"created query definition lambda-lifecycle/payments/{q}" for q in queries.QUERIES]
    # The second function's definitions are its own: the first's still read the first's log group.
    assert len(saved) == 2 * n
    assert all(groups == [LOG_GROUP] for name, (_, groups) in saved.items() if "/orders/" in name)


def publish(dimensions, names=contract.DEFAULT_METRICS, region="us-east-1", namespace="LambdaLifecycle"):
    """Metrics as the SDK's records make CloudWatch publish them: ``--apply`` checks explicit flags against them."""
    dims = [{"Name": name, "Value": value} for name, value in dimensions]
    boto3.client("cloudwatch", region_name=region).put_metric_data(
        Namespace=namespace, MetricData=[{"MetricName": name, "Dimensions": dims, "Value": 1.0} for name in names]
    )


def test_dashboard_apply_twice_is_one_dashboard(moto_env, capsys):
    for region in ("us-east-1", "eu-west-1"):
        publish([("function_name", FUNCTION), ("service", "shop")], region=region)
    assert (
        main(["dashboard", "--function", FUNCTION, "--namespace", "LambdaLifecycle", "--service", "shop", "--apply"])
        == 0
    )
    assert (
        main(["dashboard", "--function", FUNCTION, "--namespace", "LambdaLifecycle", "--service", "shop", "--apply"])
        == 0
    )
    cw = boto3.client("cloudwatch")
    assert capsys.readouterr().out.splitlines() == ["put dashboard lambda-lifecycle-orders-us-east-1"] * 2
    assert (
        main(
            [
                "dashboard",
                "--function",
                FUNCTION,
                "--namespace",
                "LambdaLifecycle",
                "--service",
                "shop",
                "--region",
                "eu-west-1",
                "--apply",
            ]
        )
        == 0
    )
    # Dashboards are global: the same function in another region is another dashboard
    # (moto keeps dashboards per region, so each region's is listed there).
    assert capsys.readouterr().out.splitlines() == ["put dashboard lambda-lifecycle-orders-eu-west-1"]
    names = [d["DashboardName"] for d in cw.list_dashboards()["DashboardEntries"]]
    assert names == ["lambda-lifecycle-orders-us-east-1"]
    body = json.loads(cw.get_dashboard(DashboardName="lambda-lifecycle-orders-us-east-1")["DashboardBody"])
    metrics = [w["properties"]["metrics"] for w in body["widgets"] if w["type"] == "metric"]
    names = {m[1] for widget in metrics for m in widget}
    assert names == {"ColdStart", "InitDuration", "MemoryUsedPercent", "TmpUsedPercent", "IdleTime"}
    assert all(m[2:6] == ["function_name", FUNCTION, "service", "shop"] for widget in metrics for m in widget)
    logs = [w["properties"]["query"] for w in body["widgets"] if w["type"] == "log"]
    assert all(q.startswith(f"SOURCE '{LOG_GROUP}'") for q in logs)


def test_alarms_apply_twice_is_three_alarms(moto_env):
    publish([("function_name", FUNCTION)])
    args = ["alarms", "--function", FUNCTION, "--namespace", "LambdaLifecycle", "--tmp-percent", "70", "--apply"]
    assert main(args) == 0
    assert main(args) == 0
    alarms = {a["AlarmName"]: a for a in boto3.client("cloudwatch").describe_alarms()["MetricAlarms"]}
    assert sorted(alarms) == [f"lambda-lifecycle-orders-{s}" for s in ("cold-start-rate", "memory-used", "tmp-used")]
    tmp = alarms["lambda-lifecycle-orders-tmp-used"]
    assert (tmp["MetricName"], tmp["Threshold"], tmp["Namespace"]) == ("TmpUsedPercent", 70.0, "LambdaLifecycle")
    assert tmp["Dimensions"] == [{"Name": "function_name", "Value": FUNCTION}]


def test_the_cold_start_rate_alarm_needs_a_minimum_sample(moto_env):
    publish([("function_name", FUNCTION), ("service", "shop")])
    args = ["alarms", "--function", FUNCTION, "--namespace", "LambdaLifecycle", "--service", "shop"]
    args += ["--min-invocations", "50", "--apply"]
    assert main(args) == 0
    [alarm] = boto3.client("cloudwatch").describe_alarms(AlarmNamePrefix="lambda-lifecycle-orders-cold")["MetricAlarms"]
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"], alarm["Threshold"]) == (3, 2, 0.25)
    assert "MetricName" not in alarm
    metrics = {m["Id"]: m for m in alarm["Metrics"]}
    assert metrics["rate"]["Expression"] == "IF(invocations >= 50, cold, 0)"
    assert metrics["rate"]["ReturnData"] is True
    for ident, stat in (("invocations", "SampleCount"), ("cold", "Average")):
        stat_spec = metrics[ident]["MetricStat"]
        assert (stat_spec["Stat"], stat_spec["Period"], metrics[ident]["ReturnData"]) == (stat, 900, False)
        assert stat_spec["Metric"]["MetricName"] == "ColdStart"
        assert [d["Name"] for d in stat_spec["Metric"]["Dimensions"]] == list(contract.dimension_names("shop"))


def sdk_lines(**settings):
    """The invoke records an instrumented handler writes (a cold, then a warm invocation), as log lines."""
    handler = lambda_lifecycle.instrument(lambda event, context: None, **settings)
    with testing.Lifecycle() as lifecycle:  # it captures what the SDK writes
        lifecycle.invoke(handler)
        lifecycle.idle(5)
        lifecycle.invoke(handler)
    lines = [json.dumps(record) for record in lifecycle.invocations]
    assert len(lines) == 2
    return lines


def powertools_lines():
    record = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": "Shop",
                    "Dimensions": [["service"]],
                    "Metrics": [{"Name": "ColdStart", "Unit": contract.MEASUREMENTS["ColdStart"]}],
                }
            ],
        },
        "service": "orders",
        "ColdStart": [1.0],
        KIND_KEY: "invoke",
        "function_name": FUNCTION,
        "cold_start": True,
    }
    return [json.dumps(record)]


def put_lines(lines):
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName=LOG_GROUP)
    logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName="s")
    now = int(time.time() * 1000) - 60_000
    events = [{"timestamp": now + i, "message": line} for i, line in enumerate(lines)]
    events.insert(0, {"timestamp": now - 1, "message": "START RequestId: 1 Version: $LATEST"})
    events.append({"timestamp": now + len(lines), "message": '{"event":"order_placed","id":7}'})
    logs.put_log_events(logGroupName=LOG_GROUP, logStreamName="s", logEvents=events)


def extract_emf(lines):
    """Publish the records' metrics as CloudWatch's EMF extraction does (every directive, every
    dimension set, a value or a list of values), then return what exists in CloudWatch as
    (namespace, metric name, ((dimension, value), ...))."""
    cw = boto3.client("cloudwatch")
    for line in lines:
        record = testing.parse(line)
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for names in directive["Dimensions"]:
                dims = [{"Name": name, "Value": str(record[name])} for name in names]
                for metric in directive["Metrics"]:
                    assert metric["Unit"] == contract.MEASUREMENTS[metric["Name"]]
                    value = record[metric["Name"]]
                    cw.put_metric_data(
                        Namespace=directive["Namespace"],
                        MetricData=[
                            {"MetricName": metric["Name"], "Dimensions": dims, "Value": v, "Unit": metric["Unit"]}
                            for v in (value if isinstance(value, list) else [value])
                        ],
                    )
    return {
        (m["Namespace"], m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])))
        for m in cw.list_metrics()["Metrics"]
    }


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param(lambda: sdk_lines(), id="default"),
        pytest.param(lambda: sdk_lines(service="shop"), id="service"),
        pytest.param(lambda: sdk_lines(dimensions={"stage": "prod"}), id="user-dimensions"),
        pytest.param(powertools_lines, id="powertools"),
    ],
)
def test_dashboard_and_alarms_name_what_the_function_publishes(moto_env, capsys, monkeypatch, lines):
    monkeypatch.delenv("POWERTOOLS_SERVICE_NAME", raising=False)
    lines = lines()
    put_lines(lines)
    exists = extract_emf(lines)
    assert main(["alarms", "--function", FUNCTION, "--apply"]) == 0
    assert main(["dashboard", "--function", FUNCTION, "--apply"]) == 0
    err = capsys.readouterr().err
    cw = boto3.client("cloudwatch")
    alarms = cw.describe_alarms()["MetricAlarms"]
    assert alarms
    named = []
    for alarm in alarms:
        metrics = [alarm] if "MetricName" in alarm else [m["MetricStat"]["Metric"] for m in alarm["Metrics"][:2]]
        named += [
            (m["Namespace"], m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])))
            for m in metrics
        ]
    body = json.loads(cw.get_dashboard(DashboardName="lambda-lifecycle-orders-us-east-1")["DashboardBody"])
    widgets = [w["properties"]["metrics"] for w in body["widgets"] if w["type"] == "metric"]
    assert widgets
    for widget in widgets:
        for m in widget:
            named.append((m[0], m[1], tuple(sorted(zip(m[2:-1:2], m[3:-1:2], strict=True)))))
    # CloudWatch matches dimension sets exactly: each must name a metric that exists.
    assert set(named) <= exists
    if "TmpUsedPercent" not in {name for _, name, _ in exists}:  # Powertools: ColdStart only
        assert [line for line in err.splitlines() if "no alarm on" in line] == [
            f"lambda-lifecycle: no alarm on TmpUsedPercent, MemoryUsedPercent: {FUNCTION} does not publish"
            " (its metrics setting leaves out) these metrics"
        ]
        assert [a["AlarmName"] for a in alarms] == ["lambda-lifecycle-orders-cold-start-rate"]


def test_a_service_flag_that_disagrees_with_the_record_is_refused(moto_env, capsys):
    put_lines(sdk_lines(service="shop"))
    assert main(["alarms", "--function", FUNCTION, "--service", "billing", "--apply"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert "--service billing" in line
    assert "service=shop" in line
    assert "LambdaLifecycle" in line
    assert boto3.client("cloudwatch").describe_alarms()["MetricAlarms"] == []


def test_without_a_record_nothing_is_guessed(moto_env, capsys):
    put_lines([])
    for command in ("alarms", "dashboard"):
        assert main([command, "--function", FUNCTION, "--apply"]) == 1
        [line] = capsys.readouterr().err.splitlines()
        assert "no lambda-lifecycle invoke record" in line
        assert "--namespace" in line
    assert boto3.client("cloudwatch").describe_alarms()["MetricAlarms"] == []


@pytest.fixture(scope="module")
def moto_server():
    yield from moto_aws.server()


@pytest.fixture(scope="module")
def log_group(moto_server, records):
    logs = boto3.client(
        "logs", endpoint_url=moto_server, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    logs.create_log_group(logGroupName=LOG_GROUP)
    logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName="s")
    now = int(time.time() * 1000) - 3_000_000  # the story happened in the last hour
    events = [
        {"timestamp": ts - T0 + now, "message": json.dumps(rec)} for ts, rec in sorted(records, key=lambda p: p[0])
    ]
    events.insert(2, {"timestamp": events[1]["timestamp"], "message": '{"lambda_lifecycle":"invoke", broken'})
    events.insert(3, {"timestamp": events[1]["timestamp"], "message": "START RequestId: 1 Version: $LATEST"})
    events.insert(4, {"timestamp": events[1]["timestamp"], "message": '{"event":"order_placed","id":7}'})
    logs.put_log_events(logGroupName=LOG_GROUP, logStreamName="s", logEvents=events)
    return LOG_GROUP


def test_report_end_to_end_against_a_moto_server(moto_server, log_group, records):
    result = moto_aws.cli(
        moto_server, "report", "--function", FUNCTION, "--since", "2h", "--engine", "fetch", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    built = json.loads(result.stdout)
    check(built, records)
    # The broken line is skipped and counted; START lines and the function's own JSON are not ours.
    assert built["malformed_lines"] == 1
    assert "fetched" in result.stderr  # progress


def test_report_table_end_to_end(moto_server, log_group):
    result = moto_aws.cli(moto_server, "report", "--function", FUNCTION, "--since", "2h", "--engine", "fetch")
    assert result.returncode == 0, result.stderr
    assert "skipped 1 malformed record line(s)" in result.stdout


@pytest.mark.parametrize(
    ("args", "credentials", "message"),
    [
        (["--function", "nope"], True, "log group /aws/lambda/nope not found"),
        (
            ["--function", FUNCTION, "--start", "2020-01-01T00:00Z", "--end", "2020-01-02T00:00Z"],
            True,
            "no lambda-lifecycle records",
        ),
        (["--function", FUNCTION], False, "no AWS credentials found"),
    ],
)
def test_bad_input_is_one_clear_line(moto_server, log_group, args, credentials, message):
    result = moto_aws.cli(moto_server, "report", "--engine", "fetch", *args, credentials=credentials)
    assert result.returncode == 1
    [error] = [line for line in result.stderr.splitlines() if not line.startswith("fetched ")]  # progress aside
    assert error.startswith("lambda-lifecycle: ")
    assert message in error


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "expected a duration like 30m, 24h or 7d"),
        (["--start", "2026-01-02T00:00Z", "--end", "2026-01-01T00:00Z"], "the window is empty"),
        # Before 1970: botocore would refuse the call in two lines of its own ("Parameter validation failed").
        (["--since", "100000d"], "the window starts before 1970"),
    ],
)
def test_a_window_that_cannot_be_is_a_one_line_usage_error(moto_server, args, message):
    result = moto_aws.cli(moto_server, "report", "--function", FUNCTION, *args)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("lambda-lifecycle report")
    assert message in line


NO_BOTO3 = "import sys; sys.modules['boto3'] = sys.modules['botocore'] = None; from lambda_lifecycle.cli import main; "


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--function", FUNCTION],
        ["report", "--function", FUNCTION, "--engine", "fetch"],
        ["dashboard", "--function", FUNCTION],
        ["queries", "--function", FUNCTION, "--apply"],
        ["alarms", "--function", FUNCTION, "--apply"],
    ],
)
def test_without_boto3_the_cli_prints_the_install_hint(args):
    env = {**os.environ, "AWS_REGION": "us-east-1", "PYTHONPATH": os.pathsep.join(sys.path)}
    code = NO_BOTO3 + f"sys.exit(main({args!r}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "lambda-lifecycle: this command needs boto3: pip install 'lambda-lifecycle[cli]'"
        " (from a clone: pip install '.[cli]')"
    ]


@pytest.mark.parametrize(
    ("command", "names"),
    [
        (["lambda-lifecycle"], ["report", "queries", "dashboard", "alarms", "timeline", "run", "layer build", "demo"]),
        ([sys.executable, "-m", "lambda_lifecycle"], ["report", "demo"]),  # the same command
    ],
    ids=["lambda-lifecycle", "python-m"],
)
def test_help_is_plain_text_and_names_what_each_command_needs(command, names):
    if command[0] == "lambda-lifecycle":  # the installed script, next to this interpreter
        command = [os.path.join(os.path.dirname(sys.executable), "lambda-lifecycle")]
    done = subprocess.run([*command, "--help"], capture_output=True, text=True, timeout=60, check=True)
    description = done.stdout.split("\n\n")[1]
    assert "``" not in done.stdout  # no reStructuredText
    for name in names:
        assert name in description
    if names[0] == "report":
        for extra in ("cli extra", "timeline extra", "local extra", "layer build none"):
            assert extra in " ".join(description.split())
