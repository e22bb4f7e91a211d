"""``python -m lambda_lifecycle demo``."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lambda_lifecycle",
        description="python -m lambda_lifecycle demo: one Lambda execution environment simulated here, from init to"
        " shutdown, printing every record as Lambda would send it to CloudWatch. The lambda-lifecycle command has"
        " the rest.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="simulate one Lambda execution environment locally")
    demo.add_argument("--format", choices=("emf", "json", "prefixed"), default="emf", help="record format")
    args = parser.parse_args(argv)
    os.environ["LAMBDA_LIFECYCLE_FORMAT"] = args.format

    from ._demo import run

    return run(args.format)


if __name__ == "__main__":
    sys.exit(main())
