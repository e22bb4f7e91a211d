"""The fleet report: one row per function, fleet totals, sorted by a column, the top N, as a
table, JSON or CSV. Pure: rows come from the batched Logs Insights rows (``from_insights``) or
from raw records (``from_records``, the fetch engine), so both engines share the rest.

Totals add counts and take the highest peaks; percentiles stay per function (a fleet p99 cannot
be made from per-function ones), so the totals carry none.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field

from ...contract import ABSENT, INVOKE, KIND_KEY, RECORD_KINDS, SHUTDOWN, TIMEOUT_WARNING
from ...records import numbers, value
from ..insights import number
from ..prices import Price, usd
from ..render import cell
from ..report import iso, percentile
from . import reports
from .defaults import COLUMNS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    Rows = list[dict[str, str]]
    Record = dict[str, object]

_SHORT_INIT_TYPES = {
    "on-demand": "od",
    "provisioned-concurrency": "pc",
    "snap-start": "snap",
    "lambda-managed-instances": "lmi",
}


@dataclass
class InitTypeCounts:
    invocations: int = 0
    cold_starts: int = 0


@dataclass
class FunctionRow:
    """What one function's records say over the window."""

    function: str
    log_group: str
    invocations: int = 0
    cold_starts: int = 0
    by_init_type: dict[str, InitTypeCounts] = field(default_factory=dict)
    init_p50_ms: float | None = None
    init_p99_ms: float | None = None
    peak_memory_percent: float | None = None
    peak_tmp_percent: float | None = None
    environments: int = 0
    timeout_warnings: int = 0
    killed_invocations: int = 0
    init_gb_seconds: float | None = None
    init_cost_usd: float | None = None
    processes_shut_down: int = 0
    lifetime_p50_s: float | None = None
    served_p50: float | None = None
    idle_before_shutdown_p50_ms: float | None = None

    @property
    def cold_start_rate(self) -> float:
        return _rate(self.cold_starts, self.invocations)

    @property
    def has_records(self) -> bool:
        return bool(self.invocations or self.environments or self.processes_shut_down)

    @property
    def lambda_reported(self) -> bool:
        """Whether Lambda's REPORT lines say something of it: kills, or billed init."""
        return bool(self.killed_invocations or self.init_gb_seconds)


