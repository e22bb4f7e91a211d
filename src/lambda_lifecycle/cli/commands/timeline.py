"""``lambda-lifecycle timeline``: every execution environment's life drawn, from CloudWatch
(``--function``) or a file of records (``--input``)."""

from __future__ import annotations

import sys

from .. import accounting, aws, logs, timeline, timeline_plot
from .. import args as flags
from ..errors import CliError, UsageError, cannot_write
from ..fleet.flags import fleet_choice
from ..insights import count, number
from ..log_events import environments_of, events_in, read_input, records_of
from ..progress import StderrProgress
from ..report import iso
from ..timeline.model import MAX_LANES, MAX_MARKS

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from ...platform_log import PlatformLine
    from ..fleet.choice import Choice
    from ..log_events import Event
    from ..timeline.model import Timeline

DETAILS = (
    ": a lane per process from birth to shutdown or kill, invocations as marks. Reads CloudWatch (--function;"
    " needs the [cli] extra) or a file of records (--input). Drawing needs the [timeline] extra."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add_aws(parser, function_required=False)
    parser.add_argument(
        "--input",
        metavar="FILE",
        help="read records from a file instead of CloudWatch ('-' for stdin): a saved log, a CloudWatch export,"
        " Logs Insights results, the SDK's output",
    )
    flags.add_window(parser)
    flags.add_engine(parser, "one row per process")
    parser.add_argument(
        "--output", default="lambda-lifecycle-timeline.html", help="the HTML file to write (default %(default)s)"
    )
    parser.add_argument("--png", metavar="FILE", help="write the picture as a PNG too, for reports")
    parser.add_argument(
        "--max-lanes",
        type=flags.positive_int,
        default=MAX_LANES,
        help=f"draw at most this many processes, the newest (default {MAX_LANES})",
    )
    parser.add_argument(
        "--max-marks",
        type=flags.positive_int,
        default=MAX_MARKS,
        help="from CloudWatch with the insights engine, fetch each invocation's record only when the drawn"
        f" processes have at most this many (default {MAX_MARKS}); above it, lanes show their counts only",
    )


def run(args: argparse.Namespace) -> int:

    several = fleet_choice(args)
    if (args.input is None) == (args.function is None and several is None):
        raise UsageError("timeline needs --function (read CloudWatch) or --input FILE, one of them")
    timeline_plot.require()  # before minutes of querying, not after
    if several is not None:
        drawn = _across(args, several)
    elif args.input is not None:
        drawn = _from_file(args)
    else:
        drawn = _from_cloudwatch(args)
    return _draw(args, drawn)


def _left_out(source: str, malformed: int, unrecognised: int) -> None:
    if malformed:
        print(f"lambda-lifecycle: skipped {malformed} malformed record line(s) in {source}", file=sys.stderr)
    if unrecognised:
        print(
            f"lambda-lifecycle: left out {unrecognised} 0.2.x invoke line(s) without an _aws block in {source}:"
            " they cannot be told apart from the function's own logs",
            file=sys.stderr,
        )


def _from_file(args: argparse.Namespace) -> Timeline:

    drawn = _with_lambdas_lines(
        events_in(read_input(args.input)), args.input, f"lambda-lifecycle timeline: {args.input}", args.max_lanes
    )
    if not drawn.lanes:
        raise CliError(f"no lambda-lifecycle records with a time in {args.input}")
    return drawn


def _with_lambdas_lines(events: list[Event], source: str, title: str, max_lanes: int) -> Timeline:
    """The timeline of log events: the records' lanes and marks, and Lambda's own lines' killed
    invocations and failed inits on them."""
    reading = records_of(events)
    _left_out(source, reading.malformed, reading.unrecognised)
    _, lines, _ = accounting.rows_from_events(events)
    return timeline.build(
        reading.records, title=title, max_lanes=max_lanes, platform=lines, environment_of=environments_of(events)
    )


def _from_cloudwatch(args: argparse.Namespace) -> Timeline:

    log_group = flags.log_group(args)
    progress = StderrProgress(sys.stderr)
    client = aws.client("logs", args.region, args.endpoint_url, progress)
    logs.check_log_group(client, log_group)
    start_ms, end_ms = flags.window(args)
    drawn = _of_function(args, client, args.function, log_group, (start_ms, end_ms), progress)
    if not drawn.lanes:
        raise CliError(f"no lambda-lifecycle records in {log_group} from {iso(start_ms)} to {iso(end_ms)}")
    return drawn


def _across(args: argparse.Namespace, several: Choice) -> Timeline:
    """Every chosen function's processes, lanes grouped by function."""
    from ..fleet import commands
    from ..fleet import timeline as fleet_timeline

    start_ms, end_ms = flags.window(args)
    progress = StderrProgress(sys.stderr)
    client, chosen = commands.choose(args, several, progress)
    drawn = {
        f.name: _of_function(args, client, f.name, f.log_group, (start_ms, end_ms), progress) for f in chosen.functions
    }
    title = f"{several.describe()}, {iso(start_ms)} to {iso(end_ms)}"
    combined = fleet_timeline.combine(
        {name: found for name, found in drawn.items() if found.lanes}, title=title, max_lanes=args.max_lanes
    )
    without = sorted(name for name, found in drawn.items() if not found.lanes)
    if without:
        combined.notes.append(f"{len(without)} function(s) without records in the window: {', '.join(without)}")
    if not combined.lanes:
        raise CliError(f"no lambda-lifecycle records for {several.describe()} from {iso(start_ms)} to {iso(end_ms)}")
    return combined


def _of_function(
    args: argparse.Namespace,
    client: aws.Client,
    function: str,
    log_group: str,
    window: tuple[int, int],
    progress: StderrProgress,
) -> Timeline:
    """One function's timeline over the window (no lanes when it has no records there)."""
    start_ms, end_ms = window
    title = f"{function} ({log_group}), {iso(start_ms)} to {iso(end_ms)}"
    if args.engine == "fetch":
        events = logs.fetch_events(client, log_group, start_ms, end_ms, progress)
        progress.done()
        drawn = _with_lambdas_lines(events, log_group, title, args.max_lanes)
    else:
        drawn = _from_insights(args, client, log_group, (start_ms, end_ms), title, progress)
    return drawn


def _from_insights(
    args: argparse.Namespace,
    client: aws.Client,
    log_group: str,
    window: tuple[int, int],
    title: str,
    progress: StderrProgress,
) -> Timeline:
    """One row per process from Logs Insights; the marks too when the drawn processes hold at
    most ``--max-marks`` records."""

    start_ms, end_ms = window
    rows = logs.run_split(client, log_group, "processes", start_ms, end_ms, progress, timeline.merge_processes)
    chosen = timeline.newest(rows, args.max_lanes)
    records = None
    lines: list[tuple[str, PlatformLine]] = []
    environment_of: dict[str, str] = {}
    notes = []
    total = sum(count(row, "records") for row in chosen)
    if chosen and total <= args.max_marks:
        first = max(start_ms, min(int(number(row, "first_ms") or start_ms) for row in chosen))
        last = min(end_ms, max(int(number(row, "last_ms") or end_ms) for row in chosen))
        wanted = {row.get("container_id") for row in chosen}
        events = logs.fetch_events(client, log_group, first, last + 1, progress)
        reading = records_of(events)
        _left_out(log_group, reading.malformed, reading.unrecognised)
        records = [timed for timed in reading.records if timed.record.get("container_id") in wanted]
        # Lambda's lines of the drawn processes' environments: their kills and failed inits
        environment_of = environments_of(events)
        drawn_environments = {row.get("environment") for row in chosen}
        _, found, _ = accounting.rows_from_events(events)
        lines = [(stream, line) for stream, line in found if environment_of.get(stream) in drawn_environments]
    elif chosen:
        notes.append(
            f"{total} records in the drawn processes, above --max-marks {args.max_marks}: lanes only, their"
            " invocation counts on hover"
        )
    progress.done()
    return timeline.from_rows(
        rows,
        records,
        title=title,
        max_lanes=args.max_lanes,
        notes=notes,
        platform=lines,
        environment_of=environment_of,
    )


def _draw(args: argparse.Namespace, drawn: Timeline) -> int:

    for note in drawn.notes:
        print(f"lambda-lifecycle: {note}", file=sys.stderr)
    _write(args.output, timeline_plot.to_html(drawn).encode("utf-8"))
    print(f"wrote {args.output}: {len(drawn.lanes)} process{'' if len(drawn.lanes) == 1 else 'es'}")
    if args.png:
        _write(args.png, timeline_plot.to_png(drawn))
        print(f"wrote {args.png}")
    return 0


def _write(path: str, data: bytes) -> None:
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as exc:
        raise cannot_write(path, exc) from None
