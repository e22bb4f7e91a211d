"""The artifact users deploy: a wheel installed with ``pip install -t package``, run under awslambdaric."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lambda_lifecycle.local.runtime_api import RuntimeAPI, lambda_environment, records, start_runtime

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("lambda_lifecycle-*.whl")
    return built


def test_wheel_holds_the_package_and_nothing_else(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert wheel.name.startswith("lambda_lifecycle-0.1.0-py3-none-any")
    assert "lambda_lifecycle/py.typed" in names
    assert "lambda_lifecycle/__init__.py" in names
    assert not [n for n in names if n.startswith(("tests/", "examples/", "benchmarks/"))]
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "Requires-Dist: wrapt<2,>=1.14" in metadata


def test_deployment_package_runs_under_the_runtime_client(wheel, tmp_path):
    package = tmp_path / "package"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(package), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # wrapt as the deployment package would hold it, copied from this environment.
    import wrapt

    shutil.copytree(Path(wrapt.__file__).parent, package / "wrapt")
    (package / "app.py").write_text(
        "import lambda_lifecycle\n"
        "@lambda_lifecycle.instrument\n"
        "def handler(event, context):\n"
        "    return {'sdk': lambda_lifecycle.__file__}\n"
    )
    with RuntimeAPI() as api:
        env = lambda_environment(api)
        process = start_runtime(package, "app.handler", env)
        try:
            api.invoke({"n": 1})
            api.invoke({"n": 2})
            api.wait_done(2)
        finally:
            process.kill()
            stdout, stderr = process.communicate(timeout=30)
    found = records(stdout)
    assert [(r["invocation"], r["cold_start"]) for r in found] == [(1, True), (2, False)], stderr
    # The SDK that ran is the deployed copy, not the development checkout.
    assert {Path(i.body["sdk"]).parent.parent for i in api.invocations} == {package}
