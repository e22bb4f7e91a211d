"""The fleet report's Insights engine through a Logs client that holds the real request shapes:
every call is checked against CloudWatch Logs' API model (botocore), queries read at most 50 log
groups, run within the concurrency given, wait out throttling, and merge exactly; a batch that
fails leaves its functions named as missing."""

from __future__ import annotations

import json
import threading

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.validate import validate_parameters

from lambda_lifecycle.cli.aws import Client
from lambda_lifecycle.cli.fleet import batches, choice, collect, table
from lambda_lifecycle.cli.fleet.queries import FLEET_QUERIES

T0 = 1_795_400_000_000
ACCOUNT = "123456789012"
MODEL = boto3.session.Session().client("logs", region_name="us-east-1").meta.service_model


def checked(operation, params):
    validate_parameters(params, MODEL.operation_model(operation).input_shape)


def rows_for(index):
    """What Logs Insights answers for function number ``index`` (every eighth has no records)."""
    if index % 8 == 7:
        return {}
    return {
        "invocations": [
            {"init_type": "on-demand", "invocations": str(10 + index), "cold_starts": str(index % 5)},
            *([{"init_type": "snap-start", "invocations": "4", "cold_starts": "1"}] if index % 3 == 0 else []),
        ],
        "usage": [
            {
                "inits": str(index % 5),
                "init_p50": str(100 + index),
                "init_p99": str(200 + index),
                "peak_memory_percent": str(index % 90),
                "peak_tmp_percent": str(index % 40),
                "environments": str(1 + index % 4),
                "timeout_warnings": str(index % 2),
            }
        ],
        "keep_warm": [{"shutdowns": "1", "lifetime_p50": "600", "served_p50": "3", "idle_p50": "250"}],
        "reports": [
            {"status": "timeout", "error_type": "-", "reports": str(index % 3)},
            {"status": "error", "error_type": "ValueError", "reports": "1"},  # not a kill
            {"status": "success", "error_type": "-", "reports": "9", "init_mb_ms": str(1024 * 1000 * index)},
        ],
    }


class FakeLogs:
    """StartQuery / GetQueryResults as Logs Insights answers them, every request checked against the model."""

    def __init__(self, data, *, busy_starts=0, broken_group=None, concurrency=None):
        self.data, self.busy_starts, self.broken_group = data, busy_starts, broken_group
        self.lock = threading.Lock()
        self.started: list[dict] = []
        self.queries: dict[str, tuple[dict, int]] = {}
        self.running = self.most_running = self.calls = 0

    def start_query(self, **params):
        checked("StartQuery", params)
        with self.lock:
            self.calls += 1
            if self.busy_starts:
                self.busy_starts -= 1
                raise ClientError(
                    {"Error": {"Code": "LimitExceededException", "Message": "too many concurrent queries"}},
                    "StartQuery",
                )
            if self.broken_group in params["logGroupIdentifiers"]:
                raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "StartQuery")
            self.started.append(params)
            ident = f"q{len(self.started)}"
            self.queries[ident] = (params, 0)
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        return {"queryId": ident}

    def get_query_results(self, **params):
        checked("GetQueryResults", params)
        with self.lock:
            self.calls += 1
            query, polls = self.queries[params["queryId"]]
            self.queries[params["queryId"]] = (query, polls + 1)
            if polls == 0:
                return {"status": "Running", "results": []}
            self.running -= 1
        name = next(n for n, q in FLEET_QUERIES.items() if q == query["queryString"])
        results = []
        for group in query["logGroupIdentifiers"]:
            for row in self.data.get(group, {}).get(name, []):
                cells = [{"field": "@log", "value": f"{ACCOUNT}:{group}"}]
                cells += [{"field": k, "value": v} for k, v in row.items()]
                results.append(cells)
        return {"status": "Complete", "results": results, "statistics": {"recordsMatched": 1.0}}


FUNCTIONS = tuple(choice.Function(f"fn-{i:03}", f"/aws/lambda/fn-{i:03}") for i in range(120))
DATA = {f.log_group: rows_for(i) for i, f in enumerate(FUNCTIONS)}


class Clock:
    """Time that passes only when the retry layer or the polling waits."""

    def __init__(self):
        self.now_s, self.slept = 0.0, []

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now_s += seconds

    def now(self):
        return self.now_s


