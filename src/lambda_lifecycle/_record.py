"""The records: which fields they hold, in which units, and how they become one JSON line.

Building is pure: values in, dict out. Rendering caches the part of an EMF line that does not
change between invocations (the metric directive), which is most of the encoding cost.
"""

from __future__ import annotations

import functools
import json
import json.encoder

from .contract import MEASUREMENTS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._config import Settings
    from ._context import CallInfo
    from ._probes import Usage
    from ._shutdown import HookReport
    from ._state import Environment, Invocation

# CPython's C encoder, which json.dumps builds anew on every call, built once (about 1.5 us a
# record). typeshed does not declare it, hence getattr.
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
if _c_make_encoder is not None:
    _c_encode = _c_make_encoder(None, repr, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True)

    def _encode(obj: object) -> str:
        return "".join(_c_encode(obj, 0))

else:  # pragma: no cover - other interpreters
    _fallback = json.JSONEncoder(separators=(",", ":"), default=repr)

    def _encode(obj: object) -> str:
        return _fallback.encode(obj)


def invoke_record(
    settings: Settings,
    inv: Invocation,
    call: CallInfo,
    *,
    error: str | None,
    duration_ms: float,
    container_age_s: float,
    usage: Usage,
    durable_execution_id: str | None = None,
    replayed: bool | None = None,
) -> dict[str, object]:
    """The record of one invocation: properties first, then measurements; unknown values omitted.

    Megabytes, seconds and idle or init milliseconds are whole numbers, as in Lambda's own REPORT
    line: the sources are no finer (the process start is known to 10 ms) and integers are shorter.
    """
    rec = _common("invoke", call)
    rec["request_id"] = call.request_id
    _identity(rec, inv)
    rec["cold_start"] = inv.cold_start
    # Rare facts are present only when they say something, to keep the line short.
    if inv.proactive_init:
        rec["proactive_init"] = True
    if inv.reinit:
        rec["reinit"] = True
    if inv.restored:
        rec["restored"] = True
    if inv.previous is not None:
        for key, value in inv.previous.items():
            rec["previous_" + key] = value
    if error is not None:
        rec["error"] = error
    if call.xray_trace_id:
        rec["xray_trace_id"] = call.xray_trace_id
    if call.tenant_id:
        rec["tenant_id"] = call.tenant_id
    if durable_execution_id:
        rec["durable_execution_id"] = durable_execution_id
        if replayed is not None:
            rec["replayed"] = replayed
    if settings.service:
        rec["service"] = settings.service
    rec.update(settings.dimensions)
    rec["ColdStart"] = 1 if inv.cold_start else 0
    if inv.init_duration_ms is not None:
        rec["InitDuration"] = round(inv.init_duration_ms)
    if inv.restore_ms is not None:
        rec["RestoreToInvoke"] = round(inv.restore_ms)
    rec["Duration"] = round(duration_ms, 3)
    if inv.idle_ms is not None:
        rec["IdleTime"] = round(inv.idle_ms)
    rec["ContainerAge"] = round(container_age_s)
    _usage(rec, usage, call.memory_limit_mb)
    return rec


def _usage(rec: dict[str, object], usage: Usage, memory_limit_mb: int | None) -> None:
    rss = usage.rss_mb
    if rss is not None:
        rec["MemoryUsed"] = round(rss)
    if usage.max_rss_mb is not None:
        rec["MaxMemoryUsed"] = round(usage.max_rss_mb)
    if usage.fds is not None:
        rec["FileDescriptors"] = usage.fds
    if usage.threads is not None:
        rec["Threads"] = usage.threads
    if memory_limit_mb and rss is not None:
        rec["MemoryUsedPercent"] = round(100 * rss / memory_limit_mb, 1)
    if usage.tmp_used_mb is not None and usage.tmp_size_mb:
        rec["TmpUsed"] = round(usage.tmp_used_mb)
        rec["TmpUsedPercent"] = round(100 * usage.tmp_used_mb / usage.tmp_size_mb, 1)


