"""The lifecycle report: result rows in, a report out, and the report as a table, JSON or CSV.

Everything here is pure. Rows are what Logs Insights returns for the queries in ``queries``
(every value a string); ``aggregate`` computes the same rows from raw records, for the ``fetch``
engine, so both engines share ``build``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import datetime, timezone

from ..contract import ABSENT, RECORD_KINDS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    Rows = list[dict[str, str]]

TOP = 10
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how Logs Insights shows @timestamp, in UTC


def parse_results(results: list[list[dict[str, str]]]) -> Rows:
    """GetQueryResults' ``results`` (a list of rows, each a list of field/value pairs) as dicts."""
    return [
        {cell["field"]: cell["value"] for cell in row if "value" in cell and cell["field"] != "@ptr"} for row in results
    ]


def insights_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime(_TIME_FORMAT)[:-3]


def parse_time(value: str) -> int:
    return round(datetime.strptime(value, _TIME_FORMAT).replace(tzinfo=timezone.utc).timestamp() * 1000)


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile (an observed value); ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def value(record: dict[str, object], field: str) -> object:
    """A field's value; for a list (how Powertools writes metric values), its first item."""
    found = record.get(field)
    if isinstance(found, list):
        return found[0] if found else None
    return found


def numbers(records: list[dict[str, object]], field: str) -> list[float]:
    """A field's numeric values in these records (booleans and text are not numbers)."""
    values = (value(r, field) for r in records)
    return [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]


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


def _reuse(records: list[tuple[int, dict[str, object]]]) -> Rows:
    """Invocations and cold starts by the gap since the function last ran anything: each starts at
    its record's time minus ``Duration``, and the gap is from the latest end of the invocations that
    started before it (0 while one still runs). The window's first invocation has no known gap."""
    runs = []
    for ts, r in records:
        if r.get("event") == "invoke":
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


def aggregate(records: Iterable[tuple[int, dict[str, object]]]) -> dict[str, Rows]:
    """The rows each query would return, computed from (timestamp ms, record) pairs."""
    records = sorted(records, key=lambda pair: pair[0])
    invokes = [r for _, r in records if r.get("event") == "invoke"]
    summary: dict[str, dict[str, int]] = {}
    for r in invokes:
        init_type = str(r.get("init_type", ABSENT["init_type"]))  # a line leaves out the usual one
        s = summary.setdefault(init_type, {"invocations": 0, "cold_starts": 0, "proactive": 0, "re": 0})
        s["invocations"] += 1
        s["cold_starts"] += value(r, "ColdStart") == 1
        s["proactive"] += r.get("proactive_init") is True
        s["re"] += r.get("reinit") is True
    environments: dict[str, dict[str, Any]] = {}
    for ts, r in records:
        env_id = r.get("environment_id")
        if not isinstance(env_id, str) or r.get("event") not in RECORD_KINDS:
            continue
        e = environments.setdefault(env_id, {"invocations": 0, "first": ts, "tmp": [], "memory": []})
        e["invocations"] += value(r, "ColdStart") is not None  # only invoke records carry it
        e["last"], e["last_event"] = ts, r.get("event")
        for key, field in (("tmp", "TmpUsed"), ("memory", "MaxMemoryUsed")):
            e[key] += numbers([r], field)
    timeouts = [(ts, r) for ts, r in records if r.get("event") == "timeout_warning"]
    shutdowns = [r for _, r in records if r.get("event") == "shutdown"]
    durable = [r for r in invokes if isinstance(r.get("durable_execution_id"), str)]
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
        "environments": [
            {
                "environment_id": env_id,
                "invocations": str(e["invocations"]),
                **({"peak_tmp_mb": _text(max(e["tmp"]))} if e["tmp"] else {}),
                **({"peak_memory_mb": _text(max(e["memory"]))} if e["memory"] else {}),
                "first_seen": insights_time(e["first"]),
                "last_seen": insights_time(e["last"]),
                "last_event": str(e["last_event"]),
            }
            for env_id, e in environments.items()
        ],
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
        "timeouts": [
            {
                "@timestamp": insights_time(ts),
                "request_id": str(r.get("request_id")),
                "environment_id": str(r.get("environment_id")),
                "elapsed_ms": _text(r.get("elapsed_ms")),
                "remaining_ms": _text(r.get("remaining_ms")),
                **{f"stack.{i}": line for i, line in enumerate((r.get("stack") or [])[:3])},  # type: ignore[index]
            }
            for ts, r in reversed(timeouts[-50:])
        ],
    }


