"""A local stand-in for the Lambda Runtime API, for running handlers under the real awslambdaric.

It serves queued events on ``/next`` with the headers Lambda sends, collects responses and
errors, and holds the last ``/next`` open, as Lambda does while an environment is frozen. It
also serves the Extensions API's register and ``/event/next``, and ``shutdown()`` ends the
runtime as Lambda does: SIGTERM and 500 ms of grace when an extension registered, else SIGKILL.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .._init_anatomy import ENTRY_POINT, VARIABLE
from ..records import record_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

API = "/2018-06-01/runtime"
EXTENSION_API = "/2020-01-01/extension"
SHUTDOWN_GRACE_S = 0.5  # what Lambda gives the runtime after SIGTERM with an internal extension
ACCOUNT = "123456789012"

# What Lambda sets itself: a value left in the caller's environment (from another tool, or from
# running inside Lambda) must not leak into the simulated one.
_SET_BY_LAMBDA = ("AWS_LAMBDA_", "AWS_EXECUTION_ENV", "_HANDLER", "_X_AMZN_TRACE_ID", "LAMBDA_TASK_ROOT")


@dataclass(frozen=True)
class Function:
    """The function's configuration, as Lambda shows it to the runtime (variables and headers)."""

    name: str = "local"
    version: str = "$LATEST"
    memory_mb: int = 128
    region: str = "us-east-1"
    handler: str = ""

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{self.name}"


class Invocation:
    def __init__(self, event: Any, timeout_s: float) -> None:
        self.event = event
        self.timeout_s = timeout_s
        self.request_id = str(uuid.uuid4())
        self.trace_root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
        # time.time() of its START: when /next handed it out, or earlier when the runtime had to
        # init first during the invocation (a suppressed init), whose time the timeout covers too
        self.started_at: float | None = None
        self.delivered_at: float | None = None  # time.time() when /next handed it out
        self.finished_at: float | None = None  # time.time() of the runtime's response or error
        self.outcome: str | None = None  # "response" or "error"
        self.body: Any = None

    @property
    def deadline(self) -> float | None:
        begun = self.started_at or self.delivered_at
        return None if begun is None else begun + self.timeout_s


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the runtime is killed mid-request at the end of every run


