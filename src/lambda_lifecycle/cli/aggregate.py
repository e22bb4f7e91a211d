"""The ``fetch`` engine: the rows each report query would return, computed from raw records (as
Logs Insights writes them: every value a string), plus the reuse curve no query can compute. Pure."""

from __future__ import annotations

import math

from ..contract import ABSENT, INIT, INVOKE, KIND_KEY, RECORD_KINDS, SHUTDOWN, TIMEOUT_WARNING
from ..records import Record, Timed, numbers, of_kind, value
from .insights import Rows, insights_time
from .queries import IMPORT_SLOTS, INIT_PHASE_FIELDS, RESULT_LIMIT, TIMEOUTS_SHOWN
from .report import percentile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable


def _text(found: object) -> str:
    if isinstance(found, bool):
        return "1" if found else "0"
    if isinstance(found, float) and found.is_integer():
        return str(int(found))
    return str(found)


def _distribution_row(values: list[float], prefix: str = "") -> dict[str, str]:
    row = {f"{prefix}n": str(len(values))}
    for name, pct in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100)):
        found = percentile(values, pct)
        if found is not None:
            row[prefix + name] = _text(found)
    return row


GAP_BUCKETS = ((60_000, "<1m"), (300_000, "1-5m"), (900_000, "5-15m"), (3_600_000, "15-60m"), (math.inf, ">1h"))
"""The reuse curve's buckets: the gap since the function's previous invocation (any environment)
ended, up to each bound (ms, exclusive)."""


def _reuse(records: list[tuple[int, Record]]) -> Rows:
    """Invocations and cold starts by the gap since the function last ran anything: each starts at
    its record's time minus ``Duration``, and the gap is from the latest end of the invocations that
    started before it (0 while one still runs). The window's first invocation has no known gap."""
    runs = []
    for ts, r in records:
        if r.get(KIND_KEY) == INVOKE:
            duration = numbers([r], "Duration")
            runs.append((ts - (duration[0] if duration else 0.0), float(ts), value(r, "ColdStart") == 1))
    runs.sort()
    counts = {label: [0, 0] for _, label in GAP_BUCKETS}
    latest_end: float | None = None
    for start, end, cold in runs:
        if latest_end is not None:
            gap = max(0.0, start - latest_end)
            label = next(label for bound, label in GAP_BUCKETS if gap < bound)
            counts[label][0] += 1
            counts[label][1] += cold
        latest_end = end if latest_end is None else max(latest_end, end)
    return [{"gap": label, "invocations": str(n), "cold_starts": str(cold)} for label, (n, cold) in counts.items()]


class _Environment:
    def __init__(self, first_ms: int) -> None:
        self.invocations = 0
        self.first_ms = self.last_ms = first_ms
        self.last_kind: object = None
        self.tmp: list[float] = []
        self.memory: list[float] = []

    def row(self, environment_id: str) -> dict[str, str]:
        row = {"environment_id": environment_id, "invocations": str(self.invocations)}
        if self.tmp:
            row["peak_tmp_mb"] = _text(max(self.tmp))
        if self.memory:
            row["peak_memory_mb"] = _text(max(self.memory))
        row.update(
            first_seen=insights_time(self.first_ms),
            last_seen=insights_time(self.last_ms),
            last_event=str(self.last_kind),
        )
        return row


