"""The Logs Insights queries behind the fleet report: each aggregates ``by @log``, so one query
over up to 50 log groups returns a handful of rows per function, and a function's rows come
from its log group alone (``@log`` is ``<account>:<log group>``).

Percentiles are computed per log group by Logs Insights and stay per function: they cannot be
merged across functions, so fleet totals carry counts, sums and peaks only.
"""

from __future__ import annotations

from ...contract import INVOKE, SHUTDOWN
from ..queries import OURS, PLATFORM_REPORTS, PLATFORM_STATUS, STATUS_FIELDS, records_of, usual, value

FLEET_QUERIES: dict[str, str] = {
    "invocations": (
        f"{records_of(INVOKE)}\n"
        f"| fields {usual('init_type')} as init, {value('ColdStart')} as cold_start\n"
        "| stats count(*) as invocations, sum(cold_start) as cold_starts by @log, init as init_type"
    ),
    "usage": (
        f"{OURS}\n"
        f"| fields {value('InitDuration')} as init_duration, {value('MemoryUsedPercent')} as memory,"
        f" {value('TmpUsedPercent')} as tmp\n"
        "| stats count(init_duration) as inits, pct(init_duration, 50) as init_p50, pct(init_duration, 99) as init_p99,"
        " max(memory) as peak_memory_percent, max(tmp) as peak_tmp_percent,"
        " count_distinct(environment_id) as environments, count(remaining_ms) as timeout_warnings by @log"
    ),
    "keep_warm": (
        f"{records_of(SHUTDOWN)}\n"
        f"| fields {value('ContainerAge')} as lifetime, invocations as served, IdleBeforeShutdown as idle\n"
        "| stats count(*) as shutdowns, pct(lifetime, 50) as lifetime_p50, pct(served, 50) as served_p50,"
        " pct(idle, 50) as idle_p50 by @log"
    ),
    "reports": (
        f"{PLATFORM_REPORTS}\n{PLATFORM_STATUS}"
        f"| fields {STATUS_FIELDS},"
        " ceil(coalesce(@initDuration, record.metrics.initDurationMs)) as init_ms,"
        " coalesce(@memorySize / 1000000, record.metrics.memorySizeMB) as memory_mb\n"
        "| stats count(*) as reports, sum(init_ms * memory_mb) as init_mb_ms by @log, status, error_type"
    ),
}
"""Name -> query; every row names its log group in ``@log``. ``reports`` reads Lambda's own REPORT
lines (text: ``@type``, the status parsed from the message, ``@initDuration`` and ``@memorySize``
in bytes; JSON: ``record.status`` and ``record.metrics``): ``reports.from_rows`` counts the kills
and the billed init."""


def log_group_of(log_field: str) -> str:
    """The log group a row's ``@log`` names (``123456789012:/aws/lambda/orders`` -> ``/aws/lambda/orders``)."""
    return log_field.split(":", 1)[1] if ":" in log_field else log_field
