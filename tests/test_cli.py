"""lambda-lifecycle report, queries, dashboard and alarms: pure parts, moto, and a moto server end to end."""

from __future__ import annotations

import itertools
import json
import os
import re
import socket
import subprocess
import sys
import time

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

import lambda_lifecycle
from lambda_lifecycle import contract, testing
from lambda_lifecycle.cli import aws, main, queries, report

FUNCTION = "orders"
LOG_GROUP = "/aws/lambda/orders"
T0 = 1_795_400_000_000  # ms, a fixed start for the pure tests


def scenario_records():
    """Records the SDK writes for a known story, as (timestamp ms, record).

    Environment A: a cold start after a 300 ms init, then idle gaps of 60 s and 600 s while /tmp
    grows; the third invocation nears its deadline (a timeout warning); a shutdown 300 s later.
    Environment B: initialized ahead of demand (a proactive init), one invocation, then nothing.
    """
    handler = lambda_lifecycle.instrument(lambda event, context: None)

    @lambda_lifecycle.instrument(timeout_warning_ms=300)
    def slow(event, context):
        time.sleep(0.35)  # stuck

    stamped = []
    with testing.Lifecycle(init_duration_ms=300) as lifecycle:
        now = T0

        def stamp_new():
            stamped.extend((now, record) for record in lifecycle.records[len(stamped) :])

        lifecycle.invoke(handler)
        stamp_new()
        lifecycle.idle(60)
        now += 60_000
        lifecycle.invoke(handler)
        stamp_new()
        lifecycle.idle(600)
        now += 600_000
        lifecycle.write_tmp(3)
        lifecycle.invoke(slow, {}, testing.LambdaContext(timeout_s=0.4))
        stamp_new()
        lifecycle.idle(300)
        now += 300_000
        lifecycle.shutdown()
        stamp_new()
        lifecycle.new_environment()
        lifecycle.idle(120)  # nobody came for two minutes: a proactive init
        now = T0 + 200_000
        lifecycle.invoke(handler)
        stamp_new()
    return stamped


@pytest.fixture(scope="module")
def records():
    return scenario_records()


def expected(found):
    a, b = found[0][1], found[-1][1]
    return {
        "invocations": 4,
        "cold_starts": 1,
        "cold_start_rate": 0.25,
        "proactive_inits": 1,
        "reinits": 0,
        "by_init_type": {
            "on-demand": {
                "invocations": 4,
                "cold_starts": 1,
                "cold_start_rate": 0.25,
                "proactive_inits": 1,
                "reinits": 0,
            }
        },
        "init_duration_count": 2,
        "environments": {"seen": 2, "ended": {"shutdown": 1, "killed": 0, "unknown": 1}},
        "env_ids": [a["environment_id"], b["environment_id"]],
    }


def check(built, found):
    want = expected(found)
    for key in ("invocations", "cold_starts", "cold_start_rate", "proactive_inits", "reinits", "by_init_type"):
        assert built[key] == want[key], key
    assert built["init_duration_ms"]["count"] == want["init_duration_count"]
    assert built["init_duration_ms"]["max"] >= 300
    idle = built["idle_time_ms"]
    # Simulated gaps, plus the real milliseconds the story took (writing to /tmp).
    assert (idle["count"], round(idle["p50"] / 1000), round(idle["max"] / 1000)) == (2, 60, 600)
    envs = built["environments"]
    assert envs["seen"] == 2
    assert envs["ended"] == want["environments"]["ended"]
    assert envs["invocations_per_environment"] == {"p50": 1.0, "max": 3.0}
    top = {e["environment_id"]: e for e in built["top_environments_by_tmp"]}
    # /tmp here is a disk other processes share, so the order of the peaks is not asserted.
    assert sorted(top) == sorted(want["env_ids"])
    a, b = (top[env_id] for env_id in want["env_ids"])
    assert (a["lifetime_s"], a["invocations"], a["ended"]) == (960.0, 3, "shutdown")  # first record to shutdown
    assert (b["lifetime_s"], b["invocations"], b["ended"]) == (0.0, 1, "unknown")
    [warning] = built["timeout_warnings"]
    assert warning["stack"][0].endswith("in slow: time.sleep(0.35)  # stuck")
    assert warning["remaining_ms"] <= 300


