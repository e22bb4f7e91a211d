"""The records: which fields they hold, in which units, and how they become one JSON line.

Building is pure: values in, dict out. Rendering caches the part of an EMF line that does not
change between invocations (the metric directive), which is most of the encoding cost.
"""

from __future__ import annotations

import functools
import json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._config import Settings
    from ._probes import Usage
    from ._state import Invocation

# Every measurement a record can carry, with its CloudWatch unit. Names and units are a contract.
MEASUREMENTS: dict[str, str] = {
    "ColdStart": "Count",
    "InitDuration": "Milliseconds",
    "Duration": "Milliseconds",
    "IdleTime": "Milliseconds",
    "ContainerAge": "Seconds",
    "TmpUsed": "Megabytes",
    "TmpUsedPercent": "Percent",
    "MemoryUsed": "Megabytes",
    "MaxMemoryUsed": "Megabytes",
    "MemoryUsedPercent": "Percent",
    "FileDescriptors": "Count",
    "Threads": "Count",
}

# Properties of an invoke record. User dimensions may not take these names.
PROPERTIES = (
    "event",
    "function_name",
    "function_version",
    "request_id",
    "container_id",
    "invocation",
    "init_type",
    "cold_start",
    "proactive_init",
    "error",
    "xray_trace_id",
    "service",
)

_encode = json.JSONEncoder(separators=(",", ":"), default=repr).encode


def _r(value: float | None, digits: int) -> float | int | None:
    if value is None:
        return None
    return round(value) if digits == 0 else round(value, digits)


def invoke_record(
    settings: Settings,
    inv: Invocation,
    *,
    function_name: str,
    function_version: str | None,
    request_id: str | None,
    memory_limit_mb: int | None,
    xray_trace_id: str | None,
    error: str | None,
    duration_ms: float,
    container_age_s: float,
    usage: Usage,
) -> dict[str, object]:
    """The record of one invocation: properties first, then measurements; absent values omitted."""
    rec: dict[str, object] = {
        "event": "invoke",
        "function_name": function_name,
        "function_version": function_version,
        "request_id": request_id,
        "container_id": inv.container_id,
        "invocation": inv.number,
        "init_type": inv.init_type,
        "cold_start": inv.cold_start,
        "proactive_init": inv.proactive_init,
        "error": error,
    }
    if xray_trace_id:
        rec["xray_trace_id"] = xray_trace_id
    if settings.service:
        rec["service"] = settings.service
    for key, value in settings.dimensions:
        rec[key] = value
    # No more digits than the sources have: the process start is known to 10 ms, memory to pages.
    measurements: dict[str, float | int | None] = {
        "ColdStart": 1 if inv.cold_start else 0,
        "InitDuration": _r(inv.init_duration_ms, 0),
        "Duration": round(duration_ms, 3),
        "IdleTime": _r(inv.idle_ms, 0),
        "ContainerAge": round(container_age_s, 1),
        "MemoryUsed": _r(usage.rss_mb, 1),
        "MaxMemoryUsed": _r(usage.max_rss_mb, 1),
        "FileDescriptors": usage.fds,
        "Threads": usage.threads,
    }
    if memory_limit_mb and usage.rss_mb is not None:
        measurements["MemoryUsedPercent"] = round(100 * usage.rss_mb / memory_limit_mb, 1)
    if usage.tmp_used_mb is not None and usage.tmp_size_mb:
        measurements["TmpUsed"] = round(usage.tmp_used_mb, 1)
        measurements["TmpUsedPercent"] = round(100 * usage.tmp_used_mb / usage.tmp_size_mb, 1)
    for name, number in measurements.items():
        if number is not None:
            rec[name] = number
    return rec


@functools.lru_cache(maxsize=64)
def _emf_head(namespace: str, dimensions: tuple[str, ...], metrics: tuple[str, ...]) -> str:
    directive = {
        "Namespace": namespace,
        "Dimensions": [list(dimensions)],
        "Metrics": [{"Name": name, "Unit": MEASUREMENTS[name]} for name in metrics],
    }
    return ',"CloudWatchMetrics":[' + _encode(directive) + "]},"


def declared(settings: Settings, rec: dict[str, object]) -> tuple[str, ...]:
    """The configured metrics this record actually carries (EMF wants each declared one present)."""
    return tuple(name for name in settings.metrics if name in rec)


def render(settings: Settings, rec: dict[str, object], timestamp_ms: int) -> str:
    """One JSON line for ``rec`` in the configured format, without the newline."""
    body = _encode(rec)
    if settings.format == "emf":
        head = _emf_head(settings.namespace, settings.dimension_names, declared(settings, rec))
        return '{"_aws":{"Timestamp":' + str(timestamp_ms) + head + body[1:]
    if settings.format == "prefixed":
        return "METRICS: " + body
    return body
