"""What the CLI reads from CloudWatch Logs: the log group, Logs Insights queries (polled, their
windows split when their groups reach the result limit), raw records (the ``fetch`` engine), and
what a function's latest invoke record declares. Every call goes through ``aws.Client``."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from ..contract import INVOKE, KIND_KEY
from ..records import Reading, Record, records_in
from .accounting.platform_queries import PLATFORM_MERGES, PLATFORM_QUERIES
from .errors import CliError
from .insights import Rows, parse_results
from .log_events import NO_STREAM, records_of
from .queries import PROCESSES, QUERIES, RESULT_LIMIT, invoke_filter_pattern

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .aws import Client
    from .log_events import Event
    from .progress import Progress

# the report's (its own, and those beside Lambda's lines), and the timeline's
_ALL_QUERIES = {**QUERIES, **PLATFORM_QUERIES, "processes": PROCESSES}


def check_log_group(logs: Client, log_group: str) -> None:
    found = logs.call("describe_log_groups", logGroupNamePrefix=log_group).get("logGroups", [])
    group = next((group for group in found if group.get("logGroupName") == log_group), None)
    if group is None:
        raise CliError(f"log group {log_group} not found: check --function (or --log-group) and --region")
    if group.get("logGroupClass") == "INFREQUENT_ACCESS":
        # That class extracts no EMF metrics and discovers no fields: records are kept as text only.
        print(
            f"lambda-lifecycle: warning: {log_group} is an Infrequent Access log group: CloudWatch publishes no"
            " metrics from its records (no dashboard or alarm data); use the Standard class for them",
            file=sys.stderr,
        )


def run_query(
    logs: Client,
    log_group: str,
    name: str,
    start_ms: int,
    end_ms: int,
    progress: Progress,
) -> Rows:
    """One Logs Insights query over [start, end], polled with backoff until it completes."""
    query_id = logs.call(
        "start_query",
        logGroupName=log_group,
        startTime=start_ms // 1000,
        endTime=end_ms // 1000,
        queryString=_ALL_QUERIES[name],
        limit=RESULT_LIMIT,
    )["queryId"]
    waited, delay = 0.0, 0.5
    while True:
        result = logs.call("get_query_results", queryId=query_id)
        status = result.get("status")
        if status == "Complete":
            return parse_results(result.get("results", []))
        if status in ("Failed", "Cancelled", "Timeout", "Unknown"):
            raise CliError(f"the {name} query ended {str(status).lower()}; try a shorter window (--since)")
        progress(f"query {name}: {str(status).lower()} for {waited:.0f} s")
        logs.sleep(delay)
        waited += delay
        delay = min(delay * 1.5, 5.0)


def run_split(
    logs: Client,
    log_group: str,
    name: str,
    start_ms: int,
    end_ms: int,
    progress: Progress,
    merge: Callable[[Rows, Rows], Rows],
) -> Rows:
    """A grouped query; a window whose groups reach the result limit is queried in halves, whose
    rows ``merge`` makes one window's."""
    rows = run_query(logs, log_group, name, start_ms, end_ms, progress)
    # StartQuery takes whole epoch seconds, both ends inclusive: split on whole seconds, as
    # [start, middle] and [middle + 1, end], so no second (and no event) is queried twice.
    start_s, end_s = start_ms // 1000, end_ms // 1000
    if len(rows) < RESULT_LIMIT or end_s <= start_s:
        return rows
    middle_s = (start_s + end_s) // 2
    progress(f"query {name}: {len(rows)} groups reach the limit; splitting the window")
    first = run_split(logs, log_group, name, start_s * 1000, middle_s * 1000, progress, merge)
    second = run_split(logs, log_group, name, (middle_s + 1) * 1000, end_s * 1000, progress, merge)
    return merge(first, second)