def merge_environments(a: Rows, b: Rows) -> Rows:
    """Environment rows of two adjacent windows as one window's: counts add, peaks and ends widen."""
    merged = {row["environment_id"]: dict(row) for row in a}
    for row in b:
        old = merged.get(row["environment_id"])
        if old is None:
            merged[row["environment_id"]] = dict(row)
            continue
        old["invocations"] = str(int(number(old, "invocations") or 0) + int(number(row, "invocations") or 0))
        for key in ("peak_tmp_mb", "peak_memory_mb"):
            values = [float(r[key]) for r in (old, row) if key in r]
            if values:
                old[key] = _text(max(values))
        firsts = [r["first_seen"] for r in (old, row) if "first_seen" in r]
        if firsts:
            old["first_seen"] = min(firsts)  # the format sorts as it reads
        if row.get("last_seen", "") >= old.get("last_seen", ""):
            for key in ("last_seen", "last_event"):
                if key in row:
                    old[key] = row[key]
    return list(merged.values())


def number(row: dict[str, str], key: str) -> float | None:
    """A numeric field of a result row (every value there is text); ``None`` when absent or not a number."""
    try:
        return float(row[key])
    except (KeyError, ValueError):
        return None


def _time(row: dict[str, str], key: str) -> int | None:
    """A time field of a row, ``None`` when the row lacks it or it does not read as one."""
    try:
        return parse_time(row[key])
    except (KeyError, ValueError):
        return None


def _distribution(row: dict[str, str], prefix: str = "") -> dict[str, float | int | None]:
    return {
        "count": int(number(row, prefix + "n") or 0),
        **{k: number(row, prefix + k) for k in ("p50", "p90", "p99", "max")},
    }


def _keep_warm(rows: dict[str, Rows]) -> dict[str, object]:
    """How long Lambda kept processes: those that shut down in the window (their lifetime, the
    invocations they served, how long they sat idle before it), and the reuse curve when the
    engine can compute it (only ``fetch``: Logs Insights cannot order an invocation against the
    function's previous one)."""
    row = (rows.get("keep_warm") or [{}])[0]
    reuse = rows.get("reuse")
    return {
        "processes_shut_down": int(number(row, "n") or 0),
        "lifetime_s": _distribution(row, "lifetime_"),
        "invocations": _distribution(row, "served_"),
        "idle_before_shutdown_ms": _distribution(row, "idle_"),
        "cold_start_rate_by_gap": None
        if reuse is None
        else [
            {
                "gap": r.get("gap"),
                "invocations": int(number(r, "invocations") or 0),
                "cold_starts": int(number(r, "cold_starts") or 0),
                "cold_start_rate": _rate(number(r, "cold_starts") or 0, number(r, "invocations") or 0),
            }
            for r in reuse
        ],
    }


def _durable(rows: dict[str, Rows]) -> dict[str, int] | None:
    """Durable executions and the invocations that replayed earlier steps; ``None`` without any."""
    row = (rows.get("durable") or [{}])[0]
    invocations = int(number(row, "invocations") or 0)
    if not invocations:
        return None
    return {
        "invocations": invocations,
        "executions": int(number(row, "executions") or 0),
        "replayed_invocations": int(number(row, "replayed") or 0),
    }


