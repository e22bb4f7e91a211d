"""What the dashboard and the alarms name: the namespace, dimension set and metrics a function
publishes, from the flags when ``--namespace`` is given (checked against the metrics that exist
before anything is put; printed as given), else from its latest invoke record in CloudWatch Logs."""

from __future__ import annotations

import os
import sys

from . import aws, logs, published
from .cloudwatch import default_dimensions
from .errors import CliError, UsageError
from .progress import StderrProgress

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from .logs import Target


def region(args: argparse.Namespace) -> str:
    """The region the flags or the environment name, else boto3's configured one (when boto3 is
    there): printing a dashboard or alarms needs no AWS call, and no boto3 with ``--region``."""
    found = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if found:
        return str(found)
    try:
        import boto3
    except ImportError:
        raise UsageError("no AWS region: pass --region or set AWS_REGION") from None
    configured = boto3.session.Session().region_name
    if not configured:
        raise UsageError("no AWS region: pass --region or set AWS_REGION")
    return str(configured)


def resolve(args: argparse.Namespace, log_group: str) -> Target:
    """The namespace, dimension set and declared metrics the dashboard and alarms name."""

    if args.namespace is not None:
        dimensions = default_dimensions(args.function, args.service)
        if not (args.apply or getattr(args, "dry_run", False)):
            return logs.Target(args.namespace, dimensions, None)  # printed as given: nothing is read
        return _published(args, dimensions)
    client = aws.client("logs", args.region, args.endpoint_url, StderrProgress(sys.stderr))
    logs.check_log_group(client, log_group)
    found = logs.discover(client, log_group)
    if found is None:
        raise CliError(
            f"no lambda-lifecycle invoke record in {log_group} in the last 7 days, so its metrics are unknown:"
            " invoke the function once, or pass --namespace (and --service)"
        )
    values = dict(found.dimensions)
    if args.service is not None and values.get("service") != args.service:
        shown = ", ".join(f"{name}={value}" for name, value in found.dimensions) or "no dimensions"
        raise CliError(
            f"--service {args.service} disagrees with what {args.function} publishes:"
            f" namespace {found.namespace}, {shown} (its latest invoke record in {log_group})"
        )
    return found


def _published(args: argparse.Namespace, dimensions: list[tuple[str, str]]) -> Target:
    """The flags checked against what exists (``ListMetrics`` for the function, and for the
    service): only metrics published under exactly that dimension set are named."""
    cw = aws.client("cloudwatch", args.region, args.endpoint_url, StderrProgress(sys.stderr))
    series = published.list_series(cw, args.namespace, [("function_name", args.function)])
    if args.service is not None:
        series |= published.list_series(cw, args.namespace, [("service", args.service)])
    try:
        metrics = published.existing_metrics(series, args.namespace, dimensions)
    except published.NotPublished as exc:
        raise CliError(str(exc)) from None
    return logs.Target(args.namespace, dimensions, metrics)
