"""The accounting of one window: invocations Lambda reported against the invoke records written,
per log stream, and Lambda's numbers beside the SDK's; built from either engine's rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ...platform_log import KILLED_CAUSES, cause
from .. import prices
from ..log_events import NO_STREAM
from .event_rows import percentile
from .platform_queries import STREAM, num

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..insights import Rows

LIKELY_LOST = (
    "the JSON log format with an application log level of WARN or above (it drops lines without a level),"
    " a full pipe (stdout blocked, the line never written), or a handler that replaced sys.stdout"
)


@dataclass
class Cost:
    """An estimate at one architecture's price."""

    usd: float
    per_gb_second: float
    per_million_requests: float
    source: str


@dataclass
class Environment:
    """One log stream that stopped without a shutdown record, and why as far as Lambda says."""

    log_stream: str
    ended: str  # "killed", or "alive" (still warm, or ended without SIGTERM: no extension registered)
    cause: str | None = None  # for killed: timeout, out of memory, runtime exit, init error: <type>
    last_ms: int | None = None


@dataclass
class Lost:
    log_stream: str
    reported: int  # invocations Lambda reported as ended normally (success or the handler's error)
    records: int


@dataclass
class Accounting:
    """Invocations Lambda reported against the invoke records written, and Lambda's numbers."""

    reported: int
    records: int
    without_record: dict[str, int]  # by cause: timeout, out of memory, runtime exit, init error, unknown, lost
    records_lost: int
    lost_in: list[Lost]
    likely_causes_of_lost: str | None
    records_without_report: int
    init_failures: list[dict[str, object]]  # phase, status, error_type, count
    suppressed_inits: int
    environments: dict[str, int]  # shut_down, killed, alive (streams with any line in the window)
    killed_by_cause: dict[str, int]
    stopped_without_shutdown: list[Environment]
    billed_ms: float
    gb_seconds: float
    failed_init_gb_seconds: float
    requests: int
    estimated_cost: dict[str, Cost]
    lambda_init_duration_ms: dict[str, float | int | None]
    sdk_init_duration_ms: dict[str, float | int | None]
    init_before_python_ms_p50: float | None
    lambda_max_memory_used_mb: dict[str, float | None]
    sdk_max_memory_used_mb: dict[str, float | None]
    lines_unknown: int = 0
    lines_malformed: int = 0
    notes: list[str] = field(default_factory=list)


def _killed_cause(status: str, error_type: str) -> str | None:
    """What ended the runtime process, if the REPORT says it ended: a kill, or an init that failed."""
    found = cause(status, None if error_type == "-" else error_type)
    if found == "init error":
        return f"init error: {error_type}"
    return found if found in KILLED_CAUSES else None


def _distribution(row: Mapping[str, str]) -> dict[str, float | int | None]:
    return {
        "count": int(num(row, "n")),
        **{k: (float(row[k]) if row.get(k) not in (None, "") else None) for k in ("p50", "p90", "p99", "max")},
    }


def _spread(values: list[float]) -> dict[str, float | None]:
    ordered = sorted(values)
    return {"p50": percentile(ordered, 50) if ordered else None, "max": ordered[-1] if ordered else None}


