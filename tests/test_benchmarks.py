"""The benchmark script keeps running (its numbers are read by people, never asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "run.py"


def test_quick_benchmark_reports_every_comparison():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    for key in (
        "import_ratio_vs_powertools",
        "invocation_ratio_vs_powertools",
        "cold_call_ratio_vs_powertools",
        "extension_ratio_vs_import",
    ):
        assert report[key] > 0
    assert set(report["record_bytes"]) == {
        "lambda-lifecycle, warm",
        "lambda-lifecycle, warm, with X-Ray id",
        "powertools, one metric",
    }
    assert all(size > 100 for size in report["record_bytes"].values())
