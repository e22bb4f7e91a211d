"""Many functions against one moto server (shared by this module): 120 functions' log groups,
some with the SDK's records and some without, under several configurations of service and
dimensions, their metrics published as CloudWatch's EMF extraction would. The CLI runs as a
subprocess against it."""

from __future__ import annotations

import copy
import csv
import io
import json
import time

import boto3
import moto_aws
import platform_samples
import pytest

import lambda_lifecycle
from lambda_lifecycle import testing
from lambda_lifecycle.cli import published
from lambda_lifecycle.cli.aws import Client
from lambda_lifecycle.cli.fleet import choice

COUNT = 120
CONFIGS = (
    {},
    {"service": "shop"},
    {"dimensions": {"stage": "prod"}},
    {"service": "ops", "metrics": ("ColdStart", "InitDuration")},
)


def name_of(i):
    return f"{'shop' if i < 60 else 'ops'}-fn-{i:03}"


def instrumented(i):
    return i % 8 != 7


def plan(i):
    """Function ``i``'s story: its environments, warm invocations each, and whether they shut down."""
    return {"environments": 1 + i % 3, "warm": i % 4, "shut_down": i % 2 == 0}


def expected_row(i):
    p = plan(i)
    return {
        "invocations": p["environments"] * (1 + p["warm"]),
        "cold_starts": p["environments"],
        "environments": p["environments"],
        "processes_shut_down": p["environments"] if p["shut_down"] else 0,
        "init_p50_ms": 250,
        "killed_invocations": (i % 5 == 0) + (i % 10 == 0),
        "init_gb_seconds": 131 * 128 / 1000 / 1024,  # REPORT_COLD's init, billed
    }


def platform_lines(i):
    """Lambda's REPORT lines of function ``i``: a success, a timeout for every fifth, an
    out-of-memory kill for every tenth (a timeout for the uninstrumented ones too)."""
    return [
        platform_samples.REPORT_COLD,
        *([platform_samples.REPORT_TIMEOUT] if i % 5 == 0 or not instrumented(i) else []),
        *([platform_samples.REPORT_OOM] if i % 10 == 0 else []),
    ]


def template(settings):
    """What the SDK writes for one environment: a cold and three warm invocations, then a shutdown."""
    handler = lambda_lifecycle.instrument(lambda event, context: None, **settings)
    with testing.Lifecycle(init_duration_ms=250) as lifecycle:
        lifecycle.invoke(handler)
        for _ in range(3):
            lifecycle.idle(30)
            lifecycle.invoke(handler)
        lifecycle.shutdown()
    return [copy.deepcopy(r) for r in lifecycle.records]


def records_of(i, templates):
    made = templates[i % len(CONFIGS)]
    invokes = [r for r in made if r.get("ColdStart") is not None]
    [shutdown] = [r for r in made if "reason" in r]
    p, name = plan(i), name_of(i)
    found = []
    for env in range(p["environments"]):
        for record in [*invokes[: 1 + p["warm"]], *([shutdown] if p["shut_down"] else [])]:
            record = copy.deepcopy(record)
            record.update(function_name=name, environment_id=f"{name}-env{env}", container_id=f"{name}-c{env}")
            found.append(record)
    return found


@pytest.fixture(scope="module")
def server():
    yield from moto_aws.server()


def boto(server, service):
    return boto3.client(
        service, endpoint_url=server, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )


