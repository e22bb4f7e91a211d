"""The flags several commands share and the argparse types of their values: a bad value is a
usage error (one line, exit code 2) before anything runs."""

from __future__ import annotations

import argparse
import math
import re
import time

from ..records import time_ms
from .errors import UsageError
from .queries import log_group_for

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

_UNITS = {"m": 60, "h": 3600, "d": 86400}
DEFAULT_WINDOW_S = 86400


def duration_s(text: str) -> int:
    match = re.fullmatch(r"(\d+)([mhd])", text.strip())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"expected a duration like 30m, 24h or 7d, got {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


def timestamp_ms(text: str) -> int:
    found = time_ms(text.strip())
    if found is None:
        raise argparse.ArgumentTypeError(f"expected an ISO 8601 time like 2026-11-22T08:00Z, got {text!r}")
    return found


def number_in(low: float, high: float) -> Callable[[str], float]:
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


def positive_int(text: str) -> int:
    if not re.fullmatch(r"\s*\d+\s*", text) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def add_aws(parser: argparse.ArgumentParser, function_required: bool = True) -> None:
    chosen = parser.add_mutually_exclusive_group(required=function_required)
    chosen.add_argument(
        "--function", action="append", metavar="NAME", help="a Lambda function's name; repeat it for several"
    )
    chosen.add_argument("--prefix", help="every function whose name starts with this")
    chosen.add_argument("--all", dest="all_functions", action="store_true", help="every function in the region")
    parser.add_argument("--log-group", help="its log group, if not /aws/lambda/<function>")
    parser.add_argument("--region", help="AWS region (default: from the environment or profile)")
    parser.add_argument("--endpoint-url", help="a CloudWatch endpoint to use instead of AWS's (tests, LocalStack)")


def log_group(args: argparse.Namespace) -> str:
    """The log group the flags name: ``--log-group``, else the one Lambda writes the function's output to."""

    return str(args.log_group or log_group_for(args.function))


def add_window(parser: argparse.ArgumentParser) -> None:
    window = parser.add_mutually_exclusive_group()
    window.add_argument("--since", type=duration_s, default=None, help="the last 30m, 24h, 7d ... (default 24h)")
    window.add_argument("--start", type=timestamp_ms, help="window start, ISO 8601 (UTC unless it says)")
    parser.add_argument("--end", type=timestamp_ms, help="window end, ISO 8601 (default: now)")


def add_engine(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--engine",
        choices=["insights", "fetch"],
        default="insights",
        help=f"insights (default): {what} in Logs Insights, any volume; fetch: read raw records, small windows",
    )


def window(args: argparse.Namespace) -> tuple[int, int]:
    """The window the flags name, as epoch milliseconds; a window that cannot be is a usage error."""
    end_ms = args.end if args.end is not None else int(time.time() * 1000)
    start_ms = args.start if args.start is not None else end_ms - (args.since or DEFAULT_WINDOW_S) * 1000
    if start_ms >= end_ms:
        raise UsageError("the window is empty: --start must come before --end")
    if start_ms < 0:
        # CloudWatch's times count from 1970: botocore would refuse the call in two lines.
        raise UsageError("the window starts before 1970-01-01T00:00Z: give a shorter --since or a later --start")
    return start_ms, end_ms


def add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--namespace",
        help="the namespace the function publishes to (default: read from its latest invoke record);"
        " given, --apply first checks it (and --service) against the metrics that exist (ListMetrics)",
    )
    parser.add_argument(
        "--service", help="the function's service dimension (default: read from its latest invoke record)"
    )
