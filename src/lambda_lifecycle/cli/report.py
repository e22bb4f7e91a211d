"""The lifecycle report of one function over one window, built from result rows into its model
(``report_model``). Pure.

Rows are what Logs Insights returns for the queries in ``queries`` (every value a string);
``aggregate`` computes the same rows from raw records for the ``fetch`` engine, so both engines
share :func:`build`. ``render`` shows a :class:`Report` as a table, JSON or CSV.

A row that lacks the field a query groups by (an endpoint that answers with other rows), or a
timeout warning row that names neither its request nor its environment, is not shown: it is
counted in ``left_out_rows`` by query, and the table says so.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

from ..contract import SHUTDOWN, TIMEOUT_WARNING
from . import prices
from .insights import Rows, count, number, time_of
from .queries import IMPORT_SLOTS, INIT_PHASE_FIELDS, RESULT_LIMIT
from .report_model import (
    Distribution,
    Durable,
    Ended,
    Environments,
    EnvironmentSummary,
    GapBucket,
    InitAnatomy,
    InitCost,
    InitTypeCounts,
    KeepWarm,
    Lifetimes,
    PerEnvironment,
    Phase,
    Report,
    SlowImport,
    TimeoutWarning,
)

TOP = 10


def iso(ms: int) -> str:
    """A time for people: ``2026-11-22T08:00:00Z``."""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile (an observed value); ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def _rate(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def _distribution(row: dict[str, str], prefix: str = "") -> Distribution:
    return Distribution(
        count(row, prefix + "n"),
        *(number(row, prefix + name) for name in ("p50", "p90", "p99", "max")),
    )


def _ended(last_event: str | None) -> str:
    # A process writes a shutdown record last; one killed at its deadline, a timeout warning.
    return {SHUTDOWN: "shutdown", TIMEOUT_WARNING: "killed"}.get(last_event or "", "unknown")


def _checked(rows: dict[str, Rows], name: str, needs: tuple[str, ...], left_out: dict[str, int]) -> Rows:
    """The rows of a query that hold at least one of ``needs``; the others are counted."""
    kept = [row for row in rows.get(name, []) if any(key in row for key in needs)]
    missing = len(rows.get(name, [])) - len(kept)
    if missing:
        left_out[name] = missing
    return kept


def _keep_warm(rows: dict[str, Rows]) -> KeepWarm:
    row = (rows.get("keep_warm") or [{}])[0]
    reuse = rows.get("reuse")
    return KeepWarm(
        processes_shut_down=count(row, "n"),
        lifetime_s=_distribution(row, "lifetime_"),
        invocations=_distribution(row, "served_"),
        idle_before_shutdown_ms=_distribution(row, "idle_"),
        cold_start_rate_by_gap=None
        if reuse is None
        else [
            GapBucket(
                gap=r.get("gap", "unknown"),
                invocations=count(r, "invocations"),
                cold_starts=count(r, "cold_starts"),
                cold_start_rate=_rate(count(r, "cold_starts"), count(r, "invocations")),
            )
            for r in reuse
        ],
    )


def _durable(rows: dict[str, Rows]) -> Durable | None:
    """Durable executions and the invocations that replayed earlier steps; ``None`` without any."""
    row = (rows.get("durable") or [{}])[0]
    invocations = count(row, "invocations")
    if not invocations:
        return None
    return Durable(invocations, count(row, "executions"), count(row, "replayed"))


def _init_anatomy(rows: dict[str, Rows], price_table: dict[str, prices.Price]) -> InitAnatomy | None:
    row = (rows.get("init_phases") or [{}])[0]
    processes = count(row, "n")
    if not processes:
        return None
    by_module: dict[str, list[float]] = {}
    listed = rows.get("init_imports") or []
    for record in listed:
        for i in range(IMPORT_SLOTS):
            module, ms = record.get(f"module_{i}"), number(record, f"ms_{i}")
            if module and ms is not None:
                by_module.setdefault(module, []).append(ms)
    top = sorted(
        (SlowImport(module, len(ms), percentile(ms, 50), round(sum(ms), 1)) for module, ms in by_module.items()),
        key=lambda slow: (-slow.total_ms, slow.module),
    )[:TOP]
    gb_s = round((number(row, "init_mb_ms") or 0.0) / 1000 / prices.MB_PER_GB, 3)
    return InitAnatomy(
        processes=processes,
        phases_ms={name: Phase(number(row, f"{name}_p50"), number(row, f"{name}_p90")) for name in INIT_PHASE_FIELDS},
        top_imports=top,
        imports_read_from=min(len(listed), RESULT_LIMIT),
        cost=InitCost(
            gb_seconds=gb_s,
            usd_by_architecture={arch: prices.cost(p, gb_s=gb_s) for arch, p in price_table.items()},
            prices={arch: p.source for arch, p in price_table.items()},
        ),
    )


def _environment(row: dict[str, str]) -> EnvironmentSummary:
    first, last = time_of(row, "first_seen"), time_of(row, "last_seen")
    return EnvironmentSummary(
        environment_id=row["environment_id"],
        invocations=count(row, "invocations"),
        peak_tmp_mb=number(row, "peak_tmp_mb"),
        peak_memory_mb=number(row, "peak_memory_mb"),
        lifetime_s=None if first is None or last is None else round((last - first) / 1000, 1),
        ended=_ended(row.get("last_event")),
    )


def _timeout_warning(row: dict[str, str]) -> TimeoutWarning:
    moment = time_of(row, "@timestamp")
    return TimeoutWarning(
        time=None if moment is None else iso(moment),
        request_id=row.get("request_id"),
        environment_id=row.get("environment_id"),
        elapsed_ms=number(row, "elapsed_ms"),
        remaining_ms=number(row, "remaining_ms"),
        stack=[row[f"stack.{i}"] for i in range(3) if f"stack.{i}" in row],
    )


def build(
    *,
    function: str,
    log_group: str,
    start_ms: int,
    end_ms: int,
    rows: dict[str, Rows],
    malformed: int = 0,
    unrecognised: int = 0,
    price_table: dict[str, prices.Price] | None = None,
) -> Report:
    """The report of one function over one window, from the rows of every query; init's cost at
    ``price_table`` (default: the list prices)."""
    left_out: dict[str, int] = {}
    by_type: dict[str, InitTypeCounts] = {}
    for row in _checked(rows, "summary", ("init_type",), left_out):
        invocations, cold = count(row, "invocations"), count(row, "cold_starts")
        by_type[row["init_type"]] = InitTypeCounts(
            invocations=invocations,
            cold_starts=cold,
            cold_start_rate=_rate(cold, invocations),
            proactive_inits=count(row, "proactive_inits"),
            reinits=count(row, "reinits"),
        )
    total = sum(t.invocations for t in by_type.values())
    cold_total = sum(t.cold_starts for t in by_type.values())
    envs = [_environment(row) for row in _checked(rows, "environments", ("environment_id",), left_out)]
    ended = Ended()
    for env in envs:
        setattr(ended, env.ended, getattr(ended, env.ended) + 1)
    per_env = [float(e.invocations) for e in envs]
    lifetimes = [e.lifetime_s for e in envs if e.lifetime_s is not None]
    warnings = _checked(rows, "timeouts", ("request_id", "environment_id"), left_out)
    return Report(
        function=function,
        log_group=log_group,
        start=iso(start_ms),
        end=iso(end_ms),
        invocations=total,
        cold_starts=cold_total,
        cold_start_rate=_rate(cold_total, total),
        proactive_inits=sum(t.proactive_inits for t in by_type.values()),
        reinits=sum(t.reinits for t in by_type.values()),
        by_init_type=dict(sorted(by_type.items())),
        init_duration_ms=_distribution((rows.get("init_duration") or [{}])[0]),
        idle_time_ms=_distribution((rows.get("idle_time") or [{}])[0]),
        environments=Environments(
            seen=len(envs),
            invocations_per_environment=PerEnvironment(percentile(per_env, 50), max(per_env, default=None)),
            lifetime_s=Lifetimes(percentile(lifetimes, 50), percentile(lifetimes, 90), max(lifetimes, default=None)),
            ended=ended,
        ),
        keep_warm=_keep_warm(rows),
        durable_executions=_durable(rows),
        top_environments_by_tmp=sorted(envs, key=lambda e: (-(e.peak_tmp_mb or 0), e.environment_id))[:TOP],
        timeout_warnings=[_timeout_warning(row) for row in warnings],
        init_anatomy=_init_anatomy(rows, price_table or prices.price_table()),
        malformed_lines=malformed,
        unrecognised_lines=unrecognised,
        left_out_rows=left_out,
    )


def merge_environments(a: Rows, b: Rows) -> Rows:
    """Environment rows of two adjacent windows as one window's: counts add, peaks and ends widen."""
    merged = {row.get("environment_id"): dict(row) for row in a}
    for row in b:
        old = merged.get(row.get("environment_id"))
        if old is None:
            merged[row.get("environment_id")] = dict(row)
            continue
        old["invocations"] = str(count(old, "invocations") + count(row, "invocations"))
        for key in ("peak_tmp_mb", "peak_memory_mb"):
            values = [found for r in (old, row) if (found := number(r, key)) is not None]
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


def _text(value: float) -> str:
    """A number as Logs Insights writes it: whole numbers without a decimal point."""
    return str(int(value)) if value.is_integer() else str(value)
