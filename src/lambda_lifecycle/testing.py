"""Drive instrumented handlers locally: a realistic context, captured records, simulated time.

Plain Python, no pytest needed::

    from lambda_lifecycle import testing

    testing.reset()                       # as if in a new execution environment
    with testing.capture() as records, testing.simulated_clock() as clock:
        handler({}, testing.LambdaContext())
        clock.advance(60)                 # the environment sits frozen for a minute
        handler({}, testing.LambdaContext())
    assert records[0]["cold_start"] and records[1]["IdleTime"] >= 60_000
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time

from . import _config, _emit, _marker, _shutdown, _state, _warnings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import TracebackType
    from typing import Any

__all__ = ["Clock", "LambdaContext", "Lifecycle", "capture", "parse", "reset", "shutdown", "simulated_clock"]


class LambdaContext:
    """A context shaped like the real runtime client's, including its quirks.

    ``memory_limit_in_mb`` is a string, as awslambdaric gives it, and
    ``get_remaining_time_in_millis()`` counts down from ``timeout_s`` in real time.
    """

    def __init__(
        self,
        *,
        function_name: str = "my-function",
        function_version: str = "$LATEST",
        memory_limit_in_mb: int = 128,
        timeout_s: float = 3.0,
        aws_request_id: str | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        tenant_id: str | None = None,
    ) -> None:
        self.function_name = function_name
        self.function_version = function_version
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self.memory_limit_in_mb = str(memory_limit_in_mb)
        self.aws_request_id = aws_request_id or _uuid4()
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + os.urandom(16).hex()
        self.identity = None
        self.client_context = None
        self.tenant_id = tenant_id
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    def __repr__(self) -> str:
        return f"LambdaContext(function_name={self.function_name!r}, aws_request_id={self.aws_request_id!r})"


def _uuid4() -> str:
    h = bytearray(os.urandom(16))
    h[6] = (h[6] & 0x0F) | 0x40
    h[8] = (h[8] & 0x3F) | 0x80
    x = h.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def parse(line: str) -> dict[str, object]:
    """One written record line (any format) back into a dict."""
    if line.startswith("METRICS: "):
        line = line[len("METRICS: ") :]
    record: dict[str, object] = json.loads(line)
    return record


@contextlib.contextmanager
def capture(*, echo: bool = False) -> Iterator[list[dict[str, object]]]:
    """Collect the records instrumented handlers write, parsed, instead of printing them.

    With ``echo=True`` they are printed as well.
    """
    records: list[dict[str, object]] = []
    write = _emit.write_line

    def collect(line: str) -> None:
        records.append(parse(line))
        if echo:
            write(line)

    _emit.write_line = collect
    try:
        yield records
    finally:
        _emit.write_line = write


class Clock:
    """The lifecycle's wall clock, which ``advance()`` moves forward without sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass, e.g. the time an environment sits frozen between invocations."""
        self.offset += seconds


@contextlib.contextmanager
def simulated_clock() -> Iterator[Clock]:
    """Replace the lifecycle's clock with a :class:`Clock` for the duration of the block."""
    clock = Clock()
    real = _state.clock
    _state.clock = clock
    try:
        yield clock
    finally:
        _state.clock = real


def reset(*, init_duration_ms: float = 0.0) -> None:
    """Start a new simulated execution environment.

    The new process began ``init_duration_ms`` ago and its handlers are ready now, so the next
    invocation is its first. ``bootstrap()`` settings and ``on_shutdown`` hooks are forgotten, the
    environment variables are read again (set ``AWS_LAMBDA_INITIALIZATION_TYPE`` before calling
    this), and every warning may fire again.

    A simulated environment writes no shutdown record when the interpreter exits; call
    :func:`shutdown` to end it.
    """
    now = _state.clock()
    # The kept descriptor is the previous process's slot: counting into it would rewrite that
    # process's invocations in the environment's marker.
    _marker.close()
    _state.reset(process_start=now - init_duration_ms / 1000, handler_ready=now)
    _config.reset()
    _shutdown.reset()
    _warnings.forget()


def shutdown(reason: str = "SIGTERM") -> None:
    """End the simulated environment as Lambda does: run the ``on_shutdown`` hooks, within the
    budget, and write the shutdown record (captured by :func:`capture`). The process goes on."""
    _shutdown.shutdown(reason)


