"""The lifecycle report of one function over one window, typed: the dataclasses ``report`` builds
from result rows and ``render`` shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from .accounting.model import Accounting


@dataclass
class InitTypeCounts:
    invocations: int
    cold_starts: int
    cold_start_rate: float
    proactive_inits: int
    reinits: int


@dataclass
class Distribution:
    """How many values, and their nearest-rank percentiles (``None`` without values)."""

    count: int
    p50: float | None
    p90: float | None
    p99: float | None
    max: float | None


@dataclass
class EnvironmentSummary:
    environment_id: str
    invocations: int
    peak_tmp_mb: float | None
    peak_memory_mb: float | None
    lifetime_s: float | None
    ended: str
    """``shutdown`` (its last record was one), ``killed`` (a timeout warning) or ``unknown``."""


@dataclass
class PerEnvironment:
    p50: float | None
    max: float | None


@dataclass
class Lifetimes:
    p50: float | None
    p90: float | None
    max: float | None


@dataclass
class Ended:
    shutdown: int = 0
    killed: int = 0
    unknown: int = 0


@dataclass
class Environments:
    seen: int
    invocations_per_environment: PerEnvironment
    lifetime_s: Lifetimes
    ended: Ended


@dataclass
class GapBucket:
    """Invocations whose gap since the function's previous invocation falls in ``gap``."""

    gap: str
    invocations: int
    cold_starts: int
    cold_start_rate: float


@dataclass
class KeepWarm:
    """How long Lambda kept processes: those that shut down in the window (their lifetime, the
    invocations they served, how long they sat idle before it), and the reuse curve when the
    engine can compute it (only ``fetch``: Logs Insights cannot order an invocation against the
    function's previous one)."""

    processes_shut_down: int
    lifetime_s: Distribution
    invocations: Distribution
    idle_before_shutdown_ms: Distribution
    cold_start_rate_by_gap: list[GapBucket] | None


@dataclass
class Durable:
    invocations: int
    executions: int
    replayed_invocations: int


@dataclass
class TimeoutWarning:
    time: str | None
    request_id: str | None
    environment_id: str | None
    elapsed_ms: float | None
    remaining_ms: float | None
    stack: list[str]


@dataclass
class Phase:
    p50: float | None
    p90: float | None


@dataclass
class SlowImport:
    """An import among the slowest of the window's cold starts (the init records that listed it)."""

    module: str
    cold_starts: int
    """Init records that listed it among their slowest imports."""
    p50_ms: float | None
    """Its cumulative time, p50 over those records."""
    total_ms: float
    """Its cumulative time added up over those records: init time it cost the window."""


@dataclass
class InitCost:
    """Init's GB-seconds in the window (every init record's ``InitDuration`` at its memory size)
    and what they cost at the GB-second price of each architecture. An estimate: since
    2025-08-01 Lambda bills the init of on-demand functions; provisioned concurrency and SnapStart
    are billed otherwise."""

    gb_seconds: float
    usd_by_architecture: dict[str, float]
    prices: dict[str, str]
    """Where each price came from (list price and its date, or ``--price``)."""


@dataclass
class InitAnatomy:
    """Where init time goes: the phases over the window's init records (one per process start
    whose SDK was loaded first), and its slowest imports across them."""

    processes: int
    phases_ms: dict[str, Phase]
    """``init`` (InitDuration), ``runtime``, ``imports``, ``code``, ``wait``."""
    top_imports: list[SlowImport]
    imports_read_from: int
    """Init records whose imports were read: at most one query's rows (the rest are left out)."""
    cost: InitCost


@dataclass
class Report:
    """The report; its JSON is these fields, in this order."""

    function: str
    log_group: str
    start: str
    end: str
    invocations: int
    cold_starts: int
    cold_start_rate: float
    proactive_inits: int
    reinits: int
    by_init_type: dict[str, InitTypeCounts]
    init_duration_ms: Distribution
    idle_time_ms: Distribution
    environments: Environments
    keep_warm: KeepWarm
    durable_executions: Durable | None
    top_environments_by_tmp: list[EnvironmentSummary]
    timeout_warnings: list[TimeoutWarning]
    init_anatomy: InitAnatomy | None = None
    """``None``: no init record in the window."""
    malformed_lines: int = 0
    """Lines that name a record kind under ``lambda_lifecycle`` but could not be read (fetch)."""
    unrecognised_lines: int = 0
    """0.2.x invoke lines without an ``_aws`` block, not read (fetch): see ``records``."""
    left_out_rows: dict[str, int] = field(default_factory=dict)
    """Result rows without the fields that say what they are, by query."""
    accounted: Accounting | None = None
    """Lambda's own lines beside the records (``accounting``); None without any REPORT line."""