def _rate(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def _ended(last_event: str | None) -> str:
    # A process writes a shutdown record last; one killed at its deadline, a timeout warning.
    return {"shutdown": "shutdown", "timeout_warning": "killed"}.get(last_event or "", "unknown")


def build(
    *, function: str, log_group: str, start_ms: int, end_ms: int, rows: dict[str, Rows], malformed: int = 0
) -> dict[str, object]:
    """The report of one function over one window, from the rows of every query."""
    by_type: dict[str, dict[str, Any]] = {}
    for row in rows["summary"]:
        invocations, cold = int(number(row, "invocations") or 0), int(number(row, "cold_starts") or 0)
        by_type[row.get("init_type", "unknown")] = {
            "invocations": invocations,
            "cold_starts": cold,
            "cold_start_rate": _rate(cold, invocations),
            "proactive_inits": int(number(row, "proactive_inits") or 0),
            "reinits": int(number(row, "reinits") or 0),
        }
    total = sum(t["invocations"] for t in by_type.values())
    cold_total = sum(t["cold_starts"] for t in by_type.values())
    envs: list[dict[str, Any]] = []
    for row in rows["environments"]:
        first, last = _time(row, "first_seen"), _time(row, "last_seen")
        envs.append(
            {
                "environment_id": row.get("environment_id", "unknown"),
                "invocations": int(number(row, "invocations") or 0),
                "peak_tmp_mb": number(row, "peak_tmp_mb"),
                "peak_memory_mb": number(row, "peak_memory_mb"),
                "lifetime_s": None if first is None or last is None else round((last - first) / 1000, 1),
                "ended": _ended(row.get("last_event")),
            }
        )
    ended = {"shutdown": 0, "killed": 0, "unknown": 0}
    for env in envs:
        ended[str(env["ended"])] += 1
    per_env = [float(e["invocations"]) for e in envs]
    lifetimes = [float(e["lifetime_s"]) for e in envs if e["lifetime_s"] is not None]
    top = sorted(envs, key=lambda e: (-(e["peak_tmp_mb"] or 0), e["environment_id"]))[:TOP]
    return {
        "function": function,
        "log_group": log_group,
        "start": iso(start_ms),
        "end": iso(end_ms),
        "invocations": total,
        "cold_starts": cold_total,
        "cold_start_rate": _rate(cold_total, total),
        "proactive_inits": sum(t["proactive_inits"] for t in by_type.values()),
        "reinits": sum(t["reinits"] for t in by_type.values()),
        "by_init_type": dict(sorted(by_type.items())),
        "init_duration_ms": _distribution(rows["init_duration"][0] if rows["init_duration"] else {}),
        "idle_time_ms": _distribution(rows["idle_time"][0] if rows["idle_time"] else {}),
        "environments": {
            "seen": len(envs),
            "invocations_per_environment": {"p50": percentile(per_env, 50), "max": max(per_env, default=None)},
            "lifetime_s": {
                "p50": percentile(lifetimes, 50),
                "p90": percentile(lifetimes, 90),
                "max": max(lifetimes, default=None),
            },
            "ended": ended,
        },
        "keep_warm": _keep_warm(rows),
        "durable_executions": _durable(rows),
        "top_environments_by_tmp": top,
        "timeout_warnings": [
            {
                "time": None if (moment := _time(row, "@timestamp")) is None else iso(moment),
                "request_id": row.get("request_id"),
                "environment_id": row.get("environment_id"),
                "elapsed_ms": number(row, "elapsed_ms"),
                "remaining_ms": number(row, "remaining_ms"),
                "stack": [row[f"stack.{i}"] for i in range(3) if f"stack.{i}" in row],
            }
            for row in rows["timeouts"]
        ],
        "malformed_lines": malformed,
    }


def _flat(report: dict[str, object], prefix: str = "") -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for key, value in report.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out += _flat(value, name + ".")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                out += _flat(item, f"{name}.{i}.") if isinstance(item, dict) else [(f"{name}.{i}", item)]
        else:
            out.append((name, value))
    return out


def render(report: dict[str, object], fmt: str) -> str:
    """The report as ``table`` (for people), ``json`` or ``csv`` (``field,value`` rows)."""
    if fmt == "json":
        return json.dumps(report, indent=2)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["field", "value"])
        writer.writerows(_flat(report))
        return buffer.getvalue().rstrip("\n")
    return _table(report)


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _distributions(named: list[tuple[str, dict[str, object]]], width: int = 26) -> list[str]:
    lines = [f"{'':<{width}}{'count':>8}{'p50':>10}{'p90':>10}{'p99':>10}{'max':>10}"]
    for label, d in named:
        lines.append(
            f"{label:<{width}}{d['count']:>8}" + "".join(f"{_fmt(d[k]):>10}" for k in ("p50", "p90", "p99", "max"))
        )
    return lines


