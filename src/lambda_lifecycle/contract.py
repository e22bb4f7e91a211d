"""The record contract: record kinds, field names, units, defaults and the EMF dimension rules.

Everything that writes or reads records (the SDK, the CLI, integrations, tests, docs) takes these
names from here. Changing one is a change of contract and needs a CHANGELOG entry. This module is
a leaf: it imports nothing, so reading it costs nothing at cold start.
"""

from __future__ import annotations

__all__ = [
    "ABSENT",
    "DEFAULT_METRICS",
    "DEFAULT_NAMESPACE",
    "EMF_MAX_DIMENSIONS",
    "INIT",
    "INIT_FIELDS",
    "INIT_IMPORT_FIELDS",
    "INIT_PHASES",
    "INIT_TYPES",
    "INVOKE",
    "KIND_KEY",
    "MAX_RECORD_BYTES",
    "MEASUREMENTS",
    "PROPERTIES",
    "RECORD_KINDS",
    "RESERVED_DIMENSION_NAMES",
    "SAMPLED_USAGE",
    "SHUTDOWN",
    "SHUTDOWN_FIELDS",
    "TIMEOUT_WARNING",
    "TIMEOUT_WARNING_FIELDS",
    "USAGE",
    "complete",
    "dimension_names",
]

KIND_KEY = "lambda_lifecycle"
"""The key of every record's kind (``"lambda_lifecycle":"invoke"``): a key no function's own log
line carries, so readers tell records apart by it (0.2.x wrote the kind under ``event``)."""

INVOKE = "invoke"
TIMEOUT_WARNING = "timeout_warning"
SHUTDOWN = "shutdown"
INIT = "init"
RECORD_KINDS = (INVOKE, TIMEOUT_WARNING, SHUTDOWN, INIT)
"""The values of every record's ``KIND_KEY`` field. Only ``invoke`` records declare metrics."""

INIT_TYPES = ("on-demand", "provisioned-concurrency", "snap-start", "lambda-managed-instances")
"""The values of ``AWS_LAMBDA_INITIALIZATION_TYPE``, and so of the ``init_type`` field."""

MEASUREMENTS: dict[str, str] = {
    "ColdStart": "Count",
    "InitDuration": "Milliseconds",
    "Duration": "Milliseconds",
    "IdleTime": "Milliseconds",
    "RestoreToInvoke": "Milliseconds",
    "ContainerAge": "Seconds",
    "TmpUsed": "Megabytes",
    "TmpUsedPercent": "Percent",
    "MemoryUsed": "Megabytes",
    "MaxMemoryUsed": "Megabytes",
    "MemoryUsedPercent": "Percent",
    "FileDescriptors": "Count",
    "Threads": "Count",
}
"""Every measurement an invoke record can carry, with its CloudWatch unit; any of them can be
published as a metric (setting ``metrics``)."""

USAGE = ("MemoryUsed", "MaxMemoryUsed", "FileDescriptors", "Threads", "MemoryUsedPercent", "TmpUsed", "TmpUsedPercent")
"""The measurements of what the process and ``/tmp`` use, in invoke and timeout-warning records
alike; one whose reading failed is left out."""

SAMPLED_USAGE = ("FileDescriptors", "Threads", "TmpUsed", "TmpUsedPercent")
"""The usage measurements that cost a system call each: an invoke record carries them on a
process's first invocation and then at most once a second per process (unless the
``usage_every_invocation`` setting asks for every invocation); the lines in between leave them
out. Timeout warnings always carry them."""

PROPERTIES = (
    KIND_KEY,
    "function_name",
    "function_version",
    "request_id",
    "container_id",
    "environment_id",
    "process_restarts",
    "worker",
    "invocation",
    "init_type",
    "cold_start",
    "proactive_init",
    "reinit",
    "restored",
    "previous_container_id",
    "previous_invocations",
    "previous_killed",
    "init_calls",
    "error",
    "xray_trace_id",
    "tenant_id",
    "durable_execution_id",
    "replayed",
    "service",
)
"""The properties of an invoke record (never dimensions, except ``function_name`` and ``service``).

``init_calls`` is present only on a process's first invocation, when instrumented calls came
before it inside a Runtime API's environment with no request id (warm-up code, a thread started
at init): they were not invocations and have no record of their own.

``durable_execution_id`` and ``replayed`` are present only on invocations of a Lambda durable
function: the durable execution's ARN, and whether the invocation replays steps that an earlier
invocation of the same execution checkpointed (false on the execution's first invocation)."""

ABSENT: dict[str, object] = {
    "function_version": "$LATEST",
    "process_restarts": 0,
    "init_type": "on-demand",
    "cold_start": False,
    "proactive_init": False,
    "reinit": False,
    "restored": False,
}
"""What a property means when a record leaves it out: its usual value, which most lines would
otherwise repeat (in Logs Insights, ``coalesce(init_type, "on-demand")``). Every other property
is present whenever it is known."""

