"""lambda-lifecycle report, queries, dashboard and alarms: the pure parts, CloudWatch played by fakes."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re

import pytest
from cli_story import FUNCTION, LOG_GROUP, T0, check, scenario_records
from insights_fake import FakeLogs, as_insights_results

from lambda_lifecycle import contract
from lambda_lifecycle.cli import accounting, aws, logs, main, queries, report
from lambda_lifecycle.cli.aggregate import aggregate
from lambda_lifecycle.cli.insights import insights_time, parse_results
from lambda_lifecycle.cli.render import render
from lambda_lifecycle.contract import KIND_KEY
from lambda_lifecycle.records import record_of


@pytest.fixture(scope="module")
def records():
    return scenario_records()


def test_aggregating_raw_records_gives_the_expected_report(records):
    rows = aggregate(records)
    built = report.build(function=FUNCTION, log_group=LOG_GROUP, start_ms=T0 - 1, end_ms=T0 + 3_600_000, rows=rows)
    check(built, records)


def test_insights_results_parse_into_the_same_report(records):
    rows = {name: parse_results(as_insights_results(r)) for name, r in aggregate(records).items()}
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
        "summary": parse_results(results),
        "init_duration": [],
        "idle_time": [],
        "environments": [],
        "timeouts": [],
    }
    built = report.build(function=FUNCTION, log_group=LOG_GROUP, start_ms=T0, end_ms=T0 + 1, rows=rows)
    assert built.invocations == 2000
    assert built.cold_start_rate == round(37 / 2000, 4)
    assert built.by_init_type["on-demand"].cold_start_rate == round(37 / 1200, 4)
    assert built.by_init_type["provisioned-concurrency"].cold_starts == 0
    assert built.reinits == 2


def test_a_line_without_init_type_counts_as_on_demand():
    # The contract leaves out the usual init type; the others are written.
    wire = [
        {KIND_KEY: "invoke", "ColdStart": 1, "cold_start": True, "environment_id": "e"},
        {KIND_KEY: "invoke", "ColdStart": 0, "environment_id": "e"},
        {KIND_KEY: "invoke", "ColdStart": 0, "init_type": "provisioned-concurrency", "environment_id": "p"},
    ]
    rows = aggregate([(T0 + n, record) for n, record in enumerate(wire)])
    assert {row["init_type"]: (row["invocations"], row["cold_starts"]) for row in rows["summary"]} == {
        "on-demand": ("2", "1"),
        "provisioned-concurrency": ("1", "0"),
    }


def test_reinits_are_counted():
    record = {KIND_KEY: "invoke", "init_type": "on-demand", "ColdStart": 1, "reinit": True, "environment_id": "e"}
    rows = aggregate([(T0, record)])
    assert rows["summary"][0]["reinits"] == "1"


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_every_format_renders(records, fmt):
    built = report.build(
        function=FUNCTION, log_group=LOG_GROUP, start_ms=T0, end_ms=T0 + 3_600_000, rows=aggregate(records)
    )
    text = render(built, fmt)
    if fmt == "json":
        assert json.loads(text)["invocations"] == 4
    elif fmt == "csv":
        assert "invocations,4" in text.splitlines()
        assert "by_init_type.on-demand.cold_starts,1" in text.splitlines()
    else:
        assert "invocations 4, cold starts 1 (rate 0.25)" in text
        assert "time.sleep(0.01)  # stuck" in text


def test_queries_are_polled_until_complete_with_progress():
    fake, steps, sleeps = FakeLogs(lambda s, e: [{"init_type": "on-demand", "invocations": "3"}]), [], []
    rows = logs.run_query(aws.Client(fake, sleep=sleeps.append), LOG_GROUP, "summary", T0, T0 + 60_000, steps.append)
    assert rows == [{"init_type": "on-demand", "invocations": "3"}]
    assert steps == ["query summary: running for 0 s", "query summary: running for 0 s"]
    assert sleeps == [0.5, 0.75]  # backing off
    assert fake.started[0]["queryString"] == queries.QUERIES["summary"]


def test_throttling_is_retried():
    fake, sleeps = FakeLogs(throttle=2), []
    logs.run_query(aws.Client(fake, sleep=sleeps.append), LOG_GROUP, "summary", T0, T0 + 60_000, lambda _: None)
    assert sleeps[:2] == [1.0, 2.0]
    assert len(fake.started) == 1


def test_a_failed_query_is_a_clear_error():
    fake = aws.Client(FakeLogs(fail=True), sleep=lambda _: None)
    with pytest.raises(aws.CliError, match="summary query ended failed"):
        logs.run_query(fake, LOG_GROUP, "summary", T0, T0 + 60_000, lambda _: None)


def test_a_window_whose_groups_reach_the_limit_is_split_and_merged(monkeypatch):
    monkeypatch.setattr(logs, "RESULT_LIMIT", 2)
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
                "first_seen": insights_time(min(r["ts"])),
                "last_seen": insights_time(max(r["ts"])),
                "last_event": "invoke",
            }
            for env, r in found.items()
        ]

    fake, steps = FakeLogs(rows), []
    merged = logs.run_split(
        aws.Client(fake, sleep=lambda _: None),
        LOG_GROUP,
        "environments",
        T0,
        T0 + 3_600_000,
        steps.append,
        report.merge_environments,
    )
    by_env = {row["environment_id"]: row for row in merged}
    assert {env: row["invocations"] for env, row in by_env.items()} == {"a": "1", "b": "5", "c": "1"}
    assert by_env["b"]["peak_tmp_mb"] == "50"
    assert by_env["b"]["first_seen"] == insights_time(T0 + 20 * 60_000)
    assert by_env["b"]["last_seen"] == insights_time(T0 + 40 * 60_000)
    assert len(fake.started) == 7  # the hour, its halves, their halves
    assert any("splitting the window" in step for step in steps)


def test_queries_apply_needs_a_function(capsys):
    assert main(["queries", "--apply"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "lambda-lifecycle queries: error: queries --apply needs --function: the saved queries are named after it"
        " (see --help)"
    ]


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


# End to end: moto's server as a real process, the CLI as a subprocess against it.


@pytest.mark.parametrize(
    "line",
    [
        '{"data":{"lambda_lifecycle":"invoke"},"lambda_lifecycle":["invoke"]}',
        '{"lambda_lifecycle":"invoke","lambda_lifecycle":{}}',
    ],
)
def test_a_record_like_line_whose_kind_is_not_a_kind_is_malformed(line):
    with pytest.raises(ValueError, match="not a readable lambda-lifecycle record"):
        record_of(line)


def test_split_windows_are_whole_seconds_that_never_overlap(monkeypatch):
    monkeypatch.setattr(logs, "RESULT_LIMIT", 2)
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
                "first_seen": insights_time(ts),
                "last_seen": insights_time(ts),
                "last_event": "invoke",
            }
            for env, ts in found
        ]

    fake = FakeLogs(rows)
    merged = logs.run_split(
        aws.Client(fake, sleep=lambda _: None),
        LOG_GROUP,
        "environments",
        start_ms,
        end_ms,
        lambda _: None,
        report.merge_environments,
    )
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
    monkeypatch.setattr(aws, "client", lambda *args: None)
    monkeypatch.setattr(logs, "check_log_group", lambda client, log_group: None)
    monkeypatch.setattr(logs, "insights_rows", lambda *args: rows)
    assert main(["report", "--function", FUNCTION, "--format", "json"]) == 0
    built = json.loads(capsys.readouterr().out)
    assert [e["lifetime_s"] for e in built["top_environments_by_tmp"]] == [None, None]
    assert built["environments"]["ended"]["unknown"] == 2
    assert built["timeout_warnings"][0]["time"] is None
    merged = report.merge_environments([{"environment_id": "e", "invocations": "1"}], [{"environment_id": "e"}])
    assert merged == [{"environment_id": "e", "invocations": "1"}]
    assert main(["report", "--function", FUNCTION]) == 0
    assert "lifetime s p50 -" in capsys.readouterr().out


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
    rows = aggregate([*listed, (T0 + 5, app_line)])
    assert rows == aggregate(records)
    built = report.build(function=FUNCTION, log_group=LOG_GROUP, start_ms=T0 - 1, end_ms=T0 + 3_600_000, rows=rows)
    check(built, records)


def test_queries_read_both_value_shapes_and_only_sdk_records():
    for name, query in queries.QUERIES.items():
        # Only the SDK's records: the discriminator, or a 0.2.x record told apart by its fields.
        assert query.startswith(queries.records_of(*KINDS_READ[name])), name
        for field in contract.MEASUREMENTS:
            # A measurement is only ever read through coalesce(field, `field.0`).
            bare = query.replace(f"coalesce({field}, `{field}.0`)", "")
            assert not re.search(rf"\b{field}\b", bare), (name, field)
    assert "coalesce(ColdStart, `ColdStart.0`)" in queries.QUERIES["summary"]
    assert "coalesce(ColdStart, `ColdStart.0`)" in queries.QUERIES["environments"]


KINDS_READ = {
    "summary": ["invoke"],
    "init_duration": ["invoke"],
    "idle_time": ["invoke"],
    "environments": [],
    "keep_warm": ["shutdown"],
    "durable": ["invoke"],
    "timeouts": ["timeout_warning"],
    "init_phases": ["init"],
    "init_imports": ["init"],
}


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

    logs.check_log_group(aws.Client(Logs()), LOG_GROUP)
    err = capsys.readouterr().err
    assert ("Infrequent Access" in err and "no metrics" in err) == warned


# Keep-warm: how long Lambda kept processes, the reuse curve, and durable executions.


def keep_warm_records():
    """Four processes that shut down (lifetimes 100, 200, 300, 400 s; idle before shutdown 10, 20,
    30, 40 s; 1, 2, 3, 4 invocations served), and invocations at known gaps since the function's
    previous one: 10 s (warm), 2 min (warm), 10 min (cold), 30 min (warm), 2 h (cold)."""
    pairs = []
    for n in range(1, 5):
        shutdown = {KIND_KEY: "shutdown", "container_id": f"p{n}", "environment_id": f"e{n}", "ContainerAge": 100 * n}
        pairs.append((T0 + n, {**shutdown, "invocations": n, "IdleBeforeShutdown": 10_000 * n}))
    start = T0 + 10_000_000
    for gap_s, cold in ((0, True), (10, False), (120, False), (600, True), (1800, False), (7200, True)):
        start += gap_s * 1000 + 100  # each invocation runs 100 ms
        invoke = {KIND_KEY: "invoke", "init_type": "on-demand", "environment_id": "e9", "Duration": 100.0}
        pairs.append((start, {**invoke, "ColdStart": int(cold), "request_id": f"r{len(pairs)}"}))
    durable = {KIND_KEY: "invoke", "init_type": "on-demand", "environment_id": "e9", "ColdStart": 0}
    for execution, replayed in (("x1", False), ("x1", True), ("x1", True), ("x2", False)):
        pairs.append((start + 100_000, {**durable, "durable_execution_id": execution, "replayed": replayed}))
    return pairs


def keep_warm_report(rows):
    return report.build(function=FUNCTION, log_group=LOG_GROUP, start_ms=T0, end_ms=T0 + 86_400_000, rows=rows)


def test_keep_warm_percentiles_reuse_curve_and_durable_executions():
    built = dataclasses.asdict(keep_warm_report(aggregate(keep_warm_records())))
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
    rows = {name: parse_results(as_insights_results(r)) for name, r in aggregate(keep_warm_records()).items()}
    del rows["reuse"]
    built = keep_warm_report(rows)
    assert built.keep_warm.lifetime_s.p50 == 200.0
    assert built.keep_warm.idle_before_shutdown_ms.max == 40000.0
    assert built.keep_warm.cold_start_rate_by_gap is None
    assert built.durable_executions is not None
    assert built.durable_executions.executions == 2
    assert "only --engine fetch computes it" in render(built, "table")


def test_without_durable_records_no_durable_line(records):
    built = keep_warm_report(aggregate(records))
    assert built.durable_executions is None
    assert "durable" not in render(built, "table")


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_keep_warm_in_every_format(fmt):
    text = render(keep_warm_report(aggregate(keep_warm_records())), fmt)
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
    # The default engine asks Logs Insights every report query; answered with the rows each
    # would give for these records, it reports keep-warm and durable as the fetch engine does.
    computed = aggregate(keep_warm_records())
    fake = FakeLogs(
        rows_by_query={
            **{query: computed[name] for name, query in queries.QUERIES.items()},
            **{query: [] for query in accounting.PLATFORM_QUERIES.values()},  # no lines of Lambda's here
        }
    )
    merges = {"environments": report.merge_environments}
    client = aws.Client(fake, sleep=lambda _: None)
    rows = logs.insights_rows(client, LOG_GROUP, T0, T0 + 86_400_000, lambda _: None, merges)
    assert [q["queryString"] for q in fake.started] == [
        *queries.QUERIES.values(),
        *accounting.PLATFORM_QUERIES.values(),
    ]
    from_insights = dataclasses.asdict(keep_warm_report(rows))
    fetched = dataclasses.asdict(keep_warm_report(computed))
    assert from_insights["keep_warm"] == {**fetched["keep_warm"], "cold_start_rate_by_gap": None}
    assert from_insights["durable_executions"] == fetched["durable_executions"]
    assert fetched["durable_executions"] == {"invocations": 4, "executions": 2, "replayed_invocations": 2}


def test_dashboard_shows_keep_warm_and_durable_tables():
    from lambda_lifecycle.cli import cloudwatch

    body = cloudwatch.dashboard_body(region="us-east-1", log_group=LOG_GROUP, dimensions=[("function_name", FUNCTION)])
    shown = {w["properties"]["title"]: w["properties"]["query"] for w in body["widgets"] if w["type"] == "log"}
    keep = next(query for title, query in shown.items() if title.startswith("Keep-warm"))
    assert keep == f"SOURCE '{LOG_GROUP}' | " + queries.QUERIES["keep_warm"].replace("\n", " ")
    assert any(query.endswith(queries.QUERIES["durable"].replace("\n", " ")) for query in shown.values())
