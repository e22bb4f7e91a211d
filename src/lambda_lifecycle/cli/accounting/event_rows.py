"""The rows the Logs Insights queries (``platform_queries``) would return, computed from log
events: what the fetch engine and ``--input`` account with, and Lambda's lines they read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ...contract import INVOKE, KIND_KEY, SHUTDOWN
from ...platform_log import PlatformLine, Unread, parse
from ...records import Record, numbers, records_in
from .platform_queries import STREAM, text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..insights import Rows
    from ..log_events import Event


@dataclass
class _Group:
    n: int = 0
    billed_ms: float = 0.0
    mb_ms: float = 0.0
    memory_mb: float = 0.0
    max_memory_mb: float = 0.0
    duration_ms: float = 0.0
    last_ms: int = 0


def percentile(ordered: list[float], pct: int) -> float:
    """The nearest-rank percentile of sorted, non-empty values (an observed value)."""
    return ordered[max(0, -(-pct * len(ordered) // 100) - 1)]


def _in_order(events: Iterable[Event]) -> list[tuple[int, str, str]]:
    """Events by time; an event without one keeps its place after the one before it, and its time
    is 0 (unknown)."""
    keyed, last = [], 0
    for n, (ms, stream, message) in enumerate(events):
        last = ms if ms is not None else last
        keyed.append((last, n, ms or 0, stream, message))
    return [(ms, stream, message) for _, _, ms, stream, message in sorted(keyed)]


def _record(message: str) -> Record | None:
    """The SDK record a message holds, None for any other line."""
    found = records_in(message).records
    return found[0].record if found else None


def rows_from_events(events: Iterable[Event]) -> tuple[dict[str, Rows], list[tuple[str, PlatformLine]], dict[str, int]]:
    """The rows the queries of ``platform_queries`` would return, from log events; also the
    platform lines read (with their stream, for the timeline) and how many of Lambda's lines were
    unknown or malformed."""
    reports: dict[tuple[str, str, str], _Group] = {}
    inits: dict[tuple[str, str, str, str], _Group] = {}
    streams: dict[str, dict[str, Any]] = {}
    init_durations: list[float] = []
    lambda_inits: dict[str, float] = {}  # request id: Lambda's Init Duration
    sdk_inits: dict[str, float] = {}  # request id: the SDK's InitDuration
    lines: list[tuple[str, PlatformLine]] = []
    unread = {"unknown": 0, "malformed": 0}
    for ms, stream, message in _in_order(events):
        record = _record(message)
        if record is not None:
            kind = record.get(KIND_KEY)
            sdk_init = numbers([record], "InitDuration")
            if kind == INVOKE and sdk_init and isinstance(record.get("request_id"), str):
                sdk_inits[str(record["request_id"])] = sdk_init[0]
            s = streams.setdefault(stream, {"records": 0, "shutdowns": 0, "last": 0, "last_is_shutdown": 0})
            s["records"] += kind == INVOKE
            s["shutdowns"] += kind == SHUTDOWN
            s["last"], s["last_is_shutdown"] = ms, int(kind == SHUTDOWN)
            continue
        found = parse(message, ms)
        if isinstance(found, Unread):
            unread[found.why] += 1
        if not isinstance(found, PlatformLine):
            continue
        lines.append((stream, found))
        at = found.time_ms or ms
        if found.kind == "report":
            g = reports.setdefault((stream, found.status or "success", found.error_type or "-"), _Group())
            g.n += 1
            g.billed_ms += found.billed_ms or 0
            g.mb_ms += (found.billed_ms or 0) * (found.memory_mb or 0)
            g.memory_mb = max(g.memory_mb, found.memory_mb or 0)
            g.max_memory_mb = max(g.max_memory_mb, found.max_memory_mb or 0)
            g.last_ms = max(g.last_ms, at)
            if found.init_ms is not None:
                init_durations.append(found.init_ms)
                lambda_inits[found.request_id or ""] = found.init_ms
        elif found.kind == "init_report":
            key = (stream, found.phase or "init", found.status or "success", found.error_type or "-")
            g = inits.setdefault(key, _Group())
            g.n += 1
            g.duration_ms += found.duration_ms or 0.0
            g.last_ms = max(g.last_ms, at)
    ordered = sorted(init_durations)
    before = sorted(lambda_inits[rid] - sdk for rid, sdk in sdk_inits.items() if rid in lambda_inits)
    rows: dict[str, Rows] = {
        "platform_reports": [
            {
                STREAM: stream,
                "status": status,
                "error_type": error,
                "reports": str(g.n),
                "billed_ms": text(g.billed_ms),
                "mb_ms": text(g.mb_ms),
                "memory_mb": text(g.memory_mb),
                "max_memory_mb": text(g.max_memory_mb),
                "last_ms": str(g.last_ms),
            }
            for (stream, status, error), g in reports.items()
        ],
        "platform_inits": [
            {
                STREAM: stream,
                "phase": phase,
                "status": status,
                "error_type": error,
                "n": str(g.n),
                "duration_ms": text(g.duration_ms),
                "last_ms": str(g.last_ms),
            }
            for (stream, phase, status, error), g in inits.items()
        ],
        "lambda_init": [
            {"n": str(len(ordered))}
            | (
                {f"p{p}": text(percentile(ordered, p)) for p in (50, 90, 99)} | {"max": text(ordered[-1])}
                if ordered
                else {}
            )
        ],
        # The same cold starts, told apart by request id: how much of Lambda's init came before the SDK's.
        "init_compared": [
            {"n": str(len(before))} | ({"p50": text(round(percentile(before, 50), 3))} if before else {})
        ],
        "record_streams": [
            {
                STREAM: stream,
                "records": str(s["records"]),
                "shutdowns": str(s["shutdowns"]),
                "last_record_ms": str(s["last"]),
                "last_is_shutdown": str(s["last_is_shutdown"]),
            }
            for stream, s in streams.items()
        ],
    }
    return rows, lines, unread