def aggregate(timed: Iterable[Timed]) -> dict[str, Rows]:
    """The rows each query would return, computed from records with their times (records
    without a time are left out: Logs Insights has one for every line)."""
    records = sorted(((ms, record) for ms, record in timed if ms is not None), key=lambda pair: pair[0])
    invokes = list(of_kind((r for _, r in records), INVOKE))
    summary: dict[str, dict[str, int]] = {}
    for r in invokes:
        init_type = str(r.get("init_type", ABSENT["init_type"]))  # a line leaves out the usual one
        s = summary.setdefault(init_type, {"invocations": 0, "cold_starts": 0, "proactive": 0, "re": 0})
        s["invocations"] += 1
        s["cold_starts"] += value(r, "ColdStart") == 1
        s["proactive"] += r.get("proactive_init") is True
        s["re"] += r.get("reinit") is True
    environments: dict[str, _Environment] = {}
    for ts, r in records:
        env_id = r.get("environment_id")
        if not isinstance(env_id, str) or r.get(KIND_KEY) not in RECORD_KINDS:
            continue
        e = environments.setdefault(env_id, _Environment(ts))
        e.invocations += value(r, "ColdStart") is not None  # only invoke records carry it
        e.last_ms, e.last_kind = ts, r.get(KIND_KEY)
        e.tmp += numbers([r], "TmpUsed")
        e.memory += numbers([r], "MaxMemoryUsed")
    timeouts = [(ts, r) for ts, r in records if r.get(KIND_KEY) == TIMEOUT_WARNING]
    shutdowns = list(of_kind((r for _, r in records), SHUTDOWN))
    durable = [r for r in invokes if isinstance(r.get("durable_execution_id"), str)]
    inits = list(of_kind((r for _, r in records), INIT))
    return {
        "summary": [
            {
                "init_type": init_type,
                "invocations": str(s["invocations"]),
                "cold_starts": str(s["cold_starts"]),
                "proactive_inits": str(s["proactive"]),
                "reinits": str(s["re"]),
            }
            for init_type, s in summary.items()
        ],
        "init_duration": [_distribution_row(numbers(invokes, "InitDuration"))],
        "idle_time": [_distribution_row(numbers(invokes, "IdleTime"))],
        "environments": [e.row(env_id) for env_id, e in environments.items()],
        "keep_warm": [
            {
                "n": str(len(shutdowns)),
                **_distribution_row(numbers(shutdowns, "ContainerAge"), "lifetime_"),
                **_distribution_row(numbers(shutdowns, "invocations"), "served_"),
                **_distribution_row(numbers(shutdowns, "IdleBeforeShutdown"), "idle_"),
            }
        ],
        "reuse": _reuse(records),
        "durable": [
            {
                "invocations": str(len(durable)),
                "executions": str(len({r["durable_execution_id"] for r in durable})),
                "replayed": str(sum(r.get("replayed") is True for r in durable)),
            }
        ],
        "init_phases": [_init_phases_row(inits)],
        "init_imports": [_init_imports_row(r) for r in inits[:RESULT_LIMIT]],
        "timeouts": [_timeout_row(ts, r) for ts, r in reversed(timeouts[-TIMEOUTS_SHOWN:])],
    }


def _init_phases_row(inits: list[Record]) -> dict[str, str]:
    row = {"n": str(len(inits))}
    for name, field in INIT_PHASE_FIELDS.items():
        values = numbers(inits, field)
        for pct in (50, 90):
            found = percentile(values, pct)
            if found is not None:
                row[f"{name}_p{pct}"] = _text(found)
    mb_ms = [
        d * m for r in inits for d, m in zip(numbers([r], "InitDuration"), numbers([r], "memory_mb"), strict=False)
    ]
    row["init_mb_ms"] = _text(float(sum(mb_ms)))
    return row


def _init_imports_row(record: Record) -> dict[str, str]:
    row = {}
    listed = record.get("imports")
    for i, entry in enumerate(listed[:IMPORT_SLOTS] if isinstance(listed, list) else []):
        if isinstance(entry, dict) and "module" in entry and "ms" in entry:
            row[f"module_{i}"], row[f"ms_{i}"] = str(entry["module"]), _text(entry["ms"])
    return row


def _timeout_row(ts: int, record: Record) -> dict[str, str]:
    row = {
        "@timestamp": insights_time(ts),
        "request_id": str(record.get("request_id")),
        "environment_id": str(record.get("environment_id")),
        "elapsed_ms": _text(record.get("elapsed_ms")),
        "remaining_ms": _text(record.get("remaining_ms")),
    }
    stack = record.get("stack")
    if isinstance(stack, list):
        row.update({f"stack.{i}": str(line) for i, line in enumerate(stack[:3])})
    return row
