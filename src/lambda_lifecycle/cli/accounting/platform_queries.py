"""The Logs Insights queries an accounting is made of: Lambda's own lines (REPORT, INIT_REPORT, in
either log format by the fields ``queries`` reads) and the SDK's records, per log stream; how the
rows of a window split in two are merged back; a row's values (every one text) read and written."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ...contract import INVOKE, SHUTDOWN
from ..queries import KIND, PLATFORM_REPORTS, PLATFORM_STATUS, STATUS_FIELDS, records_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..insights import Rows

STREAM = "@logStream"


def num(row: Mapping[str, str], key: str) -> float:
    """A row's value as a number; 0 when it is absent or not one."""
    try:
        return float(row[key])
    except (KeyError, ValueError):
        return 0.0


def text(value: float) -> str:
    """A number as a row holds it: a whole one without its fraction."""
    return str(int(value)) if float(value).is_integer() else str(value)


PLATFORM_QUERIES: dict[str, str] = {
    "platform_reports": (
        f"{PLATFORM_REPORTS}\n{PLATFORM_STATUS}"
        f"| fields {STATUS_FIELDS},"
        " coalesce(@billedDuration, record.metrics.billedDurationMs) as billed,"
        " coalesce(@memorySize / 1000000, record.metrics.memorySizeMB) as memory,"
        " coalesce(@maxMemoryUsed / 1000000, record.metrics.maxMemoryUsedMB) as used, toMillis(@timestamp) as ms\n"
        "| filter ispresent(billed)\n"  # a line that only begins like a REPORT is not one
        "| stats count(*) as reports, sum(billed) as billed_ms, sum(billed * memory) as mb_ms,"
        " max(memory) as memory_mb, max(used) as max_memory_mb, max(ms) as last_ms"
        f" by {STREAM}, status, error_type"
    ),
    "platform_inits": (
        'filter @message like /^INIT_REPORT/ or type = "platform.initReport"\n'
        "| parse @message /Init Duration: (?<text_ms>[\\d.]+) ms/\n"
        "| parse @message /Phase: (?<text_phase>\\w+)/\n"
        f"{PLATFORM_STATUS}"
        f'| fields coalesce(record.phase, text_phase, "init") as phase, {STATUS_FIELDS},'
        " coalesce(record.metrics.durationMs, text_ms) as duration, toMillis(@timestamp) as ms\n"
        f"| stats count(*) as n, sum(duration) as duration_ms, max(ms) as last_ms by {STREAM}, phase, status,"
        " error_type"
    ),
    "lambda_init": (
        f"{PLATFORM_REPORTS}\n"
        "| fields coalesce(@initDuration, record.metrics.initDurationMs) as init\n"
        "| filter ispresent(init)\n"
        "| stats count(*) as n, pct(init, 50) as p50, pct(init, 90) as p90, pct(init, 99) as p99, max(init) as max"
    ),
}


PLATFORM_QUERIES["record_streams"] = (
    f"{records_of()}\n"
    f'| fields toMillis(@timestamp) as ms, strcontains({KIND}, "{INVOKE}") as is_invoke,'
    f' strcontains({KIND}, "{SHUTDOWN}") as is_shutdown\n'
    "| stats sum(is_invoke) as records, sum(is_shutdown) as shutdowns, max(ms) as last_record_ms,"
    f" latest(is_shutdown) as last_is_shutdown by {STREAM}"
)
"""Per log stream: the SDK's invoke records, its shutdown records, the last record's time, and
whether the last record is a shutdown record."""


def _merger(keys: tuple[str, ...], sums: tuple[str, ...], later: str) -> Callable[[Rows, Rows], Rows]:
    """Rows of two adjacent windows (the second the later) as one window's: grouped by ``keys``,
    ``sums`` added, and the rest from the row whose ``later`` time is the latest."""

    def merge(first: Rows, second: Rows) -> Rows:
        merged: dict[tuple[str, ...], dict[str, str]] = {}
        for row in (*first, *second):
            key = tuple(row.get(k, "") for k in keys)
            old = merged.get(key)
            if old is None:
                merged[key] = dict(row)
                continue
            newer = row if num(row, later) >= num(old, later) else old
            combined = {**old, **newer}
            for name in sums:
                combined[name] = text(num(old, name) + num(row, name))
            for name in ("memory_mb", "max_memory_mb"):
                if name in row or name in old:
                    combined[name] = text(max(num(old, name), num(row, name)))
            merged[key] = combined
        return list(merged.values())

    return merge


PLATFORM_MERGES: dict[str, Callable[[Rows, Rows], Rows]] = {
    "platform_reports": _merger((STREAM, "status", "error_type"), ("reports", "billed_ms", "mb_ms"), "last_ms"),
    "platform_inits": _merger((STREAM, "phase", "status", "error_type"), ("n", "duration_ms"), "last_ms"),
    "record_streams": _merger((STREAM,), ("records", "shutdowns"), "last_record_ms"),
}
"""The grouped queries above (one row per log stream, or more): a window whose rows reach the
result limit is split, and its halves merged by these."""
