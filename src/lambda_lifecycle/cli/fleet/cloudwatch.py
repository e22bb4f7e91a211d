"""The fleet dashboard and alarms, built from the series that exist (``published.list_series``
over the namespace). Pure.

The dashboard's charts are Metrics Insights queries over the namespace grouped by
``function_name``, one per dimension set the chosen functions publish under
(``SCHEMA(namespace, function_name, ...)`` matches that set exactly), so a function deployed
tomorrow under the same set appears without editing the dashboard. Its tables are Logs Insights
queries over the chosen log groups, at most 50 to a table.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ...contract import MEASUREMENTS
from ..cloudwatch import alarm_specs
from .batches import MAX_LOG_GROUPS, batches
from .defaults import TOP
from .queries import FLEET_QUERIES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..published import Dimensions, Series

MAX_WIDGETS = 500
"""CloudWatch's limit of widgets on one dashboard."""

MAX_BODY_BYTES = 100_000
"""This tool's budget for a dashboard body, far below what CloudWatch accepts: past it, Logs
Insights tables are left out (and the output says which log groups)."""

CHARTS = (
    ("ColdStart", "AVG", "Worst cold-start rate (cold starts / invocations)"),
    ("InitDuration", "MAX", "Slowest InitDuration (ms, maximum)"),
    ("MemoryUsedPercent", "MAX", "Highest memory use (% of configured)"),
    ("TmpUsedPercent", "MAX", "Highest /tmp use (%)"),
)
"""Metric, Metrics Insights function (it has no percentiles), title."""


def sdk_sets(series: set[Series], functions: set[str]) -> dict[str, tuple[Dimensions, frozenset[str]]]:
    """For each chosen function that publishes in the namespace: the dimension set holding most of
    the SDK's metrics (the one the SDK publishes under; another set, such as Powertools' own
    ``ColdStart``, is not its), and the metric names that exist under it."""
    by_function: dict[str, dict[Dimensions, set[str]]] = {}
    for s in series:
        function = dict(s.dimensions).get("function_name")
        if function in functions and s.name in MEASUREMENTS:
            by_function.setdefault(function, {}).setdefault(s.dimensions, set()).add(s.name)
    found = {}
    for function, sets in by_function.items():
        dims, names = max(sets.items(), key=lambda item: (len(item[1]), item[0]))
        found[function] = (dims, frozenset(names))
    return found


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _name(identifier: str) -> str:
    """An identifier as Metrics Insights reads it: double-quoted unless letters, digits and underscores."""
    return identifier if _PLAIN.fullmatch(identifier) else '"' + identifier.replace('"', '\\"') + '"'


def insights_query(namespace: str, metric: str, function: str, dimension_names: tuple[str, ...], top: int) -> str:
    schema = ", ".join(['"' + namespace.replace('"', '\\"') + '"', *map(_name, dimension_names)])
    return (
        f"SELECT {function}({_name(metric)}) FROM SCHEMA({schema}) GROUP BY function_name"
        f" ORDER BY {function}() DESC LIMIT {top}"
    )


def _schemas(sets: dict[str, tuple[Dimensions, frozenset[str]]], metric: str) -> list[tuple[str, ...]]:
    """The dimension-name sets under which some chosen function publishes ``metric``."""
    return sorted({tuple(name for name, _ in dims) for dims, names in sets.values() if metric in names})


@dataclass(frozen=True)
class FleetDashboard:
    body: dict[str, Any]
    left_out: tuple[str, ...]  # log groups whose tables did not fit


def dashboard_name(region: str, prefix: str | None = None) -> str:
    """Dashboards are global: the name says which region (and which prefix) it shows."""
    shown = (prefix or "").strip("-_")  # shop- names lambda-lifecycle-fleet-shop-<region>
    return "-".join(["lambda-lifecycle-fleet", *([shown] if shown else []), region])