class Lifecycle:
    """An execution environment's life, simulated around your instrumented handlers.

    Use it as a context manager (the pytest fixture ``lifecycle`` is one, already entered)::

        with testing.Lifecycle(init_duration_ms=300) as lifecycle:
            lifecycle.invoke(handler, {"id": 1})   # the cold start
            lifecycle.idle(600)                    # ten minutes frozen, without sleeping
            lifecycle.write_tmp(100)               # the handler's files fill /tmp
            lifecycle.invoke(handler, {"id": 2})
            lifecycle.shutdown()                   # Lambda's SIGTERM: hooks run, last record
        assert lifecycle.invocations[1]["IdleTime"] >= 600_000

    ``records`` holds every record written inside the block, parsed; ``invocations``,
    ``timeout_warnings`` and ``shutdowns`` hold each kind. ``/tmp`` is ``tmp_dir`` (a new
    temporary directory by default), through ``LAMBDA_LIFECYCLE_TMP_PATH``; the environment
    variables set here are restored on exit, and the SDK's state is reset.
    """

    def __init__(
        self, *, init_type: str = "on-demand", init_duration_ms: float = 0.0, tmp_dir: str | None = None
    ) -> None:
        self.init_type = init_type
        self.init_duration_ms = init_duration_ms
        self.tmp_dir = tmp_dir
        self.records: list[dict[str, object]] = []
        self._stack = contextlib.ExitStack()
        self._saved_env: dict[str, str | None] = {}
        self._clock: Clock | None = None
        self._written: list[str] = []

    def __enter__(self) -> Lifecycle:
        if self.tmp_dir is None:
            self.tmp_dir = self._stack.enter_context(tempfile.TemporaryDirectory(prefix="lambda-tmp-"))
        self._set_env("LAMBDA_LIFECYCLE_TMP_PATH", self.tmp_dir)
        self._clock = self._stack.enter_context(simulated_clock())
        self.records = self._stack.enter_context(capture())
        self.new_environment(init_type=self.init_type, init_duration_ms=self.init_duration_ms)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        reset()
        self._stack.close()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()

    def _set_env(self, name: str, value: str) -> None:
        self._saved_env.setdefault(name, os.environ.get(name))
        os.environ[name] = value

    def new_environment(self, *, init_type: str | None = None, init_duration_ms: float | None = None) -> None:
        """Start a new execution environment (its handlers are ready now); the next invocation is
        its first. ``init_type`` is any ``AWS_LAMBDA_INITIALIZATION_TYPE``. Its ``/tmp`` no longer
        holds what :meth:`write_tmp` wrote for the previous one."""
        while self._written:
            with contextlib.suppress(OSError):
                os.remove(self._written.pop())
        if init_type is not None:
            self.init_type = init_type
        self._set_env("AWS_LAMBDA_INITIALIZATION_TYPE", self.init_type)
        reset(init_duration_ms=self.init_duration_ms if init_duration_ms is None else init_duration_ms)

    def invoke(self, handler: Callable[..., Any], event: object = None, context: object = None) -> Any:
        """Call ``handler(event, context)`` as Lambda would; its result or exception is yours.

        Without a ``context``, a new :class:`LambdaContext`.
        """
        return handler({} if event is None else event, LambdaContext() if context is None else context)

    def idle(self, seconds: float) -> None:
        """Let the environment sit frozen for ``seconds`` (the lifecycle clock jumps; nothing sleeps)."""
        assert self._clock is not None, "use Lifecycle as a context manager"
        self._clock.advance(seconds)

    def write_tmp(self, megabytes: float, name: str | None = None) -> str:
        """Write a file of ``megabytes`` into the environment's ``/tmp``; returns its path."""
        assert self.tmp_dir is not None, "use Lifecycle as a context manager"
        fd, path = tempfile.mkstemp(prefix=name or "tmp-growth-", dir=self.tmp_dir)
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(int(megabytes * 1024 * 1024)))
            os.fsync(f.fileno())
        self._written.append(path)
        return path

    def restore(self) -> None:
        """A SnapStart restore of this environment's snapshot, as the runtime client runs it."""
        _state.restored()

    def shutdown(self, reason: str = "SIGTERM") -> None:
        """End the environment as Lambda does: the ``on_shutdown`` hooks run and the shutdown
        record is written; the test goes on."""
        shutdown(reason)

    def _of(self, event: str) -> list[dict[str, object]]:
        return [r for r in self.records if r.get("event") == event]

    @property
    def invocations(self) -> list[dict[str, object]]:
        """The invoke records so far."""
        return self._of("invoke")

    @property
    def timeout_warnings(self) -> list[dict[str, object]]:
        return self._of("timeout_warning")

    @property
    def shutdowns(self) -> list[dict[str, object]]:
        return self._of("shutdown")
