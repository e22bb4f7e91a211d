"""The failures a command expects, each shown as one line on stderr with a documented exit code
(``cli.main``, the one place that shows them). Commands raise these; nothing else is caught there."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
"""The command could not do its job: AWS said no, nothing was found, a file could not be written."""
EXIT_USAGE = 2
"""The command line asks for something that cannot be: a bad flag value, a window before 1970."""
EXIT_PARTIAL = 3
"""A report over several functions that leaves some out (their queries failed): it is printed,
says which ones and why, and its totals count only the others."""
EXIT_INTERRUPTED = 130
"""Ctrl-C: 128 + SIGINT, as a shell reports it."""
EXIT_READER_GONE = 141
"""The reader of stdout left (``| head``): 128 + SIGPIPE, as a shell reports a tool it ended."""


class CliError(Exception):
    """A failure the user can act on; its message is the one line shown (``exit_code`` 1)."""

    exit_code = EXIT_FAILED


class UsageError(CliError):
    """A command line that cannot be run as given, found after parsing (exit code 2, as argparse's)."""

    exit_code = EXIT_USAGE


def install_hint(extra: str) -> str:
    """How to install an extra, in both of the ways the README gives: from PyPI, and from a clone
    (the only way until the package is on PyPI)."""
    return f"pip install 'lambda-lifecycle[{extra}]' (from a clone: pip install '.[{extra}]')"


class MissingExtra(CliError):
    """A command's optional dependency is not installed; the message says which extra brings it."""

    def __init__(self, needs: str, extra: str) -> None:
        super().__init__(f"{needs}: {install_hint(extra)}")


def needs_boto3() -> MissingExtra:
    return MissingExtra("this command needs boto3", "cli")


def cannot_write(path: object, exc: OSError) -> CliError:
    """The one wording of a file that could not be written, for every command."""
    return CliError(f"cannot write {path}: {os_reason(exc)}")


def cannot_read(path: object, exc: OSError) -> CliError:
    """The one wording of a file that could not be read, for every command."""
    return CliError(f"cannot read {path}: {os_reason(exc)}")


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, as the middle of a sentence: ``permission denied``."""
    reason = exc.strerror or str(exc)
    return reason[:1].lower() + reason[1:]


def one_line(message: str) -> str:
    """A message as the one line shown: its first non-empty line, at most 300 characters (a
    server's error page or a library's multi-line message must not flood the terminal)."""
    first = next((line.strip() for line in message.splitlines() if line.strip()), "")
    return first if len(first) <= 300 else first[:297] + "..."