_IDENTITY_DEFAULTS = {name: ABSENT[name] for name in ("function_version", "process_restarts", "init_type")}
_ABSENT_BY_KIND = {
    INVOKE: ABSENT,
    TIMEOUT_WARNING: _IDENTITY_DEFAULTS,
    SHUTDOWN: _IDENTITY_DEFAULTS,
    INIT: {**_IDENTITY_DEFAULTS, "restored": False},
}


def complete(record: dict[str, object]) -> dict[str, object]:
    """A record with the usual values it leaves out (``ABSENT``) filled in, as readers take it.

    Args:
        record: a parsed record of any kind; anything else is returned as it is.

    Returns:
        The same dict, completed in place.
    """
    if isinstance(record, dict):
        kind = record.get(KIND_KEY)
        for name, value in (_ABSENT_BY_KIND.get(kind, {}) if isinstance(kind, str) else {}).items():
            record.setdefault(name, value)
    return record


TIMEOUT_WARNING_FIELDS = (
    KIND_KEY,
    "function_name",
    "function_version",
    "service",
    "request_id",
    "container_id",
    "environment_id",
    "process_restarts",
    "worker",
    "invocation",
    "init_type",
    "tenant_id",
    "elapsed_ms",
    "remaining_ms",
    "stack",
)
"""The fields of a ``timeout_warning`` record, besides the usage measurements it shares with invoke records."""

_PROCESS_FIELDS = (
    KIND_KEY,
    "function_name",
    "function_version",
    "service",
    "container_id",
    "environment_id",
    "process_restarts",
    "worker",
    "init_type",
)
# What the records of a process (not of one invocation) begin with: who wrote them.

SHUTDOWN_FIELDS = (
    *_PROCESS_FIELDS,
    "reason",
    "invocations",
    "in_flight",
    "ContainerAge",
    "MaxMemoryUsed",
    "MaxTmpUsed",
    "IdleBeforeShutdown",
    "hooks_run",
    "hooks_failed",
    "hooks_timed_out",
    "hooks_skipped",
    "hook_errors",
    "shutdown_budget_ms",
    "ShutdownDuration",
)
"""The fields of a ``shutdown`` record, the last one a process writes."""

INIT_PHASES: dict[str, str] = {
    "InitRuntime": "Milliseconds",
    "InitImports": "Milliseconds",
    "InitCode": "Milliseconds",
    "InitWait": "Milliseconds",
    "RestoreToInvoke": "Milliseconds",
}
"""The phases of an ``init`` record. The first three add up to its ``InitDuration`` (process start
to the handler ready): the interpreter, runtime client and SDK until the SDK was loaded; the
imports of the function's code; the rest of its code. Then ``InitWait``, the handler ready until
the first invocation, or after a SnapStart restore ``RestoreToInvoke`` instead."""

INIT_IMPORT_FIELDS = ("module", "ms", "own_ms", "share", "at_ms", "by")
"""The fields of each of an ``init`` record's ``imports``: the top-level package or first-party
module, its cumulative and own milliseconds, its share of ``InitDuration`` in percent, when its
first import began (milliseconds after the process started), and the first-party module that
pulled it in (absent: the runtime or the SDK did)."""

INIT_FIELDS = (
    *_PROCESS_FIELDS,
    "restored",
    "handler",
    "loaded_by",
    "memory_mb",
    "InitDuration",
    *INIT_PHASES,
    "imports",
    "imports_threshold_ms",
    "imports_left_out",
)
"""The fields of an ``init`` record, one per process, written when its first invocation begins.
``loaded_by`` is ``entry_point`` (``lambda_lifecycle.handler.handler``, the handler setting or a
wrapper's ``ORIG_HANDLER``) or ``import`` (``import lambda_lifecycle`` first in the handler
module); ``memory_mb`` is the function's memory size (what init's GB-seconds are counted at);
``imports_left_out`` counts the imports over the threshold beyond the ones listed."""

DEFAULT_NAMESPACE = "LambdaLifecycle"
DEFAULT_METRICS = ("ColdStart", "InitDuration", "IdleTime", "MemoryUsedPercent", "TmpUsedPercent")
"""What a user pays for by default: each name is one custom metric per dimension set. Duration is
left out because AWS/Lambda publishes it already."""

EMF_MAX_DIMENSIONS = 30
"""EMF's limit for one dimension set, ``function_name`` and ``service`` included."""

MAX_RECORD_BYTES = 256 * 1024
"""CloudWatch Logs' limit for one log event: a record never exceeds it."""

RESERVED_DIMENSION_NAMES = frozenset(PROPERTIES) | frozenset(MEASUREMENTS) | {"_aws", "level", "event"}
"""Names a user dimension may not take: they are record fields, EMF's own key, the log level, or
where 0.2.x wrote the kind (a reader of 0.2.x lines must not take a dimension for it)."""


def dimension_names(service: str | None, user_dimensions: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The one dimension set every metric of an invoke record is published under.

    CloudWatch matches dimension sets exactly: a query, widget or alarm must name this set.

    Args:
        service: the ``service`` setting, or ``None``.
        user_dimensions: the names of the ``dimensions`` setting, in the order given.

    Returns:
        ``function_name``, then ``service`` when one is set, then the user's dimensions.
    """
    return ("function_name", *(("service",) if service else ()), *user_dimensions)
