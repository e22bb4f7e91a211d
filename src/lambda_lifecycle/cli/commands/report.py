"""``lambda-lifecycle report``: a lifecycle report of one function over a time window."""

from __future__ import annotations

import sys

from .. import args as flags
from .. import aws, logs, prices, report
from ..aggregate import aggregate
from ..errors import CliError
from ..fleet.flags import add_fleet_report, fleet_choice
from ..progress import StderrProgress
from ..render import render

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

DETAILS = (
    ": cold starts by init type, proactive inits, re-inits, InitDuration and IdleTime percentiles,"
    " environments, keep-warm percentiles (lifetime, invocations, idle before shutdown), the cold-start rate by"
    " the gap since the previous invocation (fetch engine), durable executions, and where init time goes (phases,"
    " slowest imports, GB-seconds and estimated cost). Needs the [cli] extra (boto3)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add_aws(parser)
    flags.add_window(parser)
    parser.add_argument("--format", choices=["table", "json", "csv"], default="table", help="(default table)")
    flags.add_engine(parser, "aggregate")
    parser.add_argument(
        "--price",
        action="append",
        default=[],
        type=prices.parse_price,
        metavar="PRICE",
        help=f"a price to estimate init's cost with instead of the list price ({prices.PRICE_FORMAT}); repeatable",
    )
    add_fleet_report(parser)


def run(args: argparse.Namespace) -> int:
    several = fleet_choice(args)
    if several is not None:
        from ..fleet import commands

        return commands.report(args, several)

    start_ms, end_ms = flags.window(args)
    log_group = flags.log_group(args)
    progress = StderrProgress(sys.stderr)
    client = aws.client("logs", args.region, args.endpoint_url, progress)
    logs.check_log_group(client, log_group)
    malformed = unrecognised = 0
    if args.engine == "fetch":
        reading = logs.fetch_records(client, log_group, start_ms, end_ms, progress)
        malformed, unrecognised = reading.malformed, reading.unrecognised
        rows = aggregate(reading.records)
    else:
        rows = logs.insights_rows(
            client, log_group, start_ms, end_ms, progress, {"environments": report.merge_environments}
        )
    progress.done()
    built = report.build(
        function=args.function,
        log_group=log_group,
        start_ms=start_ms,
        end_ms=end_ms,
        rows=rows,
        malformed=malformed,
        unrecognised=unrecognised,
        price_table=prices.price_table(args.price),
    )
    if not built.by_init_type and not built.environments.seen:
        skipped = [f"{malformed} malformed lines skipped"] if malformed else []
        skipped += [f"{unrecognised} 0.2.x invoke lines without _aws left out"] if unrecognised else []
        skipped += (
            [f"{sum(built.left_out_rows.values())} result rows without their fields"] if built.left_out_rows else []
        )
        raise CliError(
            f"no lambda-lifecycle records in {log_group} from {report.iso(start_ms)} to {report.iso(end_ms)}"
            + (f" ({'; '.join(skipped)})" if skipped else "")
        )
    print(render(built, args.format))
    return 0
