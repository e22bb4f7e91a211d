"""``lambda-lifecycle layer build``: a Lambda layer zip with the SDK."""

from __future__ import annotations

from .. import layer

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

DETAILS = ": layer build writes a zip whose python/ holds the SDK and its runtime dependency."
DEFAULT_PYTHON = "3.12"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    layer = parser.add_subparsers(dest="layer_command", required=True, metavar="command")
    build = layer.add_parser("build", help="build a layer zip: python/ with the SDK and its dependencies")
    build.add_argument("--arch", choices=["x86_64", "arm64"], default="x86_64", help="the function's architecture")
    build.add_argument(
        "--python", default=DEFAULT_PYTHON, help=f"the function's Python version, e.g. 3.13 (default {DEFAULT_PYTHON})"
    )
    build.add_argument("--output", help="zip file to write (default: lambda-lifecycle-layer-<...>.zip here)")


def run(args: argparse.Namespace) -> int:
    path, size = layer.build(arch=args.arch, python=args.python, output=args.output)
    print(f"{path} ({size / 1024:.0f} KiB): add it as a layer; the SDK imports as lambda_lifecycle")
    print(
        f"  with no change to the function's code: set AWS_LAMBDA_EXEC_WRAPPER=/opt/{layer.WRAPPER_IN_LAYER}"
        " (the docs' Deployment page has the rest)"
    )
    return 0