class RuntimeAPI:
    """Start with ``with RuntimeAPI() as api:``; ``api.address`` goes into AWS_LAMBDA_RUNTIME_API."""

    def __init__(self, function: Function | None = None) -> None:
        self.function = function or Function()
        self._queue: list[Invocation] = []
        self.invocations: list[Invocation] = []
        self.init_errors: list[Any] = []
        self.next_calls: list[float] = []  # time.time() of each GET /next
        self.extensions: list[tuple[str, dict[str, Any]]] = []  # (name, register body)
        self.extension_next_calls: list[float] = []
        self.restore_next_calls: list[float] = []  # SnapStart: the runtime is ready to be snapshotted
        self._tmp_dirs: list[str] = []  # made by lambda_environment() for this API; removed at exit
        self._cond = threading.Condition()
        self._closed = False
        # Called with an invocation that /next is about to hand out, before the runtime can see it:
        # what it writes (Lambda's START) precedes anything the runtime prints for the invocation.
        self.on_deliver: Callable[[Invocation], None] | None = None
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def __enter__(self) -> RuntimeAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()
        for tmp in self._tmp_dirs:
            shutil.rmtree(tmp, ignore_errors=True)

    def invoke(self, event: Any, timeout_s: float = 30.0) -> Invocation:
        """Queue an event; the runtime picks it up on its next ``/next``."""
        invocation = Invocation(event, timeout_s)
        with self._cond:
            self._queue.append(invocation)
            self.invocations.append(invocation)
            self._cond.notify_all()
        return invocation

    def wait(self, condition: Callable[[], bool], timeout_s: float) -> bool:
        """Wait until ``condition()`` (called under the lock) holds; False if ``timeout_s`` passed first.

        Anything else worth waking for (a runtime that exited) can call ``notify()``.
        """
        with self._cond:
            return self._cond.wait_for(condition, timeout_s)

    def notify(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def wait_done(self, count: int, timeout_s: float = 60.0) -> None:
        """Wait until ``count`` invocations have a response or an error."""
        done = self.wait(
            lambda: bool(self.init_errors) or sum(1 for i in self.invocations if i.outcome) >= count, timeout_s
        )
        if self.init_errors:
            raise AssertionError(f"init failed: {self.init_errors}")
        if not done:
            raise TimeoutError(f"only {[i.outcome for i in self.invocations]} after {timeout_s} s")

    def shutdown(self, process: subprocess.Popen[str]) -> tuple[int, float]:
        """End ``process`` as Lambda ends an environment; returns its exit code and how long it took.

        Without a registered extension Lambda sends SIGKILL at once. With one it sends SIGTERM and
        SIGKILL after the grace period, if the runtime is still there.
        """
        started = time.monotonic()
        if not self.extensions:
            process.kill()
        else:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(SHUTDOWN_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
        code = process.wait()
        return code, time.monotonic() - started

    def _extension_next(self) -> None:
        with self._cond:
            self.extension_next_calls.append(time.time())
            self._cond.notify_all()
            while not self._closed:
                self._cond.wait()

    def _next(self) -> Invocation | None:
        with self._cond:
            self.next_calls.append(time.time())
            self._cond.notify_all()
            while not self._queue and not self._closed:
                self._cond.wait()
            if not self._queue:
                return None
            invocation = self._queue.pop(0)
            invocation.delivered_at = time.time()
            if invocation.started_at is None:
                invocation.started_at = invocation.delivered_at
            self._cond.notify_all()
        if self.on_deliver is not None:
            self.on_deliver(invocation)
        return invocation

    def extension_ids(self) -> list[str]:
        return [f"ext-{n}-{name}" for n, (name, _) in enumerate(self.extensions)]

    def _finish(self, request_id: str, outcome: str, body: Any) -> None:
        with self._cond:
            for invocation in self.invocations:
                if invocation.request_id == request_id:
                    invocation.outcome, invocation.body = outcome, body
                    invocation.finished_at = time.time()
            self._cond.notify_all()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self
        function = self.function

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's algorithm holds the
                # body until the runtime's delayed ACK (~40 ms), which every invocation's timings showed.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path == f"{EXTENSION_API}/event/next":
                    if self.headers.get("Lambda-Extension-Identifier") not in api.extension_ids():
                        return self._reply(403)
                    api._extension_next()
                    return self._reply(500)
                if self.path == f"{API}/restore/next":
                    # The snapshot is taken while this is pending; answering it is the restore.
                    with api._cond:
                        api.restore_next_calls.append(time.time())
                        api._cond.notify_all()
                    return self._reply(200)
                if self.path != f"{API}/invocation/next":
                    return self._reply(404)
                invocation = api._next()
                if invocation is None:
                    return self._reply(500)
                deadline_ms = int((invocation.deadline or time.time() + invocation.timeout_s) * 1000)
                headers = {
                    # awslambdaric's native client crashes on a /next without it.
                    "Content-Type": "application/json",
                    "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn": function.arn,
                    "Lambda-Runtime-Trace-Id": f"Root={invocation.trace_root};Parent=53995c3f42cd8ad8;Sampled=1",
                }
                self._reply(200, json.dumps(invocation.event).encode(), headers)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parsed = json.loads(body) if body else None
                if self.path == f"{EXTENSION_API}/register":
                    name = self.headers.get("Lambda-Extension-Name")
                    if not name or parsed is None or set(parsed.get("events", [])) - {"INVOKE"}:
                        # Internal extensions may not register for SHUTDOWN.
                        return self._reply(400)
                    with api._cond:
                        api.extensions.append((name, parsed))
                        ident = api.extension_ids()[-1]
                    body = json.dumps(
                        {
                            "functionName": function.name,
                            "functionVersion": function.version,
                            "handler": function.handler,
                        }
                    ).encode()
                    return self._reply(200, body, {"Lambda-Extension-Identifier": ident})
                if self.path in (f"{API}/init/error", f"{API}/restore/error"):
                    with api._cond:
                        api.init_errors.append(parsed)
                        api._cond.notify_all()
                    return self._reply(202)
                parts = self.path.split("/")
                if len(parts) == 6 and parts[-1] in ("response", "error"):
                    api._finish(parts[-2], parts[-1], parsed)
                    return self._reply(202)
                return self._reply(404)

        return Handler


def log_stream_name(version: str, tmp: str) -> str:
    """Lambda's ``YYYY/MM/DD/[version]<32 hex>``, one per execution environment.

    The hex part comes from the environment's /tmp, so two processes given the same /tmp (one
    environment, restarted) share a stream and two environments never do.
    """
    return time.strftime("%Y/%m/%d", time.gmtime()) + f"/[{version}]{uuid.uuid5(uuid.NAMESPACE_URL, tmp).hex}"


def lambda_environment(api: RuntimeAPI, **extra: str) -> dict[str, str]:
    """The environment variables Lambda gives a Python runtime, pointing at ``api``.

    Each call is a new execution environment, so it gets a /tmp of its own (for the SDK's marker),
    removed when ``api`` closes, and a log stream of its own; pass the same
    ``LAMBDA_LIFECYCLE_TMP_PATH`` to two runtimes for one environment (that directory is the
    caller's). ``AWS_EXECUTION_ENV`` (the runtime id) is set only when given in ``extra``.
    """
    function = api.function
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SET_BY_LAMBDA)}
    tmp = extra.get("LAMBDA_LIFECYCLE_TMP_PATH")
    if not tmp:
        tmp = tempfile.mkdtemp(prefix="lambda-tmp-")
        api._tmp_dirs.append(tmp)
    env.update(
        AWS_LAMBDA_RUNTIME_API=api.address,
        AWS_LAMBDA_FUNCTION_NAME=function.name,
        AWS_LAMBDA_FUNCTION_VERSION=function.version,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(function.memory_mb),
        AWS_LAMBDA_LOG_GROUP_NAME=f"/aws/lambda/{function.name}",
        AWS_LAMBDA_LOG_STREAM_NAME=log_stream_name(function.version, tmp),
        AWS_LAMBDA_INITIALIZATION_TYPE="on-demand",
        AWS_REGION=function.region,
        AWS_DEFAULT_REGION=function.region,
        PYTHONUNBUFFERED="1",
        LAMBDA_LIFECYCLE_TMP_PATH=tmp,
    )
    env.update(extra)
    return env


