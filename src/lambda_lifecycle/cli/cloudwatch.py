"""The CloudWatch dashboard and alarms for one function, built from the SDK's metric contract. Pure."""

from __future__ import annotations

import json

from ..contract import DEFAULT_NAMESPACE
from .queries import QUERIES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def default_dimensions(function: str, service: str | None) -> list[tuple[str, str]]:
    """The dimension set the SDK publishes under without user dimensions: function_name, then service."""
    return [("function_name", function)] + ([("service", service)] if service else [])


def dashboard_name(function: str, region: str) -> str:
    """Dashboards are global, not regional: the name says which region's function it shows."""
    return f"lambda-lifecycle-{function}-{region}"


def dashboard_body(
    *,
    region: str,
    log_group: str,
    dimensions: list[tuple[str, str]],
    namespace: str = DEFAULT_NAMESPACE,
    metrics: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """A dashboard: cold-start rate, init duration percentiles, memory and /tmp percent, idle time,
    and Logs Insights tables (environments, timeout warnings, keep-warm percentiles, durable
    executions). Every metric names exactly
    ``namespace`` and ``dimensions``; a metric not in ``metrics`` (when given) has no widget."""
    dims = [part for pair in dimensions for part in pair]

    def metric(name: str, stat: str, label: str) -> list[Any]:
        return [namespace, name, *dims, {"stat": stat, "label": label}]

    def metric_widget(title: str, metrics: list[list[Any]], x: int, y: int, **extra: Any) -> dict[str, Any]:
        properties = {"title": title, "region": region, "view": "timeSeries", "period": 300, "metrics": metrics}
        return {"type": "metric", "x": x, "y": y, "width": 12, "height": 6, "properties": {**properties, **extra}}

    def log_widget(title: str, query: str, y: int) -> dict[str, Any]:
        source = f"SOURCE '{log_group}' | " + query.replace("\n", " ")
        properties = {"title": title, "region": region, "query": source, "view": "table"}
        return {"type": "log", "x": 0, "y": y, "width": 24, "height": 6, "properties": properties}

    percent_axis = {"yAxis": {"left": {"min": 0, "max": 100}}}
    charts = [
        metric_widget(
            "Cold-start rate",
            [metric("ColdStart", "Average", "cold starts / invocations")],
            0,
            0,
            yAxis={"left": {"min": 0, "max": 1}},
        ),
        metric_widget(
            "InitDuration (ms)",
            [metric("InitDuration", s, s) for s in ("p50", "p90", "p99", "Maximum")],
            12,
            0,
        ),
        metric_widget(
            "Memory used (% of configured)", [metric("MemoryUsedPercent", "Maximum", "max")], 0, 6, **percent_axis
        ),
        metric_widget("/tmp used (%)", [metric("TmpUsedPercent", "Maximum", "max")], 12, 6, **percent_axis),
        metric_widget(
            "IdleTime between invocations (ms)", [metric("IdleTime", s, s) for s in ("p50", "p90", "Maximum")], 0, 12
        ),
    ]
    declared = [w for w in charts if metrics is None or w["properties"]["metrics"][0][1] in metrics]
    for index, widget in enumerate(declared):  # close the gaps the left-out ones leave
        widget["x"], widget["y"] = 12 * (index % 2), 6 * (index // 2)
    widgets = [
        *declared,
        log_widget("Environments", QUERIES["environments"] + " | sort invocations desc | limit 50", 18),
        log_widget("Timeout warnings", QUERIES["timeouts"], 24),
        log_widget(
            "Keep-warm: processes that shut down (lifetime s, invocations served, idle before shutdown ms)",
            QUERIES["keep_warm"],
            30,
        ),
        log_widget("Durable executions and replayed invocations", QUERIES["durable"], 36),
    ]
    return {"widgets": widgets}


def alarm_specs(
    *,
    function: str,
    dimensions: list[tuple[str, str]],
    namespace: str = DEFAULT_NAMESPACE,
    metrics: tuple[str, ...] | None = None,
    tmp_percent: float = 80,
    memory_percent: float = 90,
    cold_start_rate: float = 0.25,
    min_invocations: int = 20,
    actions: list[str] | None = None,
) -> list[dict[str, Any]]:
    """``put_metric_alarm`` arguments for /tmp and memory percent and for the cold-start rate.

    The cold-start rate is metric math: the average of ``ColdStart`` in a 15-minute period, taken
    as 0 when fewer than ``min_invocations`` invocations ran in it (one cold invocation alone is a
    rate of 1), and it must breach in 2 of 3 periods. Every alarm names exactly ``namespace`` and
    ``dimensions``; none is made on a metric not in ``metrics`` (when given)."""
    named = [{"Name": name, "Value": value} for name, value in dimensions]
    common = {
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": actions or [],
    }
    specs: list[dict[str, Any]] = [
        {
            **common,
            "AlarmName": f"lambda-lifecycle-{function}-{suffix}",
            "AlarmDescription": f"{function}: {description} (lambda-lifecycle)",
            "Namespace": namespace,
            "Dimensions": named,
            "MetricName": metric,
            "Statistic": "Maximum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": float(threshold),
        }
        for suffix, metric, threshold, description in (
            ("tmp-used", "TmpUsedPercent", tmp_percent, "an execution environment's /tmp is filling up"),
            ("memory-used", "MemoryUsedPercent", memory_percent, "a process nears the memory limit"),
        )
        if metrics is None or metric in metrics
    ]

    def cold_starts(ident: str, stat: str) -> dict[str, Any]:
        metric = {"Namespace": namespace, "MetricName": "ColdStart", "Dimensions": named}
        return {"Id": ident, "MetricStat": {"Metric": metric, "Period": 900, "Stat": stat}, "ReturnData": False}

    if metrics is not None and "ColdStart" not in metrics:
        return specs
    specs.append(
        {
            **common,
            "AlarmName": f"lambda-lifecycle-{function}-cold-start-rate",
            "AlarmDescription": (
                f"{function}: too many invocations wait for init, in periods of at least"
                f" {min_invocations} invocations (lambda-lifecycle)"
            ),
            "Metrics": [
                cold_starts("invocations", "SampleCount"),
                cold_starts("cold", "Average"),
                {
                    "Id": "rate",
                    "Expression": f"IF(invocations >= {min_invocations}, cold, 0)",
                    "Label": "cold-start rate",
                    "ReturnData": True,
                },
            ],
            "EvaluationPeriods": 3,
            "DatapointsToAlarm": 2,
            "Threshold": float(cold_start_rate),
        }
    )
    return specs


def dumps(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"))
