"""The reading commands over several functions: ``report``, ``dashboard`` and ``alarms`` with a
choice of functions (``fleet_choice``), and the choosing itself that ``timeline`` and ``queries``
use too; each command module hands over here when the flags choose more than one. Every AWS
call goes through ``aws.Client``."""

from __future__ import annotations

import json
import sys

from ...contract import DEFAULT_NAMESPACE
from .. import args as flags
from .. import aws, logs, prices, published
from ..errors import EXIT_OK, EXIT_PARTIAL, CliError, UsageError
from ..progress import StderrProgress
from ..report import iso
from . import batches, choice, collect, reports, table
from . import cloudwatch as fleet_cloudwatch
from .queries import FLEET_QUERIES

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from ..aws import Client
    from ..progress import Progress
    from .choice import Choice, Chosen


def _warn(message: str) -> None:
    print(f"lambda-lifecycle: {message}", file=sys.stderr)


def choose(args: argparse.Namespace, wanted: Choice, progress: Progress) -> tuple[Client, Chosen]:
    """The chosen functions' log groups, from one paginated listing; named functions without
    one are said on stderr."""
    client = aws.client("logs", args.region, args.endpoint_url, progress)
    try:
        chosen = choice.resolve(wanted, choice.log_group_names(client, wanted.listing_prefix()))
    except choice.NothingChosen as exc:
        raise CliError(str(exc)) from None
    if chosen.without_log_group:
        _warn(f"no log group for {', '.join(chosen.without_log_group)}: not in the report")
    return client, chosen


def report(args: argparse.Namespace, wanted: Choice) -> int:
    """One row per function, fleet totals; exit code 3 (``EXIT_PARTIAL``) when some could not be read."""
    window = flags.window(args)
    price = _init_price(args.price)
    progress = StderrProgress(sys.stderr)
    client, chosen = choose(args, wanted, progress)
    if args.engine == "fetch":
        collected = collect.by_fetch(
            chosen.functions,
            lambda group, said: logs.fetch_events(client, group, *window, said),
            progress,
            price,
        )
    else:
        groups = batches.batches([f.log_group for f in chosen.functions])
        results = batches.run(
            client, groups, FLEET_QUERIES, window, progress=progress, concurrency=args.max_concurrent_queries
        )
        collected = collect.by_insights(chosen.functions, results, price)
    progress.done()
    span = f"from {iso(window[0])} to {iso(window[1])}"
    if not collected.rows:
        if collected.missing and not collected.without_records:
            raise CliError(
                f"none of the {len(chosen.functions)} log group(s) could be read: {collected.missing[0].reason}"
            )
        raise CliError(
            f"no lambda-lifecycle records in the {len(chosen.functions)} log group(s) of {wanted.describe()} {span}"
            + (f" ({len(collected.missing)} could not be read)" if collected.missing else "")
        )
    if collected.malformed:
        _warn(f"skipped {collected.malformed} malformed record line(s)")
    if collected.unrecognised:
        _warn(f"left out {collected.unrecognised} 0.2.x invoke line(s) without an _aws block")
    built = table.FleetReport(
        start_ms=window[0],
        end_ms=window[1],
        chosen=wanted.describe(),
        engine=args.engine,
        rows=collected.rows,
        without_records=collected.without_records,
        unrecorded=collected.unrecorded,
        without_log_group=list(chosen.without_log_group),
        missing=collected.missing,
        sort=args.sort,
        top=args.top,
        price=price,
    )
    print(table.render(built, args.format))
    if built.partial:
        _warn(
            f"partial report: {len(built.missing)} function(s) could not be read and are left out of the totals:"
            f" {', '.join(m.function for m in built.missing)}"
        )
        return EXIT_PARTIAL
    return EXIT_OK


