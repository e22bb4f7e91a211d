"""What the flags choose (several ``--function``, ``--prefix`` or ``--all``: ``args.add_aws``
adds them to every reading command), and the fleet report's own flags."""

from __future__ import annotations

from ..args import positive_int
from ..errors import UsageError
from .choice import Choice
from .defaults import DEFAULT_CONCURRENCY, SORT_COLUMNS

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def fleet_choice(args: argparse.Namespace) -> Choice | None:
    """The functions the flags choose when they are several (a prefix, ``--all``, more than one
    ``--function``), else ``None``: then ``args.function`` is the one name given (or ``None``),
    as the single-function commands read it."""
    functions = tuple(args.function or ())
    chosen = Choice(functions, args.prefix, bool(args.all_functions))
    if chosen.single is not None or not (functions or args.prefix is not None or args.all_functions):
        args.function = chosen.single
        return None
    if getattr(args, "log_group", None):
        raise UsageError("--log-group names one function's log group: use it with one --function")
    if args.prefix == "":
        raise UsageError("--prefix needs some text (for every function: --all)")
    return chosen


def add_fleet_report(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sort",
        choices=SORT_COLUMNS,
        default="cold_start_rate",
        metavar="COLUMN",
        help="with several functions: sort the rows by this column, highest first (default cold_start_rate;"
        f" one of {', '.join(SORT_COLUMNS)})",
    )
    parser.add_argument("--top", type=positive_int, help="with several functions: show only the first N rows")
    parser.add_argument(
        "--max-concurrent-queries",
        type=positive_int,
        default=DEFAULT_CONCURRENCY,
        help=f"with several functions: Logs Insights queries run at once (default {DEFAULT_CONCURRENCY}; the"
        " account's limit, 30 by default, is shared with dashboards and other users)",
    )
