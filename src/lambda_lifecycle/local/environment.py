"""One simulated execution environment: the runtime process (restarted as Lambda restarts it),
its output passed through with the records kept, and its end."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from ..cli.aws import record_of
from . import RunError
from .runtime_api import Invocation, RuntimeAPI, kill_environment, start_runtime

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

INIT_TIMEOUT_S = 10.0  # Lambda's limit on an on-demand init phase


class Output:
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


class Environment:
    """One simulated execution environment: a runtime process at a time, restarted after a crash
    or a timeout as Lambda does, all of them with the same variables and /tmp."""

    def __init__(self, api: RuntimeAPI, root: Path, handler: str, env: dict[str, str], output: Output) -> None:
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
            said = (
                "SIGKILL: no extension registered, so Lambda sends no SIGTERM (the SDK registers one during init"
                " on python3.12+ runtimes, on-demand or provisioned concurrency)"
            )
        else:
            kill_environment(process)
            process.wait()
            said = "SIGKILL (--shutdown sigkill)"
        kill_environment(process)  # what it forked (Managed Instances workers) ends with it
        for pump in self.pumps:
            pump.join(5)
        return said
