"""lambda-lifecycle layer build: exactly the SDK's runtime modules, with its dist-info, the same
bytes from every build, and a function that runs from it under the real runtime client."""

from __future__ import annotations

import hashlib
import platform
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from two_invocations import served_twice

import lambda_lifecycle
from lambda_lifecycle.cli import layer
from lambda_lifecycle.contract import INIT, INVOKE, KIND_KEY
from lambda_lifecycle.local.runtime_api import records

ROOT = Path(__file__).parents[2]
HOST = f"{sys.version_info[0]}.{sys.version_info[1]}"
HOST_ARCH = {"x86_64": "x86_64", "aarch64": "arm64"}.get(platform.machine())
needs_host_arch = pytest.mark.skipif(HOST_ARCH is None, reason="needs an x86_64 or arm64 machine")
DIST_INFO = f"python/lambda_lifecycle-{lambda_lifecycle.__version__}.dist-info/"

APP = """
import importlib.metadata
import lambda_lifecycle
import wrapt


@lambda_lifecycle.instrument
def handler(event, context):
    found = importlib.metadata.distribution("lambda-lifecycle")
    return {"sdk": lambda_lifecycle.__file__, "wrapt": wrapt.__file__, "version": found.version,
            "metadata": str(found.locate_file(""))}
"""


