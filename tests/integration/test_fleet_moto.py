"""Many functions against one moto server (shared by this module): 120 functions' log groups,
some with the SDK's records and some without, under several configurations of service and
dimensions, their metrics published as CloudWatch's EMF extraction would. The CLI runs as a
subprocess against it."""

from __future__ import annotations

import copy
import json
import socket
import subprocess
import sys
import time

import boto3
import pytest

import lambda_lifecycle
from lambda_lifecycle import testing
from lambda_lifecycle.cli import published
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
    }


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
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.kill()
    process.wait()


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
        lines += [json.dumps(r) for r in records]
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
    names = choice.log_group_names(logs, choice.Choice(everything=True).listing_prefix())
    assert len(names) == COUNT
    assert len(calls) >= 3  # 50 log groups a page
    chosen = choice.resolve(choice.Choice(prefix="shop-"), names)
    assert [f.name for f in chosen.functions] == [name_of(i) for i in range(60)]


def test_every_series_is_listed_across_pages(server, fleet):
    cw = boto(server, "cloudwatch")
    calls = []
    cw.meta.events.register("before-call.cloudwatch.ListMetrics", lambda **kw: calls.append(1))
    found = published.list_series(cw, "LambdaLifecycle")
    functions = {dict(s.dimensions)["function_name"] for s in found if s.name != "OrdersPlaced"}
    assert functions == {name_of(i) for i in range(COUNT) if instrumented(i)}
    assert len(found) > 500
    assert len(calls) == 2  # 500 metrics a page