def _init_price(given: list[prices.Price]) -> prices.Price:
    """The price the rows' init is costed at: ``--price`` for the architecture REPORT lines are
    costed as, else its list price; a price given for another architecture is said unused."""
    unused = sorted({p.architecture for p in given} - {reports.ARCHITECTURE})
    if unused:
        _warn(
            f"--price {', '.join(unused)} is not used: the fleet report costs init at the {reports.ARCHITECTURE}"
            " price (Lambda's REPORT lines do not say a function's architecture)"
        )
    return prices.price_table(given)[reports.ARCHITECTURE]


def _sets(
    args: argparse.Namespace, wanted: Choice, what: str
) -> tuple[str, Chosen, dict[str, tuple[published.Dimensions, frozenset[str]]], Client]:
    """The chosen functions and, for those that publish in the namespace, the dimension set and
    metrics that exist (``ListMetrics``); the others are said on stderr."""
    if args.service is not None:
        raise UsageError(
            "--service names one function's dimension: with several functions each one's dimension set is read"
            " from ListMetrics"
        )
    progress = StderrProgress(sys.stderr)
    _, chosen = choose(args, wanted, progress)
    namespace = args.namespace or DEFAULT_NAMESPACE
    cw = aws.client("cloudwatch", args.region, args.endpoint_url, progress)
    sets = fleet_cloudwatch.sdk_sets(published.list_series(cw, namespace), {f.name for f in chosen.functions})
    progress.done()
    silent = [f.name for f in chosen.functions if f.name not in sets]
    if not sets:
        raise CliError(
            f"none of the {len(chosen.functions)} function(s) of {wanted.describe()} publishes a lambda-lifecycle"
            f" metric in {namespace}: check --namespace (a new metric takes up to 15 minutes to be listed)"
        )
    if silent:
        _warn(
            f"{len(silent)} function(s) publish no lambda-lifecycle metric in {namespace}, {what}: {', '.join(silent)}"
        )
    return namespace, chosen, sets, cw


def dashboard(args: argparse.Namespace, wanted: Choice) -> int:
    namespace, chosen, sets, cw = _sets(args, wanted, "so no chart shows them (the tables do)")
    built = fleet_cloudwatch.dashboard_body(
        region=cw.region,
        namespace=namespace,
        sets=sets,
        log_groups=[f.log_group for f in chosen.functions],
        top=args.top,
    )
    if built.left_out:
        _warn(
            f"{len(built.left_out)} log group(s) left out of the Logs Insights tables to keep the dashboard body"
            f" within {fleet_cloudwatch.MAX_BODY_BYTES} bytes: {', '.join(built.left_out)}"
        )
    body = json.dumps(built.body, separators=(",", ":"))
    name = fleet_cloudwatch.dashboard_name(cw.region, wanted.prefix)
    if not args.apply:
        print(body)
        return EXIT_OK
    problems = cw.call("put_dashboard", DashboardName=name, DashboardBody=body).get("DashboardValidationMessages")
    if problems:
        raise CliError(f"CloudWatch refused the dashboard: {problems[0].get('Message')}")
    print(f"put dashboard {name}")
    return EXIT_OK


def alarm_specs(args: argparse.Namespace, wanted: Choice) -> tuple[list[dict[str, object]], Client]:
    """The three alarms of every function that publishes, and the fleet-wide Metrics Insights ones."""
    namespace, _, sets, cw = _sets(args, wanted, "so they get no alarm")
    specs = fleet_cloudwatch.function_alarm_specs(
        namespace=namespace,
        sets=sets,
        tmp_percent=args.tmp_percent,
        memory_percent=args.memory_percent,
        cold_start_rate=args.cold_start_rate,
        min_invocations=args.min_invocations,
        actions=args.action,
    )
    specs += fleet_cloudwatch.fleet_alarm_specs(
        namespace=namespace,
        sets=sets,
        tmp_percent=args.tmp_percent,
        memory_percent=args.memory_percent,
        actions=args.action,
    )
    return specs, cw
