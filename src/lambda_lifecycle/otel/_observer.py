"""The integration itself: an observer of every measured call, which puts the call's facts on its
span and records the FaaS metrics."""

from __future__ import annotations

import os

from opentelemetry import metrics, trace

from .._state import environment
from .._warnings import warn_once
from ._attributes import Facts, usage_attributes
from ._init_spans import add_init_spans
from ._metrics import FaasMetrics
from ._spans import InvocationSpans
from ._trigger import trigger

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .._context import CallInfo
    from .._probes import Usage
    from .._state import Invocation
    from ._spans import Held

# What the Lambda instrumentation waits for its own flush, and reads from the same variable.
_FLUSH_TIMEOUT_VARIABLE = "OTEL_INSTRUMENTATION_AWS_LAMBDA_FLUSH_TIMEOUT"
_FLUSH_TIMEOUT_MS = 30_000


class _Init:
    """A process's ``init`` record, and the times that place it: when the process started and
    when its first invocation began (epoch seconds)."""

    __slots__ = ("record", "process_start", "first_invocation")

    def __init__(self, record: dict[str, object], process_start: float, first_invocation: float) -> None:
        self.record = record
        self.process_start = process_start
        self.first_invocation = first_invocation


class _Call:
    """What an observed call keeps between its beginning and its end."""

    __slots__ = ("trigger", "held", "init")

    def __init__(self, trigger: str, held: Held, init: _Init | None) -> None:
        self.trigger = trigger
        self.held = held
        self.init = init


class OpenTelemetry:
    """Observes measured calls (``RUNTIME.observers``): attributes on spans, FaaS metrics."""

    def __init__(
        self,
        tracer_provider: trace.TracerProvider | None,
        meter_provider: metrics.MeterProvider | None,
        flush: bool | None,
    ) -> None:
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.flush = flush
        self.facts = Facts()
        self.spans = InvocationSpans(tracer_provider)
        self.metrics = FaasMetrics(meter_provider)
        # Calls running now, by the identity of their CallInfo: the watchdog's thread finds the
        # trigger of a call that is timing out here. Single dict operations, atomic under the GIL.
        self.calls: dict[int, _Call] = {}
        self.init_record: dict[str, object] | None = None
        """The process's ``init`` record (``RUNTIME.init_listeners``), until its first invocation takes it."""

    def take_init_record(self, record: dict[str, object]) -> None:
        """Given the ``init`` record as the process's first invocation begins, before ``begin``."""
        self.init_record = record

    def begin(self, invocation: Invocation, call: CallInfo, event: object, context: object) -> None:
        kind = trigger(event)
        held = self.spans.begin(self.facts.begin(invocation, call, context, kind), call)
        init = None
        if invocation.number == 1 and self.init_record is not None:
            process = environment()
            init = _Init(self.init_record, process.process_start, process.last_invocation_start or 0.0)
            self.init_record = None
        self.calls[id(call)] = _Call(kind, held, init)
        self.metrics.began(invocation, kind)

    def end(
        self,
        invocation: Invocation,
        call: CallInfo,
        error: type[BaseException] | None,
        duration_ms: float,
        usage: Usage | None,
    ) -> None:
        observed = self.calls.pop(id(call), None)
        if observed is None:
            return
        wrapped = self.spans.end(observed.held, usage_attributes(usage, call.memory_limit_mb))
        self.metrics.ended(observed.trigger, error is not None, duration_ms, usage)
        init, span = observed.init, observed.held.span
        if init is not None and span is not None:  # the first invocation's trace gets the init
            add_init_spans(
                self.tracer_provider, span, init.record, invocation, init.process_start, init.first_invocation
            )
        # A wrapper outside (its span was current) flushes after the handler returns, as the
        # Lambda instrumentation and layer do; otherwise nobody would before the freeze.
        if self.flush or (self.flush is None and not wrapped):
            self._flush()

    def timed_out(self, invocation: Invocation, call: CallInfo) -> None:
        observed = self.calls.get(id(call))
        if observed is None:
            return
        self.metrics.timed_out(observed.trigger)
        if self.flush is not False:
            self._flush()  # Lambda may kill the process at the deadline, before anything else does

    def _flush(self) -> None:
        timeout_ms = _flush_timeout_ms()
        for provider in (
            self.tracer_provider or trace.get_tracer_provider(),
            self.meter_provider or metrics.get_meter_provider(),
        ):
            force_flush = getattr(provider, "force_flush", None)
            if force_flush is not None:
                force_flush(timeout_ms)


def _flush_timeout_ms() -> int:
    raw = os.environ.get(_FLUSH_TIMEOUT_VARIABLE)
    if raw is None:
        return _FLUSH_TIMEOUT_MS
    try:
        return max(0, int(raw))
    except ValueError:
        warn_once("otel.flush_timeout", f"ignoring {_FLUSH_TIMEOUT_VARIABLE}={raw!r}: not a whole number of ms")
        return _FLUSH_TIMEOUT_MS
