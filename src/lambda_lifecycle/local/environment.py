"""One simulated execution environment: the runtime process (restarted as Lambda restarts it),
its output passed through with the records kept, Lambda's own lines beside it, and its end."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..records import record_of
from . import RunError
from .lambda_log import LambdaLog, now_ms
from .memory import MemoryWatch
from .runtime_api import Invocation, RuntimeAPI, kill_environment, start_runtime

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

INIT_TIMEOUT_S = 10.0  # Lambda's limit on an on-demand init phase


class Output:
    """The log stream: the runtime's stdout passed through (its records kept), its stderr, and
    Lambda's own lines; with ``--output``, every line saved as a log event with the time it
    arrived, ``{"timestamp": ms, "logStreamName": ..., "message": ...}`` per line (the shape
    CloudWatch's FilterLogEvents returns)."""

    def __init__(self, save: IO[str] | None, stream: str = "") -> None:
        self.records: list[dict[str, Any]] = []
        self.unreadable = 0
        self.stream = stream
        self._save = save
        self._echo = True
        self._ordered = True
        self._cond = threading.Condition()

    def _saved(self, line: str) -> None:
        if self._save:
            event = {"timestamp": now_ms(), "logStreamName": self.stream, "message": line.rstrip("\n")}
            self._save.write(json.dumps(event, separators=(",", ":")) + "\n")
            self._save.flush()

    def _echoed(self, line: str) -> None:
        if self._echo:
            try:
                sys.stdout.write(line)
                sys.stdout.flush()
            except OSError:  # a reader that left (| head): keep draining the runtime, or it blocks
                self._echo = False

    def stdout_line(self, line: str) -> None:
        self._echoed(line)
        try:
            found = record_of(line)
        except ValueError:
            found, self.unreadable = None, self.unreadable + 1
        with self._cond:
            self._saved(line)
            if found is not None:
                self.records.append(found)
                self._cond.notify_all()

    def stderr_line(self, line: str) -> None:
        sys.stderr.write(line)
        sys.stderr.flush()
        with self._cond:
            self._saved(line)

    def lambda_line(self, line: str) -> None:
        """One of Lambda's own lines: into the stream (stdout, as CloudWatch shows it beside the
        function's output) and the saved file."""
        self._echoed(line + "\n")
        with self._cond:
            self._saved(line)

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


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Init:
    """How a runtime process's init ended: ``status`` success, error or timeout, in ``duration_ms``."""

    duration_ms: float
    status: str
    error_type: str | None = None
    message: str = ""


class Environment:
    """One simulated execution environment: a runtime process at a time, restarted after a crash
    or a timeout as Lambda does, all of them with the same variables and /tmp, its memory limit
    enforced, and Lambda's own lines written for its inits and invocations."""

    def __init__(
        self,
        api: RuntimeAPI,
        root: Path,
        handler: str,
        env: dict[str, str],
        output: Output,
        log: LambdaLog,
        *,
        entry_point: bool = False,
        exec_wrapper: str | None = None,
    ) -> None:
        self.api, self.root, self.handler, self.env, self.output, self.log = api, root, handler, env, output, log
        self.entry_point, self.exec_wrapper = entry_point, exec_wrapper
        api.on_deliver = self._delivered
        self.process: subprocess.Popen[str] | None = None
        self.memory: MemoryWatch | None = None
        self.pumps: list[threading.Thread] = []

    def _start(self, phase: str) -> tuple[subprocess.Popen[str], float]:
        """A new runtime process, its INIT_START written; returns it and when it started."""
        self.log.init_start(phase)
        started = time.time()
        process = start_runtime(
            self.root, self.handler, self.env, entry_point=self.entry_point, exec_wrapper=self.exec_wrapper
        )
        assert process.stdout is not None
        assert process.stderr is not None
        self.pumps += [_pump(process.stdout, self.output.stdout_line), _pump(process.stderr, self.output.stderr_line)]
        self.memory = MemoryWatch(process.pid, self.log.function.memory_mb)

        def watch() -> None:
            process.wait()
            self.api.notify()

        threading.Thread(target=watch, daemon=True).start()
        self.process = process
        return process, started

    def _init(self, process: subprocess.Popen[str], started: float, limit_s: float) -> Init:
        """Wait for the runtime's first ``/next`` (its init done), an init error, its exit, or
        ``limit_s``; a runtime still in init at the limit is killed."""
        api = self.api
        calls, errors = len(api.next_calls), len(api.init_errors)
        api.wait(
            lambda: len(api.next_calls) > calls or len(api.init_errors) > errors or process.returncode is not None,
            limit_s,
        )
        if len(api.next_calls) > calls:
            return Init((api.next_calls[calls] - started) * 1000, "success")
        duration_ms = (time.time() - started) * 1000
        if len(api.init_errors) > errors:
            error = api.init_errors[-1] or {}
            kill_environment(process)
            process.wait()
            return Init(duration_ms, "error", str(error.get("errorType")), str(error.get("errorMessage")))
        if process.returncode is not None:
            return Init(duration_ms, "error", "Runtime.ExitError", f"the runtime exited (code {process.returncode})")
        kill_environment(process)
        process.wait()
        return Init(limit_s * 1000, "timeout", "Sandbox.Timedout", f"init took more than {limit_s:g} s")

    def await_init(self) -> None:
        """Init before any traffic, as Lambda inits a provisioned or SnapStart environment."""
        process, started = self._start("init")
        init = self._init(process, started, 60)
        self.log.init_done("init", init.duration_ms, init.status, init.error_type)
        if init.status != "success":
            raise RunError(f"init failed: {init.error_type}: {init.message}")

    def _init_for(self, invocation: Invocation, timeout_s: float) -> float | None:
        """A runtime process for ``invocation``, its init reported; returns the init's duration when
        it ran before the invocation (an on-demand cold start, billed with it), else None. The
        environment's first init runs before the invocation starts; after a kill (a timeout, a
        crash) or a failed init, Lambda inits again within the invocation (phase invoke)."""
        phase = "init" if self.process is None else "invoke"
        if phase == "invoke":
            invocation.started_at = time.time()
            self.log.start(invocation.request_id)
        process, started = self._start(phase)
        init = self._init(process, started, INIT_TIMEOUT_S if phase == "init" else timeout_s)
        if phase == "init" and init.status != "success":
            self.log.init_done("init", init.duration_ms, init.status, init.error_type)
            invocation.started_at = time.time()
            self.log.start(invocation.request_id)
            phase = "invoke"
            process, started = self._start(phase)
            init = self._init(process, started, max(0.0, (invocation.deadline or 0) - time.time()))
        self.log.init_done(phase, init.duration_ms, init.status, init.error_type)
        if init.status != "success":
            self._ended(invocation, init.status, init.error_type)
            raise RunError(f"init failed: {init.error_type}: {init.message}")
        return init.duration_ms if phase == "init" else None

    def _delivered(self, invocation: Invocation) -> None:
        # On the API's thread, before the runtime has the event. An invocation that had to init
        # its runtime first (a suppressed init) wrote its START before that init.
        if invocation.started_at == invocation.delivered_at:
            self.log.start(invocation.request_id)

    def invoke(self, number: int, event: Any, timeout_s: float) -> Invocation:
        api = self.api
        invocation = api.invoke(event, timeout_s)
        init_ms = None
        if self.process is None or self.process.returncode is not None:
            init_ms = self._init_for(invocation, timeout_s)
        process = self.process
        assert process is not None
        api.wait(lambda: invocation.delivered_at is not None or process.returncode is not None, timeout_s)
        api.wait(
            lambda: invocation.outcome is not None or process.returncode is not None,
            max(0.0, (invocation.deadline or 0) - time.time()),
        )
        if invocation.outcome is None:
            return self._killed(number, invocation, process, timeout_s, init_ms)
        self.output.await_record(invocation.request_id)
        body = invocation.body if isinstance(invocation.body, dict) else {}
        if invocation.outcome == "error":
            say(f"[invocation {number}] error: {body.get('errorType')}: {body.get('errorMessage')}")
            self._ended(invocation, "failure", str(body.get("errorType")), init_ms)
        else:
            say(f"[invocation {number}] response: {json.dumps(invocation.body)}")
            self._ended(invocation, "success", None, init_ms)
        return invocation

    def _killed(
        self,
        number: int,
        invocation: Invocation,
        process: subprocess.Popen[str],
        timeout_s: float,
        init_ms: float | None,
    ) -> Invocation:
        """The invocation ended without an outcome: timed out (the runtime is killed now), or the
        runtime exited, by itself or killed for using more memory than the function has."""
        timed_out = process.returncode is None
        if timed_out:
            kill_environment(process)
            process.wait()
            invocation.outcome = "timeout"
            what = f"timed out after {timeout_s:g} s: the runtime was ended (SIGKILL)"
            self._ended(invocation, "timeout", None, init_ms)
        elif self.memory is not None and self.memory.exceeded:
            invocation.outcome = "out of memory"
            what = f"ran out of memory (more than {self.log.function.memory_mb} MB): the runtime was ended (SIGKILL)"
            self.log.runtime_exited(invocation.request_id, "signal: killed", "Runtime.OutOfMemory")
            self._ended(invocation, "error", "Runtime.OutOfMemory", init_ms)
        else:
            invocation.outcome = "crash"
            code = process.returncode
            what = f"the runtime exited (code {code}) without a response"
            how = f"signal: {-code}" if code < 0 else f"exit status {code}"
            self.log.runtime_exited(invocation.request_id, how, "Runtime.ExitError")
            self._ended(invocation, "error", "Runtime.ExitError", init_ms)
        say(f"[invocation {number}] {what}; a next invocation starts a new one in this environment")
        return invocation

    def _ended(self, invocation: Invocation, status: str, error_type: str | None, init_ms: float | None = None) -> None:
        """END and REPORT (or their JSON forms) for an invocation that ended as ``status`` says."""
        begun = invocation.started_at or time.time()
        # A timeout's duration is the timeout itself, as Lambda reports it.
        ended = begun + invocation.timeout_s if status == "timeout" else invocation.finished_at or time.time()
        memory = self.memory
        used = memory.peak_mb if memory is not None else 0
        if status == "error" and error_type == "Runtime.OutOfMemory":
            used = self.log.function.memory_mb  # all of it, as Lambda shows an out-of-memory kill
        self.log.report(
            invocation.request_id,
            max(0.0, (ended - begun) * 1000),
            min(used, self.log.function.memory_mb),
            init_ms=init_ms,
            status=status,
            error_type=error_type,
        )

    def shutdown(self, how: str) -> str:
        """End the environment; returns what ended it, in words."""
        process = self.process
        if self.memory is not None:
            self.memory.stop()
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
