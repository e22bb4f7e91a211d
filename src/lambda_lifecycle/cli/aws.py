"""The CLI's calls to CloudWatch and CloudWatch Logs: queries with polling, backoff and window
splitting, raw record fetching, and the ``--apply`` writes. Every AWS failure becomes a
:class:`CliError` with one line that says what to do."""

from __future__ import annotations

import sys
import time

from ..testing import parse
from . import report
from .queries import GROUPED, PROCESSES, QUERIES, RESULT_LIMIT
from .timeline import RECORD_LINE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Progress = Callable[[str], None]

RECORD_EVENTS = ("invoke", "shutdown", "timeout_warning")
_RETRYABLE = ("ThrottlingException", "LimitExceededException", "TooManyRequestsException")
QUERY_PREFIX = "lambda-lifecycle/"
_ALL_QUERIES = {**QUERIES, "processes": PROCESSES}  # the report's, and the timeline's


def query_prefix(function: str) -> str:
    """Saved query definitions are named lambda-lifecycle/<function>/<query>, one set per function."""
    return f"{QUERY_PREFIX}{function}/"


class CliError(Exception):
    """A failure the user can act on; its message is the one line shown."""


def client(service: str, region: str | None, endpoint: str | None) -> Any:
    import os

    import boto3
    from botocore.config import Config

    try:
        # Adaptive retries absorb throttling of the API calls themselves.
        config = Config(retries={"mode": "adaptive", "max_attempts": 10})
        region = region or os.environ.get("AWS_REGION")  # what Lambda and most tools set; boto3 reads another
        return boto3.client(service, region_name=region, endpoint_url=endpoint, config=config)
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line for the user
        raise explain(exc) from None


