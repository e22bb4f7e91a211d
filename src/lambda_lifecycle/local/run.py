"""``lambda-lifecycle run``: a handler on this machine under the real runtime client, before deploying.

One simulated execution environment: its own /tmp and log stream, Lambda's environment variables,
the events one after another at the given gaps, and Lambda's shutdown at the end. The runtime's
stdout (the records among it) passes through unchanged; each invocation's outcome and a summary
go to stderr as ``[...]`` lines, so stdout can be piped on as it is.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

from ..cli import _number_in, _positive_int
from ..cli.aws import record_of
from ..contract import INIT_TYPES, INVOKE, SHUTDOWN
from .runtime_api import Function, Invocation, RuntimeAPI, kill_environment, lambda_environment, start_runtime

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

HELP = "run a handler here under the real runtime client and see its records, before deploying"
DESCRIPTION = (
    "Runs HANDLER under awslambdaric in one simulated Lambda execution environment (its own /tmp, Lambda's"
    " variables), invokes it with the events, then shuts the environment down as Lambda does. stdout is the"
    " runtime's output, records included, unchanged; each invocation's outcome and a summary go to stderr."
)
INIT_TIMEOUT_S = 10.0  # Lambda's limit on an on-demand init phase
NEEDS_RUNTIME_CLIENT = "this command needs the runtime client: pip install 'lambda-lifecycle[local]'"


class RunError(Exception):
    """The run could not happen, or could not go on; the message is one line for the user."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "handler",
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
    parser.add_argument("--output", metavar="FILE", help="also save the record lines there, one JSON per line")


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


def _memory(text: str) -> int:
    value = int(_number_in(127, 10240)(text))
    if str(value) != text.strip():
        raise argparse.ArgumentTypeError(f"expected whole MB from 128 to 10240, got {text!r}")
    return value


