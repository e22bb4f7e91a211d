"""What ``lambda-lifecycle --version`` and ``--help`` load, and how the command line ends when its
reader leaves: measured in a real interpreter, as a user starts it."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Nothing a command needs: the test helpers, the local runner, boto3, or any command's module.
NOT_LOADED = (
    "lambda_lifecycle.testing",
    "lambda_lifecycle.local",
    "lambda_lifecycle.cli.commands",
    "boto3",
    "botocore",
)


def imported(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "lambda_lifecycle.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # -X importtime: "import time: <self us> | <cumulative us> | <indented module name>"
    return [line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]


def loaded(*args: str) -> list[str]:
    """The modules in sys.modules after the command line ran (however they were imported)."""
    code = (
        "import sys\nfrom lambda_lifecycle.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sys.modules), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60, check=True)
    return done.stderr.splitlines()


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_load_no_command(flag):
    modules = imported(flag)
    assert "lambda_lifecycle.cli" in modules  # the measurement saw the CLI itself
    assert [m for m in modules if m.startswith(NOT_LOADED)] == []
    assert [m for m in loaded(flag) if m.startswith(NOT_LOADED)] == []


def test_a_commands_help_loads_its_module_but_not_its_dependencies():
    modules = imported("report", "--help")
    assert "lambda_lifecycle.cli.commands.report" in modules
    assert [m for m in modules if m.startswith(("boto3", "botocore", "lambda_lifecycle.local"))] == []


def test_a_reader_that_leaves_ends_the_command_quietly():
    # `lambda-lifecycle queries | head -1`: the pipe's reader is gone before the output is written.
    process = subprocess.Popen(
        [sys.executable, "-m", "lambda_lifecycle.cli", "queries"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=60) == 141  # 128 + SIGPIPE, as a shell reports a tool its reader ended
    assert err == b""
