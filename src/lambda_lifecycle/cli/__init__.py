"""The ``lambda-lifecycle`` command: reports, dashboards, alarms and saved queries in CloudWatch,
and Lambda layers. Nothing here runs inside a function, and the handler-side SDK never imports
it; the AWS commands need the ``[cli]`` extra (boto3).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from datetime import datetime, timezone

from .. import __version__
from .timeline import MAX_LANES, MAX_MARKS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, NoReturn, TextIO

    from .timeline import Timeline

_UNITS = {"m": 60, "h": 3600, "d": 86400}
# --help shows this as it is: plain text, unlike the module docstring.
_DESCRIPTION = (
    "Read what lambda-lifecycle's records say about a function in CloudWatch, draw its execution environments,"
    " run a handler locally, or build a Lambda layer. Nothing here runs inside a function. The extras each"
    " command needs: report, queries, dashboard and alarms the cli extra (boto3); timeline the timeline extra,"
    " and the cli extra too to read CloudWatch (--function); run the local extra (awslambdaric); layer build"
    " none."
)


def install_hint(extra: str) -> str:
    """How to install an extra, in both of the ways the README gives: from PyPI, and from a clone
    (the only way until the package is on PyPI)."""
    return f"pip install 'lambda-lifecycle[{extra}]' (from a clone: pip install '.[{extra}]')"


_NEEDS_BOTO3 = f"lambda-lifecycle: this command needs boto3: {install_hint('cli')}"


def _duration_s(text: str) -> int:
    match = re.fullmatch(r"(\d+)([mhd])", text.strip())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"expected a duration like 30m, 24h or 7d, got {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _timestamp_ms(text: str) -> int:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO 8601 time like 2026-11-22T08:00Z, got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def _number_in(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a number in (low, high]."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not low < value <= high:  # NaN fails too
            raise argparse.ArgumentTypeError(f"expected a number above {low:g} and at most {high:g}, got {text!r}")
        return value

    return parse


def _positive_int(text: str) -> int:
    if not re.fullmatch(r"\s*\d+\s*", text) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _add_aws(parser: argparse.ArgumentParser, function_required: bool = True) -> None:
    parser.add_argument("--function", required=function_required, help="the Lambda function's name")
    parser.add_argument("--log-group", help="its log group, if not /aws/lambda/<function>")
    parser.add_argument("--region", help="AWS region (default: from the environment or profile)")
    parser.add_argument("--endpoint-url", help="a CloudWatch endpoint to use instead of AWS's (tests, LocalStack)")


def _add_window(parser: argparse.ArgumentParser) -> None:
    window = parser.add_mutually_exclusive_group()
    window.add_argument("--since", type=_duration_s, default=None, help="the last 30m, 24h, 7d ... (default 24h)")
    window.add_argument("--start", type=_timestamp_ms, help="window start, ISO 8601 (UTC unless it says)")
    parser.add_argument("--end", type=_timestamp_ms, help="window end, ISO 8601 (default: now)")


def _window(args: argparse.Namespace) -> tuple[int, int]:
    """The window the flags name, as epoch milliseconds."""
    from .aws import CliError

    end_ms = args.end or int(time.time() * 1000)
    start_ms = args.start or end_ms - (args.since or 86400) * 1000
    if start_ms >= end_ms:
        raise CliError("the window is empty: --start must come before --end")
    return start_ms, end_ms


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--namespace",
        help="the namespace the function publishes to (default: read from its latest invoke record);"
        " given, the flags are trusted and nothing is read",
    )
    parser.add_argument(
        "--service", help="the function's service dimension (default: read from its latest invoke record)"
    )


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lambda-lifecycle", description=_DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"lambda-lifecycle {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    report_help = "a lifecycle report of one function over a time window"
    rep = commands.add_parser(
        "report",
        help=report_help,
        description=report_help + ": cold starts by init type, proactive inits, re-inits, InitDuration and"
        " IdleTime percentiles, environments, keep-warm percentiles (lifetime, invocations, idle before"
        " shutdown), the cold-start rate by the gap since the previous invocation (fetch engine) and durable"
        " executions. Needs the [cli] extra (boto3).",
    )
    _add_aws(rep)
    _add_window(rep)
    rep.add_argument("--format", choices=["table", "json", "csv"], default="table", help="(default table)")
    rep.add_argument(
        "--engine",
        choices=["insights", "fetch"],
        default="insights",
        help="insights (default): aggregate in Logs Insights, any volume; fetch: read raw records, small windows",
    )

    timeline_help = "draw every execution environment's life: an HTML page that works offline, or a PNG"
    line = commands.add_parser(
        "timeline",
        help=timeline_help,
        description=timeline_help + ": a lane per process from birth to shutdown or kill, invocations as marks."
        " Reads CloudWatch (--function; needs the [cli] extra) or a file of records (--input). Drawing needs"
        " the [timeline] extra.",
    )
    _add_aws(line, function_required=False)
    line.add_argument(
        "--input",
        metavar="FILE",
        help="read records from a file instead of CloudWatch ('-' for stdin): a saved log, a CloudWatch export,"
        " the SDK's output",
    )
    _add_window(line)
    line.add_argument(
        "--output", default="lambda-lifecycle-timeline.html", help="the HTML file to write (default %(default)s)"
    )
    line.add_argument("--png", metavar="FILE", help="write the picture as a PNG too, for reports")
    line.add_argument(
        "--max-lanes",
        type=_positive_int,
        default=MAX_LANES,
        help=f"draw at most this many processes, the newest (default {MAX_LANES})",
    )
    line.add_argument(
        "--max-marks",
        type=_positive_int,
        default=MAX_MARKS,
        help="from CloudWatch, fetch each invocation's record only when the drawn processes have at most this"
        f" many (default {MAX_MARKS}); above it, lanes show their counts only",
    )

    queries_help = "print the Logs Insights queries, or save them (--apply)"
    queries = commands.add_parser(
        "queries", help=queries_help, description=queries_help + ". Saving needs the [cli] extra (boto3)."
    )
    _add_aws(queries, function_required=False)
    queries.add_argument("--apply", action="store_true", help="save them as CloudWatch query definitions")

    dashboard_help = "print a CloudWatch dashboard body, or put it (--apply)"
    dash = commands.add_parser(
        "dashboard",
        help=dashboard_help,
        description=dashboard_help + ": the metrics the function publishes, under the dimension set its"
        " records declare, and Logs Insights tables. Needs the [cli] extra (boto3).",
    )
    _add_aws(dash)
    _add_target(dash)
    dash.add_argument(
        "--apply", action="store_true", help="put the dashboard, named lambda-lifecycle-<function>-<region>"
    )

    alarms_help = "print CloudWatch alarms, or put them (--apply)"
    alarms = commands.add_parser(
        "alarms",
        help=alarms_help,
        description=alarms_help + ": /tmp use, memory use and the cold-start rate, on the metrics the"
        " function publishes. Needs the [cli] extra (boto3).",
    )
    _add_aws(alarms)
    _add_target(alarms)
    percent, rate = _number_in(0, 100), _number_in(0, 1)
    alarms.add_argument("--tmp-percent", type=percent, default=80, help="alarm above this /tmp use (default 80)")
    alarms.add_argument("--memory-percent", type=percent, default=90, help="alarm above this memory use (default 90)")
    alarms.add_argument("--cold-start-rate", type=rate, default=0.25, help="alarm above this rate (default 0.25)")
    alarms.add_argument(
        "--min-invocations",
        type=_positive_int,
        default=20,
        help="count the cold-start rate only in 15-minute periods with this many invocations (default 20)",
    )
    alarms.add_argument("--action", action="append", default=[], help="an alarm action ARN (SNS topic); repeatable")
    alarms.add_argument("--apply", action="store_true", help="put the alarms (again: they are updated in place)")

    layer = commands.add_parser("layer", help="Lambda layers with the SDK").add_subparsers(
        dest="layer_command", required=True, metavar="command"
    )
    build = layer.add_parser("build", help="build a layer zip: python/ with the SDK and its dependencies")
    build.add_argument("--arch", choices=["x86_64", "arm64"], default="x86_64", help="the function's architecture")
    build.add_argument("--python", default="3.12", help="the function's Python version, e.g. 3.12")
    build.add_argument("--output", help="zip file to write (default: lambda-lifecycle-layer-<...>.zip here)")

    from ..local import run

    run.add_arguments(commands.add_parser("run", help=run.HELP, description=run.DESCRIPTION))
    return parser


class _Progress:
    """Progress on stderr: one line rewritten on a terminal, a line per step otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.step = ""

    def __call__(self, message: str) -> None:
        if self.tty:
            self.stream.write(f"\r{message}\033[K")
            self.stream.flush()
            return
        step = message.split(":")[0]
        if step != self.step:
            self.step = step
            print(message, file=self.stream)

    def done(self) -> None:
        if self.tty:
            self.stream.write("\r\033[K")


