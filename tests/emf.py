"""A checker for CloudWatch Embedded Metric Format documents, after the published specification."""

from __future__ import annotations

from typing import Any

UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
    "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
    "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
}  # fmt: skip


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def problems(doc: dict[str, Any]) -> list[str]:
    """Everything that keeps ``doc`` from being a valid EMF document (empty when valid)."""
    found = []
    aws = doc.get("_aws")
    if not isinstance(aws, dict):
        return ["no _aws object"]
    if not isinstance(aws.get("Timestamp"), int) or isinstance(aws.get("Timestamp"), bool):
        found.append("_aws.Timestamp must be an integer of epoch milliseconds")
    elif not 1_000_000_000_000 < aws["Timestamp"] < 10_000_000_000_000:
        found.append("_aws.Timestamp is not in milliseconds")
    directives = aws.get("CloudWatchMetrics")
    if not isinstance(directives, list):
        return [*found, "_aws.CloudWatchMetrics must be an array"]
    for directive in directives:
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str) or not 1 <= len(namespace) <= 1024:
            found.append(f"bad Namespace {namespace!r}")
        dimension_sets = directive.get("Dimensions")
        if not isinstance(dimension_sets, list):
            found.append("Dimensions must be an array of arrays")
            dimension_sets = []
        for dimension_set in dimension_sets:
            if not isinstance(dimension_set, list) or len(dimension_set) > 30:
                found.append(f"bad dimension set {dimension_set!r}")
                continue
            for key in dimension_set:
                value = doc.get(key)
                if not isinstance(value, str) or not 1 <= len(value) <= 1024:
                    found.append(f"dimension {key!r} must be a 1-1024 character string in the root, got {value!r}")
        metrics = directive.get("Metrics")
        if not isinstance(metrics, list) or len(metrics) > 100:
            found.append("Metrics must be an array of at most 100 definitions")
            metrics = []
        for metric in metrics:
            name = metric.get("Name")
            if not isinstance(name, str) or not 1 <= len(name) <= 1024:
                found.append(f"bad metric name {name!r}")
                continue
            if "Unit" in metric and metric["Unit"] not in UNITS:
                found.append(f"metric {name!r} has unknown unit {metric['Unit']!r}")
            value = doc.get(name)
            if not (_is_number(value) or (isinstance(value, list) and all(map(_is_number, value)))):
                found.append(f"declared metric {name!r} must be a number in the root, got {value!r}")
    return found
