"""The ``lambda-lifecycle`` command: tools around the SDK that never run inside a function.

Nothing here is imported by the handler-side SDK.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lambda-lifecycle", description=__doc__)
    parser.add_argument("--version", action="version", version=f"lambda-lifecycle {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    layer = commands.add_parser("layer", help="Lambda layers with the SDK").add_subparsers(
        dest="layer_command", required=True, metavar="command"
    )
    build = layer.add_parser("build", help="build a layer zip: python/ with the SDK and its dependencies")
    build.add_argument("--arch", choices=["x86_64", "arm64"], default="x86_64", help="the function's architecture")
    build.add_argument("--python", default="3.12", help="the function's Python version, e.g. 3.12")
    build.add_argument("--output", help="zip file to write (default: lambda-lifecycle-layer-<...>.zip here)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    from . import layer

    try:
        path, size = layer.build(arch=args.arch, python=args.python, output=args.output)
    except layer.BuildError as exc:
        print(f"lambda-lifecycle: {exc}", file=sys.stderr)
        return 1
    print(f"{path} ({size / 1024:.0f} KiB): add it as a layer; the SDK imports as lambda_lifecycle")
    return 0