def _rate(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def _kind(record: Record) -> object:
    return record.get(KIND_KEY)


def from_records(
    function: str,
    log_group: str,
    records: Iterable[Record],
    reported: reports.Reported | None = None,
    price: Price = reports.PRICE,
) -> FunctionRow:
    """One function's row from its raw records (the fetch engine), with what Lambda's REPORT
    lines say (killed invocations, billed init costed at ``price``); percentiles are nearest-rank."""
    ours = [r for r in records if _kind(r) in RECORD_KINDS]
    invokes = [r for r in ours if _kind(r) == INVOKE]
    shutdowns = [r for r in ours if _kind(r) == SHUTDOWN]
    row = FunctionRow(function, log_group)
    for record in invokes:
        counts = row.by_init_type.setdefault(str(record.get("init_type", ABSENT["init_type"])), InitTypeCounts())
        cold = value(record, "ColdStart") == 1
        counts.invocations += 1
        counts.cold_starts += cold
        row.invocations += 1
        row.cold_starts += cold
    inits = numbers(invokes, "InitDuration")
    row.init_p50_ms, row.init_p99_ms = percentile(inits, 50), percentile(inits, 99)
    row.peak_memory_percent = max(numbers(ours, "MemoryUsedPercent"), default=None)
    row.peak_tmp_percent = max(numbers(ours, "TmpUsedPercent"), default=None)
    row.environments = len({r["environment_id"] for r in ours if isinstance(r.get("environment_id"), str)})
    row.timeout_warnings = sum(_kind(r) == TIMEOUT_WARNING for r in ours)
    _add_reported(row, reported, price)
    row.processes_shut_down = len(shutdowns)
    row.lifetime_p50_s = percentile(numbers(shutdowns, "ContainerAge"), 50)
    row.served_p50 = percentile(numbers(shutdowns, "invocations"), 50)
    row.idle_before_shutdown_p50_ms = percentile(numbers(shutdowns, "IdleBeforeShutdown"), 50)
    return row


def from_insights(function: str, log_group: str, rows: dict[str, Rows], price: Price = reports.PRICE) -> FunctionRow:
    """One function's row from its log group's rows of the fleet queries, billed init costed at ``price``."""
    row = FunctionRow(function, log_group)
    for found in rows.get("invocations", []):
        counts = InitTypeCounts(int(number(found, "invocations") or 0), int(number(found, "cold_starts") or 0))
        row.by_init_type[found.get("init_type", str(ABSENT["init_type"]))] = counts
        row.invocations += counts.invocations
        row.cold_starts += counts.cold_starts
    usage = (rows.get("usage") or [{}])[0]
    row.init_p50_ms, row.init_p99_ms = number(usage, "init_p50"), number(usage, "init_p99")
    row.peak_memory_percent = number(usage, "peak_memory_percent")
    row.peak_tmp_percent = number(usage, "peak_tmp_percent")
    row.environments = int(number(usage, "environments") or 0)
    row.timeout_warnings = int(number(usage, "timeout_warnings") or 0)
    _add_reported(row, reports.from_rows(rows.get("reports", [])) if "reports" in rows else None, price)
    kept = (rows.get("keep_warm") or [{}])[0]
    row.processes_shut_down = int(number(kept, "shutdowns") or 0)
    row.lifetime_p50_s, row.served_p50 = number(kept, "lifetime_p50"), number(kept, "served_p50")
    row.idle_before_shutdown_p50_ms = number(kept, "idle_p50")
    return row


def _add_reported(row: FunctionRow, reported: reports.Reported | None, price: Price) -> None:
    if reported is not None:
        row.killed_invocations = reported.killed
        row.init_gb_seconds, row.init_cost_usd = reported.init_gb_seconds, reported.init_cost_usd(price)


@dataclass(frozen=True)
class Missing:
    """A chosen function the report has no row for, and why."""

    function: str
    reason: str


@dataclass
class FleetReport:
    start_ms: int
    end_ms: int
    chosen: str
    engine: str
    rows: list[FunctionRow]
    without_records: list[str] = field(default_factory=list)
    without_log_group: list[str] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    unrecorded: list[FunctionRow] = field(default_factory=list)
    """Functions without records that Lambda's REPORT lines say something of (``lambda_reported``):
    their kills and billed init are in the totals, as Lambda counted them."""
    sort: str = "cold_start_rate"
    top: int | None = None
    price: Price = reports.PRICE
    """What the rows' init cost is at (the footer says so)."""

    @property
    def partial(self) -> bool:
        """Some chosen functions could not be read (their batch failed): the totals leave them out."""
        return bool(self.missing)


def sorted_rows(rows: list[FunctionRow], column: str) -> list[FunctionRow]:
    if column == "function":
        return sorted(rows, key=lambda r: r.function)

    def key(row: FunctionRow) -> tuple[bool, float, str]:
        found = getattr(row, column)
        return (found is None, -(found or 0.0), row.function)

    return sorted(rows, key=key)


def totals(rows: list[FunctionRow], unrecorded: Iterable[FunctionRow] = ()) -> dict[str, object]:
    """The fleet's counts and peaks (no percentiles: they stay per function); what Lambda reported
    of the functions without records (``unrecorded``) adds to the kills and the billed init."""
    reported = [*rows, *unrecorded]
    by_type: dict[str, InitTypeCounts] = {}
    for row in rows:
        for init_type, counts in row.by_init_type.items():
            total = by_type.setdefault(init_type, InitTypeCounts())
            total.invocations += counts.invocations
            total.cold_starts += counts.cold_starts
    invocations, cold = sum(r.invocations for r in rows), sum(r.cold_starts for r in rows)
    return {
        "functions": len(rows),
        "invocations": invocations,
        "cold_starts": cold,
        "cold_start_rate": _rate(cold, invocations),
        "by_init_type": {name: _counts(c) for name, c in sorted(by_type.items())},
        "peak_memory_percent": max(
            (r.peak_memory_percent for r in rows if r.peak_memory_percent is not None), default=None
        ),
        "peak_tmp_percent": max((r.peak_tmp_percent for r in rows if r.peak_tmp_percent is not None), default=None),
        "environments": sum(r.environments for r in rows),
        "timeout_warnings": sum(r.timeout_warnings for r in rows),
        "killed_invocations": sum(r.killed_invocations for r in reported),
        "init_gb_seconds": _sum(r.init_gb_seconds for r in reported),
        "init_cost_usd": _sum(r.init_cost_usd for r in reported),
        "processes_shut_down": sum(r.processes_shut_down for r in rows),
    }


def _sum(values: Iterable[float | None]) -> float | None:
    """The sum of the known values (rounded as each is), ``None`` when none is known."""
    known = [v for v in values if v is not None]
    return round(sum(known), 10) if known else None


def _counts(counts: InitTypeCounts) -> dict[str, object]:
    return {**asdict(counts), "cold_start_rate": _rate(counts.cold_starts, counts.invocations)}


def _row_dict(row: FunctionRow) -> dict[str, object]:
    found = asdict(row)
    found["cold_start_rate"] = row.cold_start_rate
    found["by_init_type"] = {name: _counts(c) for name, c in sorted(row.by_init_type.items())}
    return found


def as_dict(report: FleetReport) -> dict[str, object]:
    ordered = sorted_rows(report.rows, report.sort)
    shown = ordered[: report.top] if report.top else ordered
    return {
        "functions_chosen": report.chosen,
        "start": iso(report.start_ms),
        "end": iso(report.end_ms),
        "engine": report.engine,
        "sort": report.sort,
        "shown": len(shown),
        "instrumented": len(report.rows),
        "functions": [_row_dict(row) for row in shown],
        "totals": totals(report.rows, report.unrecorded),
        "without_records": report.without_records,
        "without_records_reported": [
            {k: getattr(row, k) for k in ("function", "killed_invocations", "init_gb_seconds", "init_cost_usd")}
            for row in report.unrecorded
        ],
        "without_log_group": report.without_log_group,
        "missing": [asdict(m) for m in report.missing],
        "partial": report.partial,
        "init_price": {
            "architecture": report.price.architecture,
            "per_gb_second": report.price.per_gb_second,
            "source": report.price.source,
        },
    }


def render(report: FleetReport, fmt: str) -> str:
    """``table`` (for people), ``json``, or ``csv`` (a row per function, then the totals)."""
    built = as_dict(report)
    if fmt == "json":
        return json.dumps(built, indent=2)
    if fmt == "csv":
        return _csv(built)
    return _table(built)


def _csv(built: dict[str, object]) -> str:
    rows: list[dict[str, object]] = built["functions"]  # type: ignore[assignment]
    total: dict[str, object] = built["totals"]  # type: ignore[assignment]
    init_types = sorted({t for r in [*rows, total] for t in r["by_init_type"]})  # type: ignore[attr-defined]
    header = [*COLUMNS, *(f"{what}.{t}" for t in init_types for what in ("invocations", "cold_starts"))]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in [*rows, {**total, "function": "TOTAL", "log_group": ""}]:
        by_type: dict[str, dict[str, object]] = row["by_init_type"]  # type: ignore[assignment]
        cells = [row.get(c) for c in COLUMNS]
        cells += [by_type.get(t, {}).get(what, 0) for t in init_types for what in ("invocations", "cold_starts")]
        writer.writerow(["" if c is None else c for c in cells])
    return buffer.getvalue().rstrip("\n")


def _by_type(by_type: dict[str, dict[str, object]]) -> str:
    return " ".join(f"{_SHORT_INIT_TYPES.get(t, t)} {c['cold_starts']}/{c['invocations']}" for t, c in by_type.items())


def _dollars(found: object) -> str:
    return usd(found) if isinstance(found, float) else cell(found)


def _lambda_said(row: dict[str, object]) -> str:
    killed, cost = row["killed_invocations"], row["init_cost_usd"]
    said = [
        *([f"{killed} killed"] if killed else []),
        *([f"init {usd(cost)} $"] if isinstance(cost, float) and cost else []),
    ]
    return f" (Lambda: {', '.join(said)})" if said else ""


def _table(built: dict[str, object]) -> str:
    rows: list[dict[str, object]] = built["functions"]  # type: ignore[assignment]
    total: dict[str, object] = built["totals"]  # type: ignore[assignment]
    width = max([len("function"), len("TOTAL"), *(len(str(r["function"])) for r in rows)])
    head = (
        f"{'function':<{width}} {'invocations':>11} {'cold':>6} {'rate':>7} {'init p50':>9} {'init p99':>9}"
        f" {'mem %':>6} {'tmp %':>6} {'envs':>5} {'t/o':>4} {'kill':>5} {'init $':>12} {'shut':>5}"
        f" {'life p50 s':>10}"
        "  cold/invocations by init type"
    )

    def line(r: dict[str, object]) -> str:
        return (
            f"{r['function']!s:<{width}} {cell(r['invocations']):>11} {cell(r['cold_starts']):>6}"
            f" {cell(r['cold_start_rate']):>7} {cell(r.get('init_p50_ms')):>9} {cell(r.get('init_p99_ms')):>9}"
            f" {cell(r['peak_memory_percent']):>6} {cell(r['peak_tmp_percent']):>6} {cell(r['environments']):>5}"
            f" {cell(r['timeout_warnings']):>4} {cell(r['killed_invocations']):>5} {_dollars(r['init_cost_usd']):>12}"
            f" {cell(r['processes_shut_down']):>5}"
            f" {cell(r.get('lifetime_p50_s')):>10}"
            f"  {_by_type(r['by_init_type'])}"  # type: ignore[arg-type]
        )

    shown, instrumented = built["shown"], built["instrumented"]
    price: dict[str, object] = built["init_price"]  # type: ignore[assignment]
    lines = [
        f"{built['functions_chosen']}, {built['start']} to {built['end']} ({built['engine']} engine):"
        f" {instrumented} function(s) with records, {shown} shown, sorted by {built['sort']}",
        "",
        head,
        *(line(r) for r in rows),
        line({**total, "function": "TOTAL"}),
        "",
        "TOTAL adds every function with records (not only those shown), and Lambda's kills and billed init"
        " of those without; percentiles stay per function.",
        f"init $: billed on-demand init from Lambda's REPORT lines at {price['architecture']}'s"
        f" {usd(price['per_gb_second'])} USD per GB-second ({price['source']}).",  # type: ignore[arg-type]
    ]
    without: list[str] = built["without_records"]  # type: ignore[assignment]
    if without:
        said = {str(r["function"]): _lambda_said(r) for r in built["without_records_reported"]}  # type: ignore[attr-defined]
        lines.append(
            f"{len(without)} function(s) without lambda-lifecycle records in the window: "
            + ", ".join(name + said.get(name, "") for name in without)
        )
    no_group: list[str] = built["without_log_group"]  # type: ignore[assignment]
    if no_group:
        lines.append(f"{len(no_group)} named function(s) without a log group: {', '.join(no_group)}")
    missing: list[dict[str, str]] = built["missing"]  # type: ignore[assignment]
    if missing:
        lines.append(
            f"PARTIAL: {len(missing)} function(s) could not be read and are not in the totals: "
            + "; ".join(f"{m['function']} ({m['reason']})" for m in missing)
        )
    return "\n".join(lines)
