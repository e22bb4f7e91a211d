"""The Logs Insights queries behind ``lambda-lifecycle report``, as plain strings.

Each pushes its aggregation into CloudWatch (``stats ... by``), so a report costs a handful of
result rows at any volume. Booleans in JSON records read as 1 and 0 there, so ``sum()`` counts
them; ``count(ColdStart)`` counts invoke records (only they carry it). Metric values are read
through :func:`value`, so records written through Powertools (values as lists) count too.
Properties a line leaves out when they have their usual value are read through :func:`usual`.
"""

from __future__ import annotations

import json

from ..contract import ABSENT, INIT, INVOKE, KIND_KEY, MEASUREMENTS, RECORD_KINDS, SHUTDOWN, TIMEOUT_WARNING
from ..records import LEGACY_KIND_KEY, LEGACY_KINDS

RESULT_LIMIT = 10_000  # rows one query returns at most; a grouped query that hits it is split
TIMEOUTS_SHOWN = 50

_LEGACY = (
    f"not ispresent({KIND_KEY}) and ispresent(container_id) and ispresent(environment_id)"
    f' and ({LEGACY_KIND_KEY} != "{INVOKE}" or ispresent(`_aws.Timestamp`))'
)
"""0.2.x records, told apart from a function's own lines as ``records`` does (Logs Insights sees
whether a field is there, not its type)."""


def _kinds(*kinds: str) -> str:
    listed = ", ".join(json.dumps(kind) for kind in kinds)
    legacy = ", ".join(json.dumps(kind) for kind in kinds if kind in LEGACY_KINDS)
    if not legacy:  # a kind 0.2.x never wrote
        return f"{KIND_KEY} in [{listed}]"
    return f"({KIND_KEY} in [{listed}] or ({LEGACY_KIND_KEY} in [{legacy}] and {_LEGACY}))"


def records_of(*kinds: str) -> str:
    """A filter for the SDK's records of these kinds (all by default), and nothing else: a
    function's own lines may carry ``event`` or ``environment_id`` too."""
    return f"filter {_kinds(*(kinds or RECORD_KINDS))}"


KIND = f"coalesce({KIND_KEY}, {LEGACY_KIND_KEY})"
"""A record's kind, on records of either version (after a ``records_of`` filter)."""

OURS = records_of()
"""Only the SDK's own records."""

# Lambda's own lines. Text lines have @type (REPORT ...) and the @duration family of fields; JSON
# log format lines have their own fields (type, record.status, record.metrics.*). Status and Error
# Type are parsed from a text line's message, where Lambda writes them only for what went wrong.
PLATFORM_REPORTS = 'filter @type = "REPORT" or type = "platform.report"'
"""A filter for Lambda's REPORT lines, in either log format."""
PLATFORM_STATUS = (
    "| parse @message /Status: (?<text_status>\\w+)/\n| parse @message /Error Type: (?<text_error>\\S+)/\n"
)
"""A text line's Status and Error Type, parsed for ``STATUS_FIELDS``."""
STATUS_FIELDS = (
    'coalesce(record.status, text_status, "success") as status,'
    ' coalesce(record.errorType, text_error, "-") as error_type'
)
"""A platform line's status and error type in either log format (after ``PLATFORM_STATUS``)."""


def invoke_filter_pattern() -> str:
    """A CloudWatch Logs filter pattern for invoke records of either version (the reader then
    applies the whole rule)."""
    return f'{{ ($.{KIND_KEY} = "{INVOKE}") || ($.{LEGACY_KIND_KEY} = "{INVOKE}") }}'


def value(field: str) -> str:
    """A measurement on both record shapes: a number, or (Powertools) a list of numbers, which
    Logs Insights flattens to ``<field>.0``."""
    return f"coalesce({field}, `{field}.0`)"


def usual(field: str) -> str:
    """A property a record leaves out when it has its usual value (``contract.ABSENT``), with
    that value when it is left out: ``coalesce(init_type, "on-demand")``."""
    return f"coalesce({field}, {json.dumps(ABSENT[field])})"


def _percentiles(field: str) -> str:
    """The p50, p90, p99 and max of a field, as ``<field>_p50`` ... ``<field>_max``."""
    return ", ".join([*(f"pct({field}, {p}) as {field}_p{p}" for p in (50, 90, 99)), f"max({field}) as {field}_max"])


INIT_PHASE_FIELDS = {
    "init": "InitDuration",
    "runtime": "InitRuntime",
    "imports": "InitImports",
    "code": "InitCode",
    "wait": "InitWait",
}
"""The init record's phases as the report names them (``<name>_p50``, ``<name>_p90``)."""
IMPORT_SLOTS = 10
"""How many of an init record's slowest imports the report reads (``init_imports_max``'s default)."""