def test_aggregating_raw_records_gives_the_expected_report(records):
    rows = report.aggregate(records)
    built = report.build(function=FUNCTION, log_group=LOG_GROUP, start_ms=T0 - 1, end_ms=T0 + 3_600_000, rows=rows)
    check(built, records)


def as_insights_results(rows):
    """Rows in the documented GetQueryResults shape: a list of field/value lists, with @ptr."""
    return [[{"field": k, "value": v} for k, v in row.items()] + [{"field": "@ptr", "value": "x"}] for row in rows]


def test_insights_results_parse_into_the_same_report(records):
    rows = {name: report.parse_results(as_insights_results(r)) for name, r in report.aggregate(records).items()}
    built = report.build(function=FUNCTION, log_group=LOG_GROUP, start_ms=T0 - 1, end_ms=T0 + 3_600_000, rows=rows)
    check(built, records)


def test_documented_results_shapes_parse():
    # As in the GetQueryResults API reference: every value a string, fields absent when null.
    results = [
        [
            {"field": "init_type", "value": "on-demand"},
            {"field": "invocations", "value": "1200"},
            {"field": "cold_starts", "value": "37"},
            {"field": "proactive_inits", "value": "4"},
            {"field": "reinits", "value": "2"},
        ],
        [{"field": "init_type", "value": "provisioned-concurrency"}, {"field": "invocations", "value": "800"}],
    ]
    rows = {
        "summary": report.parse_results(results),
        "init_duration": [],
        "idle_time": [],
        "environments": [],
        "timeouts": [],
    }
    built = report.build(function=FUNCTION, log_group=LOG_GROUP, start_ms=T0, end_ms=T0 + 1, rows=rows)
    assert built["invocations"] == 2000
    assert built["cold_start_rate"] == round(37 / 2000, 4)
    assert built["by_init_type"]["on-demand"]["cold_start_rate"] == round(37 / 1200, 4)
    assert built["by_init_type"]["provisioned-concurrency"]["cold_starts"] == 0
    assert built["reinits"] == 2


def test_a_line_without_init_type_counts_as_on_demand():
    # The contract leaves out the usual init type; the others are written.
    wire = [
        {"event": "invoke", "ColdStart": 1, "cold_start": True, "environment_id": "e"},
        {"event": "invoke", "ColdStart": 0, "environment_id": "e"},
        {"event": "invoke", "ColdStart": 0, "init_type": "provisioned-concurrency", "environment_id": "p"},
    ]
    rows = report.aggregate([(T0 + n, record) for n, record in enumerate(wire)])
    assert {row["init_type"]: (row["invocations"], row["cold_starts"]) for row in rows["summary"]} == {
        "on-demand": ("2", "1"),
        "provisioned-concurrency": ("1", "0"),
    }


def test_reinits_are_counted():
    record = {"event": "invoke", "init_type": "on-demand", "ColdStart": 1, "reinit": True, "environment_id": "e"}
    rows = report.aggregate([(T0, record)])
    assert rows["summary"][0]["reinits"] == "1"


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_every_format_renders(records, fmt):
    built = report.build(
        function=FUNCTION, log_group=LOG_GROUP, start_ms=T0, end_ms=T0 + 3_600_000, rows=report.aggregate(records)
    )
    text = report.render(built, fmt)
    if fmt == "json":
        assert json.loads(text)["invocations"] == 4
    elif fmt == "csv":
        assert "invocations,4" in text.splitlines()
        assert "by_init_type.on-demand.cold_starts,1" in text.splitlines()
    else:
        assert "invocations 4, cold starts 1 (0.25)" in text
        assert "time.sleep(0.35)" in text