def insights_rows(
    logs: Client,
    log_group: str,
    start_ms: int,
    end_ms: int,
    progress: Progress,
    merges: dict[str, Callable[[Rows, Rows], Rows]],
) -> dict[str, Rows]:
    """The rows of every report query, and of those beside Lambda's own lines (``accounting``),
    aggregated by Logs Insights; ``merges`` the grouped ones' (the latter's are their own)."""
    merges = {**merges, **PLATFORM_MERGES}
    rows = {}
    for name in (*QUERIES, *PLATFORM_QUERIES):
        if name in merges:
            rows[name] = run_split(logs, log_group, name, start_ms, end_ms, progress, merges[name])
        else:
            rows[name] = run_query(logs, log_group, name, start_ms, end_ms, progress)
    return rows


def fetch_events(logs: Client, log_group: str, start_ms: int, end_ms: int, progress: Progress) -> list[Event]:
    """Every log event in the window: (its time, its log stream, its message)."""
    events: list[Event] = []
    for page in logs.pages("filter_log_events", logGroupName=log_group, startTime=start_ms, endTime=end_ms):
        for event in page.get("events", []):
            stream = event.get("logStreamName")
            events.append(
                (
                    int(event["timestamp"]),
                    stream if isinstance(stream, str) else NO_STREAM,
                    str(event.get("message", "")),
                )
            )
        progress(f"fetched {len(events)} log events")
    return events


def fetch_records(logs: Client, log_group: str, start_ms: int, end_ms: int, progress: Progress) -> Reading:
    """Every record in the window, each with its log event's time, and what was left out."""
    return records_of(fetch_events(logs, log_group, start_ms, end_ms, progress))


@dataclass(frozen=True)
class Target:
    """The metrics a function publishes: a namespace, one ordered dimension set with its values,
    and the metric names it declares (``None``: not known, the flags were trusted)."""

    namespace: str
    dimensions: list[tuple[str, str]]
    metrics: tuple[str, ...] | None = field(default=None)


def _target_of(record: Record) -> Target | None:
    block = record.get("_aws")
    if not isinstance(block, dict):
        return None
    directives = block.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives or not isinstance(directives[0], dict):
        return None
    directive = directives[0]
    sets = directive.get("Dimensions") or [[]]
    names = sets[0] if isinstance(sets, list) and isinstance(sets[0], list) else []
    metrics = tuple(str(m.get("Name")) for m in directive.get("Metrics") or [] if isinstance(m, dict))
    namespace = directive.get("Namespace")
    if not isinstance(namespace, str):
        return None
    return Target(namespace, [(str(name), str(record.get(name, ""))) for name in names], metrics)


def discover(logs: Client, log_group: str) -> Target | None:
    """What the function's most recent invoke record declares (searching the last day, then the
    last week), or ``None`` when no such record is found. Its metrics are those every invoke record
    in the window with the same namespace and dimension set declares between them (a cold record
    declares InitDuration, a warm one IdleTime)."""
    now_ms = int(time.time() * 1000)
    for days in (1, 7):
        newest: tuple[int, Target] | None = None
        found: list[Target] = []
        pages = logs.pages(
            "filter_log_events",
            logGroupName=log_group,
            startTime=now_ms - days * 86_400_000,
            endTime=now_ms,
            filterPattern=invoke_filter_pattern(),
        )
        for page in pages:
            for event in page.get("events", []):
                stamp = int(event.get("timestamp", 0))
                for _, record in records_in(str(event.get("message", "")), stamp).records:
                    target = _target_of(record) if record.get(KIND_KEY) == INVOKE else None
                    if target is None:
                        continue
                    found.append(target)
                    if newest is None or stamp >= newest[0]:
                        newest = (stamp, target)
        if newest is not None:
            best = newest[1]
            names = [name for name, _ in best.dimensions]
            metrics: dict[str, None] = {}
            for target in found:
                if target.namespace == best.namespace and [name for name, _ in target.dimensions] == names:
                    metrics.update(dict.fromkeys(target.metrics or ()))
            return Target(best.namespace, best.dimensions, tuple(metrics))
    return None
