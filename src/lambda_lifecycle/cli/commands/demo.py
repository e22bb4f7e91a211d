"""``lambda-lifecycle demo``: one Lambda execution environment simulated here, from init to shutdown."""

from __future__ import annotations

import os
import warnings

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

DETAILS = (
    ": a handler through init, a cold invocation, warm ones after idle gaps, /tmp filling, an error, a"
    " near-timeout and the shutdown, printing every record as Lambda would send it to CloudWatch, then"
    " drawing the environment's timeline (with the timeline extra) into a file of its own."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("emf", "json", "prefixed"), default="emf", help="record format")


def run(args: argparse.Namespace) -> int:
    os.environ["LAMBDA_LIFECYCLE_FORMAT"] = args.format  # as a function's configuration would set it
    from ..._warnings import LifecycleWarning
    from ..demo import run as demo

    with warnings.catch_warnings():
        # The reader left (`demo | head`): rather than the SDK's warning that it drops the records,
        # the command ends quietly at its own next print (exit 141), as every command does.
        warnings.filterwarnings("ignore", r".*cannot write records to stdout \(BrokenPipeError", LifecycleWarning)
        return demo(args.format)
