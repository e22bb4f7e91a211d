"""The ``lambda-lifecycle`` command: reports, timelines, dashboards, alarms and saved queries in
CloudWatch, local runs and Lambda layers. Nothing here runs inside a function, and the
handler-side SDK never imports it.

Each command is a module of :mod:`lambda_lifecycle.cli.commands` with ``DETAILS`` (its
description after the help line), ``add_arguments(parser)`` and ``run(args) -> int``, named in
:data:`COMMANDS`. A module is imported only when its command runs or its help is asked for, and
imports what the command needs (boto3, the runtime client, the plotting library) only inside
``run``: ``--version`` and ``--help`` load none of it. :func:`main` is the one place that shows
a failure: a :class:`~lambda_lifecycle.cli.errors.CliError` (or a missing extra) as one line on
stderr with its exit code.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

from .._version import __version__
from .errors import (
    EXIT_INTERRUPTED,
    EXIT_READER_GONE,
    CliError,
    UsageError,
    needs_boto3,
    one_line,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType
    from typing import Any, NoReturn

__all__ = ["COMMANDS", "Command", "main"]

# --help shows this as it is: plain text, unlike the module docstring.
_DESCRIPTION = (
    "Read what lambda-lifecycle's records say about a function in CloudWatch, draw its execution environments,"
    " run a handler locally, simulate one execution environment (demo), or build a Lambda layer. Nothing here"
    " runs inside a function. The extras each command needs: report, queries, dashboard and alarms the cli extra"
    " (boto3); timeline the timeline extra, and the cli extra too to read CloudWatch (--function); run the local"
    " extra (awslambdaric); layer build none; demo none (the timeline extra draws its picture). Exit codes:"
    " 0 done, 1 failed (one line on stderr says why), 2 usage error, 3 a report of several functions with some"
    " left out, 130 interrupted, 141 the reader of the output left."
)


@dataclass(frozen=True)
class Command:
    """One command: its name, the help line the top-level ``--help`` lists, and its module under
    ``lambda_lifecycle.cli.commands`` (by default its name)."""

    name: str
    help: str
    module: str = ""

    def load(self) -> ModuleType:
        name = f"{__name__}.commands.{self.module or self.name}"
        __import__(name)  # an import statement's path: -X importtime shows it, import_module's not
        return sys.modules[name]


COMMANDS: tuple[Command, ...] = (
    Command("report", "a lifecycle report of one function over a time window, or a row per function (--prefix, --all)"),
    Command("timeline", "draw every execution environment's life: an HTML page that works offline, or a PNG"),
    Command("queries", "print the Logs Insights queries, or save them (--apply)"),
    Command("dashboard", "print a CloudWatch dashboard body, or put it (--apply)"),
    Command("alarms", "print CloudWatch alarms, or put them (--apply)"),
    Command("layer", "Lambda layers with the SDK"),
    Command("run", "run a handler here under the real runtime client and see its records, before deploying"),
    Command("demo", "simulate one Lambda execution environment here and print its records"),
)
"""Every command, in the order ``--help`` lists them. A new command is a module of
``cli.commands`` and a line here."""


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class _CommandParser(_Parser):
    """A command's parser: its module adds the flags when the command is chosen or its help is
    asked for, so that the top level's ``--help`` and ``--version`` import no command."""

    def __init__(self, *args: Any, command: Command | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._command = command

    def _load(self) -> None:
        command, self._command = self._command, None
        if command is not None:
            module = command.load()
            self.description = command.help + module.DETAILS
            module.add_arguments(self)

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:
        # What argparse calls on the chosen command's parser, in every Python this supports.
        self._load()
        return super().parse_known_args(*args, **kwargs)

    def format_help(self) -> str:
        self._load()
        return super().format_help()


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lambda-lifecycle", description=_DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"lambda-lifecycle {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command", parser_class=_CommandParser)
    for command in COMMANDS:
        commands.add_parser(command.name, help=command.help, command=command)
    return parser


def _quiet_stdout() -> None:
    # The reader left: what is still buffered goes nowhere, and the interpreter's last flush at
    # exit must not fail again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _show(exc: CliError, command: str) -> int:
    if isinstance(exc, UsageError):
        line = f"lambda-lifecycle {command}: error: {one_line(str(exc))} (see --help)"
    else:
        line = f"lambda-lifecycle: {one_line(str(exc))}"
    print(line, file=sys.stderr)
    return exc.exit_code


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (see ``--help``). Usage errors found while
    parsing exit at once with code 2, as argparse does."""
    args = _parser().parse_args(argv)
    command = next(c for c in COMMANDS if c.name == args.command)
    run: Callable[[argparse.Namespace], int] = command.load().run
    try:
        code = run(args)
        sys.stdout.flush()  # a reader that left is found here, not at the interpreter's exit
        return code
    except CliError as exc:
        return _show(exc, command.name)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in ("boto3", "botocore"):
            raise
        return _show(needs_boto3(), command.name)
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_READER_GONE
    except OSError as exc:  # a file that cannot be read, and the like: still one line
        return _show(CliError(str(exc)), command.name)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