def run(fake, concurrency=4):
    steps, clock = [], Clock()
    client = Client(fake, steps.append, sleep=clock.sleep, clock=clock.now)
    results = batches.run(
        client,
        batches.batches([f.log_group for f in FUNCTIONS]),
        FLEET_QUERIES,
        (T0, T0 + 86_400_000),
        progress=steps.append,
        concurrency=concurrency,
    )
    return results, steps, clock.slept


def test_queries_read_at_most_fifty_log_groups_and_merge_exactly():
    fake = FakeLogs(DATA)
    results, steps, _ = run(fake)
    assert sorted(len(q["logGroupIdentifiers"]) for q in fake.started) == [20] * 4 + [50] * 8
    assert {q["startTime"] for q in fake.started} == {T0 // 1000}
    collected = collect.by_insights(FUNCTIONS, results)
    assert not collected.missing
    by_name = {row.function: row for row in collected.rows}
    assert sorted(collected.without_records) == [f.name for i, f in enumerate(FUNCTIONS) if i % 8 == 7]
    for i, function in enumerate(FUNCTIONS):
        if i % 8 != 7:
            assert by_name[function.name] == table.from_insights(
                function.name, function.log_group, DATA[function.log_group]
            )
    total = table.totals(collected.rows)
    instrumented = [i for i in range(120) if i % 8 != 7]
    assert total["invocations"] == sum(10 + i + (4 if i % 3 == 0 else 0) for i in instrumented)
    assert total["cold_starts"] == sum(i % 5 + (1 if i % 3 == 0 else 0) for i in instrumented)
    assert total["by_init_type"]["snap-start"]["invocations"] == 4 * sum(1 for i in instrumented if i % 3 == 0)
    assert total["killed_invocations"] == sum(i % 3 for i in instrumented)
    assert total["init_gb_seconds"] == sum(instrumented)  # 1024 MB for index seconds each
    assert any("12/12 done" in step for step in steps)


def test_api_calls_grow_with_batches_not_invocations():
    fake = FakeLogs(DATA)
    run(fake)
    # A StartQuery and two polls per batch and query: 3 batches x 4 queries x 3 calls.
    assert fake.calls == 3 * len(FLEET_QUERIES) * 3


def test_queries_run_concurrently_within_the_limit_given():
    class Meeting(FakeLogs):
        # The first two polls wait for each other: they meet only if two batches run at once.
        def __init__(self, data):
            super().__init__(data)
            self.meeting = threading.Barrier(2, timeout=10)
            self.polls = 0

        def get_query_results(self, **params):
            with self.lock:
                self.polls += 1
                meets = self.polls <= 2
            if meets:
                self.meeting.wait()
            return super().get_query_results(**params)

    fake = Meeting(DATA)
    results, _, _ = run(fake, concurrency=2)
    assert not results.failures
    assert fake.most_running == 2


def test_the_concurrent_query_limit_is_waited_out():
    fake = FakeLogs(DATA, busy_starts=3)
    results, steps, slept = run(fake)
    assert not results.failures
    assert len([s for s in slept if s >= 1.0]) >= 3  # the retry layer's backoff, not the polls' 0.5 s
    assert any("retrying start_query: LimitExceededException" in step for step in steps)


def test_a_batch_that_fails_names_its_functions_and_the_rest_stay_exact():
    fake = FakeLogs(DATA, broken_group=FUNCTIONS[60].log_group)  # in the second batch
    results, _, _ = run(fake)
    collected = collect.by_insights(FUNCTIONS, results)
    assert [m.function for m in collected.missing] == [f.name for f in FUNCTIONS[50:100]]
    assert all(m.reason == "ThrottlingException: Rate exceeded" for m in collected.missing)
    shown = {row.function for row in collected.rows} | set(collected.without_records)
    assert shown == {f.name for f in FUNCTIONS[:50] + FUNCTIONS[100:]}
    report = table.FleetReport(T0, T0 + 1, "every function", "insights", collected.rows, missing=collected.missing)
    assert report.partial


@pytest.mark.parametrize("status", ["Failed", "Timeout"])
def test_a_query_that_ends_badly_fails_its_batch(status):
    class Ending(FakeLogs):
        def get_query_results(self, **params):
            checked("GetQueryResults", params)
            return {"status": status, "results": []}

    results, _, _ = run(Ending(DATA))
    assert len(results.failures) == 3
    assert {f.reason for f in results.failures} == {f"the invocations query ended {status.lower()}"}


class ListingLogs(FakeLogs):
    """FakeLogs that also lists the log groups, as DescribeLogGroups does (50 a page)."""

    def describe_log_groups(self, **params):
        checked("DescribeLogGroups", params)
        names = sorted(f.log_group for f in FUNCTIONS if f.log_group.startswith(params["logGroupNamePrefix"]))
        start = int(params.get("nextToken", "0"))
        page = {"logGroups": [{"logGroupName": n} for n in names[start : start + 50]]}
        if start + 50 < len(names):
            page["nextToken"] = str(start + 50)
        return page


def report_with(monkeypatch, capsys, fake, *args):
    from lambda_lifecycle.cli import aws, main

    clock = Clock()
    monkeypatch.setattr(
        aws,
        "client",
        lambda service, region, endpoint, progress: Client(fake, progress, sleep=clock.sleep, clock=clock.now),
    )
    code = main(["report", "--all", "--since", "1h", *args])
    out, err = capsys.readouterr()
    return code, out, [line for line in err.splitlines() if line.startswith("lambda-lifecycle")]


def test_a_partial_report_is_printed_names_the_missing_functions_and_exits_3(monkeypatch, capsys):
    code, out, errors = report_with(
        monkeypatch, capsys, ListingLogs(DATA, broken_group=FUNCTIONS[0].log_group), "--format", "json"
    )
    assert code == 3
    built = json.loads(out)
    assert built["partial"] is True
    assert [m["function"] for m in built["missing"]] == [f.name for f in FUNCTIONS[:50]]
    assert errors == [
        "lambda-lifecycle: partial report: 50 function(s) could not be read and are left out of the totals: "
        + ", ".join(f.name for f in FUNCTIONS[:50])
    ]


def test_throttling_waited_out_is_a_whole_report(monkeypatch, capsys):
    code, out, errors = report_with(monkeypatch, capsys, ListingLogs(DATA, busy_starts=2), "--format", "csv")
    assert code == 0
    assert errors == []
    assert out.splitlines()[-1].startswith("TOTAL,")


def test_every_batch_failing_is_one_line_and_exit_1(monkeypatch, capsys):
    class Failing(ListingLogs):
        def get_query_results(self, **params):
            checked("GetQueryResults", params)
            return {"status": "Failed", "results": []}

    code, out, errors = report_with(monkeypatch, capsys, Failing(DATA))
    assert (code, out) == (1, "")
    assert errors == [
        "lambda-lifecycle: none of the 120 log group(s) could be read: the invocations query ended failed"
    ]


def test_queries_apply_over_a_prefix_saves_each_function_its_own_definitions(monkeypatch, capsys):
    # moto has no query definitions; botocore's Stubber checks each call against the API model.
    from botocore.stub import Stubber

    from lambda_lifecycle.cli import aws, main
    from lambda_lifecycle.cli.queries import QUERIES

    stubbed = boto3.client("logs", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    monkeypatch.setattr(aws, "client", lambda service, region, endpoint, progress: Client(stubbed, progress))
    chosen = [f for f in FUNCTIONS if f.name.startswith("fn-00")]
    with Stubber(stubbed) as stub:
        stub.add_response(
            "describe_log_groups",
            {"logGroups": [{"logGroupName": f.log_group} for f in chosen]},
            {"logGroupNamePrefix": "/aws/lambda/fn-00"},
        )
        for function in chosen:
            prefix = f"lambda-lifecycle/{function.name}/"
            stub.add_response(
                "describe_query_definitions", {"queryDefinitions": []}, {"queryDefinitionNamePrefix": prefix}
            )
            for name, query in QUERIES.items():
                expected = {"name": prefix + name, "queryString": query, "logGroupNames": [function.log_group]}
                stub.add_response("put_query_definition", {"queryDefinitionId": prefix + name}, expected)
        assert main(["queries", "--prefix", "fn-00", "--apply"]) == 0
        stub.assert_no_pending_responses()
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(chosen) * len(QUERIES) == 10 * len(QUERIES)
    assert out[0] == f"created query definition lambda-lifecycle/fn-000/{next(iter(QUERIES))}"
