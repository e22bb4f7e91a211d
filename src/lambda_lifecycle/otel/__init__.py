"""Speak OpenTelemetry: the FaaS semantic conventions on each invocation's span and as OTel
metrics (``pip install 'lambda-lifecycle[otel]'``):

```python
import lambda_lifecycle
from lambda_lifecycle import otel

otel.integrate()

@lambda_lifecycle.instrument
def lambda_handler(event, context): ...
```

or, with no code change, ``LAMBDA_LIFECYCLE_OTEL=true`` (read by ``bootstrap()`` and at the
first decoration, so the zero-code entry point honours it too).

The span current when the handler runs (``opentelemetry-instrumentation-aws-lambda``'s, the
OpenTelemetry Lambda layer's, or one of your own) gets ``faas.coldstart`` by this SDK's rules,
``faas.invocation_id``, ``cloud.resource_id``, ``cloud.account.id`` and the SDK's facts under
``lambda_lifecycle.*``; the configured ``MeterProvider`` gets ``faas.invocations``,
``faas.errors``, ``faas.timeouts``, ``faas.coldstarts``, ``faas.invoke_duration``,
``faas.init_duration`` and ``faas.mem_usage``. See docs/otel.md.

Only this package imports OpenTelemetry, and only when integrated: importing or using the rest
of the SDK never does.
"""

from __future__ import annotations

from .._runtime import RUNTIME
from .._warnings import warn_once

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

__all__ = ["integrate"]


def _nothing() -> None:
    """What an integration that added nothing takes back."""


def integrate(
    *,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
    flush: bool | None = None,
) -> Callable[[], None]:
    """Put lambda-lifecycle's facts on OpenTelemetry spans and metrics. Call it once, at module level.

    Args:
        tracer_provider: where the invocation's span comes from, when it is not the global one
            (only needed when the tracing wrapper runs inside the instrumented handler).
        meter_provider: the provider of the FaaS metrics (default: the global one, also when it
            is set after this call).
        flush: flush both providers at the end of every invocation. Default (``None``): only
            when no span was current as the invocation began, i.e. no tracing wrapper outside
            the instrumented handler will flush after it; always on a timeout warning.

    Returns:
        A function that takes back what this call added (idempotent). Calling ``integrate()``
        again while integrated adds nothing; ``lambda_lifecycle.testing.reset()`` takes it back.

    Without the OpenTelemetry API installed, one ``LifecycleWarning`` says so and nothing is added.
    """
    try:
        from ._observer import OpenTelemetry
    except ImportError as exc:
        if not (exc.name or "").startswith("opentelemetry"):
            raise
        warn_once(
            "otel.api",
            "OpenTelemetry was asked for but opentelemetry-api is not installed "
            "(pip install 'lambda-lifecycle[otel]'): no spans or metrics get lambda-lifecycle's facts",
        )
        return _nothing
    runtime = RUNTIME
    if any(isinstance(observer, OpenTelemetry) for observer in runtime.observers):
        return _nothing
    observer = OpenTelemetry(tracer_provider, meter_provider, flush)
    runtime.observers.append(observer)
    runtime.init_listeners.append(observer.take_init_record)

    def undo() -> None:
        if observer in runtime.observers:
            runtime.observers.remove(observer)
        if observer.take_init_record in runtime.init_listeners:
            runtime.init_listeners.remove(observer.take_init_record)

    runtime.undo.append(undo)
    return undo