class FakeLogs:
    """Logs Insights as the API documents it: queries run for a while, then complete."""

    def __init__(self, rows_by_window=None, throttle=0, fail=False):
        self.rows_by_window = rows_by_window or (lambda start, end: [])
        self.throttle = throttle
        self.fail = fail
        self.started = []
        self.polls = {}

    def start_query(self, **kwargs):
        if self.throttle:
            self.throttle -= 1
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "StartQuery")
        self.started.append(kwargs)
        query_id = str(len(self.started))
        self.polls[query_id] = 0
        return {"queryId": query_id}

    def get_query_results(self, queryId):
        self.polls[queryId] += 1
        if self.polls[queryId] < 3:
            return {"status": "Running", "results": []}
        if self.fail:
            return {"status": "Failed", "results": []}
        q = self.started[int(queryId) - 1]
        return {"status": "Complete", "results": as_insights_results(self.rows_by_window(q["startTime"], q["endTime"]))}


def test_queries_are_polled_until_complete_with_progress():
    fake, steps, sleeps = FakeLogs(lambda s, e: [{"init_type": "on-demand", "invocations": "3"}]), [], []
    rows = aws.run_query(fake, LOG_GROUP, "summary", T0, T0 + 60_000, steps.append, sleeps.append)
    assert rows == [{"init_type": "on-demand", "invocations": "3"}]
    assert steps == ["query summary: running for 0 s", "query summary: running for 0 s"]
    assert sleeps == [0.5, 0.75]  # backing off
    assert fake.started[0]["queryString"] == queries.QUERIES["summary"]


def test_throttling_is_retried():
    fake, sleeps = FakeLogs(throttle=2), []
    aws.run_query(fake, LOG_GROUP, "summary", T0, T0 + 60_000, lambda _: None, sleeps.append)
    assert sleeps[:2] == [1.0, 2.0]
    assert len(fake.started) == 1


def test_a_failed_query_is_a_clear_error():
    with pytest.raises(aws.CliError, match="summary query ended failed"):
        aws.run_query(FakeLogs(fail=True), LOG_GROUP, "summary", T0, T0 + 60_000, lambda _: None, lambda _: None)


def test_a_window_whose_groups_reach_the_limit_is_split_and_merged(monkeypatch):
    monkeypatch.setattr(aws, "RESULT_LIMIT", 2)
    # (environment, minute, invocations, peak /tmp MB): "b" lives across the middle of the hour.
    events = [("a", 10, 1, 10), ("b", 20, 2, 20), ("b", 40, 3, 50), ("c", 50, 1, 5)]

    def rows(start_s, end_s):
        # What Logs Insights would aggregate over [start, end].
        found = {}
        for env, minute, n, tmp in events:
            ts = T0 + minute * 60_000
            if start_s * 1000 <= ts <= end_s * 1000 + 999:
                row = found.setdefault(env, {"environment_id": env, "invocations": 0, "tmp": 0, "ts": []})
                row["invocations"] += n
                row["tmp"] = max(row["tmp"], tmp)
                row["ts"].append(ts)
        return [
            {
                "environment_id": env,
                "invocations": str(r["invocations"]),
                "peak_tmp_mb": str(r["tmp"]),
                "first_seen": report.insights_time(min(r["ts"])),
                "last_seen": report.insights_time(max(r["ts"])),
                "last_event": "invoke",
            }
            for env, r in found.items()
        ]

    fake, steps = FakeLogs(rows), []
    merged = aws.run_split(fake, LOG_GROUP, "environments", T0, T0 + 3_600_000, steps.append, lambda _: None)
    by_env = {row["environment_id"]: row for row in merged}
    assert {env: row["invocations"] for env, row in by_env.items()} == {"a": "1", "b": "5", "c": "1"}
    assert by_env["b"]["peak_tmp_mb"] == "50"
    assert by_env["b"]["first_seen"] == report.insights_time(T0 + 20 * 60_000)
    assert by_env["b"]["last_seen"] == report.insights_time(T0 + 40 * 60_000)
    assert len(fake.started) == 7  # the hour, its halves, their halves
    assert any("splitting the window" in step for step in steps)