@pytest.fixture(scope="module")
def fleet(server, monkeypatch_module):
    monkeypatch_module.delenv("POWERTOOLS_SERVICE_NAME", raising=False)
    templates = [template(settings) for settings in CONFIGS]
    logs, cw = boto(server, "logs"), boto(server, "cloudwatch")
    now = int(time.time() * 1000) - 50 * 60_000
    metric_data: dict[str, list] = {}
    for i in range(COUNT):
        group = f"/aws/lambda/{name_of(i)}"
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="s")
        lines = ["START RequestId: 1 Version: $LATEST", '{"event":"invoke","order":7}']  # not ours
        records = records_of(i, templates) if instrumented(i) else []
        lines += [json.dumps(r) for r in records] + platform_lines(i)
        events = [{"timestamp": now + n * 1000, "message": line} for n, line in enumerate(lines)]
        logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=events)
        for record in [r for r in records if "_aws" in r][:2]:  # the first two invoke records: what is published
            for directive in record["_aws"]["CloudWatchMetrics"]:
                for names in directive["Dimensions"]:
                    dims = [{"Name": n, "Value": str(record[n])} for n in names]
                    for metric in directive["Metrics"]:
                        found = record[metric["Name"]]
                        metric_data.setdefault(directive["Namespace"], []).append(
                            {"MetricName": metric["Name"], "Dimensions": dims, "Value": float(found)}
                        )
    # A function's own metrics in the same namespace: not the SDK's, and more than one page in all.
    metric_data["LambdaLifecycle"] += [
        {"MetricName": "OrdersPlaced", "Dimensions": [{"Name": "function_name", "Value": name_of(i)}], "Value": 1.0}
        for i in range(COUNT)
    ]
    for namespace, data in metric_data.items():
        for start in range(0, len(data), 500):
            cw.put_metric_data(Namespace=namespace, MetricData=data[start : start + 500])
    return templates


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_every_log_group_is_listed_across_pages(server, fleet):
    logs = boto(server, "logs")
    calls = []
    logs.meta.events.register("before-call.logs.DescribeLogGroups", lambda **kw: calls.append(1))
    names = choice.log_group_names(Client(logs), choice.Choice(everything=True).listing_prefix())
    assert len(names) == COUNT
    assert len(calls) >= 3  # 50 log groups a page
    chosen = choice.resolve(choice.Choice(prefix="shop-"), names)
    assert [f.name for f in chosen.functions] == [name_of(i) for i in range(60)]


def test_every_series_is_listed_across_pages(server, fleet):
    cw = boto(server, "cloudwatch")
    calls = []
    cw.meta.events.register("before-call.cloudwatch.ListMetrics", lambda **kw: calls.append(1))
    found = published.list_series(Client(cw), "LambdaLifecycle")
    functions = {dict(s.dimensions)["function_name"] for s in found if s.name != "OrdersPlaced"}
    assert functions == {name_of(i) for i in range(COUNT) if instrumented(i)}
    assert len(found) > 500
    assert len(calls) == 2  # 500 metrics a page


