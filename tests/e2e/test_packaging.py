"""The artifacts users install: the wheel in a deployment package under awslambdaric, and the release
(sdist and wheel from ``python -m build``, ``twine check``, the wheel in a clean virtualenv)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest
from two_invocations import served_twice

import lambda_lifecycle
from lambda_lifecycle.contract import KIND_KEY
from lambda_lifecycle.local.runtime_api import records

ROOT = Path(__file__).parents[2]
VERSION = lambda_lifecycle.__version__


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
    assert wheel.name == f"lambda_lifecycle-{VERSION}-py3-none-any.whl"
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
    served = served_twice(package, "app.handler")
    found = [r for r in records(served.stdout) if r[KIND_KEY] == "invoke"]
    assert [(r["invocation"], r["cold_start"]) for r in found] == [(1, True), (2, False)], served.stderr
    # The SDK that ran is the deployed copy, not the development checkout.
    assert {Path(i.body["sdk"]).parent.parent for i in served.invocations} == {package}


def run(*command: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{command}: {done.stdout[-2000:]}{done.stderr[-4000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """``python -m build`` of this checkout: the sdist and the wheel a release uploads."""
    pytest.importorskip("build", reason="the dev extra is not installed (pip install -e '.[dev]')")
    out = tmp_path_factory.mktemp("release")
    run(sys.executable, "-m", "build", "--outdir", str(out), str(ROOT))
    return out


@pytest.mark.slow
def test_build_makes_an_sdist_and_a_wheel_that_twine_accepts(release):
    pytest.importorskip("twine", reason="the dev extra is not installed (pip install -e '.[dev]')")
    assert sorted(path.name for path in release.iterdir()) == [
        f"lambda_lifecycle-{VERSION}-py3-none-any.whl",
        f"lambda_lifecycle-{VERSION}.tar.gz",
    ]
    output = run(sys.executable, "-m", "twine", "check", "--strict", *sorted(release.iterdir()))
    assert output.count("PASSED") == 2, output
    with tarfile.open(release / f"lambda_lifecycle-{VERSION}.tar.gz") as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    # What building the docs and running the tests from the sdist needs.
    for needed in ("mkdocs.yml", "docs/index.md", "docs/gen_samples.py", "README.md", "CHANGELOG.md", "LICENSE"):
        assert needed in names, needed
    assert "examples/quickstart/handler.py" in names


@pytest.mark.slow
def test_the_wheel_runs_the_demo_in_a_clean_virtualenv(release, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    clean = {name: value for name, value in os.environ.items() if not name.startswith(("PYTHON", "VIRTUAL_ENV"))}
    # The index may be used for wrapt, the one dependency; nothing comes from this checkout.
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *release.glob("*.whl"), env=clean)
    installed = run(
        python,
        "-c",
        "import lambda_lifecycle; print(lambda_lifecycle.__version__, lambda_lifecycle.__file__)",
        cwd=tmp_path,
        env=clean,
    )
    version, location = installed.split()
    assert version == VERSION
    assert Path(location).is_relative_to(env_dir)
    demo = run(python, "-m", "lambda_lifecycle", "demo", cwd=tmp_path, env=clean)
    assert f'"{KIND_KEY}":"invoke"' in demo
    assert f'"{KIND_KEY}":"shutdown"' in demo
    assert "What this container lived through" in demo
