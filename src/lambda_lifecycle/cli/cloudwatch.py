"""The CloudWatch dashboard and alarms for one function, built from the SDK's metric contract. Pure."""

from __future__ import annotations

import json

from ..contract import DEFAULT_NAMESPACE
from .queries import QUERIES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _dimensions(function: str, service: str | None) -> list[str]:
    # The one dimension set the SDK publishes every metric under: function_name, then service.
    return ["function_name", function] + (["service", service] if service else [])


def dashboard_name(function: str, region: str) -> str:
    """Dashboards are global, not regional: the name says which region's function it shows."""
    return f"lambda-lifecycle-{function}-{region}"


def dashboard_body(
    *, function: str, region: str, log_group: str, namespace: str = DEFAULT_NAMESPACE, service: str | None = None
) -> dict[str, Any]:
    """A dashboard: cold-start rate, init duration percentiles, memory and /tmp percent, idle time,
    and two Logs Insights tables (environments, timeout warnings)."""
    dims = _dimensions(function, service)

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
    widgets = [
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
        log_widget("Environments", QUERIES["environments"] + " | sort invocations desc | limit 50", 18),
        log_widget("Timeout warnings", QUERIES["timeouts"], 24),
    ]
    return {"widgets": widgets}


def alarm_specs(
    *,
    function: str,
    namespace: str = DEFAULT_NAMESPACE,
    service: str | None = None,
    tmp_percent: float = 80,
    memory_percent: float = 90,
    cold_start_rate: float = 0.25,
    actions: list[str] | None = None,
) -> list[dict[str, Any]]:
    """``put_metric_alarm`` arguments for /tmp and memory percent and for the cold-start rate."""
    pairs = _dimensions(function, service)
    dimensions = [{"Name": pairs[i], "Value": pairs[i + 1]} for i in range(0, len(pairs), 2)]
    common = {
        "Namespace": namespace,
        "Dimensions": dimensions,
        "EvaluationPeriods": 1,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": actions or [],
    }
    specs = [
        ("tmp-used", "TmpUsedPercent", "Maximum", 300, tmp_percent, "an execution environment's /tmp is filling up"),
        ("memory-used", "MemoryUsedPercent", "Maximum", 300, memory_percent, "a process nears the memory limit"),
        ("cold-start-rate", "ColdStart", "Average", 900, cold_start_rate, "too many invocations wait for init"),
    ]
    return [
        {
            **common,
            "AlarmName": f"lambda-lifecycle-{function}-{suffix}",
            "AlarmDescription": f"{function}: {description} (lambda-lifecycle)",
            "MetricName": metric,
            "Statistic": stat,
            "Period": period,
            "Threshold": float(threshold),
        }
        for suffix, metric, stat, period, threshold, description in specs
    ]


def dumps(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"))
