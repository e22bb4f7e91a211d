"""lambda-lifecycle layer build: a layer zip that imports in a clean interpreter."""

from __future__ import annotations

import platform
import subprocess
import sys
import zipfile

import pytest

HOST = f"{sys.version_info[0]}.{sys.version_info[1]}"
HOST_ARCH = {"x86_64": "x86_64", "aarch64": "arm64"}.get(platform.machine())


def build(tmp_path, *args):
    out = tmp_path / "layer.zip"
    result = subprocess.run(
        [sys.executable, "-m", "lambda_lifecycle.cli", "layer", "build", "--output", str(out), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result, out


@pytest.mark.skipif(HOST_ARCH is None, reason="needs an x86_64 or arm64 machine")
def test_the_layer_imports_in_a_clean_interpreter(tmp_path):
    result, out = build(tmp_path, "--arch", HOST_ARCH, "--python", HOST)
    assert result.returncode == 0, result.stderr
    assert "KiB" in result.stdout
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        zf.extractall(tmp_path / "opt")
    assert all(name.startswith("python/") for name in names)
    assert "python/lambda_lifecycle/__init__.py" in names
    assert "python/lambda_lifecycle/py.typed" in names
    assert not [n for n in names if n.startswith("python/lambda_lifecycle/cli/")]  # not for functions
    assert out.stat().st_size < 1024 * 1024
    layer = tmp_path / "opt" / "python"
    # -I -S: no site-packages, no environment; only the layer, as on Lambda.
    code = (
        f"import sys; sys.path.insert(0, {str(layer)!r})\n"
        "import importlib.util, os, lambda_lifecycle, wrapt, wrapt._wrappers\n"
        "assert lambda_lifecycle.__file__.startswith(sys.path[0]), lambda_lifecycle.__file__\n"
        "assert wrapt._wrappers.__file__.startswith(sys.path[0])\n"
        "assert os.path.exists(importlib.util.cache_from_source(lambda_lifecycle.__file__))\n"
        "print(lambda_lifecycle.instrument(lambda e, c: 'ok')({}, None))\n"
    )
    run = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "ok" in run.stdout.splitlines()


def test_an_arm64_layer_has_the_aarch64_wheel(tmp_path):
    result, out = build(tmp_path, "--arch", "arm64", "--python", "3.12")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as zf:
        extensions = [n for n in zf.namelist() if n.endswith(".so")]
    assert extensions
    assert all("cpython-312-aarch64-linux-gnu" in n for n in extensions)


@pytest.mark.parametrize(("args", "message"), [(["--python", "2.7"], "--python must look like 3.12")])
def test_bad_input_is_a_clear_error(tmp_path, args, message):
    result, out = build(tmp_path, *args)
    assert result.returncode == 1
    assert message in result.stderr
    assert not out.exists()