def _variable(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def locate(handler: str, cwd: str | None) -> tuple[Path, str]:
    """The code root and the ``_HANDLER`` relative to it."""
    module, dot, function = handler.rpartition(".")
    if not dot or not module.strip("./") or not function.isidentifier():
        raise RunError(f"expected a handler like dir/module.function, got {handler!r}")
    if function == "py":
        raise RunError(f"name the function too, as in {module}.lambda_handler (got {handler!r})")
    if cwd is None:
        path = Path(module)
        root, module = path.parent, path.name
    else:
        root = Path(cwd)
    if not root.is_dir():
        raise RunError(f"no directory {root} for the handler {handler}")
    return root, f"{module}.{function}"


def load_events(sources: list[str], stdin: IO[str]) -> list[Any]:
    """The events of every source in order: a JSON document each, or JSON lines; ``[{}]`` for none."""
    events: list[Any] = []
    for source in sources:
        if source == "-":
            name, text = "stdin", stdin.read()
        else:
            name = source
            try:
                text = Path(source).read_text()
            except (OSError, UnicodeDecodeError) as exc:
                raise RunError(
                    f"cannot read the event file {source}: {getattr(exc, 'strerror', None) or exc}"
                ) from None
        events.extend(_parse_events(name, text))
    return events or [{}]


def _parse_events(name: str, text: str) -> list[Any]:
    try:
        return [json.loads(text)]
    except ValueError as whole:
        document_error = f"{name} is not JSON ({whole})"
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise RunError(f"{name} holds no event: expected JSON, or one JSON document per line")
    events = []
    for n, line in lines:
        try:
            events.append(json.loads(line))
        except ValueError as exc:
            # A first line that is no JSON: the file was meant as one document.
            raise RunError(document_error if n == lines[0][0] else f"{name} line {n} is not JSON ({exc})") from None
    return events


class _Output:
    """The runtime's stdout passed through, its records kept (and saved to ``--output``)."""

    def __init__(self, save: IO[str] | None) -> None:
        self.records: list[dict[str, Any]] = []
        self.unreadable = 0
        self._save = save
        self._echo = True
        self._ordered = True
        self._cond = threading.Condition()

    def stdout_line(self, line: str) -> None:
        if self._echo:
            try:
                sys.stdout.write(line)
                sys.stdout.flush()
            except OSError:  # a reader that left (| head): keep draining the runtime, or it blocks
                self._echo = False
        try:
            found = record_of(line)
        except ValueError:
            found, self.unreadable = None, self.unreadable + 1
        if found is None:
            return
        with self._cond:
            self.records.append(found)
            if self._save:
                self._save.write(line.strip().removeprefix("METRICS: ") + "\n")
                self._save.flush()
            self._cond.notify_all()

    def await_record(self, request_id: str) -> None:
        """Let the invocation's record come out before its outcome line: the SDK writes it before
        the runtime posts the outcome, but the pipe may still hold it. A handler that writes no
        records (not instrumented) is waited for once."""
        with self._cond:
            if self._ordered:
                self._ordered = self._cond.wait_for(
                    lambda: any(r.get("request_id") == request_id for r in reversed(self.records)), 0.5
                )


def _pump(source: IO[str], each: Callable[[str], None]) -> threading.Thread:
    def run() -> None:
        for line in source:
            each(line)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _stderr_line(line: str) -> None:
    sys.stderr.write(line)
    sys.stderr.flush()


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class _Environment:
    """One simulated execution environment: a runtime process at a time, restarted after a crash
    or a timeout as Lambda does, all of them with the same variables and /tmp."""

    def __init__(self, api: RuntimeAPI, root: Path, handler: str, env: dict[str, str], output: _Output) -> None:
        self.api, self.root, self.handler, self.env, self.output = api, root, handler, env, output
        self.process: subprocess.Popen[str] | None = None
        self.pumps: list[threading.Thread] = []

    def running(self) -> subprocess.Popen[str]:
        if self.process is None or self.process.returncode is not None:
            process = start_runtime(self.root, self.handler, self.env)
            assert process.stdout is not None
            assert process.stderr is not None
            self.pumps += [_pump(process.stdout, self.output.stdout_line), _pump(process.stderr, _stderr_line)]

            def watch() -> None:
                process.wait()
                self.api.notify()

            threading.Thread(target=watch, daemon=True).start()
            self.process = process
        return self.process

    def await_init(self) -> None:
        """Wait until the runtime asks for its first event (init done), as Lambda does before it
        hands a provisioned or SnapStart environment any traffic."""
        process = self.running()
        self.api.wait(lambda: bool(self.api.next_calls or self.api.init_errors) or process.returncode is not None, 60)
        self._check_init(process)

    def _check_init(self, process: subprocess.Popen[str]) -> None:
        if self.api.init_errors:
            error = self.api.init_errors[-1] or {}
            raise RunError(f"init failed: {error.get('errorType')}: {error.get('errorMessage')}")
        if process.returncode is not None:
            raise RunError(f"the runtime exited during init (exit code {process.returncode})")

    def invoke(self, number: int, event: Any, timeout_s: float) -> Invocation:
        process = self.running()
        api = self.api
        invocation = api.invoke(event, timeout_s)
        api.wait(
            lambda: invocation.delivered_at is not None or bool(api.init_errors) or process.returncode is not None,
            INIT_TIMEOUT_S + timeout_s,
        )
        if invocation.delivered_at is None:
            self._check_init(process)
            raise RunError(f"the runtime took no event within {INIT_TIMEOUT_S + timeout_s:g} s")
        api.wait(
            lambda: invocation.outcome is not None or process.returncode is not None,
            max(0.0, (invocation.deadline or 0) - time.time()),
        )
        if invocation.outcome is None:
            timed_out = process.returncode is None
            if timed_out:
                kill_environment(process)
                process.wait()
            invocation.outcome = "timeout" if timed_out else "crash"
            what = (
                f"timed out after {timeout_s:g} s: the runtime was ended (SIGKILL)"
                if timed_out
                else f"the runtime exited (code {process.returncode}) without a response"
            )
            say(f"[invocation {number}] {what}; a next invocation starts a new one in this environment")
            return invocation
        self.output.await_record(invocation.request_id)
        if invocation.outcome == "error":
            body = invocation.body if isinstance(invocation.body, dict) else {}
            say(f"[invocation {number}] error: {body.get('errorType')}: {body.get('errorMessage')}")
        else:
            say(f"[invocation {number}] response: {json.dumps(invocation.body)}")
        return invocation

    def shutdown(self, how: str) -> str:
        """End the environment; returns what ended it, in words."""
        process = self.process
        if process is None or process.returncode is not None:
            return "the runtime had already exited"
        if how == "sigterm" and self.api.extensions:
            code, took_s = self.api.shutdown(process)
            said = f"SIGTERM, the runtime exited {took_s * 1000:.0f} ms later"
            if code == -9:
                said = "SIGTERM, then SIGKILL when the 500 ms grace ran out"
        elif how == "sigterm":
            self.api.shutdown(process)
            said = "SIGKILL: no extension registered, so Lambda sends no SIGTERM (python3.12+ runtimes get one)"
        else:
            kill_environment(process)
            process.wait()
            said = "SIGKILL (--shutdown sigkill)"
        kill_environment(process)  # what it forked (Managed Instances workers) ends with it
        for pump in self.pumps:
            pump.join(5)
        return said


def _summary(invocations: list[Invocation], output: _Output, ended: str) -> list[str]:
    found = output.records
    invokes = [r for r in found if r.get("event") == INVOKE]
    outcomes = [i.outcome for i in invocations]
    init = [r["InitDuration"] for r in invokes if "InitDuration" in r]
    lines = [
        f"[summary] {len(invocations)} invocations: {outcomes.count('response')} responses,"
        f" {outcomes.count('error')} errors, {outcomes.count('timeout')} timeouts,"
        f" {outcomes.count('crash')} crashes; {len(invokes)} invoke records,"
        f" {sum(1 for r in invokes if r.get('cold_start'))} cold start(s)"
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
        lines.append(f"[summary] {output.unreadable} record lines could not be read")
    return lines


def _environment_variables(args: argparse.Namespace, tmp: str) -> dict[str, str]:
    extra = {
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{args.runtime}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": args.init_type,
        "LAMBDA_LIFECYCLE_TMP_PATH": tmp,
        "TMPDIR": tmp,  # tempfile's /tmp: the environment's own
        "TZ": ":UTC",
    }
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
    output = _Output(save)
    tmp = tempfile.mkdtemp(prefix="lambda-tmp-")
    try:
        with RuntimeAPI(function) as api:
            environment = _Environment(
                api, root, handler, lambda_environment(api, **_environment_variables(args, tmp)), output
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


def main(args: argparse.Namespace) -> int:
    """The ``run`` command: 0 when the handler ran (its errors are data), 1 with one line when not."""
    try:
        return run(args)
    except RunError as exc:
        print(f"lambda-lifecycle: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
