"""The Logs Insights queries behind ``lambda-lifecycle report``, as plain strings.

Each pushes its aggregation into CloudWatch (``stats ... by``), so a report costs a handful of
result rows at any volume. Booleans in JSON records read as 1 and 0 there, so ``sum()`` counts
them; ``count(ColdStart)`` counts invoke records (only they carry it).
"""

from __future__ import annotations

RESULT_LIMIT = 10_000  # rows one query returns at most; a grouped query that hits it is split
TIMEOUTS_SHOWN = 50

QUERIES: dict[str, str] = {
    "summary": (
        'filter event = "invoke"\n'
        "| stats count(*) as invocations, sum(ColdStart) as cold_starts, sum(proactive_init) as proactive_inits,"
        " sum(reinit) as reinits by init_type"
    ),
    "init_duration": (
        'filter event = "invoke" and ispresent(InitDuration)\n'
        "| stats count(*) as n, pct(InitDuration, 50) as p50, pct(InitDuration, 90) as p90,"
        " pct(InitDuration, 99) as p99, max(InitDuration) as max"
    ),
    "idle_time": (
        'filter event = "invoke" and ispresent(IdleTime)\n'
        "| stats count(*) as n, pct(IdleTime, 50) as p50, pct(IdleTime, 90) as p90,"
        " pct(IdleTime, 99) as p99, max(IdleTime) as max"
    ),
    "environments": (
        "filter ispresent(environment_id)\n"
        "| stats count(ColdStart) as invocations, max(TmpUsed) as peak_tmp_mb, max(MaxMemoryUsed) as peak_memory_mb,"
        " min(@timestamp) as first_seen, max(@timestamp) as last_seen, latest(event) as last_event"
        " by environment_id"
    ),
    "timeouts": (
        'filter event = "timeout_warning"\n'
        "| fields @timestamp, request_id, environment_id, elapsed_ms, remaining_ms,"
        " `stack.0`, `stack.1`, `stack.2`\n"
        f"| sort @timestamp desc\n| limit {TIMEOUTS_SHOWN}"
    ),
}

# Queries whose rows are groups that can outnumber RESULT_LIMIT, and the field they group by.
GROUPED = {"environments": "environment_id"}


def log_group_for(function: str) -> str:
    """The log group Lambda writes a function's output to, unless its logging config says otherwise."""
    return f"/aws/lambda/{function}"
