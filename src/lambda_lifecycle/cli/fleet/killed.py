"""Killed invocations: Lambda's REPORT lines whose status says the process was ended before the
SDK could write (a timeout, out of memory, a runtime that exited: ``platform_log.KILLED_CAUSES``),
in text and JSON log formats. Counted from the fleet query's rows (``by @log, status,
error_type``) or from the log events themselves (the fetch engine)."""

from __future__ import annotations

from ..insights import count
from ..platform_log import KILLED_CAUSES, PlatformLine, cause, parse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..aws import Client
    from ..insights import Rows

REPORTS = "?REPORT ?platform.report"
"""A FilterLogEvents pattern for Lambda's REPORT lines, in both log formats (more may match:
``parse`` tells them apart)."""


def from_rows(rows: Rows) -> int:
    """Killed invocations in the ``killed`` query's rows of one function."""
    found = 0
    for row in rows:
        error_type = row.get("error_type")
        if cause(row.get("status"), None if error_type in (None, "-") else error_type) in KILLED_CAUSES:
            found += count(row, "reports")
    return found


def in_messages(events: Iterable[tuple[int, str]]) -> int:
    """Killed invocations among log events (time ms, message)."""
    found = 0
    for ms, message in events:
        line = parse(message, ms)
        if (
            isinstance(line, PlatformLine)
            and line.kind == "report"
            and cause(line.status, line.error_type) in KILLED_CAUSES
        ):
            found += 1
    return found


def fetch(logs: Client, log_group: str, window: tuple[int, int]) -> int:
    """Killed invocations in a log group's window: one FilterLogEvents listing of its REPORT lines."""
    pages = logs.pages(
        "filter_log_events", logGroupName=log_group, startTime=window[0], endTime=window[1], filterPattern=REPORTS
    )
    return in_messages(
        (int(e["timestamp"]), str(e.get("message", ""))) for page in pages for e in page.get("events", [])
    )