def _identity(rec: dict[str, object], inv: Invocation) -> None:
    rec["container_id"] = inv.container_id
    rec["environment_id"] = inv.environment_id
    rec["process_restarts"] = inv.process_restarts
    if inv.worker is not None:
        rec["worker"] = inv.worker
    rec["invocation"] = inv.number
    rec["init_type"] = inv.init_type


def _common(event: str, call: CallInfo) -> dict[str, object]:
    return {"event": event, "function_name": call.function_name, "function_version": call.function_version}


def _common_with_service(settings: Settings, event: str, call: CallInfo) -> dict[str, object]:
    # The records that declare no metrics name the service next to the function.
    rec = _common(event, call)
    if settings.service:
        rec["service"] = settings.service
    return rec


def timeout_record(
    settings: Settings,
    inv: Invocation,
    call: CallInfo,
    *,
    elapsed_ms: float,
    remaining_ms: float,
    usage: Usage,
    stack: list[str] | None,
) -> dict[str, object]:
    """The warning written when an invocation is about to time out. ``stack`` is innermost first."""
    rec = _common_with_service(settings, "timeout_warning", call)
    rec["request_id"] = call.request_id
    _identity(rec, inv)
    if call.tenant_id:
        rec["tenant_id"] = call.tenant_id
    rec["elapsed_ms"] = round(elapsed_ms)
    rec["remaining_ms"] = round(remaining_ms)
    _usage(rec, usage, call.memory_limit_mb)
    rec["stack"] = stack
    return rec


def shutdown_record(
    settings: Settings,
    env: Environment,
    call: CallInfo,
    *,
    reason: str,
    max_memory_mb: float | None,
    idle_before_shutdown_ms: float | None,
    hooks: HookReport,
    shutdown_ms: float,
) -> dict[str, object]:
    """The last record of a process: what it served and how its shutdown hooks went.

    ``call`` names the function as the invocation that ended last saw it.
    """
    rec = _common_with_service(settings, "shutdown", call)
    rec.update(container_id=env.container_id, environment_id=env.environment_id, process_restarts=env.process_restarts)
    if env.worker is not None:
        rec["worker"] = env.worker
    rec.update(
        init_type=env.init_type,
        reason=reason,
        invocations=env.invocations,
        in_flight=env.in_flight,
        ContainerAge=round(env.age_s),
    )
    if max_memory_mb is not None:
        rec["MaxMemoryUsed"] = round(max_memory_mb)
    if env.max_tmp_used_mb is not None:
        rec["MaxTmpUsed"] = round(env.max_tmp_used_mb)
    if idle_before_shutdown_ms is not None:
        rec["IdleBeforeShutdown"] = round(idle_before_shutdown_ms)
    rec.update(("hooks_" + outcome, count) for outcome, count in hooks.counts.items())
    if hooks.errors:
        rec["hook_errors"] = hooks.errors
    rec["shutdown_budget_ms"] = round(hooks.budget_ms)
    rec["ShutdownDuration"] = round(shutdown_ms, 1)
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


def render(settings: Settings, rec: dict[str, object], timestamp_ms: int | None = None) -> str:
    """One JSON line for ``rec`` in the configured format, without the newline.

    With no ``timestamp_ms`` the record declares no metrics: in the EMF format it is plain JSON,
    which CloudWatch Logs keeps (and Logs Insights reads) without publishing anything.
    """
    body = _encode(rec)
    if settings.log_level:
        body = '{"level":"' + settings.log_level + '",' + body[1:]
    if settings.format == "emf" and timestamp_ms is not None:
        head = _emf_head(settings.namespace, settings.dimension_names, declared(settings, rec))
        return '{"_aws":{"Timestamp":' + str(timestamp_ms) + head + body[1:]
    if settings.format == "prefixed":
        return "METRICS: " + body
    return body
