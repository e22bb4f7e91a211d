"""Logs Insights over many log groups: batches of at most 50 log groups per query
(``logGroupIdentifiers``), run concurrently within a share of the account's concurrent-query
limit, throttling waited out, and every row given back to the log group it came from.

The number of API calls grows with the number of batches (a ``StartQuery`` and a few polls per
batch and query), never with the number of invocations. A batch that fails after its retries
fails alone: its log groups are reported missing by name, the others' rows stay exact.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..insights import parse_results
from .queries import log_group_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    Rows = list[dict[str, str]]

MAX_LOG_GROUPS = 50
"""How many log groups one Logs Insights query may read (``logGroupIdentifiers``)."""

DEFAULT_CONCURRENCY = 10
"""Queries run at once by default: a third of the account's default limit of 30 concurrent
queries, which dashboards and other users share."""

RESULT_LIMIT = 10_000
_BUSY = ("LimitExceededException", "ThrottlingException", "TooManyRequestsException", "ServiceUnavailableException")
_ENDED = ("Failed", "Cancelled", "Timeout", "Unknown")
_ATTEMPTS = 8  # with the delay doubling from 1 s to at most 30 s: about two and a half minutes of waiting


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
    """Rows by log group and query name, the batches that failed, and the API calls made."""

    rows: dict[str, dict[str, Rows]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    calls: int = 0

    def failed(self) -> dict[str, str]:
        """Log group -> why its batch has no rows."""
        return {group: failure.reason for failure in self.failures for group in failure.batch.log_groups}


class _BatchFailed(Exception):
    pass


def _code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


class _Runner:
    def __init__(
        self, logs: Any, start_ms: int, end_ms: int, progress: Callable[[str], None], sleep: Callable[[float], None]
    ) -> None:
        self.logs, self.start_s, self.end_s = logs, start_ms // 1000, end_ms // 1000
        self.progress, self.sleep = progress, sleep
        self.lock = threading.Lock()
        self.calls = self.done = 0
        self.total = 0

    def call(self, method: Callable[..., Any], **params: Any) -> Any:
        """One API call, retried with backoff while CloudWatch says it is busy (for StartQuery,
        ``LimitExceededException``: the account's concurrent queries are all running)."""
        delay = 1.0
        for attempt in range(_ATTEMPTS):
            with self.lock:
                self.calls += 1
            try:
                return method(**params)
            except Exception as exc:  # noqa: BLE001 - every failure becomes the batch's reason
                code = _code(exc)
                if code not in _BUSY:
                    raise _BatchFailed(f"{code}: {exc}" if code else str(exc)) from None
                if attempt == _ATTEMPTS - 1:
                    raise _BatchFailed(f"{code}: still busy after {_ATTEMPTS} attempts") from None
                self.progress(f"fleet queries: CloudWatch is busy ({code}); waiting {delay:.0f} s")
                self.sleep(delay)
                delay = min(delay * 2, 30.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def query(self, batch: Batch, name: str, query: str) -> Rows:
        query_id = self.call(
            self.logs.start_query,
            logGroupIdentifiers=list(batch.log_groups),
            startTime=self.start_s,
            endTime=self.end_s,
            queryString=query,
            limit=RESULT_LIMIT,
        )["queryId"]
        delay = 0.5
        while True:
            result = self.call(self.logs.get_query_results, queryId=query_id)
            status = result.get("status")
            if status == "Complete":
                rows = parse_results(result.get("results", []))
                if len(rows) >= RESULT_LIMIT:  # grouped by log group: only a fault gets here
                    raise _BatchFailed(f"the {name} query reached {RESULT_LIMIT} rows")
                with self.lock:
                    self.done += 1
                    done = self.done
                self.progress(f"fleet queries: {done}/{self.total} done")
                return rows
            if status in _ENDED:
                raise _BatchFailed(f"the {name} query ended {str(status).lower()}")
            self.sleep(delay)
            delay = min(delay * 1.5, 5.0)


def run(
    logs: Any,
    groups: Sequence[Batch],
    queries: dict[str, str],
    start_ms: int,
    end_ms: int,
    *,
    progress: Callable[[str], None],
    concurrency: int = DEFAULT_CONCURRENCY,
    sleep: Callable[[float], None] = time.sleep,
) -> Results:
    """Every query over every batch, at most ``concurrency`` at once; rows come back by log group."""
    runner = _Runner(logs, start_ms, end_ms, progress, sleep)
    runner.total = len(groups) * len(queries)
    results = Results(rows={group: {name: [] for name in queries} for batch in groups for group in batch.log_groups})

    def one_batch(batch: Batch) -> tuple[Batch, dict[str, Rows] | str]:
        found: dict[str, Rows] = {}
        try:
            for name, query in queries.items():
                found[name] = runner.query(batch, name, query)
        except _BatchFailed as failed:
            return batch, str(failed)
        return batch, found

    progress(f"fleet queries: {len(groups)} batch(es) of at most {MAX_LOG_GROUPS} log groups, {runner.total} queries")
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        outcomes = list(pool.map(one_batch, groups))
    for batch, outcome in outcomes:
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
    results.calls = runner.calls
    return results
