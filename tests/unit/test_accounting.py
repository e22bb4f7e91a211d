"""Every invocation accounted for: Lambda's verbatim lines beside the SDK's records, per log stream."""

from __future__ import annotations

import platform_samples as s
import pytest

from lambda_lifecycle.cli import accounting, prices

T = s.T
EVENTS = s.story(T)


@pytest.fixture(scope="module")
def built():
    rows, lines, unread = accounting.rows_from_events(EVENTS)
    found = accounting.build(
        rows, sdk_init={"n": "1", "p50": "110.2", "max": "110.2"}, sdk_peak_memory_mb=[52.0], unread=unread
    )
    assert found is not None
    return found, lines


def test_every_invocation_lambda_reported_is_a_record_or_a_cause(built):
    acc, _ = built
    assert (acc.reported, acc.records) == (6, 2)
    assert acc.without_record == {"timeout": 1, "out of memory": 1, "runtime exit": 1, "lost": 1}
    assert acc.reported == acc.records + sum(acc.without_record.values())
    assert acc.records_lost == 1
    assert [(lost.log_stream, lost.reported, lost.records) for lost in acc.lost_in] == [("C", 1, 0)]
    assert "log level" in (acc.likely_causes_of_lost or "")


def test_init_failures_and_suppressed_inits_with_their_error_types(built):
    acc, _ = built
    assert acc.init_failures == [
        {"phase": "init", "status": "error", "error_type": "Runtime.ImportModuleError", "count": 1},
        {"phase": "invoke", "status": "error", "error_type": "Runtime.ExitError", "count": 1},
    ]
    assert acc.suppressed_inits == 1


def test_environments_that_stopped_without_a_shutdown_are_killed_or_alive(built):
    acc, _ = built
    assert acc.environments == {"shut_down": 1, "killed": 2, "alive": 1}
    assert acc.killed_by_cause == {"runtime exit": 1, "timeout": 1}
    ended = {env.log_stream: (env.ended, env.cause) for env in acc.stopped_without_shutdown}
    assert ended == {"A": ("killed", "timeout"), "B": ("alive", None), "D": ("killed", "runtime exit")}


def test_billed_duration_gb_seconds_and_cost_per_architecture(built):
    acc, _ = built
    billed = {  # billed ms and memory MB of each REPORT above
        "cold": (16, 128),
        "timeout": (3000, 1024),
        "oom": (10936, 1024),
        "traced": (13, 128),
        "json": (19, 2048),
        "exit": (1542, 128),
    }
    assert acc.billed_ms == sum(ms for ms, _ in billed.values())
    gb_s = sum(prices.gb_seconds(ms, mb) for ms, mb in billed.values())
    assert acc.gb_seconds == pytest.approx(gb_s, abs=1e-6)
    # the failed init phase (229.04 ms, not on any REPORT) at the usual memory (128 MB): billed since 2025-08-01
    assert acc.failed_init_gb_seconds == pytest.approx(prices.gb_seconds(229.04, 128), abs=1e-6)
    for arch in ("x86_64", "arm64"):
        price = prices.LIST_PRICES[arch]
        expected = prices.cost(price, gb_s=gb_s + prices.gb_seconds(229.04, 128), requests=6)
        assert acc.estimated_cost[arch].usd == pytest.approx(expected, abs=1e-6)
        assert prices.READ_ON in acc.estimated_cost[arch].source


def test_price_override_changes_the_estimate():
    rows, _, _ = accounting.rows_from_events(EVENTS)
    table = prices.price_table([prices.parse_price("arm64=0.00001,0")])
    acc = accounting.build(rows, price_table=table)
    assert acc is not None
    assert acc.estimated_cost["arm64"].source == "--price"
    assert acc.estimated_cost["arm64"].usd == pytest.approx((acc.gb_seconds + acc.failed_init_gb_seconds) * 0.00001)


def test_lambdas_init_and_memory_beside_the_sdks(built):
    acc, _ = built
    assert acc.lambda_init_duration_ms["count"] == 2  # the two REPORTs with Init Duration
    assert acc.lambda_init_duration_ms["max"] == 293.05
    assert acc.sdk_init_duration_ms["p50"] == 110.2
    assert acc.init_before_python_ms_p50 == pytest.approx(130.49 - 110.2)  # the same request, matched by id
    assert acc.lambda_max_memory_used_mb["max"] == 1024
    assert acc.sdk_max_memory_used_mb == {"p50": 52.0, "max": 52.0}


def test_unreadable_platform_lines_are_counted(built):
    acc, lines = built
    assert (acc.lines_unknown, acc.lines_malformed) == (1, 1)
    assert {stream for stream, _ in lines} == {"A", "B", "C", "D"}


def test_no_report_lines_no_accounting():
    rows, _, _ = accounting.rows_from_events([(T, "A", s.record_line("invoke"))])
    assert accounting.build(rows) is None