def report(server, *args):
    result = moto_aws.cli(server, "report", "--engine", "fetch", "--since", "2h", "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_report_all_gives_one_exact_row_per_instrumented_function_and_exact_totals(server, fleet):
    built = report(server, "--all", "--sort", "function")
    rows = {row["function"]: row for row in built["functions"]}
    wanted = {name_of(i): expected_row(i) for i in range(COUNT) if instrumented(i)}
    assert sorted(rows) == sorted(wanted)
    for name, expected in wanted.items():
        assert {key: rows[name][key] for key in expected} == expected, name
        assert rows[name]["log_group"] == f"/aws/lambda/{name}"
    total = built["totals"]
    assert total["functions"] == len(wanted)
    assert total["invocations"] == sum(e["invocations"] for e in wanted.values())
    assert total["cold_starts"] == sum(e["cold_starts"] for e in wanted.values())
    assert total["environments"] == sum(e["environments"] for e in wanted.values())
    assert total["processes_shut_down"] == sum(e["processes_shut_down"] for e in wanted.values())
    # The functions without records are in the totals for what Lambda's REPORT lines say of them:
    # a timeout each, and their billed init.
    without = sorted(name_of(i) for i in range(COUNT) if not instrumented(i))
    assert total["killed_invocations"] == sum(e["killed_invocations"] for e in wanted.values()) + len(without)
    assert total["init_gb_seconds"] == pytest.approx(COUNT * 131 * 128 / 1000 / 1024)
    assert [(r["function"], r["killed_invocations"]) for r in built["without_records_reported"]] == [
        (name, 1) for name in without
    ]
    assert total["by_init_type"] == {
        "on-demand": {
            "invocations": total["invocations"],
            "cold_starts": total["cold_starts"],
            "cold_start_rate": total["cold_start_rate"],
        }
    }
    # Functions without records are listed, not silently skipped.
    assert built["without_records"] == without
    assert built["partial"] is False


def test_a_prefix_selects_its_functions(server, fleet):
    built = report(server, "--prefix", "ops-", "--sort", "function")
    assert [r["function"] for r in built["functions"]] == [name_of(i) for i in range(60, COUNT) if instrumented(i)]
    assert built["without_records"] == [name_of(i) for i in range(60, COUNT) if not instrumented(i)]


def test_named_functions_sorted_and_cut_in_csv(server, fleet):
    names = [name_of(i) for i in (1, 2, 5, 7)]  # 7 has no records
    chosen = [arg for name in names for arg in ("--function", name)]
    result = moto_aws.cli(
        server,
        "report",
        "--engine",
        "fetch",
        "--since",
        "2h",
        "--format",
        "csv",
        "--sort",
        "invocations",
        "--top",
        "2",
        *chosen,
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    by_invocations = sorted((expected_row(i)["invocations"], name_of(i)) for i in (1, 2, 5))
    assert [r["function"] for r in rows] == [by_invocations[2][1], by_invocations[1][1], "TOTAL"]
    assert rows[-1]["invocations"] == str(sum(n for n, _ in by_invocations))


def test_price_costs_the_billed_init_and_another_architectures_is_said_unused(server, fleet):
    chosen = ["--function", name_of(1), "--function", name_of(2)]
    prices = ["--price", "x86_64=0.001", "--price", "arm64=0.5"]
    result = moto_aws.cli(server, "report", "--engine", "fetch", "--since", "2h", "--format", "json", *chosen, *prices)
    assert result.returncode == 0, result.stderr
    built = json.loads(result.stdout)
    gb_s = 131 * 128 / 1000 / 1024  # REPORT_COLD's init, billed
    assert [row["init_cost_usd"] for row in built["functions"]] == [round(gb_s * 0.001, 10)] * 2
    assert built["init_price"] == {"architecture": "x86_64", "per_gb_second": 0.001, "source": "--price"}
    [warning] = [line for line in result.stderr.splitlines() if "--price" in line]
    assert warning.startswith("lambda-lifecycle: --price arm64 is not used: the fleet report costs init at the x86_64")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prefix", "nothing-"], "no log group for functions whose name starts with 'nothing-'"),
        (["--function", name_of(7), "--function", name_of(15)], "no lambda-lifecycle records in the 2 log group(s)"),
    ],
)
def test_bad_input_is_one_line(server, fleet, args, message):
    result = moto_aws.cli(server, "report", "--engine", "fetch", "--since", "2h", *args)
    assert result.returncode == 1
    [line] = [line for line in result.stderr.splitlines() if not line.startswith("fetching: ")]  # progress aside
    assert line.startswith("lambda-lifecycle: ")
    assert message in line


def named(metric):
    dims = tuple(sorted((d["Name"], d["Value"]) for d in metric["Dimensions"]))
    return (metric["Namespace"], metric["MetricName"], dims)


def existing(cw):
    return {named(m) for page in cw.get_paginator("list_metrics").paginate() for m in page["Metrics"]}


