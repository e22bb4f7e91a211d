"""The records: which fields they hold, in which units, and how they become one JSON line.

Building is pure: values in, text or dict out. The invoke record, written on every invocation,
is built as JSON text from parts cached per settings (the fields a process repeats, the EMF
directive); the rare timeout and shutdown records are dicts, encoded when written.
"""

from __future__ import annotations

import json
import json.encoder

from .contract import ABSENT, INIT, INVOKE, KIND_KEY, MEASUREMENTS, SAMPLED_USAGE, SHUTDOWN, TIMEOUT_WARNING, USAGE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._config import Settings
    from ._context import CallInfo
    from ._probes import Usage
    from ._shutdown import HookReport
    from ._state import Environment, Identity, Invocation

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


# The optional measurements of an invoke record, each a bit of the mask that says which ones a
# line carries (which decides the metrics its EMF directive declares); the others are always there.
_OPTIONAL = ("InitDuration", "RestoreToInvoke", "IdleTime", *USAGE)
_ALWAYS = ("ColdStart", "Duration", "ContainerAge")
_BIT = {name: 1 << i for i, name in enumerate(_OPTIONAL)}
# Named, not written as numbers: each is looked up by its field, so the contract's order of
# USAGE cannot move a bit away from the field it stands for.
_INIT_DURATION = _BIT["InitDuration"]
_RESTORE_TO_INVOKE = _BIT["RestoreToInvoke"]
_IDLE = _BIT["IdleTime"]
_MEMORY_PERCENT = _BIT["MemoryUsedPercent"]
_TMP = _BIT["TmpUsed"] | _BIT["TmpUsedPercent"]
_ALL_USAGE = sum(_BIT[name] for name in USAGE)
# Between the invocations that take every reading (at most one a second), memory alone.
_MEMORY_USAGE = _ALL_USAGE & ~sum(_BIT[name] for name in SAMPLED_USAGE)
# The decimals of a whole number of thousandths, as repr() writes a float: "0.5", not "0.500".
_THOUSANDTHS = tuple(f"{i:03d}".rstrip("0") or "0" for i in range(1000))
_encode_str = json.encoder.encode_basestring_ascii
_MEMO_SIZE = 64


def invoke_body(
    settings: Settings,
    inv: Invocation,
    call: CallInfo,
    error: str | None,
    duration_ms: float,
    container_age_s: float,
    durable_execution_id: str | None = None,
    replayed: bool | None = None,
) -> tuple[str, int]:
    """The fields of one invocation's record as JSON text without braces, but for its usage
    (``usage_fields`` follows them), and the mask of the optional measurements it carries.

    Written as text, not encoded from a dict: this runs on every invocation, and what stays the
    same between a process's invocations (the function, the process, the settings) is encoded
    once. Rare facts are present only when they say something, to keep the line short.
    Megabytes, seconds and idle or init milliseconds are whole numbers, as in Lambda's own REPORT
    line: the sources are no finer (the process start is known to 10 ms) and integers are shorter.
    """
    static = _static(settings, call, inv.identity)
    request_id = call.request_id
    number = inv.number
    text = f'{static},"request_id":{"null" if request_id is None else _encode_str(request_id)},"invocation":{number}'
    if number == 1 or error is not None or call.tenant_id or durable_execution_id:
        text += _rare_fields(inv, call, error, durable_execution_id, replayed)
    if call.xray_trace_id:
        text += ',"xray_trace_id":' + _encode_str(call.xray_trace_id)
    text += ',"ColdStart":1' if inv.cold_start else ',"ColdStart":0'
    mask = 0
    if inv.init_duration_ms is not None:
        text += f',"InitDuration":{round(inv.init_duration_ms)}'
        mask = _INIT_DURATION
    if inv.restore_ms is not None:
        text += f',"RestoreToInvoke":{round(inv.restore_ms)}'
        mask |= _RESTORE_TO_INVOKE
    ms, us = divmod(round(duration_ms * 1000), 1000)
    text += f',"Duration":{ms}.{_THOUSANDTHS[us]}'
    if inv.idle_ms is not None:
        text += f',"IdleTime":{round(inv.idle_ms)}'
        mask |= _IDLE
    return f'{text},"ContainerAge":{round(container_age_s)}', mask


def _rare_fields(
    inv: Invocation, call: CallInfo, error: str | None, durable_execution_id: str | None, replayed: bool | None
) -> str:
    # How a process's first invocation began (and the calls before it, which were none), and the
    # process before it in the environment; an error; a tenant; a durable execution.
    text = ""
    if inv.cold_start:
        text += ',"cold_start":true'
    if inv.proactive_init:
        text += ',"proactive_init":true'
    if inv.reinit:
        text += ',"reinit":true'
    if inv.previous is not None:
        for key, value in inv.previous.items():
            text += ',"previous_' + key + '":' + _encode(value)
    if inv.init_calls:
        text += f',"init_calls":{inv.init_calls}'
    if error is not None:
        text += ',"error":' + _encode_str(error)
    if call.tenant_id:
        text += ',"tenant_id":' + _encode_str(call.tenant_id)
    if durable_execution_id:
        text += ',"durable_execution_id":' + _encode_str(durable_execution_id)
        if replayed is not None:
            text += ',"replayed":true' if replayed else ',"replayed":false'
    return text


