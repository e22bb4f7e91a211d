"""A process's init as spans in its first invocation's trace, from its ``init`` record.

A span tree rather than span events: Jaeger and X-Ray draw spans as bars on the trace's timeline,
so the phases and the slowest imports read as a waterfall of where init time went, each bar as
long as it took; span events are only points on one span's bar (Jaeger lists them as logs, and
X-Ray's exporter drops all but exceptions). The spans are children of the invocation's span, as
Datadog's cold-start spans are, and keep the real times of init, so they begin before it: the
trace shows what the invocation waited for.

Only spans over real intervals: ``init runtime`` (process start until the SDK was loaded) and
``init handler`` (the handler module's load, until the handler was ready), inside ``init``; the
imports and the module's own code interleave inside the handler's load, so their split is an
attribute of ``init handler``, and each slow import a child span from when it began, as long as
its imports took in all. Then ``init wait`` (ready until the first invocation) or ``restore``.
"""

from __future__ import annotations

from opentelemetry import trace

from .._version import __version__
from ._attributes import INIT_TYPE, NAMESPACE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .._state import Invocation

_NS = 1_000_000_000
_IMPORT = NAMESPACE + "import."


def _ns(seconds: float) -> int:
    return round(seconds * _NS)


def _ms(record: dict[str, object], key: str) -> float | None:
    value = record.get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def add_init_spans(
    provider: trace.TracerProvider | None,
    parent: trace.Span,
    record: dict[str, object],
    invocation: Invocation,
    process_start: float,
    first_invocation: float,
) -> None:
    """The spans of ``record`` (an ``init`` record) under ``parent``; times are epoch seconds."""
    init_ms, runtime_ms = _ms(record, "InitDuration"), _ms(record, "InitRuntime")
    if init_ms is None or runtime_ms is None:
        return
    tracer = trace.get_tracer("lambda_lifecycle", __version__, provider)
    ready = process_start + init_ms / 1000
    loaded = process_start + runtime_ms / 1000
    init = tracer.start_span(
        "init",
        context=trace.set_span_in_context(parent),
        start_time=_ns(process_start),
        attributes={
            INIT_TYPE: invocation.init_type,
            NAMESPACE + "init_duration_ms": init_ms,
            NAMESPACE + "loaded_by": str(record.get("loaded_by", "")),
            NAMESPACE + "handler": str(record.get("handler", "")),
        },
    )
    inside = trace.set_span_in_context(init)
    tracer.start_span("init runtime", context=inside, start_time=_ns(process_start)).end(_ns(loaded))
    handler = tracer.start_span(
        "init handler",
        context=inside,
        start_time=_ns(loaded),
        attributes={
            NAMESPACE + "imports_ms": _ms(record, "InitImports") or 0.0,
            NAMESPACE + "code_ms": _ms(record, "InitCode") or 0.0,
        },
    )
    under_handler = trace.set_span_in_context(handler)
    imports = record.get("imports")
    for entry in imports if isinstance(imports, list) else ():
        if not isinstance(entry, dict):
            continue
        at_ms, took_ms = _ms(entry, "at_ms"), _ms(entry, "ms")
        if at_ms is None or took_ms is None:
            continue  # a record without start times: the import cannot be placed
        start = process_start + at_ms / 1000
        attributes: dict[str, str | float] = {
            _IMPORT + "module": str(entry.get("module", "")),
            _IMPORT + "ms": took_ms,
            _IMPORT + "own_ms": _ms(entry, "own_ms") or 0.0,
            _IMPORT + "share": _ms(entry, "share") or 0.0,
        }
        if entry.get("by"):
            attributes[_IMPORT + "by"] = str(entry["by"])
        tracer.start_span(
            f"import {entry.get('module', '')}", context=under_handler, start_time=_ns(start), attributes=attributes
        ).end(_ns(start + took_ms / 1000))
    left_out = _ms(record, "imports_left_out")
    if left_out:
        handler.set_attribute(NAMESPACE + "imports_left_out", int(left_out))
    handler.end(_ns(ready))
    init.end(_ns(ready))
    beside = trace.set_span_in_context(parent)
    restore_ms = _ms(record, "RestoreToInvoke")
    if restore_ms is not None:
        restored = first_invocation - restore_ms / 1000
        tracer.start_span("restore", context=beside, start_time=_ns(restored)).end(_ns(first_invocation))
    elif _ms(record, "InitWait"):
        tracer.start_span("init wait", context=beside, start_time=_ns(ready)).end(_ns(first_invocation))
