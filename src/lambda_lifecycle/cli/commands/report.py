"""``lambda-lifecycle report``: a lifecycle report of one function over a time window."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from ...records import Timed, record_ms
from .. import accounting, aws, logs, prices, report
from .. import args as flags
from ..aggregate import aggregate
from ..errors import CliError, UsageError
from ..fleet.flags import add_fleet_report, fleet_choice
from ..insights import Rows, number
from ..log_events import events_in, read_input, records_of
from ..progress import StderrProgress
from ..render import render
from ..report_model import Report

DETAILS = (
    ": cold starts by init type, proactive inits, re-inits, InitDuration and IdleTime percentiles,"
    " environments, keep-warm percentiles (lifetime, invocations, idle before shutdown), the cold-start rate by"
    " the gap since the previous invocation (fetch engine), durable executions, and where init time goes (phases,"
    " slowest imports, GB-seconds and estimated cost); beside Lambda's own lines, every invocation accounted for"
    " (a record, or why not), billed duration, GB-seconds and estimated cost. Reads CloudWatch (--function; needs"
    " the [cli] extra, boto3) or a saved log (--input)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add_aws(parser, function_required=False)
    parser.add_argument(
        "--input",
        metavar="FILE",
        help="read a file instead of CloudWatch ('-' for stdin): a saved log, a CloudWatch export, the output of"
        " lambda-lifecycle run --output (the same inputs as timeline --input)",
    )
    flags.add_window(parser)
    parser.add_argument("--format", choices=["table", "json", "csv"], default="table", help="(default table)")
    flags.add_engine(parser, "aggregate")
    add_fleet_report(parser)
    parser.add_argument(
        "--price",
        action="append",
        default=[],
        type=_price,
        metavar="ARCH=USD",
        help=f"replace a list price of the cost estimates (invocations, init): {prices.PRICE_FORMAT} (per"
        f" GB-second, per million requests); repeatable. The list prices: {prices.REGION}, first tier, read"
        f" {prices.READ_ON}",
    )


def _price(text: str) -> prices.Price:
    try:
        return prices.parse_price(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    several = fleet_choice(args)
    if several is not None:
        from ..fleet import commands

        return commands.report(args, several)

    if (args.input is None) == (args.function is None):
        raise UsageError("report needs --function (read CloudWatch) or --input FILE, one of them")
    if args.input is not None:
        return _from_file(args)
    start_ms, end_ms = flags.window(args)
    log_group = flags.log_group(args)
    progress = StderrProgress(sys.stderr)
    client = aws.client("logs", args.region, args.endpoint_url, progress)
    logs.check_log_group(client, log_group)
    malformed = unrecognised = 0
    unread: dict[str, int] = {}
    if args.engine == "fetch":
        events = logs.fetch_events(client, log_group, start_ms, end_ms, progress)
        reading = records_of(events)
        malformed, unrecognised = reading.malformed, reading.unrecognised
        rows = aggregate(reading.records)
        platform_rows, _, unread = accounting.rows_from_events(events)
    else:
        rows = logs.insights_rows(
            client, log_group, start_ms, end_ms, progress, {"environments": report.merge_environments}
        )
        platform_rows = {name: rows.get(name, []) for name in accounting.PLATFORM_QUERIES}
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
    return _show(args, _accounted(built, rows, platform_rows, args.price, unread), f"in {log_group}")


def _accounted(
    built: Report,
    rows: dict[str, Rows],
    platform_rows: dict[str, Rows],
    price: list[prices.Price],
    unread: dict[str, int],
) -> Report:
    """The report with Lambda's own lines beside the records (``accounting``)."""
    peaks = [number(row, "peak_memory_mb") for row in rows.get("environments", [])]
    found = accounting.build(
        platform_rows,
        price_table=prices.price_table(price),
        sdk_init=(rows.get("init_duration") or [{}])[0],
        sdk_peak_memory_mb=[peak for peak in peaks if peak is not None],
        unread=unread,
    )
    return dataclasses.replace(built, accounted=found)


def _from_file(args: argparse.Namespace) -> int:
    """The report of a saved log: records and Lambda's lines, the window the file covers."""
    events = events_in(read_input(args.input))
    reading = records_of(events)
    # A file of bare lines (the SDK's output, run's stdout) has no line times: the EMF records' own.
    timed = [Timed(record_ms(ms, record), record) for ms, record in reading.records]
    rows = aggregate(timed)
    untimed = sum(ms is None for ms, _ in timed)
    if untimed:
        print(
            f"lambda-lifecycle: left out {untimed} record(s) without a time (timeout warnings, shutdown and init"
            " records of lines that carry none): save the log stream with run --output, or export it from CloudWatch",
            file=sys.stderr,
        )
    platform_rows, _, unread = accounting.rows_from_events(events)
    times = [ms for ms, _, _ in events if ms is not None] + [ms for ms, _ in timed if ms is not None]
    built = report.build(
        function=args.function or args.input,
        log_group=args.log_group or args.input,
        start_ms=min(times, default=0),
        end_ms=max(times, default=0),
        rows=rows,
        malformed=reading.malformed,
        unrecognised=reading.unrecognised,
        price_table=prices.price_table(args.price),
    )
    return _show(args, _accounted(built, rows, platform_rows, args.price, unread), f"in {args.input}")


def _show(args: argparse.Namespace, built: Report, where: str) -> int:
    if not built.by_init_type and not built.environments.seen and built.accounted is None:
        malformed, unrecognised = built.malformed_lines, built.unrecognised_lines
        skipped = [f"{malformed} malformed lines skipped"] if malformed else []
        skipped += [f"{unrecognised} 0.2.x invoke lines without _aws left out"] if unrecognised else []
        skipped += (
            [f"{sum(built.left_out_rows.values())} result rows without their fields"] if built.left_out_rows else []
        )
        window = f" from {built.start} to {built.end}" if args.input is None else ""
        raise CliError(
            f"no lambda-lifecycle records nor Lambda REPORT lines {where}{window}"
            + (f" ({'; '.join(skipped)})" if skipped else "")
        )
    print(render(built, args.format))
    return 0
