"""What CloudWatch holds: the metric series ``ListMetrics`` lists (paginated), and the rule that a
dashboard widget or an alarm names only series that exist.

CloudWatch matches a metric's dimension set exactly, and a series no one publishes stays empty
forever: a widget on it draws nothing and an alarm on it stays OK. So explicit ``--namespace`` /
``--service`` flags are checked here before anything is created. The SDK publishes all of a
function's metrics under one dimension set; when the flags' set holds fewer of them than another
set of the same function or service (Powertools writes its own ``ColdStart`` under
``function_name`` and ``service``, while the SDK's metrics go through it under ``service``), the
flags name the wrong series and are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..contract import MEASUREMENTS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from .aws import Client

    Dimensions = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Series:
    """One metric that exists: its namespace, name and exact dimension set (sorted by name)."""

    namespace: str
    name: str
    dimensions: Dimensions


def list_series(cloudwatch: Client, namespace: str, dimensions: Iterable[tuple[str, str]] = ()) -> set[Series]:
    """Every series in ``namespace`` whose dimensions include ``dimensions`` (all of them, when
    empty): one ``ListMetrics`` listing, 500 metrics a page."""
    params: dict[str, Any] = {"Namespace": namespace}
    wanted = [{"Name": name, "Value": found} for name, found in dimensions]
    if wanted:
        params["Dimensions"] = wanted
    found: set[Series] = set()
    for page in cloudwatch.pages("list_metrics", "NextToken", **params):
        for metric in page.get("Metrics", []):
            dims = tuple(sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", [])))
            found.add(Series(metric["Namespace"], metric["MetricName"], dims))
    return found


def shown(dimensions: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f"{name}={found}" for name, found in dimensions) or "no dimensions"


class NotPublished(Exception):
    """The flags name metrics that do not exist; the message is the one line to show."""


def existing_metrics(series: set[Series], namespace: str, dimensions: list[tuple[str, str]]) -> tuple[str, ...]:
    """The SDK's metrics that exist in ``namespace`` under exactly ``dimensions``, in the
    contract's order. Pure: ``series`` is what ``list_series`` found for the function (and service).

    Raises:
        NotPublished: none of them exists there, or another dimension set holds more of them
            (the flags name series the SDK does not publish, such as Powertools' own ``ColdStart``).
    """
    wanted = tuple(sorted(dimensions))
    by_set: dict[Dimensions, set[str]] = {}
    for s in series:
        if s.namespace == namespace and s.name in MEASUREMENTS:
            by_set.setdefault(s.dimensions, set()).add(s.name)
    here = by_set.get(wanted, set())
    best = max(by_set.items(), key=lambda item: (len(item[1]), item[0] == wanted), default=None)
    if best is not None and best[0] != wanted and len(best[1]) > len(here):
        names = ", ".join(sorted(here)) or "none of them"
        raise NotPublished(
            f"{namespace} holds lambda-lifecycle's metrics under {shown(best[0])}, not {shown(dimensions)}"
            f" (where it holds {names}): run without --namespace to use what the records declare"
        )
    if not here:
        raise NotPublished(
            f"no lambda-lifecycle metric exists in {namespace} under {shown(dimensions)}: check --namespace and"
            " --service, or invoke the function once (a new metric takes up to 15 minutes to be listed)"
        )
    return tuple(name for name in MEASUREMENTS if name in here)
