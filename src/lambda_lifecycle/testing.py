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
import time

from . import _config, _emit, _shutdown, _state, _warnings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["Clock", "LambdaContext", "capture", "parse", "reset", "shutdown", "simulated_clock"]


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
    _state.reset(process_start=now - init_duration_ms / 1000, handler_ready=now)
    _config.reset()
    _shutdown.reset()
    _warnings.forget()


def shutdown(reason: str = "SIGTERM") -> None:
    """End the simulated environment as Lambda does: run the ``on_shutdown`` hooks, within the
    budget, and write the shutdown record (captured by :func:`capture`). The process goes on."""
    _shutdown.shutdown(reason)
