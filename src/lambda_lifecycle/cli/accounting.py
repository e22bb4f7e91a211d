"""Every invocation accounted for: Lambda's own lines (REPORT, INIT_REPORT) beside the SDK's
records, per log stream (one stream is one execution environment).

An invocation Lambda reported either has its invoke record, or its REPORT says why not: a timeout,
an out-of-memory kill or a runtime that exited end the process before the SDK can write; an init
that failed leaves nothing to record. What Lambda reported as a success (or the handler's own
error) without a record is a record lost. Lambda's numbers are put beside the SDK's: billed
duration, GB-seconds and the cost they come to (``prices``), Init Duration, Max Memory Used.

Like ``report``, pure and fed with rows: what the Logs Insights queries below return (every value
text), or the same rows computed from log events by ``rows_from_events`` (the fetch engine and
``--input``), so both engines share ``build``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ..contract import INVOKE, KIND_KEY, SHUTDOWN
from ..platform_log import KILLED_CAUSES, PlatformLine, Unread, cause, parse
from ..records import Record, numbers, records_in
from . import prices
from .log_events import NO_STREAM
from .queries import KIND, PLATFORM_REPORTS, PLATFORM_STATUS, STATUS_FIELDS, records_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .insights import Rows
    from .log_events import Event

STREAM = "@logStream"
LIKELY_LOST = (
    "the JSON log format with an application log level of WARN or above (it drops lines without a level),"
    " a full pipe (stdout blocked, the line never written), or a handler that replaced sys.stdout"
)

# Logs Insights (the fields of Lambda's lines in either log format: ``queries``) --------------------
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
            newer = row if _num(row, later) >= _num(old, later) else old
            combined = {**old, **newer}
            for name in sums:
                combined[name] = _text(_num(old, name) + _num(row, name))
            for name in ("memory_mb", "max_memory_mb"):
                if name in row or name in old:
                    combined[name] = _text(max(_num(old, name), _num(row, name)))
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


# Rows from log events (the fetch engine, --input) -------------------------------------------------


@dataclass
class _Group:
    n: int = 0
    billed_ms: float = 0.0
    mb_ms: float = 0.0
    memory_mb: float = 0.0
    max_memory_mb: float = 0.0
    duration_ms: float = 0.0
    last_ms: int = 0


def _text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _pct(ordered: list[float], pct: int) -> float:
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
    """The rows the queries above would return, from log events; also the platform lines read
    (with their stream, for the timeline) and how many of Lambda's lines were unknown or malformed."""
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
                "billed_ms": _text(g.billed_ms),
                "mb_ms": _text(g.mb_ms),
                "memory_mb": _text(g.memory_mb),
                "max_memory_mb": _text(g.max_memory_mb),
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
                "duration_ms": _text(g.duration_ms),
                "last_ms": str(g.last_ms),
            }
            for (stream, phase, status, error), g in inits.items()
        ],
        "lambda_init": [
            {"n": str(len(ordered))}
            | (
                {f"p{p}": _text(_pct(ordered, p)) for p in (50, 90, 99)} | {"max": _text(ordered[-1])}
                if ordered
                else {}
            )
        ],
        # The same cold starts, told apart by request id: how much of Lambda's init came before the SDK's.
        "init_compared": [{"n": str(len(before))} | ({"p50": _text(round(_pct(before, 50), 3))} if before else {})],
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


# The accounting ----------------------------------------------------------------------------------


def _num(row: Mapping[str, str], key: str) -> float:
    try:
        return float(row[key])
    except (KeyError, ValueError):
        return 0.0


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
        "count": int(_num(row, "n")),
        **{k: (float(row[k]) if row.get(k) not in (None, "") else None) for k in ("p50", "p90", "p99", "max")},
    }


