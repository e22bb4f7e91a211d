"""What Lambda's own REPORT lines say about each function, in text and JSON log formats: the
invocations a kill ended before the SDK could write (a timeout, out of memory, a runtime that
exited: ``platform_log.KILLED_CAUSES``), and the billed GB-seconds of its on-demand inits (Init
Duration at the configured memory, billed since 2025-08-01: ``prices``). Counted from the fleet
query's rows (``by @log, status, error_type``) or from the log events themselves (the fetch
engine, from the same listing its records come from)."""

from __future__ import annotations

from dataclasses import dataclass

from ...platform_log import KILLED_CAUSES, PlatformLine, cause, parse
from .. import prices
from ..insights import count, number

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..insights import Rows
    from ..log_events import Event

ARCHITECTURE = "x86_64"
"""The architecture whose price init GB-seconds are costed at: REPORT lines do not say a
function's, and x86_64 is the default (arm64's list price is 20% lower)."""

PRICE = prices.LIST_PRICES[ARCHITECTURE]
"""Its list price, unless ``--price`` gives another."""


@dataclass
class Reported:
    killed: int = 0
    init_mb_ms: float = 0.0

    @property
    def init_gb_seconds(self) -> float:
        return round(prices.gb_seconds(self.init_mb_ms, 1), 6)

    def init_cost_usd(self, price: prices.Price = PRICE) -> float:
        return round(prices.cost(price, gb_s=prices.gb_seconds(self.init_mb_ms, 1)), 10)


def _killed(status: str | None, error_type: str | None) -> bool:
    return cause(status, None if error_type in (None, "-") else error_type) in KILLED_CAUSES


def from_rows(rows: Rows) -> Reported:
    """One function's figures from the ``reports`` query's rows."""
    found = Reported()
    for row in rows:
        if _killed(row.get("status"), row.get("error_type")):
            found.killed += count(row, "reports")
        found.init_mb_ms += number(row, "init_mb_ms") or 0.0
    return found


def in_events(events: Iterable[Event]) -> Reported:
    """The figures of log events; inits before billing began, or at a time not known, are not counted."""
    found = Reported()
    for ms, _, message in events:
        line = parse(message, ms)
        if not isinstance(line, PlatformLine) or line.kind != "report":
            continue
        found.killed += _killed(line.status, line.error_type)
        at_ms = line.time_ms or ms
        if line.init_ms is not None and line.memory_mb and at_ms and prices.init_billed("on-demand", at_ms):
            found.init_mb_ms += prices.billed_ms(line.init_ms) * line.memory_mb
    return found
