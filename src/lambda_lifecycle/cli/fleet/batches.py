"""Logs Insights over many log groups: batches of at most 50 log groups per query
(``logGroupIdentifiers``), run concurrently within a share of the account's concurrent-query
limit, and every row given back to the log group it came from.

Every call goes through ``aws.Client.call``, the CLI's one retry layer: a ``StartQuery`` refused
because the account's concurrent queries are all running (``LimitExceededException``) or
throttled is retried with backoff, said on stderr. The number of API calls grows with the number
of batches (a ``StartQuery`` and a few polls per batch and query), never with the number of
invocations. A batch that still fails fails alone: its log groups are reported missing by name,
the others' rows stay exact.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..errors import CliError
from ..insights import parse_results
from ..queries import RESULT_LIMIT
from .defaults import DEFAULT_CONCURRENCY
from .queries import log_group_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..aws import Client
    from ..insights import Rows
    from ..progress import Progress

MAX_LOG_GROUPS = 50
"""How many log groups one Logs Insights query may read (``logGroupIdentifiers``)."""

_ENDED = ("Failed", "Cancelled", "Timeout", "Unknown")


@dataclass(frozen=True)
class Batch:
    number: int
    log_groups: tuple[str, ...]


def batches(log_groups: Sequence[str], size: int = MAX_LOG_GROUPS) -> list[Batch]:
    """The log groups in order, ``size`` at a time."""
    return [Batch(n + 1, tuple(log_groups[i : i + size])) for n, i in enumerate(range(0, len(log_groups), size))]


@dataclass(frozen=True)
class Failure:
    batch: Batch
    reason: str


@dataclass
class Results:
    """Rows by log group and query name, and the batches that failed."""

    rows: dict[str, dict[str, Rows]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)

    def failed(self) -> dict[str, str]:
        """Log group -> why its batch has no rows."""
        return {group: failure.reason for failure in self.failures for group in failure.batch.log_groups}


class _Progress:
    """Counts the queries done, across the threads running them."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress, self.total = progress, total
        self.lock = threading.Lock()
        self.done = 0

    def one_done(self) -> None:
        with self.lock:
            self.done += 1
            done = self.done
        self.progress(f"fleet queries: {done}/{self.total} done")


def _query(logs: Client, batch: Batch, name: str, query: str, window: tuple[int, int]) -> Rows:
    query_id = logs.call(
        "start_query",
        logGroupIdentifiers=list(batch.log_groups),
        startTime=window[0] // 1000,
        endTime=window[1] // 1000,
        queryString=query,
        limit=RESULT_LIMIT,
    )["queryId"]
    delay = 0.5
    while True:
        result = logs.call("get_query_results", queryId=query_id)
        status = result.get("status")
        if status == "Complete":
            rows = parse_results(result.get("results", []))
            if len(rows) >= RESULT_LIMIT:  # a few rows per log group: only a fault gets here
                raise CliError(f"the {name} query reached {RESULT_LIMIT} rows")
            return rows
        if status in _ENDED:
            raise CliError(f"the {name} query ended {str(status).lower()}")
        logs.sleep(delay)
        delay = min(delay * 1.5, 5.0)


def run(
    logs: Client,
    groups: Sequence[Batch],
    queries: dict[str, str],
    window: tuple[int, int],
    *,
    progress: Progress,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Results:
    """Every query over every batch, at most ``concurrency`` batches at once (one query each at
    a time); rows come back by log group."""
    counted = _Progress(progress, len(groups) * len(queries))
    results = Results(rows={group: {name: [] for name in queries} for batch in groups for group in batch.log_groups})

    def one_batch(batch: Batch) -> dict[str, Rows] | str:
        found: dict[str, Rows] = {}
        try:
            for name, query in queries.items():
                found[name] = _query(logs, batch, name, query, window)
                counted.one_done()
        except CliError as failed:
            return str(failed)
        return found

    progress(f"fleet queries: {len(groups)} batch(es) of at most {MAX_LOG_GROUPS} log groups, {counted.total} queries")
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        outcomes = list(pool.map(one_batch, groups))
    for batch, outcome in zip(groups, outcomes, strict=True):
        if isinstance(outcome, str):
            results.failures.append(Failure(batch, outcome))
            for group in batch.log_groups:
                del results.rows[group]
            continue
        for name, rows in outcome.items():
            for row in rows:
                group = log_group_of(row.pop("@log", ""))
                if group in results.rows:
                    results.rows[group][name].append(row)
    return results
