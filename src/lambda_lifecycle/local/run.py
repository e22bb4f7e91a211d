"""``lambda-lifecycle run``: a handler on this machine under the real runtime client, before deploying.

One simulated execution environment: its own /tmp and log stream, Lambda's environment variables,
the events one after another at the given gaps, and Lambda's shutdown at the end. The runtime's
stdout (the records among it) passes through unchanged; each invocation's outcome and a summary
go to stderr as ``[...]`` lines, so stdout can be piped on as it is.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ..cli import _number_in, _positive_int, install_hint
from ..cli.report import numbers
from ..contract import INIT_TYPES, INVOKE, SHUTDOWN
from . import RunError
from .environment import Environment, Output, say
from .events import load_events
from .lambda_log import LambdaLog
from .runtime_api import Function, Invocation, RuntimeAPI, kill_environment, lambda_environment

HELP = "run a handler here under the real runtime client and see its records, before deploying"
DESCRIPTION = (
    "Runs HANDLER under awslambdaric in one simulated Lambda execution environment (its own /tmp, Lambda's"
    " variables), invokes it with the events, then shuts the environment down as Lambda does. stdout is the"
    " runtime's output, records included, unchanged; each invocation's outcome and a summary go to stderr."
)
NEEDS_RUNTIME_CLIENT = f"this command needs the runtime client: {install_hint('local')}"


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
        type=_positive_int,
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
        type=_number_in(0, 900),
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


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def locate(handler: str, cwd: str | None) -> tuple[Path, str]:
    """The code root and the ``_HANDLER`` relative to it (``handler`` is well formed: see ``_handler``)."""
    module, _, function = handler.rpartition(".")
    if cwd is None:
        path = Path(module)
        root, module = path.parent, path.name
    else:
        root = Path(cwd)
    if not root.is_dir():
        raise RunError(f"no directory {root} for the handler {handler}")
    return root, f"{module}.{function}"


def _summary(invocations: list[Invocation], output: Output, ended: str) -> list[str]:
    found = output.records
    invokes = [r for r in found if r.get("event") == INVOKE]
    outcomes = [i.outcome for i in invocations]
    init = numbers(invokes, "InitDuration")  # Powertools writes it as a list: numbers() reads both
    lines = [
        f"[summary] {_count(len(invocations), 'invocation')}: {_count(outcomes.count('response'), 'response')},"
        f" {_count(outcomes.count('error'), 'error')}, {_count(outcomes.count('timeout'), 'timeout')},"
        f" {_count(outcomes.count('crash'), 'crash', 'crashes')}"
        + (f", {outcomes.count('out of memory')} out of memory" if "out of memory" in outcomes else "")
        + f"; {_count(len(invokes), 'invoke record')},"
        f" {_count(sum(1 for r in invokes if r.get('cold_start')), 'cold start')}"
        + (f"; init {', '.join(f'{ms:g}' for ms in init)} ms" if init else "")
    ]
    shutdowns = [r for r in found if r.get("event") == SHUTDOWN]
    if shutdowns:
        last = shutdowns[-1]
        record = (
            f"shutdown record: {last.get('reason')}, hooks run {last.get('hooks_run')},"
            f" failed {last.get('hooks_failed')}, timed out {last.get('hooks_timed_out')}"
        )
    else:
        record = "no shutdown record"
    lines.append(f"[summary] shutdown: {ended}; {record}")
    if output.unreadable:
        lines.append(f"[summary] {_count(output.unreadable, 'record line')} could not be read")
    return lines


def _environment_variables(args: argparse.Namespace, tmp: str) -> dict[str, str]:
    extra = {
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{args.runtime}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": args.init_type,
        "LAMBDA_LIFECYCLE_TMP_PATH": tmp,
        # Lambda's /tmp is a file system of its own, of the ephemeral storage's size; this one is
        # a directory on the host's disk, measured by what its files take.
        "LAMBDA_LIFECYCLE_TMP_SIZE_MB": str(args.ephemeral_storage),
        "TMPDIR": tmp,  # tempfile's /tmp: the environment's own
        "TZ": ":UTC",
    }
    if args.log_format == "json":
        extra["AWS_LAMBDA_LOG_FORMAT"] = "JSON"  # the runtime client's logging writes JSON then
    if args.init_type == "lambda-managed-instances":
        extra["AWS_LAMBDA_MAX_CONCURRENCY"] = "2"
    extra.update(args.env)
    return extra


def run(args: argparse.Namespace) -> int:
    """Run the handler as ``args`` say; raises RunError when it cannot."""
    if importlib.util.find_spec("awslambdaric") is None:
        raise RunError(NEEDS_RUNTIME_CLIENT)
    root, handler = locate(args.handler, args.cwd)
    events = load_events(args.event, sys.stdin)
    count = args.invocations or len(events)
    name = args.function_name or re.sub(r"[^A-Za-z0-9_-]", "-", root.resolve().name)[:64] or "local"
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    function = Function(name, args.function_version, args.memory, region, handler)
    try:
        save = open(args.output, "w") if args.output else None  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise RunError(f"cannot write {args.output}: {exc.strerror}") from None
    tmp = tempfile.mkdtemp(prefix="lambda-tmp-")
    try:
        with RuntimeAPI(function) as api:
            variables = lambda_environment(api, **_environment_variables(args, tmp))
            output = Output(save, variables["AWS_LAMBDA_LOG_STREAM_NAME"])
            log = LambdaLog(output.lambda_line, args.log_format, function, args.runtime, args.init_type)
            environment = Environment(api, root, handler, variables, output, log)
            try:
                if args.init_type != "on-demand":
                    environment.await_init()
                done: list[Invocation] = []
                for n in range(count):
                    if n:
                        time.sleep(args.gap[min(n - 1, len(args.gap) - 1)])
                    done.append(environment.invoke(n + 1, events[n % len(events)], args.timeout))
                ended = environment.shutdown(args.shutdown)
            finally:
                if environment.process is not None:
                    kill_environment(environment.process)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if save:
            save.close()
    for line in _summary(done, output, ended):
        say(line)
    return 0


def main(args: argparse.Namespace) -> int:
    """The ``run`` command: 0 when the handler ran (its errors are data), 1 with one line when not."""
    try:
        return run(args)
    except RunError as exc:
        print(f"lambda-lifecycle: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
