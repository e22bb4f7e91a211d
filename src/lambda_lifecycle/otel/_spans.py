"""The invocation's span: whichever span is current when the handler runs gets the attributes.

Stacked either way with a tracing wrapper (``opentelemetry-instrumentation-aws-lambda``, the
OpenTelemetry Lambda layer, a span of the user's own):

- **the wrapper outside** (it wraps the instrumented handler): its span is current when the
  measured call begins, and gets the attributes at once, and memory and ``/tmp`` at the end;
- **the wrapper inside** (the instrumented handler calls the wrapped one): no span is current
  yet. The first span started inside the call is the invocation's: a span processor, added
  once to the tracer provider, gives it the attributes as it starts. That span has ended before
  the measured call does, so memory and ``/tmp`` cannot be put on it.
"""

from __future__ import annotations

import contextlib
import functools
import weakref
from contextvars import ContextVar

from opentelemetry import trace

from .._warnings import warn_once
from ._attributes import resource_facts

TYPE_CHECKING = False
if TYPE_CHECKING:
    from contextvars import Token

    from opentelemetry.sdk.trace import SpanProcessor

    from .._context import CallInfo
    from ._attributes import Attributes


class Held:
    """One call's attributes, and the span that got them (``None`` until one has)."""

    __slots__ = ("owner", "attributes", "call", "span", "token")

    def __init__(self, owner: InvocationSpans, attributes: Attributes, call: CallInfo) -> None:
        self.owner = owner
        self.attributes = attributes
        self.call = call
        self.span: trace.Span | None = None
        self.token: Token[Held | None] | None = None


# The call whose span has not started yet, in the context its handler runs in (threads and
# asyncio tasks started by the handler get copies of it, where the first span claims it too).
_unclaimed: ContextVar[Held | None] = ContextVar("lambda_lifecycle_otel_unclaimed", default=None)

# Tracer providers that have the processor: they outlive an environment (testing.reset()) and an
# SDK provider cannot remove a processor, so the process remembers where it added one.
_watched: weakref.WeakSet[object] = weakref.WeakSet()

_NOT_SEEN = object()


class InvocationSpans:
    """Puts each invocation's attributes on its span."""

    def __init__(self, tracer_provider: trace.TracerProvider | None) -> None:
        self._provider = tracer_provider
        self._seen: object = None  # the provider _watch() last looked at
        self._resource: object = _NOT_SEEN
        self._gaps: Attributes = {}

    def begin(self, attributes: Attributes, call: CallInfo) -> Held:
        """The call begins: its span is the current one, or the next one started."""
        held = Held(self, attributes, call)
        span = trace.get_current_span()
        if span.is_recording():
            self.put(span, held)
        else:
            self._watch()
            held.token = _unclaimed.set(held)
        return held

    def put(self, span: trace.Span, held: Held) -> None:
        held.span = span
        span.set_attributes(held.attributes)
        gaps = self._resource_gaps(span, held.call)
        if gaps:
            span.set_attributes(gaps)

    def end(self, held: Held, attributes: Attributes) -> bool:
        """The call ended: ``attributes`` go on its span if it is still open. Returns whether a
        span was current when the call began (a wrapper outside, which flushes after it)."""
        if held.token is not None:
            # ValueError: it ended in another context than it began (unusual async code).
            with contextlib.suppress(ValueError):
                _unclaimed.reset(held.token)
            return False
        span = held.span
        if attributes and span is not None and span.is_recording():
            span.set_attributes(attributes)
        return True

    def _resource_gaps(self, span: trace.Span, call: CallInfo) -> Attributes:
        # faas.instance and faas.max_memory belong to the resource, fixed when the provider was
        # made: where it lacks them (or has the memory in MB), the span carries them instead.
        resource = getattr(span, "resource", None)
        if resource is not self._resource:
            present = getattr(resource, "attributes", None) or {}
            self._gaps = {key: value for key, value in resource_facts(call).items() if present.get(key) != value}
            self._resource = resource
        return self._gaps

    def _watch(self) -> None:
        provider = self._provider or trace.get_tracer_provider()
        if provider is self._seen:
            return
        self._seen = provider
        if provider in _watched:
            return
        add = getattr(provider, "add_span_processor", None)
        if add is None:  # the API's proxy before a provider is set: no span will record yet
            return
        add(_claimer())
        _watched.add(provider)


@functools.cache
def _claimer() -> SpanProcessor:
    # Only a provider with add_span_processor asks for it: the OpenTelemetry SDK is installed.
    from opentelemetry.sdk.trace import SpanProcessor

    class ClaimFirstSpan(SpanProcessor):
        """Gives the first span started inside a measured call, when none was current as the
        call began, that call's attributes."""

        def on_start(self, span: trace.Span, parent_context: object = None) -> None:
            held = _unclaimed.get()
            if held is None or held.span is not None:
                return
            try:
                held.owner.put(span, held)
            except Exception as exc:  # noqa: BLE001 - a span must start whatever happens here
                warn_once("otel.span", f"cannot put the invocation's attributes on its span ({exc!r})")

    return ClaimFirstSpan()
