"""Where records go: stdout, one write and one flush per line, which CloudWatch keeps as one event."""

from __future__ import annotations

import sys

from ._warnings import warn_once


def write_line(line: str) -> None:
    """Write ``line`` and a newline to stdout; a failure warns once and never raises."""
    try:
        out = sys.stdout
        out.write(line + "\n")
        out.flush()
    except Exception as exc:  # noqa: BLE001 - a closed or missing stdout must not reach the handler
        warn_once("emit", f"cannot write records to stdout ({exc!r}); they are dropped")
