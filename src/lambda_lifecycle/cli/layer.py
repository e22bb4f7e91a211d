"""``lambda-lifecycle layer build``: the SDK and the right platform wheels of its dependencies, as a layer zip.

Lambda unpacks a layer into ``/opt`` and puts ``/opt/python`` on ``sys.path``. ``/opt`` is read
only, so bytecode not in the zip is compiled again on every cold start: the build compiles it
with the function's Python when that interpreter is on the PATH, as unchecked-hash ``.pyc``
files (zip keeps times to 2 s, which would invalidate timestamp-checked ones).

The SDK goes in by an explicit list of its runtime modules (the tools never run in a function),
with a ``dist-info`` of its own so ``importlib.metadata`` finds its version there. Two builds of
the same inputs are the same bytes: entries sorted, one timestamp, one mode per kind of file,
bytecode compiled for the path it will have in ``/opt``.
"""

from __future__ import annotations

import base64
import errno
import hashlib
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
EXEC_WRAPPER = "exec-wrapper"
"""The package's exec wrapper script, which the layer carries at its root (``/opt/lambda-lifecycle``)."""
WRAPPER_IN_LAYER = "lambda-lifecycle"

# What a function imports of the SDK, and nothing else: no cli, local, records (the tools' reader),
# testing, pytest_plugin or demo. tests/integration/test_layer_modules.py holds it to the modules the SDK imports.
SDK_MODULES = (
    "lambda_lifecycle",
    "lambda_lifecycle._async",
    "lambda_lifecycle._bootstrap",
    "lambda_lifecycle._cold_start",
    "lambda_lifecycle._config",
    "lambda_lifecycle._context",
    "lambda_lifecycle._decorators",
    "lambda_lifecycle._durable",
    "lambda_lifecycle._emit",
    "lambda_lifecycle._entry_point",
    "lambda_lifecycle._extension",
    "lambda_lifecycle._import_timing",
    "lambda_lifecycle._init_anatomy",
    "lambda_lifecycle._marker",
    "lambda_lifecycle._measurement",
    "lambda_lifecycle._probes",
    "lambda_lifecycle._record",
    "lambda_lifecycle._runtime",
    "lambda_lifecycle._shutdown",
    "lambda_lifecycle._stacks",
    "lambda_lifecycle._state",
    "lambda_lifecycle._version",
    "lambda_lifecycle._warnings",
    "lambda_lifecycle._watchdog",
    "lambda_lifecycle.contract",
    "lambda_lifecycle.handler",
    "lambda_lifecycle.otel",
    "lambda_lifecycle.otel._attributes",
    "lambda_lifecycle.otel._init_spans",
    "lambda_lifecycle.otel._metrics",
    "lambda_lifecycle.otel._observer",
    "lambda_lifecycle.otel._spans",
    "lambda_lifecycle.otel._trigger",
    "lambda_lifecycle.otel.resource",
    "lambda_lifecycle.powertools",
)
SDK_DATA = ("py.typed",)  # for type checkers reading the layer as a package

# Every entry gets this time (zip's earliest) and one of two modes: what the build makes the same
# for everyone. A file that is executable where it is built (a wrapper script at the layer's
# root, say) stays executable.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE, EXECUTABLE_MODE = 0o644, 0o755


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
        _copy_sdk(target)
        # The exec wrapper at the layer's root, executable: AWS_LAMBDA_EXEC_WRAPPER=/opt/lambda-lifecycle.
        shutil.copy2(Path(__file__).resolve().parent.parent / EXEC_WRAPPER, Path(work) / WRAPPER_IN_LAYER)
        _compile(target, version)
        _write_dist_info(target)
        try:
            _write_zip(out, Path(work))
        except OSError as exc:
            raise cannot_write(out, exc) from None
    return out, out.stat().st_size


def sdk_files() -> list[str]:
    """The SDK's files as the layer holds them, relative to ``python/``: each runtime module's
    source (a package's ``__init__.py``) and the package's data files."""
    package = Path(__file__).resolve().parent.parent
    files = []
    for name in SDK_MODULES:
        parts = name.split(".")[1:]
        path = Path("lambda_lifecycle", *parts)
        files.append(str(path / "__init__.py") if (package.joinpath(*parts)).is_dir() else f"{path}.py")
    return sorted([*files, *(f"lambda_lifecycle/{name}" for name in SDK_DATA)])


def _copy_sdk(target: Path) -> None:
    """The SDK is pure Python: this installed copy of its runtime modules."""
    installed = Path(__file__).resolve().parent.parent.parent
    for name in sdk_files():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(installed / name, target / name)


def _write_dist_info(target: Path) -> None:
    """What ``importlib.metadata`` reads in the function: the SDK's name, version and dependency,
    and the RECORD of every file of the SDK in the layer."""
    info = target / f"lambda_lifecycle-{__version__}.dist-info"
    info.mkdir()
    requires = "".join(f"Requires-Dist: {requirement}\n" for requirement in REQUIREMENTS)
    metadata = f"Metadata-Version: 2.1\nName: lambda-lifecycle\nVersion: {__version__}\n{requires}"
    (info / "METADATA").write_text(metadata + "Requires-Python: >=3.10\n")
    (info / "INSTALLER").write_text("lambda-lifecycle layer build\n")
    (info / "top_level.txt").write_text("lambda_lifecycle\n")
    files = sorted(p for p in [*(target / "lambda_lifecycle").rglob("*"), *info.iterdir()] if p.is_file())
    lines = [f"{p.relative_to(target).as_posix()},sha256={_digest(p)},{p.stat().st_size}" for p in files]
    (info / "RECORD").write_text("\n".join([*lines, f"{info.name}/RECORD,,"]) + "\n")


def _digest(path: Path) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest()).rstrip(b"=").decode()


def _write_zip(out: Path, root: Path) -> None:
    """Every file under ``root``, sorted by name, with the same time and modes on every build."""
    files = sorted((p.relative_to(root).as_posix(), p) for p in root.rglob("*") if p.is_file())
    with zipfile.ZipFile(out, "w") as zf:
        for name, path in files:
            entry = zipfile.ZipInfo(name, ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            mode = EXECUTABLE_MODE if path.stat().st_mode & 0o100 else FILE_MODE
            entry.external_attr = (0o100000 | mode) << 16  # a regular file, with its permissions
            zf.writestr(entry, path.read_bytes())


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
    # Each file named by the path it has in the function (-s, -p), not by this build's temporary one.
    in_function = ["-s", str(target), "-p", "/opt/python"]
    # A set literal's frozenset is marshalled in its iteration order, which follows the string
    # hashes: a fixed seed, or two builds differ (seen with Python 3.10).
    fixed_hashes = {**os.environ, "PYTHONHASHSEED": "0"}
    compiled = interpreter is not None and (
        subprocess.run(
            [interpreter, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", *in_function, str(target)],
            capture_output=True,
            env=fixed_hashes,
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
