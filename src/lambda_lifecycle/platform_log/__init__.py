"""Lambda's own log lines (the platform's), read: ``START``, ``END``, ``REPORT``, ``INIT_START``,
``INIT_REPORT``, ``RESTORE_START`` and ``RESTORE_REPORT`` in the text log format, and the
``platform.*`` records of the JSON log format (Telemetry API shapes). Lambda writes them into the
function's log stream, one stream per execution environment, beside the function's own lines.

Pure: a message in, a ``PlatformLine`` (or why not) out. A platform line this module does not know,
or one whose fields cannot be read, is counted by the caller, never fatal. The tools (the CLI and the
local runner, which writes these lines as Lambda would) share it; the SDK never imports it.
"""

from __future__ import annotations

from . import _json, _text
from ._cause import KILLED_CAUSES, Cause, cause
from ._json import parse_object, to_json
from ._line import (
    ERROR,
    EXIT_ERROR,
    FAILURE,
    OUT_OF_MEMORY,
    SUCCESS,
    TIMEOUT,
    Format,
    Kind,
    PlatformLine,
    Unread,
    billed_ms,
)
from ._text import to_text

__all__ = ["Format", "Kind", "PlatformLine", "Unread", "billed_ms", "parse", "parse_object", "to_json", "to_text"]
__all__ += ["ERROR", "EXIT_ERROR", "FAILURE", "OUT_OF_MEMORY", "SUCCESS", "TIMEOUT"]  # a REPORT's status, error type
__all__ += ["KILLED_CAUSES", "Cause", "cause"]


def parse(message: str, time_ms: int | None = None) -> PlatformLine | Unread | None:
    """One log event's message: a PlatformLine when it is one of Lambda's lines, Unread when it is
    Lambda's but cannot be read, None when it is not Lambda's (the function's own output, records).

    ``time_ms`` is the log event's time, kept for text lines (JSON records carry their own).
    """
    line = message.lstrip()
    return _json.read(line, time_ms) if line.startswith("{") else _text.read(line, time_ms)