def usage_fields(usage: Usage, memory_limit_mb: int | None) -> tuple[str, int]:
    """The usage measurements as JSON text (each after a comma), and the mask of those present
    (to combine with ``invoke_body``'s); a reading that failed is left out.

    Percentages have one decimal, made with integer arithmetic: rounding a float to a number of
    digits and writing it out costs a decimal conversion each, the most expensive part of a line.
    """
    rss, max_rss, fds, threads = usage.rss_mb, usage.max_rss_mb, usage.fds, usage.threads
    tmp_used, tmp_size = usage.tmp_used_mb, usage.tmp_size_mb
    if (
        threads is None
        and fds is None
        and tmp_used is None
        and rss is not None
        and max_rss is not None
        and memory_limit_mb
    ):
        # Memory alone (Probes.usage): the line of a busy environment's invocations in between.
        memory = divmod(round(1000 * rss / memory_limit_mb), 10)
        return (
            f',"MemoryUsed":{round(rss)},"MaxMemoryUsed":{round(max_rss)},"MemoryUsedPercent":{memory[0]}.{memory[1]}',
            (_MEMORY_USAGE),
        )
    if (
        rss is not None
        and max_rss is not None
        and fds is not None
        and threads is not None
        and memory_limit_mb
        and tmp_used is not None
        and tmp_size
    ):  # every reading, as on every invocation in Lambda: one format
        memory, tmp = divmod(round(1000 * rss / memory_limit_mb), 10), divmod(round(1000 * tmp_used / tmp_size), 10)
        return (
            f',"MemoryUsed":{round(rss)},"MaxMemoryUsed":{round(max_rss)},"FileDescriptors":{fds},"Threads":{threads}'
            f',"MemoryUsedPercent":{memory[0]}.{memory[1]},"TmpUsed":{round(tmp_used)}'
            f',"TmpUsedPercent":{tmp[0]}.{tmp[1]}'
        ), _ALL_USAGE
    return _some_usage_fields(rss, max_rss, fds, threads, memory_limit_mb, tmp_used, tmp_size)


def _some_usage_fields(
    rss: float | None,
    max_rss: float | None,
    fds: int | None,
    threads: int | None,
    memory_limit_mb: int | None,
    tmp_used: float | None,
    tmp_size: float | None,
) -> tuple[str, int]:
    # What usage_fields writes, one field at a time: a reading failed, or there is no /tmp or
    # memory size to relate to.
    text, mask = "", 0
    readings = (("MemoryUsed", rss), ("MaxMemoryUsed", max_rss), ("FileDescriptors", fds), ("Threads", threads))
    for name, value in readings:
        if value is not None:
            text += f',"{name}":{round(value)}'
            mask |= _BIT[name]
    if memory_limit_mb and rss is not None:
        text += ',"MemoryUsedPercent":' + _percent(rss, memory_limit_mb)
        mask |= _MEMORY_PERCENT
    if tmp_used is not None and tmp_size:
        text += f',"TmpUsed":{round(tmp_used)},"TmpUsedPercent":' + _percent(tmp_used, tmp_size)
        mask |= _TMP
    return text, mask


def _percent(part: float, whole: float) -> str:
    # As usage_fields' one format writes it.
    units, tenths = divmod(round(1000 * part / whole), 10)
    return f"{units}.{tenths}"


def prepare(settings: Settings, call: CallInfo, identity: Identity) -> None:
    """Make, during init, what the first lines of a process need (the fields it repeats, the
    templates of a first line, and of warm lines with every usage reading and with memory alone),
    so that its first invocations do not pay for them; ``call`` as the environment names the
    function."""
    _static(settings, call, identity)
    for mask in (_INIT_DURATION | _ALL_USAGE, _IDLE | _ALL_USAGE, _IDLE | _MEMORY_USAGE):
        _template(settings, mask)


def _static(settings: Settings, call: CallInfo, identity: Identity) -> str:
    # The fields every invoke record of this function, process and settings repeats, made once.
    key = (call.function_name, call.function_version, identity)
    static = settings.memo.get(key)
    return _remember(settings.memo, key, _static_fields(settings, call, identity)) if static is None else static


def _template(settings: Settings, mask: int) -> str:
    template = settings.memo.get(mask)
    return _remember(settings.memo, mask, _line_template(settings, mask)) if template is None else template


