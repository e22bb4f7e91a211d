"""``lambda-lifecycle alarms``: print CloudWatch alarms, or put them (``--apply``)."""

from __future__ import annotations

import json
import sys

from .. import args as flags
from .. import aws, cloudwatch, target
from ..fleet.flags import fleet_choice
from ..progress import StderrProgress

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any

DETAILS = (
    ": /tmp use, memory use and the cold-start rate, on the metrics the function publishes. Needs the [cli]"
    " extra (boto3), unless --namespace is given and nothing is applied. Without --action an alarm notifies"
    " nobody: it only changes state in the console, and --apply says so."
)
NOTIFIES_NOBODY = (
    "lambda-lifecycle: warning: no --action given, so these alarms notify nobody (they only change state in the"
    " CloudWatch console); add --action <SNS topic ARN> to be told"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add_aws(parser)
    flags.add_target(parser)
    percent, rate = flags.number_in(0, 100), flags.number_in(0, 1)
    parser.add_argument("--tmp-percent", type=percent, default=80, help="alarm above this /tmp use (default 80)")
    parser.add_argument("--memory-percent", type=percent, default=90, help="alarm above this memory use (default 90)")
    parser.add_argument("--cold-start-rate", type=rate, default=0.25, help="alarm above this rate (default 0.25)")
    parser.add_argument(
        "--min-invocations",
        type=flags.positive_int,
        default=20,
        help="count the cold-start rate only in 15-minute periods with this many invocations (default 20)",
    )
    parser.add_argument("--action", action="append", default=[], help="an alarm action ARN (SNS topic); repeatable")
    doing = parser.add_mutually_exclusive_group()
    doing.add_argument("--apply", action="store_true", help="put the alarms (again: they are updated in place)")
    doing.add_argument("--dry-run", action="store_true", help="list the alarms --apply would put, change nothing")


def run(args: argparse.Namespace) -> int:
    several = fleet_choice(args)
    if several is not None:
        from ..fleet.commands import alarm_specs

        specs, cw = alarm_specs(args, several)
        return _put(args, specs, cw)
    found = target.resolve(args, flags.log_group(args))
    if found.metrics is not None:
        missing = [m for m in ("TmpUsedPercent", "MemoryUsedPercent", "ColdStart") if m not in found.metrics]
        if missing:
            print(
                f"lambda-lifecycle: no alarm on {', '.join(missing)}: {args.function} does not publish"
                " (its metrics setting leaves out) these metrics",
                file=sys.stderr,
            )
    specs = cloudwatch.alarm_specs(
        function=args.function,
        namespace=found.namespace,
        dimensions=found.dimensions,
        metrics=found.metrics,
        tmp_percent=args.tmp_percent,
        memory_percent=args.memory_percent,
        cold_start_rate=args.cold_start_rate,
        min_invocations=args.min_invocations,
        actions=args.action,
    )
    return _put(args, specs, None)


def _put(args: argparse.Namespace, specs: list[dict[str, Any]], cw: aws.Client | None) -> int:
    """Print the alarms (JSON), list them (``--dry-run``), or put them (``--apply``)."""
    if args.dry_run:
        for spec in specs:
            print(f"would put alarm {spec['AlarmName']}: {_watches(spec)} > {spec['Threshold']:g}")
        return 0
    if not args.apply:
        print(json.dumps(specs, indent=2))
        return 0

    if not args.action:
        print(NOTIFIES_NOBODY, file=sys.stderr)
    cw = cw or aws.client("cloudwatch", args.region, args.endpoint_url, StderrProgress(sys.stderr))
    for spec in specs:
        cw.call("put_metric_alarm", **spec)
        print(f"put alarm {spec['AlarmName']}")
    return 0


def _watches(spec: dict[str, Any]) -> str:
    """What an alarm watches, for people: its metric, or the expression it returns."""
    if "MetricName" in spec:
        return f"{spec['MetricName']} ({spec['Statistic']})"
    returned = next(m for m in spec["Metrics"] if m.get("ReturnData"))
    return str(returned.get("Label") or returned["Expression"])
