"""``lambda-lifecycle layer build``: the SDK and the right platform wheels of its dependencies, as a layer zip.

Lambda unpacks a layer into ``/opt`` and puts ``/opt/python`` on ``sys.path``. ``/opt`` is read
only, so bytecode not in the zip is compiled again on every cold start: the build compiles it
with the function's Python when that interpreter is on the PATH, as unchecked-hash ``.pyc``
files (zip keeps times to 2 s, which would invalidate timestamp-checked ones).
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .._version import __version__
from .errors import CliError, UsageError, cannot_write

PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
# The SDK's runtime dependency, as pyproject.toml pins it.
REQUIREMENTS = ["wrapt>=1.14,<2"]


class BuildError(CliError):
    """The layer could not be built; the message says why."""


def _python_version(python: str) -> str:
    parts = python.split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or (int(parts[0]), int(parts[1])) < (3, 10):
        raise UsageError(f"--python must look like 3.12 (3.10 or later), got {python!r}")
    return python


def build(*, arch: str = "x86_64", python: str = "3.12", output: str | None = None) -> tuple[Path, int]:
    """Build the layer zip; returns its path and size in bytes. Raises :class:`BuildError`."""
    if arch not in PLATFORMS:
        raise UsageError(f"--arch must be one of {', '.join(PLATFORMS)}, got {arch!r}")
    version = _python_version(python)
    out = Path(output or f"lambda-lifecycle-layer-{__version__}-py{version}-{arch}.zip").resolve()
    _check_writable(out)
    with tempfile.TemporaryDirectory(prefix="lambda-lifecycle-layer-") as work:
        target = Path(work) / "python"
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
        pip += ["--target", str(target), "--platform", PLATFORMS[arch], "--implementation", "cp"]
        pip += ["--python-version", version, "--only-binary=:all:", *REQUIREMENTS]
        result = subprocess.run(pip, capture_output=True, text=True)
        if result.returncode != 0:
            raise BuildError(f"pip could not fetch the dependencies: {result.stderr.strip().splitlines()[-1:]}")
        # The SDK itself is pure Python: this installed copy, without the command-line tools.
        package = Path(__file__).resolve().parent.parent
        shutil.copytree(package, target / "lambda_lifecycle", ignore=shutil.ignore_patterns("__pycache__", "cli"))
        _compile(target, version)
        try:
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
                for path in sorted(target.rglob("*")):
                    if path.is_file():
                        zf.write(path, path.relative_to(Path(work)).as_posix())
        except OSError as exc:
            raise cannot_write(out, exc) from None
    return out, out.stat().st_size


def _check_writable(out: Path) -> None:
    """Fail before the slow part when the zip could not be written."""
    if out.is_dir():
        raise cannot_write(out, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise cannot_write(out, exc) from None
    if not os.access(out.parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise cannot_write(out, PermissionError(errno.EACCES, os.strerror(errno.EACCES)))


def _compile(target: Path, version: str) -> None:
    interpreter = sys.executable if f"{sys.version_info[0]}.{sys.version_info[1]}" == version else None
    interpreter = interpreter or shutil.which(f"python{version}")
    compiled = interpreter is not None and (
        subprocess.run(
            [interpreter, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", str(target)],
            capture_output=True,
        ).returncode
        == 0
    )
    if not compiled:
        for leftover in target.rglob("__pycache__"):
            shutil.rmtree(leftover)  # half a compilation helps nobody
        print(
            f"lambda-lifecycle: no working python{version} on PATH, so the layer has no compiled bytecode"
            " and every cold start will compile it; build with that Python to include it",
            file=sys.stderr,
        )