def dashboard_body(
    *,
    region: str,
    namespace: str,
    sets: dict[str, tuple[Dimensions, frozenset[str]]],
    log_groups: list[str],
    top: int = TOP,
) -> FleetDashboard:
    """Metrics Insights charts (one query per dimension set that holds the metric; none for a
    metric no chosen function publishes) and Logs Insights tables over ``log_groups``."""
    widgets: list[dict[str, Any]] = []
    for metric, function, title in CHARTS:
        schemas = _schemas(sets, metric)
        if not schemas:
            continue
        queries = [
            {"expression": insights_query(namespace, metric, function, names, top), "id": f"q{i}", "period": 300}
            for i, names in enumerate(schemas, 1)
        ]
        index = len(widgets)
        properties = {"title": f"{title}, top {top}", "region": region, "view": "timeSeries", "period": 300}
        widgets.append(
            {
                "type": "metric",
                "x": 12 * (index % 2),
                "y": 6 * (index // 2),
                "width": 12,
                "height": 6,
                "properties": {**properties, "metrics": [[q] for q in queries]},
            }
        )
    y = 6 * ((len(widgets) + 1) // 2)
    left_out: list[str] = []
    tables = (
        ("Cold starts by function and init type", FLEET_QUERIES["invocations"]),
        ("InitDuration, memory, /tmp and environments by function", FLEET_QUERIES["usage"]),
    )
    size = len(json.dumps({"widgets": widgets}, separators=(",", ":")))
    for batch in batches(log_groups, MAX_LOG_GROUPS):
        sources = " | ".join(f"SOURCE '{group}'" for group in batch.log_groups)
        added = []
        for title, query in tables:
            shown = f" (log groups {batch.number})" if len(log_groups) > MAX_LOG_GROUPS else ""
            properties = {
                "title": title + shown,
                "region": region,
                "query": f"{sources} | " + query.replace("\n", " ") + " | sort @log",
                "view": "table",
            }
            added.append({"type": "log", "x": 0, "y": y, "width": 24, "height": 6, "properties": properties})
            y += 6
        cost = sum(len(json.dumps(w, separators=(",", ":"))) + 1 for w in added)
        if len(widgets) + len(added) > MAX_WIDGETS or size + cost > MAX_BODY_BYTES:
            left_out += batch.log_groups
            continue
        widgets += added
        size += cost
    return FleetDashboard({"widgets": widgets}, tuple(left_out))


FLEET_ALARMS = (
    ("tmp-used", "TmpUsedPercent", "an execution environment's /tmp is filling up"),
    ("memory-used", "MemoryUsedPercent", "a process nears the memory limit"),
)
"""The fleet-wide thresholds a Metrics Insights alarm can watch: one alarm, each function a
contributor. The cold-start rate has none: its minimum sample (``--min-invocations``) needs
metric math over each function's sample count, which a Metrics Insights alarm cannot add."""


def fleet_alarm_specs(
    *,
    namespace: str,
    sets: dict[str, tuple[Dimensions, frozenset[str]]],
    tmp_percent: float,
    memory_percent: float,
    actions: list[str],
) -> list[dict[str, Any]]:
    """One Metrics Insights alarm per fleet-wide threshold, per dimension set that holds the metric."""
    thresholds = {"TmpUsedPercent": tmp_percent, "MemoryUsedPercent": memory_percent}
    specs = []
    for suffix, metric, description in FLEET_ALARMS:
        for names in _schemas(sets, metric):
            extra = "-".join(n for n in names if n != "function_name")
            specs.append(
                {
                    "AlarmName": "-".join(["lambda-lifecycle-fleet", suffix, *([extra] if extra else [])]),
                    "AlarmDescription": f"any function: {description} (lambda-lifecycle, Metrics Insights)",
                    "Metrics": [
                        {
                            "Id": "fleet",
                            "Expression": insights_query(namespace, metric, "MAX", names, 500),
                            "Period": 300,
                            "ReturnData": True,
                        }
                    ],
                    "ComparisonOperator": "GreaterThanThreshold",
                    "Threshold": float(thresholds[metric]),
                    "EvaluationPeriods": 1,
                    "TreatMissingData": "notBreaching",
                    "AlarmActions": actions,
                }
            )
    return specs


def function_alarm_specs(
    *,
    namespace: str,
    sets: dict[str, tuple[Dimensions, frozenset[str]]],
    **thresholds: Any,
) -> list[dict[str, Any]]:
    """The single-function alarms (/tmp, memory, cold-start rate) for every chosen function, each
    on the dimension set and metrics it publishes; the same names as ``alarms --function``."""
    specs = []
    for function, (dims, names) in sorted(sets.items()):
        specs += alarm_specs(
            function=function, namespace=namespace, dimensions=list(dims), metrics=tuple(names), **thresholds
        )
    return specs
