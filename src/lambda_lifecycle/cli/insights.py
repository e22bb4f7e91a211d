"""Logs Insights result rows: GetQueryResults' cells as dicts, every value a string (a field whose
value is null is left out), read back as numbers and times."""

from __future__ import annotations

import math
from datetime import datetime, timezone

from ..records import time_ms

Rows = list[dict[str, str]]

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how Logs Insights shows @timestamp, in UTC


def parse_results(results: list[list[dict[str, str]]]) -> Rows:
    """GetQueryResults' ``results`` (a list of rows, each a list of field/value pairs) as dicts."""
    return [
        {cell["field"]: cell["value"] for cell in row if "value" in cell and cell["field"] != "@ptr"} for row in results
    ]


def insights_time(ms: int) -> str:
    """A time as Logs Insights writes ``@timestamp``: ``2026-11-22 08:00:00.000``, UTC."""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime(_TIME_FORMAT)[:-3]


def number(row: dict[str, str], key: str) -> float | None:
    """A numeric field of a row; ``None`` when absent or not a number."""
    try:
        return float(row[key])
    except (KeyError, ValueError):
        return None


def count(row: dict[str, str], key: str) -> int:
    """A count field of a row; 0 when absent or not a number."""
    found = number(row, key)
    return 0 if found is None or not math.isfinite(found) else int(found)


def time_of(row: dict[str, str], key: str) -> int | None:
    """A time field of a row as epoch ms; ``None`` when absent or not a time."""
    found = row.get(key)
    return None if found is None else time_ms(found)
