"""What importing the package costs and does, each in a fresh interpreter; the handler type mypy sees."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import lambda_lifecycle


def _run(code: str, **env: str) -> dict:
    environ = {**os.environ, **env} if env else None
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=environ)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_import_has_no_side_effects():
    facts = _run(
        "import signal, sys, threading, json, atexit\n"
        "before = (signal.getsignal(signal.SIGTERM), threading.active_count())\n"
        "import lambda_lifecycle; from lambda_lifecycle._runtime import RUNTIME as s\n"
        "print(json.dumps({'signal_same': signal.getsignal(signal.SIGTERM) == before[0],\n"
        "  'threads_same': threading.active_count() == before[1], 'state': s.process is None}))\n"
    )
    assert facts == {"signal_same": True, "threads_same": True, "state": True}


@pytest.mark.parametrize("handler_named", [False, True], ids=["elsewhere", "where-_HANDLER-names-it"])
def test_import_pulls_in_nothing_heavy(handler_named):
    # Every import is paid on every cold start; wall time is noisy, the module list is not.
    # Where _HANDLER is set (Lambda), async handlers are run on a loop: asyncio is theirs alone.
    modules = _run(
        "import sys, json\n"
        "import awslambdaric.bootstrap\n"
        "before = set(sys.modules)\n"
        "import lambda_lifecycle\n"
        "lambda_lifecycle.instrument(lambda e, c: None)({}, None)\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n",
        **({"_HANDLER": "__main__.handler"} if handler_named else {}),
    )
    heavy = {"asyncio", "typing", "dataclasses", "uuid", "importlib.metadata", "email", "http", "socket", "ssl"}
    heavy.add("signal")  # enum-heavy: imported only where SIGTERM is handled, inside Lambda
    heavy |= {"wrapt", "inspect", "contextvars", "fcntl"}  # a plain function needs none of them
    assert not heavy & set(modules), modules
    assert not [m for m in modules if m.startswith("aws_lambda_powertools")]


def test_wrapt_is_imported_for_what_is_not_a_plain_function():
    modules = _run(
        "import sys, json\n"
        "import lambda_lifecycle\n"
        "class Handler:\n"
        "    @lambda_lifecycle.instrument\n"
        "    def __call__(self, event, context): return 1\n"
        "handler = lambda_lifecycle.instrument(Handler())\n"
        "print(json.dumps([handler({}, None), 'wrapt' in sys.modules]), flush=True)\n"
        "import os; os._exit(0)  # before the shutdown record\n"
    )
    assert modules == [1, True]


def test_instrument_keeps_the_handler_type_for_mypy(tmp_path):
    import importlib.util
    import os
    import pathlib

    import pytest

    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed")
    handler = tmp_path / "handler.py"
    handler.write_text(
        "from typing import Any\n"
        "import lambda_lifecycle\n"
        "@lambda_lifecycle.instrument\n"
        "def bare(event: dict[str, Any], context: Any) -> dict[str, Any]:\n"
        "    return event\n"
        "@lambda_lifecycle.instrument(namespace='Shop')\n"
        "def keyed(event: dict[str, Any], context: Any) -> dict[str, Any]:\n"
        "    return event\n"
        "@lambda_lifecycle.on_shutdown\n"
        "def hook(event: dict[str, Any], context: Any) -> dict[str, Any]:\n"
        "    return event\n"
        "reveal_type(bare)\n"
        "reveal_type(keyed)\n"
        "reveal_type(hook)\n"
    )
    # The source tree under test, not whatever copy is installed in the environment.
    src = str(pathlib.Path(lambda_lifecycle.__file__).parent.parent)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, str(handler)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": src},
        check=False,
    )
    output = result.stdout + result.stderr
    assert "Untyped decorator" not in output
    expected = 'Revealed type is "def (event: dict[str, Any], context: Any) -> dict[str, Any]"'
    revealed = [line for line in output.splitlines() if "Revealed type" in line]
    assert len(revealed) == 3, output
    assert all(expected in line for line in revealed), output
