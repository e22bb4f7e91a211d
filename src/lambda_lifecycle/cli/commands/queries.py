"""``lambda-lifecycle queries``: print the Logs Insights queries, or save them as one function's
query definitions (``--apply``)."""

from __future__ import annotations

import sys

from .. import args as flags
from .. import aws
from ..errors import UsageError
from ..fleet.flags import fleet_choice
from ..progress import StderrProgress
from ..queries import QUERIES

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from ..aws import Client
    from ..fleet.choice import Choice

DETAILS = ". Saving needs the [cli] extra (boto3)."
QUERY_PREFIX = "lambda-lifecycle/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add_aws(parser, function_required=False)
    parser.add_argument("--apply", action="store_true", help="save them as CloudWatch query definitions")


def query_prefix(function: str) -> str:
    """Saved query definitions are named lambda-lifecycle/<function>/<query>, one set per function."""
    return f"{QUERY_PREFIX}{function}/"


def run(args: argparse.Namespace) -> int:
    several = fleet_choice(args)
    if several is not None:
        return _several(args, several)

    if not args.apply:
        for name, query in QUERIES.items():
            print(f"# {query_prefix(args.function) if args.function else ''}{name}\n{query}\n")
        return 0
    if not args.function:
        raise UsageError("queries --apply needs --function: the saved queries are named after it")

    logs = aws.client("logs", args.region, args.endpoint_url, StderrProgress(sys.stderr))
    for line in apply(logs, args.function, [flags.log_group(args)]):
        print(line)
    return 0


def apply(logs: Client, function: str, log_groups: list[str]) -> list[str]:
    """Save the report queries as one function's query definitions, updating its own in place;
    returns what was done."""

    prefix = query_prefix(function)
    listed = logs.call("describe_query_definitions", queryDefinitionNamePrefix=prefix).get("queryDefinitions", [])
    existing = {d["name"]: d["queryDefinitionId"] for d in listed}
    done = []
    for name, query in QUERIES.items():
        full = prefix + name
        kwargs: dict[str, object] = {"name": full, "queryString": query}
        if log_groups:
            kwargs["logGroupNames"] = log_groups
        if full in existing:
            kwargs["queryDefinitionId"] = existing[full]
        logs.call("put_query_definition", **kwargs)
        done.append(f"{'updated' if full in existing else 'created'} query definition {full}")
    return done


def _several(args: argparse.Namespace, several: Choice) -> int:
    """Print the fleet queries (``by @log``, over up to 50 log groups at once), or save each
    chosen function's report queries as its own definitions."""
    if not args.apply:
        from ..fleet.queries import FLEET_QUERIES

        for name, query in FLEET_QUERIES.items():
            print(f"# fleet/{name} (over up to 50 log groups at once)\n{query}\n")
        return 0
    from ..fleet.commands import choose

    logs, chosen = choose(args, several, StderrProgress(sys.stderr))
    for function in chosen.functions:
        for line in apply(logs, function.name, [function.log_group]):
            print(line)
    return 0