def explain(exc: Exception) -> CliError:
    """The one line to show for an exception raised by boto3."""
    from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError

    if isinstance(exc, NoCredentialsError):
        return CliError("no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    if isinstance(exc, NoRegionError):
        return CliError("no AWS region: pass --region or set AWS_REGION")
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return CliError(f"{error.get('Code', 'error')}: {error.get('Message', exc)}")
    return CliError(str(exc))


def _call(method: Callable[..., Any], sleep: Callable[[float], None] = time.sleep, **kwargs: Any) -> Any:
    """One API call, retried with backoff while CloudWatch says it is too busy."""
    from botocore.exceptions import ClientError

    delay = 1.0
    for attempt in range(6):
        try:
            return method(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in _RETRYABLE or attempt == 5:
                raise explain(exc) from None
            sleep(delay)
            delay = min(delay * 2, 20.0)
        except Exception as exc:  # noqa: BLE001 - every failure becomes one line for the user
            raise explain(exc) from None
    raise AssertionError("unreachable")  # pragma: no cover


def check_log_group(logs: Any, log_group: str) -> None:
    found = _call(logs.describe_log_groups, logGroupNamePrefix=log_group).get("logGroups", [])
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
    logs: Any,
    log_group: str,
    name: str,
    start_ms: int,
    end_ms: int,
    progress: Progress,
    sleep: Callable[[float], None] = time.sleep,
) -> report.Rows:
    """One Logs Insights query over [start, end], polled with backoff until it completes."""
    query_id = _call(
        logs.start_query,
        sleep,
        logGroupName=log_group,
        startTime=start_ms // 1000,
        endTime=end_ms // 1000,
        queryString=_ALL_QUERIES[name],
        limit=RESULT_LIMIT,
    )["queryId"]
    waited, delay = 0.0, 0.5
    while True:
        result = _call(logs.get_query_results, sleep, queryId=query_id)
        status = result.get("status")
        if status == "Complete":
            return report.parse_results(result.get("results", []))
        if status in ("Failed", "Cancelled", "Timeout", "Unknown"):
            raise CliError(f"the {name} query ended {status.lower()}; try a shorter window (--since)")
        progress(f"query {name}: {status.lower()} for {waited:.0f} s")
        sleep(delay)
        waited += delay
        delay = min(delay * 1.5, 5.0)


def run_split(
    logs: Any,
    log_group: str,
    name: str,
    start_ms: int,
    end_ms: int,
    progress: Progress,
    sleep: Callable[[float], None] = time.sleep,
    merge: Callable[[report.Rows, report.Rows], report.Rows] = report.merge_environments,
) -> report.Rows:
    """A grouped query; a window whose groups reach the result limit is queried in halves, whose
    rows ``merge`` makes one window's."""
    rows = run_query(logs, log_group, name, start_ms, end_ms, progress, sleep)
    # StartQuery takes whole epoch seconds, both ends inclusive: split on whole seconds, as
    # [start, middle] and [middle + 1, end], so no second (and no event) is queried twice.
    start_s, end_s = start_ms // 1000, end_ms // 1000
    if len(rows) < RESULT_LIMIT or end_s <= start_s:
        return rows
    middle_s = (start_s + end_s) // 2
    progress(f"query {name}: {len(rows)} groups reach the limit; splitting the window")
    first = run_split(logs, log_group, name, start_s * 1000, middle_s * 1000, progress, sleep, merge)
    second = run_split(logs, log_group, name, (middle_s + 1) * 1000, end_s * 1000, progress, sleep, merge)
    return merge(first, second)


def insights_rows(
    logs: Any,
    log_group: str,
    start_ms: int,
    end_ms: int,
    progress: Progress,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, report.Rows]:
    """The rows of every report query, aggregated by Logs Insights."""
    rows = {}
    for name in QUERIES:
        run = run_split if name in GROUPED else run_query
        rows[name] = run(logs, log_group, name, start_ms, end_ms, progress, sleep)
    return rows


def record_of(message: str) -> dict[str, object] | None:
    """The SDK record a log line holds, ``None`` for other lines (the function's own JSON logs
    included); raises ValueError for a line of ours that cannot be read."""
    line = message.strip()
    if not line.startswith(("{", "METRICS: {")) or not RECORD_LINE.search(line):
        return None
    record = parse(line)
    if not isinstance(record, dict) or record.get("event") not in RECORD_EVENTS:
        raise ValueError("not a lambda-lifecycle record")
    return record


def fetch_records(
    logs: Any, log_group: str, start_ms: int, end_ms: int, progress: Progress
) -> tuple[list[tuple[int, dict[str, object]]], int]:
    """Every record in the window, and how many record-like lines could not be read."""
    records: list[tuple[int, dict[str, object]]] = []
    malformed = 0
    try:
        pages = logs.get_paginator("filter_log_events").paginate(
            logGroupName=log_group, startTime=start_ms, endTime=end_ms
        )
        for page in pages:
            for event in page.get("events", []):
                try:
                    record = record_of(event.get("message", ""))
                except ValueError:
                    malformed += 1
                    continue
                if record is not None:
                    records.append((int(event["timestamp"]), record))
            progress(f"fetched {len(records)} records")
    except CliError:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line for the user
        raise explain(exc) from None
    return records, malformed


def apply_queries(logs: Any, function: str, log_groups: list[str]) -> list[str]:
    """Save the report queries as one function's query definitions, updating its own in place;
    returns what was done."""
    prefix = query_prefix(function)
    existing = {
        d["name"]: d["queryDefinitionId"]
        for d in _call(logs.describe_query_definitions, queryDefinitionNamePrefix=prefix).get("queryDefinitions", [])
    }
    done = []
    for name, query in QUERIES.items():
        full = prefix + name
        kwargs: dict[str, Any] = {"name": full, "queryString": query}
        if log_groups:
            kwargs["logGroupNames"] = log_groups
        if full in existing:
            kwargs["queryDefinitionId"] = existing[full]
        _call(logs.put_query_definition, **kwargs)
        done.append(f"{'updated' if full in existing else 'created'} query definition {full}")
    return done


def apply_dashboard(cloudwatch: Any, name: str, body: str) -> None:
    result = _call(cloudwatch.put_dashboard, DashboardName=name, DashboardBody=body)
    problems = result.get("DashboardValidationMessages") or []
    if problems:
        raise CliError(f"CloudWatch refused the dashboard: {problems[0].get('Message')}")


def apply_alarms(cloudwatch: Any, specs: list[dict[str, Any]]) -> None:
    for spec in specs:
        _call(cloudwatch.put_metric_alarm, **spec)


class Target:
    """The metrics a function publishes: a namespace, one ordered dimension set with its values,
    and the metric names it declares."""

    def __init__(self, namespace: str, dimensions: list[tuple[str, str]], metrics: tuple[str, ...]) -> None:
        self.namespace = namespace
        self.dimensions = dimensions
        self.metrics = metrics


def _target_of(record: dict[str, object]) -> Target | None:
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


def discover(logs: Any, log_group: str) -> Target | None:
    """What the function's most recent invoke record declares (searching the last day, then the
    last week), or ``None`` when no such record is found. Its metrics are those every invoke record
    in the window with the same namespace and dimension set declares between them (a cold record
    declares InitDuration, a warm one IdleTime)."""
    now_ms = int(time.time() * 1000)
    for days in (1, 7):
        newest: tuple[int, Target] | None = None
        found: list[Target] = []
        try:
            pages = logs.get_paginator("filter_log_events").paginate(
                logGroupName=log_group,
                startTime=now_ms - days * 86_400_000,
                endTime=now_ms,
                filterPattern='{ $.event = "invoke" }',
            )
            for page in pages:
                for event in page.get("events", []):
                    message = event.get("message", "").strip()
                    if not message.startswith(("{", "METRICS: {")):
                        continue
                    try:
                        record = parse(message)
                    except ValueError:
                        continue
                    if not isinstance(record, dict) or record.get("event") != "invoke":
                        continue
                    target = _target_of(record)
                    stamp = int(event.get("timestamp", 0))
                    if target is not None:
                        found.append(target)
                    if target is not None and (newest is None or stamp >= newest[0]):
                        newest = (stamp, target)
        except Exception as exc:  # noqa: BLE001 - every failure becomes one line for the user
            raise explain(exc) from None
        if newest is not None:
            best = newest[1]
            names = [name for name, _ in best.dimensions]
            metrics: dict[str, None] = {}
            for target in found:
                if target.namespace == best.namespace and [name for name, _ in target.dimensions] == names:
                    metrics.update(dict.fromkeys(target.metrics))
            return Target(best.namespace, best.dimensions, tuple(metrics))
    return None