def build(
    rows: Mapping[str, Rows],
    *,
    price_table: Mapping[str, prices.Price] | None = None,
    sdk_init: Mapping[str, str] | None = None,
    sdk_peak_memory_mb: Iterable[float] = (),
    unread: Mapping[str, int] | None = None,
    top: int = 10,
) -> Accounting | None:
    """The accounting of one window from the platform rows and the record rows per stream; None
    when the window has no REPORT line (nothing of Lambda's to account against)."""
    reports = rows.get("platform_reports") or []
    if not reports:
        return None
    table = price_table or prices.LIST_PRICES
    per_stream: dict[str, dict[str, Any]] = {}
    without = {"timeout": 0, "out of memory": 0, "runtime exit": 0, "init error": 0, "unknown": 0, "lost": 0}
    for row in reports:
        stream = row.get(STREAM, NO_STREAM)
        s = per_stream.setdefault(stream, {"ok": 0, "unknown": 0, "last_ms": 0, "last_cause": None, "memory": 0.0})
        n = int(num(row, "reports"))
        why = cause(row.get("status"), None if row.get("error_type", "-") == "-" else row.get("error_type"))
        if why in ("success", "function error"):
            s["ok"] += n
        elif why == "unknown":
            s["unknown"] += n
        else:
            without[why] += n
        s["memory"] = max(s["memory"], num(row, "memory_mb"))
        if num(row, "last_ms") >= s["last_ms"]:
            s["last_ms"] = int(num(row, "last_ms"))
            s["last_cause"] = _killed_cause(row.get("status", "success"), row.get("error_type", "-"))
    records = {row.get(STREAM, NO_STREAM): row for row in rows.get("record_streams") or []}
    lost_in: list[Lost] = []
    surplus = 0
    for stream, s in per_stream.items():
        written = int(num(records.get(stream, {}), "records"))
        extra = max(0, written - s["ok"])
        unexplained = max(0, s["unknown"] - extra)  # records beyond the successes may be the unknowns'
        without["unknown"] += unexplained
        surplus += max(0, extra - s["unknown"])
        if written < s["ok"]:
            without["lost"] += s["ok"] - written
            lost_in.append(Lost(stream, s["ok"], written))
    # Inits: failures and suppressed inits; a stream whose last word is a failed init was left so.
    failures: dict[tuple[str, str, str], int] = {}
    suppressed = 0
    failed_init_gb_s = 0.0
    memory_sizes = [s["memory"] for s in per_stream.values() if s["memory"]]
    usual_memory = max(set(memory_sizes), key=memory_sizes.count) if memory_sizes else 0.0
    for row in rows.get("platform_inits") or []:
        n, status, phase = int(num(row, "n")), row.get("status", "success"), row.get("phase", "init")
        suppressed += n if phase == "invoke" else 0
        if status == "success":
            continue
        key = (phase, status, row.get("error_type", "-"))
        failures[key] = failures.get(key, 0) + n
        stream = row.get(STREAM, NO_STREAM)
        at = int(num(row, "last_ms"))  # 0: a line without a time, read under today's rules
        if phase == "init" and (not at or prices.init_billed("on-demand", at)):
            # No REPORT bills a failed init phase: estimated at the stream's (or the usual) memory.
            memory = per_stream.get(stream, {}).get("memory") or usual_memory
            failed_init_gb_s += prices.gb_seconds(num(row, "duration_ms"), memory)
        left = per_stream.get(stream)
        if left is not None and num(row, "last_ms") > left["last_ms"]:
            left["last_ms"], left["last_cause"] = int(num(row, "last_ms")), f"init error: {key[2]}"
    # Environments: shut down (a shutdown record last), killed (a kill is Lambda's last word), alive.
    envs = {"shut_down": 0, "killed": 0, "alive": 0}
    killed_by: dict[str, int] = {}
    stopped: list[Environment] = []
    for stream in sorted(set(per_stream) | set(records)):
        rec = records.get(stream, {})
        s = per_stream.get(stream, {"last_ms": 0, "last_cause": None})
        if num(rec, "last_is_shutdown") >= 1:
            envs["shut_down"] += 1
            continue
        killed = s["last_cause"] is not None and num(rec, "last_record_ms") <= s["last_ms"]
        if killed:
            envs["killed"] += 1
            killed_by[s["last_cause"]] = killed_by.get(s["last_cause"], 0) + 1
            stopped.append(Environment(stream, "killed", s["last_cause"], s["last_ms"] or None))
        else:
            envs["alive"] += 1
            last = max(int(s["last_ms"]), int(num(rec, "last_record_ms")))
            stopped.append(Environment(stream, "alive", None, last or None))
    reported = sum(int(num(row, "reports")) for row in reports)
    written_total = sum(int(num(row, "records")) for row in records.values())
    mb_ms = sum(num(row, "mb_ms") for row in reports)
    gb_s = mb_ms / 1000 / prices.MB_PER_GB
    estimated = {
        arch: Cost(
            prices.cost(price, gb_s=gb_s + failed_init_gb_s, requests=reported),
            price.per_gb_second,
            round(price.per_million_requests, 6),
            price.source,
        )
        for arch, price in table.items()
    }
    lambda_init = _distribution((rows.get("lambda_init") or [{}])[0])
    sdk = _distribution(sdk_init or {})
    # Matched by request id when the lines were read here; else (Logs Insights) the medians' difference.
    compared = (rows.get("init_compared") or [{}])[0]
    if compared.get("p50"):
        before: float | None = float(compared["p50"])
    elif lambda_init["p50"] is not None and sdk["p50"] is not None:
        before = round(float(lambda_init["p50"]) - float(sdk["p50"]), 3)
    else:
        before = None
    notes = []
    if not written_total:
        notes.append("no invoke records in the window: is the function instrumented?")
    if surplus:
        notes.append(
            f"{surplus} invoke records without a REPORT of theirs in the window (an invocation across its edge)"
        )
    return Accounting(
        reported=reported,
        records=written_total,
        without_record={k: v for k, v in without.items() if v},
        records_lost=without["lost"],
        lost_in=sorted(lost_in, key=lambda lost: (lost.records - lost.reported, lost.log_stream))[:top],
        likely_causes_of_lost=LIKELY_LOST if without["lost"] else None,
        records_without_report=surplus,
        init_failures=[
            {"phase": phase, "status": status, "error_type": None if error == "-" else error, "count": n}
            for (phase, status, error), n in sorted(failures.items())
        ],
        suppressed_inits=suppressed,
        environments=envs,
        killed_by_cause=dict(sorted(killed_by.items())),
        stopped_without_shutdown=sorted(stopped, key=lambda e: (e.ended, -(e.last_ms or 0), e.log_stream))[:top],
        billed_ms=round(sum(num(row, "billed_ms") for row in reports), 3),
        gb_seconds=round(gb_s, 6),
        failed_init_gb_seconds=round(failed_init_gb_s, 6),
        requests=reported,
        estimated_cost=estimated,
        lambda_init_duration_ms=lambda_init,
        sdk_init_duration_ms=sdk,
        init_before_python_ms_p50=before,
        lambda_max_memory_used_mb=_spread([num(row, "max_memory_mb") for row in reports if row.get("max_memory_mb")]),
        sdk_max_memory_used_mb=_spread(list(sdk_peak_memory_mb)),
        lines_unknown=(unread or {}).get("unknown", 0),
        lines_malformed=(unread or {}).get("malformed", 0),
        notes=notes,
    )