def _spread(values: list[float]) -> dict[str, float | None]:
    ordered = sorted(values)
    return {"p50": _pct(ordered, 50) if ordered else None, "max": ordered[-1] if ordered else None}


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
        n = int(_num(row, "reports"))
        why = cause(row.get("status"), None if row.get("error_type", "-") == "-" else row.get("error_type"))
        if why in ("success", "function error"):
            s["ok"] += n
        elif why == "unknown":
            s["unknown"] += n
        else:
            without[why] += n
        s["memory"] = max(s["memory"], _num(row, "memory_mb"))
        if _num(row, "last_ms") >= s["last_ms"]:
            s["last_ms"] = int(_num(row, "last_ms"))
            s["last_cause"] = _killed_cause(row.get("status", "success"), row.get("error_type", "-"))
    records = {row.get(STREAM, NO_STREAM): row for row in rows.get("record_streams") or []}
    lost_in: list[Lost] = []
    surplus = 0
    for stream, s in per_stream.items():
        written = int(_num(records.get(stream, {}), "records"))
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
        n, status, phase = int(_num(row, "n")), row.get("status", "success"), row.get("phase", "init")
        suppressed += n if phase == "invoke" else 0
        if status == "success":
            continue
        key = (phase, status, row.get("error_type", "-"))
        failures[key] = failures.get(key, 0) + n
        stream = row.get(STREAM, NO_STREAM)
        at = int(_num(row, "last_ms"))  # 0: a line without a time, read under today's rules
        if phase == "init" and (not at or prices.init_billed("on-demand", at)):
            # No REPORT bills a failed init phase: estimated at the stream's (or the usual) memory.
            memory = per_stream.get(stream, {}).get("memory") or usual_memory
            failed_init_gb_s += prices.gb_seconds(_num(row, "duration_ms"), memory)
        left = per_stream.get(stream)
        if left is not None and _num(row, "last_ms") > left["last_ms"]:
            left["last_ms"], left["last_cause"] = int(_num(row, "last_ms")), f"init error: {key[2]}"
    # Environments: shut down (a shutdown record last), killed (a kill is Lambda's last word), alive.
    envs = {"shut_down": 0, "killed": 0, "alive": 0}
    killed_by: dict[str, int] = {}
    stopped: list[Environment] = []
    for stream in sorted(set(per_stream) | set(records)):
        rec = records.get(stream, {})
        s = per_stream.get(stream, {"last_ms": 0, "last_cause": None})
        if _num(rec, "last_is_shutdown") >= 1:
            envs["shut_down"] += 1
            continue
        killed = s["last_cause"] is not None and _num(rec, "last_record_ms") <= s["last_ms"]
        if killed:
            envs["killed"] += 1
            killed_by[s["last_cause"]] = killed_by.get(s["last_cause"], 0) + 1
            stopped.append(Environment(stream, "killed", s["last_cause"], s["last_ms"] or None))
        else:
            envs["alive"] += 1
            last = max(int(s["last_ms"]), int(_num(rec, "last_record_ms")))
            stopped.append(Environment(stream, "alive", None, last or None))
    reported = sum(int(_num(row, "reports")) for row in reports)
    written_total = sum(int(_num(row, "records")) for row in records.values())
    mb_ms = sum(_num(row, "mb_ms") for row in reports)
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
        billed_ms=round(sum(_num(row, "billed_ms") for row in reports), 3),
        gb_seconds=round(gb_s, 6),
        failed_init_gb_seconds=round(failed_init_gb_s, 6),
        requests=reported,
        estimated_cost=estimated,
        lambda_init_duration_ms=lambda_init,
        sdk_init_duration_ms=sdk,
        init_before_python_ms_p50=before,
        lambda_max_memory_used_mb=_spread([_num(row, "max_memory_mb") for row in reports if row.get("max_memory_mb")]),
        sdk_max_memory_used_mb=_spread(list(sdk_peak_memory_mb)),
        lines_unknown=(unread or {}).get("unknown", 0),
        lines_malformed=(unread or {}).get("malformed", 0),
        notes=notes,
    )


# The table -----------------------------------------------------------------------------------------


def _g(found: float | int | None) -> str:
    return "-" if found is None else f"{found:g}"


def _spread_text(found: Mapping[str, float | int | None]) -> str:
    return f"p50 {_g(found['p50'])} max {_g(found['max'])}"


def lines(acc: Accounting | None) -> list[str]:
    """The accounting as the report's table shows it (after a blank line); a line saying why not
    when the window held none of Lambda's REPORT lines."""
    if acc is None:
        return ["", "every invocation accounted for: no REPORT lines of Lambda's in the window to account against"]
    without = ", ".join(f"{why} {n}" for why, n in acc.without_record.items()) or "none"
    out = [
        "",
        f"every invocation accounted for: Lambda reported {acc.reported}, invoke records {acc.records};"
        f" without a record: {without}",
    ]
    if acc.records_lost:
        out.append(
            f"  records lost although Lambda reported success: {acc.records_lost} (likely: {acc.likely_causes_of_lost})"
        )
        out += [f"    {lost.log_stream}: reported {lost.reported}, records {lost.records}" for lost in acc.lost_in]
    for failure in acc.init_failures:
        out.append(
            f"  init {failure['status']} in phase {failure['phase']}: {failure['count']}"
            f" ({failure['error_type'] or '-'})"
        )
    if acc.suppressed_inits:
        out.append(f"  inits run again within an invocation (phase invoke): {acc.suppressed_inits}")
    envs = acc.environments
    killed = ", ".join(f"{why} {n}" for why, n in acc.killed_by_cause.items())
    out.append(
        f"  environments: shut down {envs['shut_down']}, killed {envs['killed']}"
        + (f" ({killed})" if killed else "")
        + f", alive or ended without SIGTERM {envs['alive']}"
    )
    out += [
        f"  billed {_g(acc.billed_ms)} ms, {_g(acc.gb_seconds)} GB-s"
        + (f" + {_g(acc.failed_init_gb_seconds)} GB-s of failed inits" if acc.failed_init_gb_seconds else "")
        + f", {acc.requests} requests; estimated "
        + ", ".join(f"{arch} ${prices.usd(cost.usd)}" for arch, cost in acc.estimated_cost.items()),
        "  prices: "
        + ", ".join(
            f"{arch} ${prices.usd(c.per_gb_second)}/GB-s + ${prices.usd(c.per_million_requests)}/1M requests"
            for arch, c in acc.estimated_cost.items()
        )
        + "; "
        + "; ".join(dict.fromkeys(f"{c.source}" for c in acc.estimated_cost.values())),
        f"  Init Duration ms (Lambda) {_spread_text(acc.lambda_init_duration_ms)};"
        f" InitDuration ms (SDK) {_spread_text(acc.sdk_init_duration_ms)};"
        f" Lambda's minus the SDK's, p50 {_g(acc.init_before_python_ms_p50)}",
        f"  Max Memory Used MB (Lambda) {_spread_text(acc.lambda_max_memory_used_mb)};"
        f" MaxMemoryUsed MB (SDK) {_spread_text(acc.sdk_max_memory_used_mb)}",
    ]
    if acc.lines_unknown or acc.lines_malformed:
        out.append(f"  Lambda's lines not read: unknown {acc.lines_unknown}, malformed {acc.lines_malformed}")
    out += [f"  note: {note}" for note in acc.notes]
    return out