def _keep_warm_lines(k: dict[str, Any]) -> list[str]:
    lines = [f"keep-warm: {k['processes_shut_down']} process(es) shut down in the window"]
    lines += _distributions(
        [
            ("lifetime s", k["lifetime_s"]),
            ("invocations served", k["invocations"]),
            ("idle before shutdown ms", k["idle_before_shutdown_ms"]),
        ]
    )
    curve = k["cold_start_rate_by_gap"]
    lines.append("")
    if curve is None:
        lines.append("cold-start rate by gap since the previous invocation: only --engine fetch computes it")
        return lines
    lines.append("cold-start rate by gap since the function's previous invocation (any environment)")
    lines.append(f"{'gap':<26}{'invocations':>12}{'cold starts':>12}{'rate':>8}")
    for b in curve:
        lines.append(f"{b['gap']:<26}{b['invocations']:>12}{b['cold_starts']:>12}{_fmt(b['cold_start_rate']):>8}")
    return lines


def _durable_lines(d: dict[str, int] | None) -> list[str]:
    if d is None:
        return []
    return [
        "",
        f"durable executions {d['executions']}: {d['invocations']} invocations,"
        f" {d['replayed_invocations']} of them replays of earlier steps",
    ]


def _table(r: dict[str, object]) -> str:
    envs: dict[str, object] = r["environments"]  # type: ignore[assignment]
    lines = [
        f"{r['function']} ({r['log_group']}), {r['start']} to {r['end']}",
        "",
        f"invocations {r['invocations']}, cold starts {r['cold_starts']} ({_fmt(r['cold_start_rate'])}),"
        f" proactive inits {r['proactive_inits']}, re-inits {r['reinits']}",
        "",
        f"{'init type':<26}{'invocations':>12}{'cold starts':>12}{'rate':>8}{'proactive':>10}{'re-inits':>9}",
    ]
    for init_type, t in r["by_init_type"].items():  # type: ignore[attr-defined]
        lines.append(
            f"{init_type:<26}{t['invocations']:>12}{t['cold_starts']:>12}{_fmt(t['cold_start_rate']):>8}"
            f"{t['proactive_inits']:>10}{t['reinits']:>9}"
        )
    lines.append("")
    lines += _distributions(
        [("InitDuration ms", r["init_duration_ms"]), ("IdleTime ms", r["idle_time_ms"])]  # type: ignore[list-item]
    )
    ended: dict[str, int] = envs["ended"]  # type: ignore[assignment]
    per: dict[str, object] = envs["invocations_per_environment"]  # type: ignore[assignment]
    life: dict[str, object] = envs["lifetime_s"]  # type: ignore[assignment]
    lines += [
        "",
        f"environments {envs['seen']}: invocations each p50 {_fmt(per['p50'])} max {_fmt(per['max'])};"
        f" lifetime s p50 {_fmt(life['p50'])} p90 {_fmt(life['p90'])} max {_fmt(life['max'])}",
        f"ended: shutdown {ended['shutdown']}, killed {ended['killed']}, unknown {ended['unknown']}",
        "",
        *_keep_warm_lines(r["keep_warm"]),  # type: ignore[arg-type]
        *_durable_lines(r["durable_executions"]),  # type: ignore[arg-type]
        "",
        f"{'top environments by /tmp':<26}{'tmp MB':>8}{'memory MB':>11}{'invocations':>13}{'lifetime s':>12}  ended",
    ]
    for e in r["top_environments_by_tmp"]:  # type: ignore[attr-defined]
        lines.append(
            f"{e['environment_id']:<26}{_fmt(e['peak_tmp_mb']):>8}{_fmt(e['peak_memory_mb']):>11}"
            f"{e['invocations']:>13}{_fmt(e['lifetime_s']):>12}  {e['ended']}"
        )
    warnings: list[dict[str, object]] = r["timeout_warnings"]  # type: ignore[assignment]
    lines += ["", f"timeout warnings {len(warnings)}"]
    for w in warnings:
        lines.append(f"  {w['time']} {w['request_id']} {_fmt(w['remaining_ms'])} ms left in {w['environment_id']}")
        lines += [f"      {frame}" for frame in w["stack"]]  # type: ignore[attr-defined]
    if r["malformed_lines"]:
        lines += ["", f"skipped {r['malformed_lines']} malformed record line(s)"]
    return "\n".join(lines)
