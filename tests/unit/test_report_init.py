"""``report``'s "where init time goes": the init records' phases, slowest imports and cost, from
either engine's rows (the fetch engine's computed here from records)."""

from __future__ import annotations

import json

import pytest

from lambda_lifecycle.cli import prices, report
from lambda_lifecycle.cli.aggregate import aggregate
from lambda_lifecycle.cli.queries import QUERIES
from lambda_lifecycle.cli.render import render
from lambda_lifecycle.contract import INIT, KIND_KEY


def init_record(n: int, init_ms: int, imports: list[tuple[str, float]], memory_mb: int = 1024) -> dict:
    return {
        KIND_KEY: INIT,
        "function_name": "orders",
        "container_id": f"c{n:011d}",
        "environment_id": f"e{n:011d}",
        "handler": "app.handler",
        "loaded_by": "entry_point",
        "memory_mb": memory_mb,
        "InitDuration": init_ms,
        "InitRuntime": 100,
        "InitImports": init_ms - 150,
        "InitCode": 50,
        "InitWait": 5 * n,
        "imports": [{"module": m, "ms": ms, "own_ms": ms, "share": 1.0, "by": "app"} for m, ms in imports],
        "imports_threshold_ms": 5.0,
    }


RECORDS = [
    (1_000 * n, init_record(n, 1000 + 100 * n, [("boto3", 600.0 + n), ("app.models", 200.0)])) for n in range(1, 5)
] + [(9_000, init_record(9, 400, [("pandas", 300.0)], memory_mb=2048))]


def built(price_table=None):
    return report.build(
        function="orders",
        log_group="/aws/lambda/orders",
        start_ms=0,
        end_ms=10_000,
        rows=aggregate(RECORDS),
        price_table=price_table,
    )


def test_phases_imports_and_cost_over_the_windows_cold_starts():
    anatomy = built().init_anatomy
    assert anatomy is not None
    assert anatomy.processes == 5
    assert anatomy.phases_ms["init"] == report.Phase(1200.0, 1400.0)  # nearest rank of 400, 1100..1400
    assert anatomy.phases_ms["runtime"] == report.Phase(100.0, 100.0)
    assert anatomy.phases_ms["wait"] == report.Phase(15.0, 45.0)
    assert [(s.module, s.cold_starts, s.total_ms) for s in anatomy.top_imports] == [
        ("boto3", 4, 2410.0),
        ("app.models", 4, 800.0),
        ("pandas", 1, 300.0),
    ]
    # (1.1 + 1.2 + 1.3 + 1.4) s at 1 GB, 0.4 s at 2 GB
    assert anatomy.cost.gb_seconds == pytest.approx(5.8)
    assert anatomy.cost.usd_by_architecture == {
        arch: pytest.approx(5.8 * prices.LIST_PRICES[arch].per_gb_second) for arch in prices.ARCHITECTURES
    }


def test_a_price_given_replaces_the_list_price():
    table = prices.price_table([prices.parse_price("arm64=0.00001")])
    anatomy = built(table).init_anatomy
    assert anatomy.cost.usd_by_architecture["arm64"] == pytest.approx(5.8 * 0.00001)
    assert anatomy.cost.prices["arm64"] == "--price"


def test_the_table_json_and_csv_show_it():
    r = built()
    text = render(r, "table")
    assert "where init time goes: 5 process start(s)" in text
    assert "boto3" in text
    assert "GB-s in the window" in text
    assert json.loads(render(r, "json"))["init_anatomy"]["top_imports"][0]["module"] == "boto3"
    assert "init_anatomy.phases_ms.imports.p50," in render(r, "csv")


def test_no_init_record_no_section():
    rows = aggregate([(1, {KIND_KEY: "shutdown", "container_id": "c", "environment_id": "e"})])
    r = report.build(function="f", log_group="g", start_ms=0, end_ms=1, rows=rows)
    assert r.init_anatomy is None
    assert "where init time goes" not in render(r, "table")


def test_the_insights_queries_read_init_records_only():
    for name in ("init_phases", "init_imports"):
        assert f'{KIND_KEY} in ["{INIT}"]' in QUERIES[name]
    assert "pct(imports, 90) as imports_p90" in QUERIES["init_phases"]
    assert "`imports.9.module` as module_9" in QUERIES["init_imports"]