@pytest.fixture
def moto_env(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def test_queries_apply_twice_keeps_one_definition_each(monkeypatch, capsys):
    # moto has no query definitions; botocore's Stubber checks each call against the API model.
    from botocore.stub import Stubber

    logs = boto3.client("logs", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    monkeypatch.setattr(aws, "client", lambda service, region, endpoint: logs)
    saved = {}  # name -> (id, log groups): what CloudWatch holds, for every function
    with Stubber(logs) as stub:
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


def test_queries_apply_needs_a_function(capsys):
    assert main(["queries", "--apply"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "lambda-lifecycle: queries --apply needs --function: the saved queries are named after it"
    ]


def test_dashboard_apply_twice_is_one_dashboard(moto_env, capsys):
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
    args = ["alarms", "--function", FUNCTION, "--namespace", "LambdaLifecycle", "--tmp-percent", "70", "--apply"]
    assert main(args) == 0
    assert main(args) == 0
    alarms = {a["AlarmName"]: a for a in boto3.client("cloudwatch").describe_alarms()["MetricAlarms"]}
    assert sorted(alarms) == [f"lambda-lifecycle-orders-{s}" for s in ("cold-start-rate", "memory-used", "tmp-used")]
    tmp = alarms["lambda-lifecycle-orders-tmp-used"]
    assert (tmp["MetricName"], tmp["Threshold"], tmp["Namespace"]) == ("TmpUsedPercent", 70.0, "LambdaLifecycle")
    assert tmp["Dimensions"] == [{"Name": "function_name", "Value": FUNCTION}]


def test_the_cold_start_rate_alarm_needs_a_minimum_sample(moto_env):
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


@pytest.mark.parametrize("value", ["0", "-3", "2.5", "many"])
def test_min_invocations_must_be_a_positive_whole_number(capsys, value):
    with pytest.raises(SystemExit) as exited:
        main(["alarms", "--function", FUNCTION, "--min-invocations", value])
    assert exited.value.code == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_printing_needs_no_aws(capsys, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    # With --namespace the flags are trusted: nothing is read from the log group.
    assert main(["alarms", "--function", FUNCTION, "--namespace", "LambdaLifecycle"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3
    assert main(["dashboard", "--function", FUNCTION, "--namespace", "LambdaLifecycle"]) == 0
    assert json.loads(capsys.readouterr().out)["widgets"][0]["properties"]["region"] == "eu-west-1"


# Discovery: the dashboard and alarms name what the function's latest invoke record declares.


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
        "event": "invoke",
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


# End to end: moto's server as a real process, the CLI as a subprocess against it.


@pytest.fixture(scope="module")
def moto_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.1)
    yield url
    server.kill()
    server.wait()


def cli(url, *args, credentials=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    if credentials:
        env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    return subprocess.run(
        [sys.executable, "-m", "lambda_lifecycle.cli", *args, "--endpoint-url", url],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


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
    events.insert(2, {"timestamp": events[1]["timestamp"], "message": '{"event":"invoke", broken'})
    events.insert(3, {"timestamp": events[1]["timestamp"], "message": "START RequestId: 1 Version: $LATEST"})
    events.insert(4, {"timestamp": events[1]["timestamp"], "message": '{"event":"order_placed","id":7}'})
    logs.put_log_events(logGroupName=LOG_GROUP, logStreamName="s", logEvents=events)
    return LOG_GROUP


def test_report_end_to_end_against_a_moto_server(moto_server, log_group, records):
    result = cli(
        moto_server, "report", "--function", FUNCTION, "--since", "2h", "--engine", "fetch", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    built = json.loads(result.stdout)
    check(built, records)
    # The broken line is skipped and counted; START lines and the function's own JSON are not ours.
    assert built["malformed_lines"] == 1
    assert "fetched" in result.stderr  # progress


@pytest.mark.parametrize("line", ['{"data":{"event":"invoke"},"event":["invoke"]}', '{"event":"invoke","event":{}}'])
def test_a_record_like_line_whose_event_is_not_a_kind_is_malformed(line):
    from lambda_lifecycle.cli import aws

    with pytest.raises(ValueError, match="not a lambda-lifecycle record"):
        aws.record_of(line)


def test_report_table_end_to_end(moto_server, log_group):
    result = cli(moto_server, "report", "--function", FUNCTION, "--since", "2h", "--engine", "fetch")
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
        (
            ["--function", FUNCTION, "--start", "2026-01-02T00:00Z", "--end", "2026-01-01T00:00Z"],
            True,
            "window is empty",
        ),
    ],
)
def test_bad_input_is_one_clear_line(moto_server, log_group, args, credentials, message):
    result = cli(moto_server, "report", "--engine", "fetch", *args, credentials=credentials)
    assert result.returncode == 1
    [error] = [line for line in result.stderr.splitlines() if not line.startswith("fetched ")]  # progress aside
    assert error.startswith("lambda-lifecycle: ")
    assert message in error


def test_a_bad_duration_is_a_usage_error(moto_server):
    result = cli(moto_server, "report", "--function", FUNCTION, "--since", "yesterday")
    assert result.returncode == 2
    assert "expected a duration like 30m, 24h or 7d" in result.stderr


def test_split_windows_are_whole_seconds_that_never_overlap(monkeypatch):
    monkeypatch.setattr(aws, "RESULT_LIMIT", 2)
    start_ms, end_ms = T0 + 250, T0 + 3_600_250
    middle_s = (start_ms // 1000 + end_ms // 1000) // 2
    # Three environments, one of them seen only in the second the halves used to share.
    events = [("a", T0 + 60_000), ("b", middle_s * 1000 + 500), ("c", T0 + 3_000_000)]

    def rows(start_s, end_s):
        found = [(env, ts) for env, ts in events if start_s <= ts // 1000 <= end_s]
        return [
            {
                "environment_id": env,
                "invocations": "1",
                "first_seen": report.insights_time(ts),
                "last_seen": report.insights_time(ts),
                "last_event": "invoke",
            }
            for env, ts in found
        ]

    fake = FakeLogs(rows)
    merged = aws.run_split(fake, LOG_GROUP, "environments", start_ms, end_ms, lambda _: None, lambda _: None)
    assert {row["environment_id"]: row["invocations"] for row in merged} == {"a": "1", "b": "1", "c": "1"}
    windows = [(q["startTime"], q["endTime"]) for q in fake.started]
    assert windows[0] == (start_ms // 1000, end_ms // 1000)
    # Any two windows are nested or share no second; the smallest ones tile the whole window.
    for a in windows:
        for b in windows:
            assert a[1] < b[0] or b[1] < a[0] or (a[0] <= b[0] and b[1] <= a[1]) or (b[0] <= a[0] and a[1] <= b[1])
    leaves = sorted(w for w in windows[1:] if not any(o != w and o[0] <= w[0] and w[1] <= o[1] for o in windows[1:]))
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(leaves))
    assert (leaves[0][0], leaves[-1][1]) == windows[0]


def test_rows_without_the_stats_fields_are_unknown_not_an_error(capsys, monkeypatch):
    # Logs Insights leaves out a field whose value is null: an environment row can lack any stat.
    rows = {
        "summary": [{"init_type": "on-demand", "invocations": "2"}],
        "init_duration": [],
        "idle_time": [],
        "environments": [{"environment_id": "e1", "invocations": "2"}, {"environment_id": "e2"}],
        "timeouts": [{"request_id": "r"}],
    }
    monkeypatch.setattr(aws, "client", lambda service, region, endpoint: None)
    monkeypatch.setattr(aws, "check_log_group", lambda logs, log_group: None)
    monkeypatch.setattr(aws, "insights_rows", lambda *args: rows)
    assert main(["report", "--function", FUNCTION, "--format", "json"]) == 0
    built = json.loads(capsys.readouterr().out)
    assert [e["lifetime_s"] for e in built["top_environments_by_tmp"]] == [None, None]
    assert built["environments"]["ended"]["unknown"] == 2
    assert built["timeout_warnings"][0]["time"] is None
    merged = report.merge_environments([{"environment_id": "e", "invocations": "1"}], [{"environment_id": "e"}])
    assert merged == [{"environment_id": "e", "invocations": "1"}]
    assert main(["report", "--function", FUNCTION]) == 0
    assert "lifetime s p50 -" in capsys.readouterr().out


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
    "flag",
    [
        "--tmp-percent=abc",
        "--tmp-percent=0",
        "--memory-percent=-5",
        "--memory-percent=101",
        "--cold-start-rate=1.5",
        "--cold-start-rate=0",
        "--cold-start-rate=nan",
    ],
)
def test_numeric_flags_out_of_range_are_one_line_usage_errors(capsys, flag):
    with pytest.raises(SystemExit) as exited:
        main(["alarms", "--function", FUNCTION, flag])
    assert exited.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("lambda-lifecycle alarms: error: argument ")


def test_an_unwritable_layer_output_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["layer", "build", "--output", str(blocker / "layer.zip")]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("lambda-lifecycle: cannot write ")
    assert main(["layer", "build", "--output", str(tmp_path)]) == 1
    assert "is a directory" in capsys.readouterr().err


def test_powertools_records_with_list_values_count(records):
    # Powertools writes metric values as lists; Logs Insights flattens them to <field>.0.
    def as_lists(record):
        return {k: [v] if k in contract.MEASUREMENTS and not isinstance(v, list) else v for k, v in record.items()}

    listed = [(ts, as_lists(r)) for ts, r in records]
    app_line = {"level": "INFO", "message": "order placed", "environment_id": "app-only"}  # a Powertools Logger line
    rows = report.aggregate([*listed, (T0 + 5, app_line)])
    assert rows == report.aggregate(records)
    built = report.build(function=FUNCTION, log_group=LOG_GROUP, start_ms=T0 - 1, end_ms=T0 + 3_600_000, rows=rows)
    check(built, records)


def test_queries_read_both_value_shapes_and_only_sdk_records():
    for name, query in queries.QUERIES.items():
        assert query.startswith(('filter event = "', 'filter event in ["invoke", "timeout_warning", "shutdown"]')), name
        for field in contract.MEASUREMENTS:
            # A measurement is only ever read through coalesce(field, `field.0`).
            bare = query.replace(f"coalesce({field}, `{field}.0`)", "")
            assert not re.search(rf"\b{field}\b", bare), (name, field)
    assert "coalesce(ColdStart, `ColdStart.0`)" in queries.QUERIES["summary"]
    assert "coalesce(ColdStart, `ColdStart.0`)" in queries.QUERIES["environments"]


@pytest.mark.parametrize("name", [*queries.QUERIES, "processes"])
def test_queries_read_a_left_out_init_type_as_on_demand_and_restarts_as_0(name):
    query = queries.QUERIES.get(name, queries.PROCESSES)
    usual = {"init_type": 'coalesce(init_type, "on-demand")', "process_restarts": "coalesce(process_restarts, 0)"}
    for field, read in usual.items():
        # Read only through its coalesce: a record leaves the usual value out (contract.ABSENT).
        bare = query.replace(read, "").replace(f"as {field}", "")
        assert not re.search(rf"\b{field}\b", bare), (name, field)
    # The init type is what the summary groups by, and a process row's "init"; restarts too.
    if name == "summary":
        assert re.search(r'coalesce\(init_type, "on-demand"\) as (\w+)\b.*\bby \1 as init_type$', query, re.DOTALL)
    if name == "processes":
        for read, row in (('coalesce(init_type, "on-demand")', "init"), ("coalesce(process_restarts, 0)", "restarts")):
            (alias,) = re.findall(rf"{re.escape(read)} as (\w+)", query)
            assert f"latest({alias}) as {row}" in query


@pytest.mark.parametrize(("log_class", "warned"), [("INFREQUENT_ACCESS", True), ("STANDARD", False), (None, False)])
def test_an_infrequent_access_log_group_is_warned_about(capsys, log_class, warned):
    from lambda_lifecycle.cli import aws

    class Logs:
        def describe_log_groups(self, **kwargs):
            group = {"logGroupName": LOG_GROUP}
            if log_class:
                group["logGroupClass"] = log_class
            return {"logGroups": [group]}

    aws.check_log_group(Logs(), LOG_GROUP)
    err = capsys.readouterr().err
    assert ("Infrequent Access" in err and "no metrics" in err) == warned


# Keep-warm: how long Lambda kept processes, the reuse curve, and durable executions.


def keep_warm_records():
    """Four processes that shut down (lifetimes 100, 200, 300, 400 s; idle before shutdown 10, 20,
    30, 40 s; 1, 2, 3, 4 invocations served), and invocations at known gaps since the function's
    previous one: 10 s (warm), 2 min (warm), 10 min (cold), 30 min (warm), 2 h (cold)."""
    pairs = []
    for n in range(1, 5):
        shutdown = {"event": "shutdown", "container_id": f"p{n}", "environment_id": f"e{n}", "ContainerAge": 100 * n}
        pairs.append((T0 + n, {**shutdown, "invocations": n, "IdleBeforeShutdown": 10_000 * n}))
    start = T0 + 10_000_000
    for gap_s, cold in ((0, True), (10, False), (120, False), (600, True), (1800, False), (7200, True)):
        start += gap_s * 1000 + 100  # each invocation runs 100 ms
        invoke = {"event": "invoke", "init_type": "on-demand", "environment_id": "e9", "Duration": 100.0}
        pairs.append((start, {**invoke, "ColdStart": int(cold), "request_id": f"r{len(pairs)}"}))
    durable = {"event": "invoke", "init_type": "on-demand", "environment_id": "e9", "ColdStart": 0}
    for execution, replayed in (("x1", False), ("x1", True), ("x1", True), ("x2", False)):
        pairs.append((start + 100_000, {**durable, "durable_execution_id": execution, "replayed": replayed}))
    return pairs


def keep_warm_report(rows):
    return report.build(function=FUNCTION, log_group=LOG_GROUP, start_ms=T0, end_ms=T0 + 86_400_000, rows=rows)


def test_keep_warm_percentiles_reuse_curve_and_durable_executions():
    built = keep_warm_report(report.aggregate(keep_warm_records()))
    keep = built["keep_warm"]
    assert keep["processes_shut_down"] == 4
    assert keep["lifetime_s"] == {"count": 4, "p50": 200.0, "p90": 400.0, "p99": 400.0, "max": 400.0}
    assert keep["invocations"] == {"count": 4, "p50": 2.0, "p90": 4.0, "p99": 4.0, "max": 4.0}
    assert keep["idle_before_shutdown_ms"] == {
        "count": 4,
        "p50": 20000.0,
        "p90": 40000.0,
        "p99": 40000.0,
        "max": 40000.0,
    }
    curve = {
        b["gap"]: (b["invocations"], b["cold_starts"], b["cold_start_rate"]) for b in keep["cold_start_rate_by_gap"]
    }
    # The durable invocations come 100 s after the last one (1-5m), then at once (<1m).
    assert curve == {
        "<1m": (4, 0, 0.0),
        "1-5m": (2, 0, 0.0),
        "5-15m": (1, 1, 1.0),
        "15-60m": (1, 0, 0.0),
        ">1h": (1, 1, 1.0),
    }
    assert built["durable_executions"] == {"invocations": 4, "executions": 2, "replayed_invocations": 2}


def test_keep_warm_from_logs_insights_rows():
    # Logs Insights returns the keep_warm and durable rows as strings; it has no reuse query.
    rows = {
        name: report.parse_results(as_insights_results(r)) for name, r in report.aggregate(keep_warm_records()).items()
    }
    del rows["reuse"]
    built = keep_warm_report(rows)
    assert built["keep_warm"]["lifetime_s"]["p50"] == 200.0
    assert built["keep_warm"]["idle_before_shutdown_ms"]["max"] == 40000.0
    assert built["keep_warm"]["cold_start_rate_by_gap"] is None
    assert built["durable_executions"]["executions"] == 2
    assert "only --engine fetch computes it" in report.render(built, "table")


def test_without_durable_records_no_durable_line(records):
    built = keep_warm_report(report.aggregate(records))
    assert built["durable_executions"] is None
    assert "durable" not in report.render(built, "table")


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_keep_warm_in_every_format(fmt):
    text = report.render(keep_warm_report(report.aggregate(keep_warm_records())), fmt)
    if fmt == "json":
        keep = json.loads(text)["keep_warm"]
        assert keep["idle_before_shutdown_ms"]["p90"] == 40000.0
        assert keep["cold_start_rate_by_gap"][2] == {
            "gap": "5-15m",
            "invocations": 1,
            "cold_starts": 1,
            "cold_start_rate": 1.0,
        }
        assert json.loads(text)["durable_executions"]["replayed_invocations"] == 2
    elif fmt == "csv":
        lines = text.splitlines()
        assert "keep_warm.lifetime_s.p50,200.0" in lines
        assert "keep_warm.idle_before_shutdown_ms.p90,40000.0" in lines
        assert "keep_warm.cold_start_rate_by_gap.2.cold_start_rate,1.0" in lines
        assert "durable_executions.executions,2" in lines
    else:
        assert "keep-warm: 4 process(es) shut down in the window" in text
        assert re.search(r"lifetime s\s+4\s+200\s+400\s+400\s+400", text)
        assert re.search(r"idle before shutdown ms\s+4\s+20000\s+40000\s+40000\s+40000", text)
        assert re.search(r"5-15m\s+1\s+1\s+1", text)
        assert "durable executions 2: 4 invocations, 2 of them replays of earlier steps" in text


def test_report_queries_include_keep_warm_and_durable():
    assert "IdleBeforeShutdown as idle" in queries.QUERIES["keep_warm"]
    assert "count_distinct(durable_execution_id)" in queries.QUERIES["durable"]


def test_dashboard_shows_keep_warm_and_durable_tables():
    from lambda_lifecycle.cli import cloudwatch

    body = cloudwatch.dashboard_body(region="us-east-1", log_group=LOG_GROUP, dimensions=[("function_name", FUNCTION)])
    shown = {w["properties"]["title"]: w["properties"]["query"] for w in body["widgets"] if w["type"] == "log"}
    keep = next(query for title, query in shown.items() if title.startswith("Keep-warm"))
    assert keep == f"SOURCE '{LOG_GROUP}' | " + queries.QUERIES["keep_warm"].replace("\n", " ")
    assert any(query.endswith(queries.QUERIES["durable"].replace("\n", " ")) for query in shown.values())


@pytest.mark.parametrize(
    ("command", "names"),
    [
        (["lambda-lifecycle"], ["report", "queries", "dashboard", "alarms", "timeline", "run", "layer build"]),
        ([sys.executable, "-m", "lambda_lifecycle"], ["demo"]),
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