EXEC_WRAPPER = Path(__file__).resolve().parent.parent / "exec-wrapper"
"""The exec wrapper the package ships (``lambda-lifecycle layer build`` puts it at the layer's root)."""


def start_runtime(
    app_dir: Path,
    handler: str,
    env: dict[str, str],
    *,
    entry_point: bool = False,
    exec_wrapper: str | Path | None = None,
) -> subprocess.Popen[str]:
    """``python -m awslambdaric module.function`` from ``app_dir``, as Lambda's bootstrap runs it.

    ``entry_point``: the function's handler is lambda-lifecycle's entry point, and
    ``LAMBDA_LIFECYCLE_HANDLER`` names ``handler``. ``exec_wrapper``: as with
    ``AWS_LAMBDA_EXEC_WRAPPER``, the wrapper runs with the runtime's command as its arguments, and
    the runtime takes its handler from ``_HANDLER`` as it starts, after the wrapper changed it.
    """
    variables = {**env, "_HANDLER": handler, "LAMBDA_TASK_ROOT": str(Path(app_dir).resolve())}
    if entry_point:
        variables.update({"_HANDLER": ENTRY_POINT, VARIABLE: handler})
    command = [sys.executable, "-m", "awslambdaric", variables["_HANDLER"]]
    if exec_wrapper is not None:
        variables["AWS_LAMBDA_EXEC_WRAPPER"] = str(exec_wrapper)
        command = [str(exec_wrapper), "/bin/sh", "-c", 'exec "$0" -m awslambdaric "$_HANDLER"', sys.executable]
    return subprocess.Popen(
        command,
        cwd=app_dir,
        env=variables,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",  # a handler's stray bytes must not stop the reader of its output
        start_new_session=True,  # its own process group, with the workers it forks (Managed Instances)
    )


def kill_environment(process: subprocess.Popen[str]) -> None:
    """SIGKILL the runtime and every process it started, as Lambda ends an environment."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def records(stdout: str) -> list[dict[str, Any]]:
    """The lambda-lifecycle records among a runtime's output lines."""
    return [found for line in stdout.splitlines() if (found := record_of(line)) is not None]