def _static_fields(settings: Settings, call: CallInfo, identity: Identity) -> str:
    rec = _common(INVOKE, call)
    _identity(rec, identity)
    if identity.restored:
        rec["restored"] = True
    if settings.service:
        rec["service"] = settings.service
    rec.update(settings.dimensions)
    return _encode(rec)[1:-1]


def _remember(memo: dict[object, str], key: object, value: str) -> str:
    # Keys change only with the function's name or version, the process's identity or the
    # metrics present: a handful per process, unless a test varies them on every call.
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[key] = value
    return value


def _identity(rec: dict[str, object], identity: Identity | Environment) -> None:
    # The usual values are left out (documented in contract.ABSENT): most lines say them.
    rec["container_id"] = identity.container_id
    rec["environment_id"] = identity.environment_id
    if identity.process_restarts:
        rec["process_restarts"] = identity.process_restarts
    if identity.worker is not None:
        rec["worker"] = identity.worker
    if identity.init_type != ABSENT["init_type"]:
        rec["init_type"] = identity.init_type


def _common(kind: str, call: CallInfo) -> dict[str, object]:
    rec: dict[str, object] = {KIND_KEY: kind, "function_name": call.function_name}
    if call.function_version != ABSENT["function_version"]:  # the usual $LATEST is left out
        rec["function_version"] = call.function_version
    return rec


def _common_with_service(settings: Settings, kind: str, call: CallInfo) -> dict[str, object]:
    # The records that declare no metrics name the service next to the function.
    rec = _common(kind, call)
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
    rec = _common_with_service(settings, TIMEOUT_WARNING, call)
    rec["request_id"] = call.request_id
    _identity(rec, inv.identity)
    rec["invocation"] = inv.number
    if call.tenant_id:
        rec["tenant_id"] = call.tenant_id
    rec["elapsed_ms"] = round(elapsed_ms)
    rec["remaining_ms"] = round(remaining_ms)
    rec.update(json.loads("{" + usage_fields(usage, call.memory_limit_mb)[0][1:] + "}"))
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
    rec = _common_with_service(settings, SHUTDOWN, call)
    _identity(rec, env)
    rec.update(
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


def init_record(settings: Settings, call: CallInfo, identity: Identity, fields: dict[str, object]) -> dict[str, object]:
    """The ``init`` record of a process: who it is, then ``fields`` (``_init_anatomy.record_fields``)."""
    rec = _common_with_service(settings, INIT, call)
    _identity(rec, identity)
    if identity.restored:
        rec["restored"] = True
    rec.update(fields)
    return rec


def _line_template(settings: Settings, mask: int) -> str:
    """The ``%`` template of an invoke line in the configured format, to fill with the timestamp
    (ms), the body and the usage; in EMF, the directive for the metrics of ``settings`` that a
    line with optional measurements ``mask`` carries (EMF wants each declared one present)."""
    level = f'"level":"{settings.log_level}",'.replace("%", "%%") if settings.log_level else ""
    if settings.format != "emf":  # no timestamp: "%.0s" writes none of it
        return ("METRICS: {" if settings.format == "prefixed" else "{") + level + "%.0s%s%s}"
    present = {*_ALWAYS, *(name for name in _OPTIONAL if mask & _BIT[name])}
    directive = {
        "Namespace": settings.namespace,
        "Dimensions": [list(settings.dimension_names)],
        "Metrics": [{"Name": name, "Unit": MEASUREMENTS[name]} for name in settings.metrics if name in present],
    }
    head = '{"_aws":{"Timestamp":%d,"CloudWatchMetrics":[' + _encode(directive).replace("%", "%%") + "]},"
    return head + level + "%s%s}"


def declared(settings: Settings, rec: dict[str, object]) -> tuple[str, ...]:
    """The configured metrics this record actually carries (EMF wants each declared one present)."""
    return tuple(name for name in settings.metrics if name in rec)


def invoke_line(settings: Settings, body: str, usage: str, mask: int, timestamp_ms: int) -> str:
    """The line of an invoke record (``invoke_body``, then ``usage_fields``) in the configured
    format, without the newline: one format of a template made once per settings and ``mask``."""
    return _template(settings, mask) % (timestamp_ms, body, usage)


def as_dict(body: str) -> dict[str, object]:
    """An invoke record's fields (``invoke_body``) as a dict, for an integration that publishes it."""
    record: dict[str, object] = json.loads("{" + body + "}")
    return record


def render(settings: Settings, rec: dict[str, object]) -> str:
    """One JSON line for a record that declares no metrics, without the newline: in the EMF
    format it is plain JSON, which CloudWatch Logs keeps (and Logs Insights reads) without
    publishing anything."""
    body = _encode(rec)
    if settings.log_level:
        body = '{"level":"' + settings.log_level + '",' + body[1:]
    if settings.format == "prefixed":
        return "METRICS: " + body
    return body
