"""``lambda-lifecycle dashboard``: print a CloudWatch dashboard body, or put it (``--apply``)."""

from __future__ import annotations

import sys

from .. import args as flags
from .. import aws, cloudwatch, target
from ..errors import CliError
from ..fleet.defaults import TOP
from ..fleet.flags import fleet_choice
from ..progress import StderrProgress

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

DETAILS = (
    ": the metrics the function publishes, under the dimension set its records declare, and Logs Insights"
    " tables. Needs the [cli] extra (boto3), unless --namespace is given and nothing is applied."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add_aws(parser)
    flags.add_target(parser)
    parser.add_argument(
        "--apply",
        action="store_true",
        help="put the dashboard, named lambda-lifecycle-<function>-<region> (several functions:"
        " lambda-lifecycle-fleet[-<prefix>]-<region>)",
    )
    parser.add_argument(
        "--top",
        type=flags.positive_int,
        default=TOP,
        help=f"with several functions: how many functions each chart shows, the worst first (default {TOP})",
    )


def run(args: argparse.Namespace) -> int:
    several = fleet_choice(args)
    if several is not None:
        from ..fleet import commands

        return commands.dashboard(args, several)

    log_group = flags.log_group(args)
    found = target.resolve(args, log_group)
    region = target.region(args)
    body = cloudwatch.dumps(
        cloudwatch.dashboard_body(
            region=region,
            log_group=log_group,
            namespace=found.namespace,
            dimensions=found.dimensions,
            metrics=found.metrics,
        )
    )
    name = cloudwatch.dashboard_name(args.function, region)
    if not args.apply:
        print(body)
        return 0

    cw = aws.client("cloudwatch", region, args.endpoint_url, StderrProgress(sys.stderr))
    problems = cw.call("put_dashboard", DashboardName=name, DashboardBody=body).get("DashboardValidationMessages")
    if problems:
        raise CliError(f"CloudWatch refused the dashboard: {problems[0].get('Message')}")
    print(f"put dashboard {name}")
    return 0
