"""The benchmark script keeps running (its numbers are read by people, never asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "run.py"


def test_quick_benchmark_reports_every_figure_with_its_floor(tmp_path):
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json", str(out)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "(a) per invocation" in result.stdout
    document = json.loads(out.read_text())
    assert document["quick"] is True
    (report,) = document["results"].values()
    for figure in ("invocation", "import", "first_call"):
        assert report[f"{figure}_ratio"] > 0, figure
        assert report[f"{figure}_floor_ratio"] > 0, figure
    # The floor is only a floor if it writes what the SDK writes.
    assert report["floor_same_line"] is True
    every = "lambda-lifecycle, warm, every reading (first, then once a second), with X-Ray id"
    assert set(report["bytes"]) == {
        "lambda-lifecycle, warm",
        "lambda-lifecycle, warm, with X-Ray id",
        every,
        "powertools, one metric",
    }
    assert report["bytes"]["lambda-lifecycle, warm, with X-Ray id"] > report["bytes"]["lambda-lifecycle, warm"]
    # Descriptors, threads and /tmp on a line a second after the last reading, not on those between.
    assert report["bytes"][every] > report["bytes"]["lambda-lifecycle, warm, with X-Ray id"]
    assert report["extension_ms"] > 0
    # (e): OpenTelemetry, integrated beside the plain SDK and beside the Lambda instrumentation.
    assert set(report["otel"]["overhead_us"]) == {
        "lambda-lifecycle",
        "lambda-lifecycle + otel",
        "lambda-lifecycle + otel, no flush",
        "instrumentation",
        "instrumentation + lambda-lifecycle otel",
    }
    for ratio in ("sdk_ratio", "sdk_ratio_no_flush", "instrumentation_ratio"):
        assert report["otel"][ratio] > 0, ratio


def test_the_init_anatomy_benchmark_reports_its_ratios(tmp_path):
    out = tmp_path / "init.json"
    script = SCRIPT.parent / "init_anatomy.py"
    result = subprocess.run(
        [sys.executable, str(script), "--rounds", "1", "--json", str(out)], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    medians = json.loads(out.read_text())
    for ratio in ("init: on / off", "warm: timed / not timed"):
        assert medians[ratio] > 0, ratio
    assert "entry point - decorated (ms)" in medians