def _report(args: argparse.Namespace, log_group: str) -> int:
    from . import aws, report

    start_ms, end_ms = _window(args)
    logs = aws.client("logs", args.region, args.endpoint_url)
    aws.check_log_group(logs, log_group)
    progress = _Progress(sys.stderr)
    malformed = 0
    if args.engine == "fetch":
        records, malformed = aws.fetch_records(logs, log_group, start_ms, end_ms, progress)
        rows = report.aggregate(records)
    else:
        rows = aws.insights_rows(logs, log_group, start_ms, end_ms, progress)
    progress.done()
    if not rows["summary"] and not rows["environments"]:
        raise aws.CliError(
            f"no lambda-lifecycle records in {log_group} from {report.iso(start_ms)} to {report.iso(end_ms)}"
            + (f" ({malformed} malformed lines skipped)" if malformed else "")
        )
    built = report.build(
        function=args.function, log_group=log_group, start_ms=start_ms, end_ms=end_ms, rows=rows, malformed=malformed
    )
    print(report.render(built, args.format))
    return 0


def _draw(args: argparse.Namespace, drawn: Timeline) -> int:
    from . import timeline_plot

    for note in drawn.notes:
        print(f"lambda-lifecycle: {note}", file=sys.stderr)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(timeline_plot.to_html(drawn))
    print(f"wrote {args.output}: {len(drawn.lanes)} process{'' if len(drawn.lanes) == 1 else 'es'}")
    if args.png:
        with open(args.png, "wb") as f:
            f.write(timeline_plot.to_png(drawn))
        print(f"wrote {args.png}")
    return 0