def build(tmp_path, *args, name="layer.zip"):
    out = tmp_path / name
    result = subprocess.run(
        [sys.executable, "-m", "lambda_lifecycle.cli", "layer", "build", "--output", str(out), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result, out


@pytest.fixture(scope="module")
def host_layer(tmp_path_factory):
    """A layer for this machine's architecture and Python, built once for the tests that read it."""
    if HOST_ARCH is None:
        pytest.skip("needs an x86_64 or arm64 machine")
    result, out = build(tmp_path_factory.mktemp("layer"), "--arch", HOST_ARCH, "--python", HOST)
    assert result.returncode == 0, result.stderr
    assert f"{out} (" in result.stdout
    assert "no change to the function's code: set AWS_LAMBDA_EXEC_WRAPPER=/opt/lambda-lifecycle" in result.stdout
    return out


def test_the_layer_holds_the_sdks_runtime_modules_and_nothing_of_the_tools(host_layer):
    names = zipfile.ZipFile(host_layer).namelist()
    assert all(name.startswith("python/") for name in names if name != layer.WRAPPER_IN_LAYER)
    assert layer.WRAPPER_IN_LAYER in names  # the exec wrapper, /opt/lambda-lifecycle
    sdk = {name for name in names if name.startswith("python/lambda_lifecycle/") and "__pycache__" not in name}
    assert sorted(sdk) == [f"python/{name}" for name in layer.sdk_files()]
    tools = ("cli/", "local/", "testing", "pytest_plugin", "_demo", "demo", "__main__")
    assert [name for name in names if name.removeprefix("python/lambda_lifecycle/").startswith(tools)] == []
    compiled = {name for name in names if name.startswith("python/lambda_lifecycle/") and "__pycache__" in name}
    assert len(compiled) == len(layer.SDK_MODULES)  # one .pyc per module: nothing compiled at cold start
    assert {f"{DIST_INFO}{name}" for name in ("METADATA", "RECORD", "INSTALLER", "top_level.txt")} <= set(names)
    assert host_layer.stat().st_size < 1024 * 1024


def test_two_builds_are_the_same_bytes(host_layer, tmp_path):
    result, again = build(tmp_path, "--arch", HOST_ARCH, "--python", HOST, name="again.zip")
    assert result.returncode == 0, result.stderr
    assert hashlib.sha256(again.read_bytes()).hexdigest() == hashlib.sha256(host_layer.read_bytes()).hexdigest()
    for entry in zipfile.ZipFile(host_layer).infolist():
        # As pip installs a compiled extension; the exec wrapper, which Lambda runs.
        executable = entry.filename.endswith(".so") or entry.filename == layer.WRAPPER_IN_LAYER
        mode = 0o100755 if executable else 0o100644
        assert (entry.date_time, entry.external_attr >> 16) == (layer.ZIP_TIME, mode), entry.filename


def test_the_layer_imports_in_a_clean_interpreter(host_layer, tmp_path):
    zipfile.ZipFile(host_layer).extractall(tmp_path / "opt")
    python = tmp_path / "opt" / "python"
    # -I -S: no site-packages, no environment; only the layer, as on Lambda.
    code = (
        f"import sys; sys.path.insert(0, {str(python)!r})\n"
        "import importlib.metadata, importlib.util, os, lambda_lifecycle, wrapt, wrapt._wrappers\n"
        "assert lambda_lifecycle.__file__.startswith(sys.path[0]), lambda_lifecycle.__file__\n"
        "assert wrapt._wrappers.__file__.startswith(sys.path[0])\n"
        "assert os.path.exists(importlib.util.cache_from_source(lambda_lifecycle.__file__))\n"
        "print(importlib.metadata.version('lambda-lifecycle'))\n"
        "print(lambda_lifecycle.instrument(lambda e, c: 'ok')({}, None))\n"
    )
    run = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[:1] == [lambda_lifecycle.__version__]
    assert "ok" in run.stdout.splitlines()


@needs_host_arch
@pytest.mark.parametrize("through_wrapper", [False, True], ids=["handler", "exec wrapper"])
def test_a_function_runs_from_the_layer_under_the_runtime_client(host_layer, tmp_path, through_wrapper):
    with zipfile.ZipFile(host_layer) as zf:
        zf.extractall(tmp_path / "opt")
        for entry in zf.infolist():  # as Lambda unpacks a layer: with the modes the zip holds
            (tmp_path / "opt" / entry.filename).chmod((entry.external_attr >> 16) & 0o777)
    python = tmp_path / "opt" / "python"
    wrapper = tmp_path / "opt" / layer.WRAPPER_IN_LAYER if through_wrapper else None
    task = tmp_path / "task"
    task.mkdir()
    (task / "app.py").write_text(APP)
    # Lambda puts /opt/python on the path ahead of the runtime's own packages.
    served = served_twice(task, "app.handler", exec_wrapper=wrapper, PYTHONPATH=str(python))
    found = records(served.stdout)
    invokes = [(r["invocation"], r["cold_start"]) for r in found if r[KIND_KEY] == INVOKE]
    assert invokes == [(1, True), (2, False)], served.stderr
    [init] = [r for r in found if r[KIND_KEY] == INIT]
    assert init["loaded_by"] == ("entry_point" if through_wrapper else "import")
    [body] = {str(i.body) for i in served.invocations}  # the same answer twice
    answer = served.invocations[0].body
    assert answer["sdk"] == str(python / "lambda_lifecycle" / "__init__.py"), body
    assert answer["wrapt"].startswith(str(python))
    assert (answer["version"], answer["metadata"]) == (lambda_lifecycle.__version__, str(python))


def test_an_arm64_layer_has_the_aarch64_wheel(tmp_path):
    result, out = build(tmp_path, "--arch", "arm64", "--python", "3.12")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as zf:
        extensions = [n for n in zf.namelist() if n.endswith(".so")]
    assert extensions
    assert all("cpython-312-aarch64-linux-gnu" in n for n in extensions)


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--python", "2.7"], "--python must look like 3.12"), (["--arch", "sparc"], "--arch: invalid choice")],
)
def test_a_usage_error_is_one_line_and_exit_2(tmp_path, args, message):
    result, out = build(tmp_path, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert not out.exists()


def test_the_python_default_is_in_the_help():
    done = subprocess.run(
        [sys.executable, "-m", "lambda_lifecycle.cli", "layer", "build", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert "(default 3.12)" in " ".join(done.stdout.split())


def test_the_size_the_docs_give_is_the_size_built(host_layer):
    # This build compiles its bytecode (the host's Python is the --python given).
    text = " ".join((ROOT / "docs" / "deployment.md").read_text().split())
    [(older, newer)] = re.findall(r"bytecode about (\d+) KiB for Python 3.10 and (\d+) KiB for 3.11", text)
    documented = int(older if sys.version_info < (3, 11) else newer) * 1024
    assert host_layer.stat().st_size == pytest.approx(documented, rel=0.1)