def _init_phases() -> str:
    # Each phase under its report name; InitDuration read as every measurement is (value()).
    phases = ", ".join(f"{value(f) if f in MEASUREMENTS else f} as {name}" for name, f in INIT_PHASE_FIELDS.items())
    stats = ", ".join(f"pct({name}, {p}) as {name}_p{p}" for name in INIT_PHASE_FIELDS for p in (50, 90))
    return (
        f"{records_of(INIT)}\n"
        f"| fields {phases}\n"
        "| fields init * memory_mb as mb_ms\n"
        f"| stats count(*) as n, {stats}, sum(mb_ms) as init_mb_ms"
    )


def _init_imports() -> str:
    slots = ", ".join(f"`imports.{i}.module` as module_{i}, `imports.{i}.ms` as ms_{i}" for i in range(IMPORT_SLOTS))
    return f"{records_of(INIT)}\n| fields {slots}\n| limit {RESULT_LIMIT}"


QUERIES: dict[str, str] = {
    "summary": (
        f"{records_of(INVOKE)}\n"
        f"| fields {usual('init_type')} as init, proactive_init, reinit, {value('ColdStart')} as cold_start\n"
        "| stats count(*) as invocations, sum(cold_start) as cold_starts, sum(proactive_init) as proactive_inits,"
        " sum(reinit) as reinits by init as init_type"
    ),
    "init_duration": (
        f"{records_of(INVOKE)}\n"
        f"| fields {value('InitDuration')} as init_duration\n"
        "| filter ispresent(init_duration)\n"
        "| stats count(*) as n, pct(init_duration, 50) as p50, pct(init_duration, 90) as p90,"
        " pct(init_duration, 99) as p99, max(init_duration) as max"
    ),
    "idle_time": (
        f"{records_of(INVOKE)}\n"
        f"| fields {value('IdleTime')} as idle_time\n"
        "| filter ispresent(idle_time)\n"
        "| stats count(*) as n, pct(idle_time, 50) as p50, pct(idle_time, 90) as p90,"
        " pct(idle_time, 99) as p99, max(idle_time) as max"
    ),
    "environments": (
        f"{OURS} and ispresent(environment_id)\n"
        f"| fields @timestamp, {KIND} as kind, environment_id, {value('ColdStart')} as cold_start,"
        f" {value('TmpUsed')} as tmp_used, {value('MaxMemoryUsed')} as max_memory_used\n"
        "| stats count(cold_start) as invocations, max(tmp_used) as peak_tmp_mb,"
        " max(max_memory_used) as peak_memory_mb, min(@timestamp) as first_seen, max(@timestamp) as last_seen,"
        " latest(kind) as last_event"
        " by environment_id"
    ),
    "keep_warm": (
        f"{records_of(SHUTDOWN)}\n"
        f"| fields {value('ContainerAge')} as lifetime, invocations as served, IdleBeforeShutdown as idle\n"
        f"| stats count(*) as n, {_percentiles('lifetime')}, {_percentiles('served')}, {_percentiles('idle')}"
    ),
    "durable": (
        f"{records_of(INVOKE)} and ispresent(durable_execution_id)\n"
        "| stats count(*) as invocations, count_distinct(durable_execution_id) as executions,"
        " sum(replayed) as replayed"
    ),
    # Where init time goes: the phases aggregated by Logs Insights over every init record; the
    # slowest imports of at most RESULT_LIMIT of them (one per cold start), added up by the report.
    "init_phases": _init_phases(),
    "init_imports": _init_imports(),
    "timeouts": (
        f"{records_of(TIMEOUT_WARNING)}\n"
        "| fields @timestamp, request_id, environment_id, elapsed_ms, remaining_ms,"
        " `stack.0`, `stack.1`, `stack.2`\n"
        f"| sort @timestamp desc\n| limit {TIMEOUTS_SHOWN}"
    ),
}

PROCESSES = (
    f"{OURS} and ispresent(container_id)\n"
    f"| fields toMillis(@timestamp) as ms, {value('ContainerAge')} as age, {value('ColdStart')} as cold_start,"
    f" {usual('process_restarts')} as process_restarts_or_0, {usual('init_type')} as init_type_or_on_demand\n"
    "| fields ms - 1000 * age as born\n"
    "| stats count(*) as records, min(born) as born_ms, min(ms) as first_ms, max(ms) as last_ms,"
    " count(cold_start) as invocations, sum(cold_start) as cold_starts, count(error) as errors,"
    " count(remaining_ms) as timeout_warnings, count(reason) as shutdowns, sum(reinit) as reinits,"
    " sum(previous_killed) as killed_previous, latest(environment_id) as environment,"
    " latest(worker) as worker_number, latest(process_restarts_or_0) as restarts,"
    " latest(init_type_or_on_demand) as init,"
    " max(InitRuntime) as init_runtime, max(InitImports) as init_imports, max(InitCode) as init_code"
    " by container_id"
)
"""``lambda-lifecycle timeline``'s query: one row per process (``container_id``), at any volume.
A process is born at a record's time minus its ``ContainerAge``; only timeout warnings have no age."""


def log_group_for(function: str) -> str:
    """The log group Lambda writes a function's output to, unless its logging config says otherwise."""
    return f"/aws/lambda/{function}"
