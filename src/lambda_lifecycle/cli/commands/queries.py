"""``lambda-lifecycle queries``: print the Logs Insights queries, or save them as one function's
query definitions (``--apply``)."""

from __future__ import annotations

import sys

from .. import args as flags
from .. import aws
from ..errors import UsageError
from ..progress import StderrProgress
from ..queries import QUERIES

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from ..aws import Client

DETAILS = ". Saving needs the [cli] extra (boto3)."
QUERY_PREFIX = "lambda-lifecycle/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add_aws(parser, function_required=False)
    parser.add_argument("--apply", action="store_true", help="save them as CloudWatch query definitions")


def query_prefix(function: str) -> str:
    """Saved query definitions are named lambda-lifecycle/<function>/<query>, one set per function."""
    return f"{QUERY_PREFIX}{function}/"


def run(args: argparse.Namespace) -> int:

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