def _timeline_file(args: argparse.Namespace) -> int:
    from . import timeline

    if args.input == "-":
        text = sys.stdin.read()
    else:
        with open(args.input, encoding="utf-8", errors="replace") as f:
            text = f.read()
    records, malformed = timeline.read_text(text)
    if malformed:
        print(f"lambda-lifecycle: skipped {malformed} malformed record line(s) in {args.input}", file=sys.stderr)
    drawn = timeline.build(records, title=f"lambda-lifecycle timeline: {args.input}", max_lanes=args.max_lanes)
    if not drawn.lanes:
        raise timeline.TimelineError(f"no lambda-lifecycle records with a time in {args.input}")
    return _draw(args, drawn)


def _timeline_cloudwatch(args: argparse.Namespace, log_group: str) -> int:
    from . import aws, report, timeline

    start_ms, end_ms = _window(args)
    logs = aws.client("logs", args.region, args.endpoint_url)
    aws.check_log_group(logs, log_group)
    progress = _Progress(sys.stderr)
    rows = aws.run_split(logs, log_group, "processes", start_ms, end_ms, progress, merge=timeline.merge_processes)
    chosen = timeline.newest(rows, args.max_lanes)
    title = f"{args.function} ({log_group}), {report.iso(start_ms)} to {report.iso(end_ms)}"
    records = None
    notes = []
    count = sum(int(report.number(row, "records") or 0) for row in chosen)
    if chosen and count <= args.max_marks:
        first = max(start_ms, min(int(report.number(row, "first_ms") or start_ms) for row in chosen))
        last = min(end_ms, max(int(report.number(row, "last_ms") or end_ms) for row in chosen))
        wanted = {row.get("container_id") for row in chosen}
        found, _ = aws.fetch_records(logs, log_group, first, last + 1, progress)
        records = [(ms, r) for ms, r in found if r.get("container_id") in wanted]
    elif chosen:
        notes.append(
            f"{count} records in the drawn processes, above --max-marks {args.max_marks}: lanes only, their"
            " invocation counts on hover"
        )
    progress.done()
    drawn = timeline.from_rows(rows, records, title=title, max_lanes=args.max_lanes, notes=notes)
    if not drawn.lanes:
        raise aws.CliError(
            f"no lambda-lifecycle records in {log_group} from {report.iso(start_ms)} to {report.iso(end_ms)}"
        )
    return _draw(args, drawn)


def _queries(args: argparse.Namespace, log_group: str | None) -> int:
    from . import aws
    from .queries import QUERIES

    if not args.apply:
        for name, query in QUERIES.items():
            print(f"# {aws.query_prefix(args.function) if args.function else ''}{name}\n{query}\n")
        return 0
    if not args.function:
        raise aws.CliError("queries --apply needs --function: the saved queries are named after it")
    logs = aws.client("logs", args.region, args.endpoint_url)
    for line in aws.apply_queries(logs, args.function, [log_group] if log_group else []):
        print(line)
    return 0


