"""``lambda-lifecycle run``: a handler on this machine under the real runtime client, before
deploying (``lambda_lifecycle.local`` runs it; this module is its command line)."""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys

from ...contract import INIT_TYPES
from ...local import RunError
from ...local.run import run as run_locally
from ...local.runtime_api import EXEC_WRAPPER
from .. import args as flags
from ..errors import CliError, MissingExtra, cannot_write

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

DETAILS = (
    ". Runs HANDLER under awslambdaric in one simulated Lambda execution environment (its own /tmp, Lambda's"
    " variables), invokes it with the events, then shuts the environment down as Lambda does. stdout is the"
    " runtime's output, records included, unchanged; each invocation's outcome and a summary go to stderr."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "handler",
        type=_handler,
        help="the handler as Lambda's _HANDLER names it: dir/module.function runs module.py from dir"
        " (e.g. examples/global_init/handler.lambda_handler); with --cwd, relative to that directory",
    )
    parser.add_argument(
        "--cwd", metavar="DIR", help="the function's code root (LAMBDA_TASK_ROOT); the handler is read from there"
    )
    parser.add_argument(
        "--event",
        action="append",
        default=[],
        metavar="FILE",
        help="a JSON event file, or - for stdin; JSON lines give one event per line; repeatable (default: {})",
    )
    parser.add_argument(
        "--invocations",
        type=flags.positive_int,
        metavar="N",
        help="how many invocations, cycling through the events (default: one each)",
    )
    parser.add_argument(
        "--gap",
        type=_gaps,
        default=(0.0,),
        metavar="SECONDS",
        help="seconds from one invocation's end to the next's start; a comma list gives each gap in turn,"
        " the last one repeating (default 0)",
    )
    parser.add_argument(
        "--init-type",
        choices=INIT_TYPES,
        default="on-demand",
        help="AWS_LAMBDA_INITIALIZATION_TYPE: %(choices)s (default on-demand)",
        metavar="TYPE",
    )
    parser.add_argument(
        "--runtime",
        type=_runtime,
        metavar="ID",
        default=f"python{sys.version_info[0]}.{sys.version_info[1]}",
        help="the Lambda runtime id, e.g. python3.12 (default: this interpreter's): it sets AWS_EXECUTION_ENV, which"
        " decides whether shutdown hooks can run (python3.12 and later); the code runs on this interpreter",
    )
    parser.add_argument(
        "--timeout",
        type=flags.number_in(0, 900),
        default=3.0,
        metavar="SECONDS",
        help="seconds per invocation (default 3, as Lambda's)",
    )
    parser.add_argument("--memory", type=_memory, default=128, metavar="MB", help="MB, 128 to 10240 (default 128)")
    parser.add_argument(
        "--ephemeral-storage",
        type=_storage,
        default=512,
        metavar="MB",
        help="the size of /tmp, 512 to 10240 MB (default 512); TmpUsed is what its files take",
    )
    parser.add_argument("--function-name", metavar="NAME", help="default: the code root's directory name")
    parser.add_argument("--function-version", default="$LATEST", metavar="VERSION", help="default $LATEST")
    parser.add_argument("--region", metavar="REGION", help="AWS_REGION (default: AWS_REGION here, else us-east-1)")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        type=_variable,
        metavar="NAME=VALUE",
        help="an environment variable of the function; repeatable",
    )
    parser.add_argument(
        "--shutdown",
        choices=("sigterm", "sigkill"),
        default="sigterm",
        help="how the environment ends: sigterm as Lambda does (SIGTERM and 500 ms when an extension registered,"
        " else SIGKILL), or sigkill at once (default sigterm)",
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="the function's log format (LoggingConfig.LogFormat): Lambda's own lines as START/END/REPORT text,"
        " or as platform.* JSON records (default text)",
    )
    parser.add_argument(
        "--output",
        metavar="FILE",
        help="also save the log stream there: every line (records, the function's output, Lambda's own lines)"
        " as a log event with the time it arrived, one JSON object per line, as CloudWatch returns them;"
        " report --input and timeline --input read it",
    )
    parser.add_argument(
        "--entry-point",
        action="store_true",
        help="load the handler through lambda-lifecycle's entry point (_HANDLER=lambda_lifecycle.handler.handler,"
        " LAMBDA_LIFECYCLE_HANDLER=HANDLER), as a function deployed with no change to its code",
    )
    parser.add_argument(
        "--exec-wrapper",
        nargs="?",
        const=str(EXEC_WRAPPER),
        metavar="PATH",
        help="start the runtime through an AWS_LAMBDA_EXEC_WRAPPER script, as Lambda does"
        " (default: lambda-lifecycle's own, which the layer puts at /opt/lambda-lifecycle)",
    )


def _gaps(text: str) -> tuple[float, ...]:
    try:
        gaps = tuple(float(part) for part in text.split(","))
    except ValueError:
        gaps = (-1.0,)
    if not all(0 <= gap <= 3600 for gap in gaps):  # NaN fails too
        raise argparse.ArgumentTypeError(f"expected seconds from 0 to 3600, or a comma list of them, got {text!r}")
    return gaps


def _runtime(text: str) -> str:
    if not re.fullmatch(r"python3\.\d+", text):
        raise argparse.ArgumentTypeError(f"expected a Python runtime id like python3.12, got {text!r}")
    return text


def _megabytes_in(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: whole MB in Lambda's range [low, high]."""

    def parse(text: str) -> int:
        if not re.fullmatch(r"\s*\d+\s*", text) or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"expected whole MB, at least {low} and at most {high}, got {text!r}")
        return int(text)

    return parse


_memory = _megabytes_in(128, 10240)
_storage = _megabytes_in(512, 10240)


def _variable(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def _handler(text: str) -> str:
    """A handler named as ``_HANDLER`` names one; any other name is a usage error."""
    module, dot, function = text.rpartition(".")
    if not dot or not module.strip("./") or not function.isidentifier():
        raise argparse.ArgumentTypeError(f"expected a handler like dir/module.function, got {text!r}")
    if function == "py":
        raise argparse.ArgumentTypeError(f"name the function too, as in {module}.lambda_handler (got {text!r})")
    return text


def run(args: argparse.Namespace) -> int:
    """0 when the handler ran (its errors are data), a ``CliError`` when it could not."""
    if importlib.util.find_spec("awslambdaric") is None:
        raise MissingExtra("this command needs the runtime client", "local")

    try:
        return run_locally(args)
    except RunError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        if args.output is None or exc.filename != args.output:
            raise
        raise cannot_write(args.output, exc) from None
