"""``lambda-lifecycle run``: a handler on this machine under the real runtime client, before deploying.

One simulated execution environment: its own /tmp and log stream, Lambda's environment variables,
the events one after another at the given gaps, and Lambda's shutdown at the end. The runtime's
stdout (the records among it) passes through unchanged; each invocation's outcome and a summary
go to stderr as ``[...]`` lines, so stdout can be piped on as it is.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ..contract import INVOKE, SHUTDOWN
from ..records import numbers, of_kind
from . import RunError
from .environment import Environment, Output, say
from .events import load_events
from .lambda_log import LambdaLog
from .runtime_api import Function, Invocation, RuntimeAPI, kill_environment, lambda_environment


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def locate(handler: str, cwd: str | None) -> tuple[Path, str]:
    """The code root and the ``_HANDLER`` relative to it (``handler`` is well formed: the command checks it)."""
    module, _, function = handler.rpartition(".")
    if cwd is None:
        path = Path(module)
        root, module = path.parent, path.name
    else:
        root = Path(cwd)
    if not root.is_dir():
        raise RunError(f"no directory {root} for the handler {handler}")
    return root, f"{module}.{function}"


def exec_wrapper_at(path: str | None) -> str | None:
    """``--exec-wrapper``'s script, absolute, checked before anything starts: the runtime starts in
    the code root, where a path given relative to the shell's directory would name another file (or
    none, and the run would fail after Lambda's first line with the OS's bare message)."""
    if path is None:
        return None
    script = Path(path).absolute()
    if not script.is_file():
        raise RunError(f"--exec-wrapper {path}: {'a directory, not a script' if script.is_dir() else 'no such file'}")
    if not os.access(script, os.X_OK):
        raise RunError(
            f"--exec-wrapper {path}: not executable, and Lambda runs a wrapper as a program: chmod +x {path}"
        )
    return str(script)


def _summary(invocations: list[Invocation], output: Output, ended: str) -> list[str]:
    found = output.records
    invokes = list(of_kind(found, INVOKE))
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
    shutdowns = list(of_kind(found, SHUTDOWN))
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
    """Run the handler as ``args`` (``lambda-lifecycle run``'s flags) say; raises RunError when it
    cannot, OSError when ``--output`` cannot be written."""
    root, handler = locate(args.handler, args.cwd)
    exec_wrapper = exec_wrapper_at(args.exec_wrapper)
    events = load_events(args.event, sys.stdin)
    count = args.invocations or len(events)
    name = args.function_name or re.sub(r"[^A-Za-z0-9_-]", "-", root.resolve().name)[:64] or "local"
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    function = Function(name, args.function_version, args.memory, region, handler)
    save = open(args.output, "w") if args.output else None  # noqa: SIM115 (closed below)
    tmp = tempfile.mkdtemp(prefix="lambda-tmp-")
    try:
        with RuntimeAPI(function) as api:
            variables = lambda_environment(api, **_environment_variables(args, tmp))
            output = Output(save, variables["AWS_LAMBDA_LOG_STREAM_NAME"])
            log = LambdaLog(output.lambda_line, args.log_format, function, args.runtime, args.init_type)
            environment = Environment(
                api,
                root,
                handler,
                variables,
                output,
                log,
                entry_point=args.entry_point,
                exec_wrapper=exec_wrapper,
            )
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
