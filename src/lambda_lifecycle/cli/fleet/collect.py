"""From the chosen functions to fleet rows, through either engine: ``fetch`` reads each log
group's raw records (small fleets, exact nearest-rank percentiles); ``insights`` runs the fleet
queries over batches of 50 log groups. Both say which functions have no records and which could
not be read, so a report is never silently partial."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..log_events import records_of
from . import reports
from .batches import Results
from .table import FunctionRow, Missing, from_insights, from_records

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ..log_events import Event
    from ..prices import Price
    from ..progress import Progress
    from .choice import Function


@dataclass
class Collected:
    rows: list[FunctionRow] = field(default_factory=list)
    without_records: list[str] = field(default_factory=list)
    unrecorded: list[FunctionRow] = field(default_factory=list)
    """The rows of functions without records that Lambda's REPORT lines say something of."""
    missing: list[Missing] = field(default_factory=list)
    malformed: int = 0
    unrecognised: int = 0

    def add(self, row: FunctionRow) -> None:
        if row.has_records:
            self.rows.append(row)
            return
        self.without_records.append(row.function)
        if row.lambda_reported:
            self.unrecorded.append(row)


def by_fetch(
    functions: Sequence[Function],
    fetch: Callable[[str, Progress], list[Event]],
    progress: Progress,
    price: Price = reports.PRICE,
) -> Collected:
    """Each function's log events, read once from its log group (``fetch`` reads one log group's
    window, saying how far it got: one progress step for the whole fleet): its records, and what
    its REPORT lines say (killed invocations, billed init, costed at ``price``)."""
    collected = Collected()
    for number, function in enumerate(functions, 1):
        step = f"fetching: {number}/{len(functions)} log groups"
        progress(step)

        def said(message: str, step: str = step) -> None:
            progress(f"{step} ({message})")

        events = fetch(function.log_group, said)
        reading = records_of(events)
        collected.malformed += reading.malformed
        collected.unrecognised += reading.unrecognised
        records = (timed.record for timed in reading.records)
        reported = reports.in_events(events)
        collected.add(from_records(function.name, function.log_group, records, reported, price))
    return collected


def by_insights(functions: Sequence[Function], results: Results, price: Price = reports.PRICE) -> Collected:
    """Each function's row from the batched query results (billed init costed at ``price``); a
    function whose batch failed is missing."""
    collected = Collected()
    failed = results.failed()
    for function in functions:
        if function.log_group in failed:
            collected.missing.append(Missing(function.name, failed[function.log_group]))
            continue
        rows = results.rows.get(function.log_group, {})
        collected.add(from_insights(function.name, function.log_group, rows, price))
    return collected
