"""Many functions: choosing them, batching their log groups, the fleet report's rows, totals and
formats, the check of explicit metric flags, and the fleet dashboard and alarms. All pure."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict

import pytest

from lambda_lifecycle.cli import published
from lambda_lifecycle.cli.fleet import batches, choice, cloudwatch, collect, table
from lambda_lifecycle.cli.published import Series
from lambda_lifecycle.contract import KIND_KEY

T0 = 1_795_400_000_000


def groups(*names):
    return [f"/aws/lambda/{name}" for name in names]


# Choosing functions


def test_a_prefix_chooses_the_functions_whose_name_starts_with_it():
    listed = groups("orders-api", "orders-worker", "ordersx", "payments")
    chosen = choice.resolve(choice.Choice(prefix="orders-"), listed)
    assert [f.name for f in chosen.functions] == ["orders-api", "orders-worker"]
    assert choice.Choice(prefix="orders-").listing_prefix() == "/aws/lambda/orders-"


def test_all_chooses_every_function_log_group_once_in_name_order():
    listed = [*groups("b", "a", "c"), "/aws/apigateway/x"]
    chosen = choice.resolve(choice.Choice(everything=True), listed)
    assert [(f.name, f.log_group) for f in chosen.functions] == [(n, f"/aws/lambda/{n}") for n in "abc"]


def test_named_functions_are_listed_under_their_common_prefix_and_the_absent_ones_named():
    wanted = choice.Choice(functions=("orders-api", "orders-worker", "orders-gone", "orders-api"))
    assert wanted.listing_prefix() == "/aws/lambda/orders-"
    chosen = choice.resolve(wanted, groups("orders-api", "orders-worker", "orders-api-v2"))
    assert [f.name for f in chosen.functions] == ["orders-api", "orders-worker"]
    assert chosen.without_log_group == ("orders-gone",)


@pytest.mark.parametrize(
    ("wanted", "words"),
    [
        (choice.Choice(prefix="nothing-"), "functions whose name starts with 'nothing-'"),
        (choice.Choice(functions=("x", "y")), "functions x, y"),
        (choice.Choice(everything=True), "every function"),
    ],
)
def test_a_choice_that_matches_nothing_is_one_line(wanted, words):
    with pytest.raises(choice.NothingChosen) as raised:
        choice.resolve(wanted, ["/aws/apigateway/orders"])
    assert words in str(raised.value)
    assert "\n" not in str(raised.value)


def test_only_one_named_function_is_a_single_choice():
    assert choice.Choice(functions=("a",)).single == "a"
    assert choice.Choice(functions=("a", "b")).single is None
    assert choice.Choice(functions=("a",), prefix="a").single is None


# Batches of log groups


def test_batches_hold_at_most_fifty_log_groups_each_and_every_group_once():
    names = groups(*(f"f{i:03}" for i in range(120)))
    found = batches.batches(names)
    assert [len(b.log_groups) for b in found] == [50, 50, 20]
    assert [g for b in found for g in b.log_groups] == names
    assert [b.number for b in found] == [1, 2, 3]


# Fleet rows


def invoke(cold=False, init_type=None, init_ms=None, env="e1", memory=10.0, tmp=1.0, powertools=False):
    record = {KIND_KEY: "invoke", "environment_id": env, "MemoryUsedPercent": memory, "TmpUsedPercent": tmp}
    record["ColdStart"] = [1 if cold else 0] if powertools else (1 if cold else 0)
    if init_type:
        record["init_type"] = init_type
    if init_ms is not None:
        record["InitDuration"] = init_ms
    return record


def orders_records():
    # Four invocations in three environments, a timeout warning, a shutdown, and an app's own line.
    return [
        invoke(cold=True, init_ms=300, env="e1"),
        invoke(env="e1", memory=55.5),
        invoke(cold=True, init_ms=900, env="e2", tmp=42.0, powertools=True),
        invoke(init_type="provisioned-concurrency", env="e3"),
        {KIND_KEY: "timeout_warning", "environment_id": "e2", "MemoryUsedPercent": 70.0},
        {
            KIND_KEY: "shutdown",
            "environment_id": "e1",
            "ContainerAge": 600,
            "invocations": 2,
            "IdleBeforeShutdown": 300,
        },
        {"event": "order_placed", "environment_id": "app"},  # the function's own line is not ours
    ]


def test_a_row_from_records_counts_by_init_type_and_keeps_percentiles_per_function():
    records = orders_records()
    row = table.from_records("orders", "/aws/lambda/orders", records)
    assert (row.invocations, row.cold_starts, row.cold_start_rate) == (4, 2, 0.5)
    assert {t: (c.invocations, c.cold_starts) for t, c in row.by_init_type.items()} == {
        "on-demand": (3, 2),
        "provisioned-concurrency": (1, 0),
    }
    assert (row.init_p50_ms, row.init_p99_ms) == (300, 900)
    assert (row.peak_memory_percent, row.peak_tmp_percent) == (70.0, 42.0)
    assert (row.environments, row.timeout_warnings, row.processes_shut_down) == (3, 1, 1)
    assert (row.lifetime_p50_s, row.served_p50, row.idle_before_shutdown_p50_ms) == (600, 2, 300)


def test_a_row_from_insights_rows_matches_the_row_from_the_same_records():
    rows = {
        "invocations": [
            {"init_type": "on-demand", "invocations": "3", "cold_starts": "2"},
            {"init_type": "provisioned-concurrency", "invocations": "1", "cold_starts": "0"},
        ],
        "usage": [
            {
                "inits": "2",
                "init_p50": "300",
                "init_p99": "900",
                "peak_memory_percent": "70",
                "peak_tmp_percent": "42",
                "environments": "3",
                "timeout_warnings": "1",
            }
        ],
        "keep_warm": [{"shutdowns": "1", "lifetime_p50": "600", "served_p50": "2", "idle_p50": "300"}],
    }
    # The rows Logs Insights gives for orders_records(): the same row, field by field.
    row = table.from_insights("orders", "/aws/lambda/orders", rows)
    assert asdict(row) == asdict(table.from_records("orders", "/aws/lambda/orders", orders_records()))
    assert row.invocations == 4
    assert not table.from_insights("idle", "/aws/lambda/idle", {}).has_records


def fleet(n=5):
    rows = []
    for i in range(n):
        row = table.FunctionRow(f"f{i}", f"/aws/lambda/f{i}", invocations=10 * (i + 1), cold_starts=i + 1)
        row.by_init_type = {"on-demand": table.InitTypeCounts(10 * (i + 1), i + 1)}
        row.init_p99_ms = None if i == 2 else 100.0 * i
        row.peak_tmp_percent = float(i * 10)
        rows.append(row)
    return table.FleetReport(
        T0, T0 + 3_600_000, "every function", "fetch", rows, without_records=["quiet"], sort="init_p99_ms", top=3
    )


def test_sorting_puts_the_highest_first_and_a_function_without_the_value_last():
    report = fleet()
    assert [r.function for r in table.sorted_rows(report.rows, "init_p99_ms")] == ["f4", "f3", "f1", "f0", "f2"]
    assert [r.function for r in table.sorted_rows(report.rows, "function")] == ["f0", "f1", "f2", "f3", "f4"]


def test_top_n_shows_n_rows_and_the_totals_count_every_function():
    built = table.as_dict(fleet())
    assert [r["function"] for r in built["functions"]] == ["f4", "f3", "f1"]
    total = built["totals"]
    assert (total["functions"], total["invocations"], total["cold_starts"]) == (5, 150, 15)
    assert total["cold_start_rate"] == 0.1
    assert total["peak_tmp_percent"] == 40.0
    assert "init_p99_ms" not in total  # percentiles stay per function
    assert built["without_records"] == ["quiet"]
    assert built["partial"] is False


def test_csv_has_a_row_per_shown_function_then_the_totals():
    rows = list(csv.DictReader(io.StringIO(table.render(fleet(), "csv"))))
    assert [r["function"] for r in rows] == ["f4", "f3", "f1", "TOTAL"]
    assert rows[-1]["invocations"] == "150"
    assert rows[0]["cold_starts.on-demand"] == "5"


def test_the_table_writes_init_dollars_without_an_exponent():
    report = fleet()
    report.rows[0].init_cost_usd = 2.521e-07
    text = table.render(report, "table")
    assert " 0.0000002521 " in text
    assert "e-0" not in text
    assert "x86_64's 0.0000166667 USD per GB-second" in text


def test_the_table_says_what_it_left_out():
    report = fleet()
    report.missing = [table.Missing("f9", "ThrottlingException: Rate exceeded")]
    text = table.render(report, "table")
    assert "1 function(s) without lambda-lifecycle records in the window: quiet" in text
    assert "PARTIAL: 1 function(s) could not be read and are not in the totals: f9 (ThrottlingException" in text
    assert json.loads(table.render(report, "json"))["partial"] is True


def test_what_lambda_reported_of_a_function_without_records_is_in_the_totals_and_named():
    # A function whose every invocation was killed before the SDK could write: no record, but
    # Lambda's REPORT lines count its kills and bill its inits.
    collected = collect.Collected()
    killed = table.FunctionRow("crashing", "/aws/lambda/crashing", killed_invocations=4)
    killed.init_gb_seconds, killed.init_cost_usd = 2.0, 3.33334e-05
    for row in (fleet().rows[0], killed, table.FunctionRow("quiet", "/aws/lambda/quiet")):
        collected.add(row)
    assert ([r.function for r in collected.rows], collected.without_records) == (["f0"], ["crashing", "quiet"])
    report = fleet()
    report.without_records, report.unrecorded = collected.without_records, collected.unrecorded
    built = table.as_dict(report)
    assert (built["totals"]["killed_invocations"], built["totals"]["init_cost_usd"]) == (4, 3.33334e-05)
    assert built["totals"]["functions"] == 5  # the rows are the functions with records
    assert built["without_records_reported"] == [
        {"function": "crashing", "killed_invocations": 4, "init_gb_seconds": 2.0, "init_cost_usd": 3.33334e-05}
    ]
    text = table.render(report, "table")
    said = "2 function(s) without lambda-lifecycle records in the window: "
    said += "crashing (Lambda: 4 killed, init 0.0000333334 $), quiet"
    assert said in text.splitlines()
    assert "and Lambda's kills and billed init of those without" in text


# Explicit --namespace / --service against what exists (issue 21, item 9)


def series(namespace, names, **dims):
    return {Series(namespace, name, tuple(sorted(dims.items()))) for name in names}


SDK = ("ColdStart", "InitDuration", "IdleTime", "MemoryUsedPercent", "TmpUsedPercent")


def test_flags_naming_the_sdk_dimension_set_keep_the_metrics_that_exist():
    found = series("LambdaLifecycle", ("ColdStart", "InitDuration"), function_name="orders", service="shop")
    dims = [("function_name", "orders"), ("service", "shop")]
    assert published.existing_metrics(found, "LambdaLifecycle", dims) == ("ColdStart", "InitDuration")


def test_powertools_own_cold_start_series_is_not_taken_for_the_sdk():
    # Powertools publishes the SDK's metrics under [service], and its own ColdStart under
    # [function_name, service]: the flags' set holds only the latter.
    found = series("Shop", SDK, service="orders") | series(
        "Shop", ("ColdStart",), function_name="orders", service="orders"
    )
    with pytest.raises(published.NotPublished) as raised:
        published.existing_metrics(found, "Shop", [("function_name", "orders"), ("service", "orders")])
    message = str(raised.value)
    assert "under service=orders, not function_name=orders, service=orders" in message
    assert "run without --namespace" in message


def test_flags_naming_nothing_that_exists_are_refused():
    with pytest.raises(
        published.NotPublished, match="no lambda-lifecycle metric exists in Other under function_name=x"
    ):
        published.existing_metrics(set(), "Other", [("function_name", "x")])


# Fleet dashboard and alarms


def fleet_series():
    found = series("LambdaLifecycle", SDK, function_name="a")
    found |= series("LambdaLifecycle", SDK, function_name="b", service="shop")
    found |= series("LambdaLifecycle", ("ColdStart",), function_name="c")  # metrics=("ColdStart",)
    found |= series("LambdaLifecycle", SDK, function_name="not-chosen", stage="prod")
    return found


def test_every_chart_query_names_a_dimension_set_that_holds_its_metric():
    sets = cloudwatch.sdk_sets(fleet_series(), {"a", "b", "c"})
    built = cloudwatch.dashboard_body(region="eu-west-1", namespace="LambdaLifecycle", sets=sets, log_groups=[])
    charts = {w["properties"]["title"].split(" (")[0]: w for w in built.body["widgets"] if w["type"] == "metric"}
    cold = [m[0]["expression"] for m in charts["Worst cold-start rate"]["properties"]["metrics"]]
    assert cold == [
        'SELECT AVG(ColdStart) FROM SCHEMA("LambdaLifecycle", function_name) GROUP BY function_name'
        " ORDER BY AVG() DESC LIMIT 10",
        'SELECT AVG(ColdStart) FROM SCHEMA("LambdaLifecycle", function_name, service) GROUP BY function_name'
        " ORDER BY AVG() DESC LIMIT 10",
    ]
    tmp = [m[0]["expression"] for m in charts["Highest /tmp use"]["properties"]["metrics"]]
    assert all("stage" not in q for q in tmp)  # a set only an unchosen function publishes under


def test_log_tables_read_at_most_fifty_log_groups_and_the_body_stays_in_budget():
    names = groups(*(f"function-with-a-long-name-{i:04}" for i in range(1000)))
    built = cloudwatch.dashboard_body(region="eu-west-1", namespace="LambdaLifecycle", sets={}, log_groups=names)
    logs = [w for w in built.body["widgets"] if w["type"] == "log"]
    assert logs
    assert all(w["properties"]["query"].count("SOURCE '") <= 50 for w in logs)
    assert len(json.dumps(built.body, separators=(",", ":"))) <= cloudwatch.MAX_BODY_BYTES
    shown = {g for w in logs for g in names if f"SOURCE '{g}'" in w["properties"]["query"]}
    assert shown | set(built.left_out) == set(names)
    assert not shown & set(built.left_out)


def test_fleet_alarms_are_per_function_plus_one_metrics_insights_alarm_per_threshold_and_set():
    sets = cloudwatch.sdk_sets(fleet_series(), {"a", "b", "c"})
    per_function = cloudwatch.function_alarm_specs(
        namespace="LambdaLifecycle",
        sets=sets,
        tmp_percent=80,
        memory_percent=90,
        cold_start_rate=0.25,
        min_invocations=20,
        actions=[],
    )
    names = [s["AlarmName"] for s in per_function]
    assert names == [
        "lambda-lifecycle-a-tmp-used",
        "lambda-lifecycle-a-memory-used",
        "lambda-lifecycle-a-cold-start-rate",
        "lambda-lifecycle-b-tmp-used",
        "lambda-lifecycle-b-memory-used",
        "lambda-lifecycle-b-cold-start-rate",
        "lambda-lifecycle-c-cold-start-rate",  # c publishes ColdStart only
    ]
    fleet_wide = cloudwatch.fleet_alarm_specs(
        namespace="LambdaLifecycle", sets=sets, tmp_percent=80, memory_percent=90, actions=[]
    )
    assert [s["AlarmName"] for s in fleet_wide] == [
        "lambda-lifecycle-fleet-tmp-used",
        "lambda-lifecycle-fleet-tmp-used-service",
        "lambda-lifecycle-fleet-memory-used",
        "lambda-lifecycle-fleet-memory-used-service",
    ]
    assert fleet_wide[0]["Metrics"][0]["Expression"].startswith(
        'SELECT MAX(TmpUsedPercent) FROM SCHEMA("LambdaLifecycle", function_name)'
    )


# Timeline across functions


def drawn(function, births):
    from lambda_lifecycle.cli.timeline.model import Lane, Timeline

    lanes = [
        Lane(
            f"{function}-c{i}",
            f"{function}-e{i}",
            None,
            0,
            "on-demand",
            born,
            born + 1000,
            "running",
            1,
            f"e{i} process 0",
        )
        for i, born in enumerate(births)
    ]
    return Timeline(function, lanes, [] if function != "b" else ["1 process(es) left out: no time"])


def test_a_timeline_across_functions_groups_lanes_by_function():
    from lambda_lifecycle.cli.fleet import timeline

    combined = timeline.combine({"b": drawn("b", [5, 6]), "a": drawn("a", [9])}, title="t", max_lanes=10)
    assert [lane.label for lane in combined.lanes] == ["a / e0 process 0", "b / e0 process 0", "b / e1 process 0"]
    assert combined.lanes[0].details["function"] == "a"
    assert combined.notes == ["b: 1 process(es) left out: no time"]


def test_a_capped_timeline_keeps_the_newest_and_says_which_functions_it_left_out():
    from lambda_lifecycle.cli.fleet import timeline

    combined = timeline.combine(
        {"a": drawn("a", [1, 2]), "b": drawn("b", [10, 11]), "c": drawn("c", [20])}, title="t", max_lanes=3
    )
    assert [lane.label for lane in combined.lanes] == ["b / e0 process 0", "b / e1 process 0", "c / e0 process 0"]
    assert combined.notes[-1] == (
        "drew the 3 newest of 5 processes across 3 functions; none of a: choose fewer functions, narrow the"
        " window or raise --max-lanes"
    )


def test_printing_the_fleet_queries_needs_no_aws(capsys):
    from lambda_lifecycle.cli import main

    assert main(["queries", "--all"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("# fleet/") == 4
    assert printed.count("by @log") == 4


# What Lambda's REPORT lines say: killed invocations, billed init


def test_reports_count_kills_and_billed_init_in_both_log_formats():
    import platform_samples as lines

    from lambda_lifecycle.cli.fleet import reports

    events = [
        lines.REPORT_COLD,  # a success, with a 130.49 ms init at 128 MB
        lines.REPORT_TIMEOUT,
        lines.REPORT_OOM,
        lines.REPORT_EXIT,  # killed, after a 293.05 ms init at 128 MB
        lines.JSON_REPORT,
        lines.JSON_REPORT_TIMEOUT,
        lines.JSON_REPORT_OOM,
        lines.INIT_REPORT_IMPORT_ERROR,  # an init that failed: nothing was invoked
        '{"lambda_lifecycle":"invoke","Status: timeout":1}',  # not Lambda's
    ]
    found = reports.in_events((T0 + i, "stream", message) for i, message in enumerate(events))
    assert found.killed == 5
    assert found.init_mb_ms == (131 + 294) * 128  # billed: rounded up to the millisecond
    assert found.init_gb_seconds == 0.053125
    assert found.init_cost_usd() == round(0.053125 * 0.0000166667, 10)


def test_inits_before_lambda_billed_them_cost_nothing():
    import platform_samples as lines

    from lambda_lifecycle.cli.fleet import reports

    assert reports.in_events([(1_700_000_000_000, "stream", lines.REPORT_COLD)]).init_mb_ms == 0  # 2023


def test_reports_from_the_query_rows_leave_out_function_errors():
    from lambda_lifecycle.cli.fleet import reports

    rows = [
        {"status": "timeout", "error_type": "-", "reports": "3"},
        {"status": "error", "error_type": "Runtime.OutOfMemory", "reports": "2"},
        {"status": "error", "error_type": "Runtime.ImportModuleError", "reports": "4"},  # init error
        {"status": "error", "error_type": "ValueError", "reports": "5"},  # the handler's own exception
        {"status": "success", "error_type": "-", "reports": "90", "init_mb_ms": "16768"},
    ]
    found = reports.from_rows(rows)
    assert (found.killed, found.init_mb_ms) == (5, 16768)


@pytest.mark.parametrize(
    ("prefix", "name"),
    [(None, "lambda-lifecycle-fleet-eu-west-1"), ("shop-", "lambda-lifecycle-fleet-shop-eu-west-1")],
)
def test_a_fleet_dashboard_is_named_for_its_region_and_prefix(prefix, name):
    assert cloudwatch.dashboard_name("eu-west-1", prefix) == name
