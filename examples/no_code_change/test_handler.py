import subprocess
import sys
from pathlib import Path

import pytest

from lambda_lifecycle.contract import KIND_KEY
from lambda_lifecycle.local.runtime_api import records

HANDLER = Path(__file__).parent / "handler.py"


@pytest.mark.parametrize("how", [["--exec-wrapper"], ["--entry-point"]])
def test_instrumented_with_no_code_change_and_its_init_explained(how):
    result = subprocess.run(
        [sys.executable, "-m", "lambda_lifecycle.cli", "run", f"{HANDLER.with_suffix('')}.lambda_handler", *how],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    found = records(result.stdout)
    [init] = [r for r in found if r[KIND_KEY] == "init"]
    [invoke] = [r for r in found if r[KIND_KEY] == "invoke"]
    assert invoke["cold_start"] is True
    slowest = {i["module"]: i for i in init["imports"]}
    assert {"boto3", "pricing"} <= set(slowest)
    assert slowest["pricing"]["ms"] >= 120
    assert slowest["boto3"]["by"] == slowest["pricing"]["by"] == "handler"
    assert init["InitCode"] > 0  # the client made at module level