def _target(args: argparse.Namespace, log_group: str) -> tuple[str, list[tuple[str, str]], tuple[str, ...] | None]:
    """The namespace, dimension set and declared metrics the dashboard and alarms name: the flags
    when --namespace is given, otherwise what the function's latest invoke record declares."""
    from . import aws, cloudwatch

    if args.namespace is not None:
        return args.namespace, cloudwatch.default_dimensions(args.function, args.service), None
    logs = aws.client("logs", args.region, args.endpoint_url)
    aws.check_log_group(logs, log_group)
    found = aws.discover(logs, log_group)
    if found is None:
        raise aws.CliError(
            f"no lambda-lifecycle invoke record in {log_group} in the last 7 days, so its metrics are unknown:"
            " invoke the function once, or pass --namespace (and --service)"
        )
    values = dict(found.dimensions)
    if args.service is not None and values.get("service") != args.service:
        shown = ", ".join(f"{name}={value}" for name, value in found.dimensions) or "no dimensions"
        raise aws.CliError(
            f"--service {args.service} disagrees with what {args.function} publishes:"
            f" namespace {found.namespace}, {shown} (its latest invoke record in {log_group})"
        )
    return found.namespace, found.dimensions, found.metrics


def _dashboard(args: argparse.Namespace, log_group: str) -> int:
    from . import aws, cloudwatch

    namespace, dimensions, metrics = _target(args, log_group)
    cw = aws.client("cloudwatch", args.region, args.endpoint_url)
    body = cloudwatch.dashboard_body(
        region=cw.meta.region_name,
        log_group=log_group,
        namespace=namespace,
        dimensions=dimensions,
        metrics=metrics,
    )
    name = cloudwatch.dashboard_name(args.function, cw.meta.region_name)
    if not args.apply:
        print(cloudwatch.dumps(body))
        return 0
    aws.apply_dashboard(cw, name, cloudwatch.dumps(body))
    print(f"put dashboard {name}")
    return 0


def _alarms(args: argparse.Namespace, log_group: str) -> int:
    import json

    from . import aws, cloudwatch

    namespace, dimensions, metrics = _target(args, log_group)
    if metrics is not None:
        missing = [m for m in ("TmpUsedPercent", "MemoryUsedPercent", "ColdStart") if m not in metrics]
        if missing:
            print(
                f"lambda-lifecycle: no alarm on {', '.join(missing)}: {args.function} does not publish"
                " (its metrics setting leaves out) these metrics",
                file=sys.stderr,
            )
    specs = cloudwatch.alarm_specs(
        function=args.function,
        namespace=namespace,
        dimensions=dimensions,
        metrics=metrics,
        tmp_percent=args.tmp_percent,
        memory_percent=args.memory_percent,
        cold_start_rate=args.cold_start_rate,
        min_invocations=args.min_invocations,
        actions=args.action,
    )
    if not args.apply:
        print(json.dumps(specs, indent=2))
        return 0
    aws.apply_alarms(aws.client("cloudwatch", args.region, args.endpoint_url), specs)
    for spec in specs:
        print(f"put alarm {spec['AlarmName']}")
    return 0


def _layer(args: argparse.Namespace) -> int:
    from . import layer

    path, size = layer.build(arch=args.arch, python=args.python, output=args.output)
    print(f"{path} ({size / 1024:.0f} KiB): add it as a layer; the SDK imports as lambda_lifecycle")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (1 for a failure, with one line on stderr)."""
    args = _parser().parse_args(argv)
    errors: tuple[type[BaseException], ...] = ()
    if args.command == "run":
        from ..local import run

        return run.main(args)
    try:
        if args.command == "layer":
            from .layer import BuildError

            errors = (BuildError,)
            return _layer(args)
        if args.command == "timeline":
            from . import timeline_plot
            from .timeline import TimelineError

            errors = (TimelineError,)
            timeline_plot.require()  # before minutes of querying, not after
            if (args.input is None) == (args.function is None):
                _parser().error("timeline needs --function (read CloudWatch) or --input FILE, one of them")
            if args.input is not None:
                return _timeline_file(args)
        try:
            from . import aws
        except ImportError:
            print(_NEEDS_BOTO3, file=sys.stderr)
            return 1
        errors = (*errors, aws.CliError)
        from .queries import log_group_for

        # --function is required by every command but queries, where it only scopes --apply.
        log_group = args.log_group or (log_group_for(args.function) if args.function else None)
        handlers: dict[str, Any] = {
            "report": lambda: _report(args, str(log_group)),
            "queries": lambda: _queries(args, log_group),
            "dashboard": lambda: _dashboard(args, str(log_group)),
            "alarms": lambda: _alarms(args, str(log_group)),
            "timeline": lambda: _timeline_cloudwatch(args, str(log_group)),
        }
        return int(handlers[args.command]())
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in ("boto3", "botocore"):
            raise
        print(_NEEDS_BOTO3, file=sys.stderr)
        return 1
    except errors as exc:
        print(f"lambda-lifecycle: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file that cannot be written, and the like
        print(f"lambda-lifecycle: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