def test_dashboard_all_apply_charts_only_metrics_that_exist(server, fleet):
    result = moto_aws.cli(server, "dashboard", "--all", "--apply")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["put dashboard lambda-lifecycle-fleet-us-east-1"]
    cw = boto(server, "cloudwatch")
    body = json.loads(cw.get_dashboard(DashboardName="lambda-lifecycle-fleet-us-east-1")["DashboardBody"])
    sets_with: dict[str, set] = {}
    for namespace, metric, dims in existing(cw):
        if namespace == "LambdaLifecycle":
            sets_with.setdefault(metric, set()).add(tuple(name for name, _ in dims))
    charts = [w for w in body["widgets"] if w["type"] == "metric"]
    queries = [m[0]["expression"] for w in charts for m in w["properties"]["metrics"]]
    assert len(charts) == 4
    for query in queries:  # SELECT FN(Metric) FROM SCHEMA("LambdaLifecycle", dims...) ...
        metric = query.split("(")[1].split(")")[0]
        schema = query.split("SCHEMA(")[1].split(")")[0].split(", ")
        assert tuple(schema[1:]) in sets_with[metric], query
    # Every dimension set the SDK's /tmp metric exists under has its query: functions_name alone,
    # with service, with the stage dimension (the ops functions publish no /tmp).
    tmp = [q for q in queries if "(TmpUsedPercent)" in q]
    assert len(tmp) == len(sets_with["TmpUsedPercent"]) == 3
    logs = [w["properties"]["query"] for w in body["widgets"] if w["type"] == "log"]
    assert all(q.count("SOURCE '") <= 50 for q in logs)
    groups = [f"/aws/lambda/{name_of(i)}" for i in range(COUNT)]
    assert {g for q in logs for g in groups if f"SOURCE '{g}'" in q} == set(groups)


def test_alarms_all_apply_alarm_only_on_metrics_that_exist_and_applying_again_adds_none(server, fleet):
    dry = moto_aws.cli(server, "alarms", "--all", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    cw = boto(server, "cloudwatch")
    assert cw.describe_alarms()["MetricAlarms"] == []
    result = moto_aws.cli(server, "alarms", "--all", "--apply", "--action", "arn:aws:sns:us-east-1:123456789012:ops")
    assert result.returncode == 0, result.stderr
    again = moto_aws.cli(
        server, "alarms", "--prefix", "shop-fn-00", "--apply", "--action", "arn:aws:sns:us-east-1:1:ops"
    )
    assert again.returncode == 0, again.stderr
    assert len(again.stdout.splitlines()) > 10  # put again: updated in place, not added
    alarms = [a for page in cw.get_paginator("describe_alarms").paginate() for a in page["MetricAlarms"]]
    put = [line.removeprefix("put alarm ") for line in result.stdout.splitlines()]
    assert sorted(a["AlarmName"] for a in alarms) == sorted(put)
    assert [line.split(":")[0].removeprefix("would put alarm ") for line in dry.stdout.splitlines()] == put
    exists = existing(cw)
    for alarm in alarms:
        watched = [alarm] if "MetricName" in alarm else []
        watched += [q["MetricStat"]["Metric"] for q in alarm.get("Metrics", []) if "MetricStat" in q]
        assert all(named(m) in exists for m in watched), alarm["AlarmName"]
    names = {a["AlarmName"] for a in alarms}
    assert f"lambda-lifecycle-{name_of(0)}-tmp-used" in names
    assert f"lambda-lifecycle-{name_of(3)}-tmp-used" not in names  # metrics=("ColdStart", "InitDuration")
    assert f"lambda-lifecycle-{name_of(3)}-cold-start-rate" in names
    assert not any(name_of(7) in name for name in names)  # no records, no metrics
    assert "lambda-lifecycle-fleet-tmp-used" in names


def test_timeline_across_functions_groups_lanes_by_function_and_says_what_it_capped(server, fleet, tmp_path):
    output = tmp_path / "fleet.html"
    result = moto_aws.cli(
        server, "timeline", "--prefix", "shop-fn-00", "--engine", "fetch", "--since", "2h",
        "--output", str(output), "--max-lanes", "6",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # Lambda's own lines add the processes they say were killed where no record's lane can hold them:
    # shop-fn-000's timeout and out-of-memory kill after its environments shut down (two kills, two
    # processes), and shop-fn-007's timeout (it writes no records).
    drawn = sum(plan(i)["environments"] for i in range(10) if instrumented(i)) + 3
    assert f"drew the 6 newest of {drawn} processes across 10 functions" in result.stderr
    assert "without records in the window" not in result.stderr
    assert result.stdout.strip() == f"wrote {output}: 6 processes"
    assert "shop-fn-00" in output.read_text()
