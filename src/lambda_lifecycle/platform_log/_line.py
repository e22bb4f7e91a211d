"""One of Lambda's lines as read, whichever format it was written in: a ``PlatformLine``, or
``Unread`` for a line of Lambda's that could not be read (a reader raises ``Malformed`` to say
so); and Lambda's rounding of the durations its lines bill."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Kind = Literal[
    "init_start",
    "init_runtime_done",
    "init_report",
    "start",
    "runtime_done",
    "end",
    "report",
    "restore_start",
    "restore_runtime_done",
    "restore_report",
]
Format = Literal["text", "json"]

SUCCESS, TIMEOUT, ERROR, FAILURE = "success", "timeout", "error", "failure"
OUT_OF_MEMORY = "Runtime.OutOfMemory"
EXIT_ERROR = "Runtime.ExitError"


@dataclass(frozen=True)
class PlatformLine:
    """One of Lambda's lines. ``time_ms`` is the JSON record's ``time`` (text lines have none: the
    log event's timestamp is theirs, given to ``parse``). Fields a line does not carry are None."""

    kind: Kind
    format: Format
    time_ms: int | None = None
    request_id: str | None = None
    status: str | None = None  # success, timeout, error, failure; on the report kinds and runtimeDone
    error_type: str | None = None
    duration_ms: float | None = None  # REPORT's Duration, INIT_REPORT's Init Duration, RESTORE_REPORT's ...
    billed_ms: int | None = None
    memory_mb: int | None = None
    max_memory_mb: int | None = None
    init_ms: float | None = None  # REPORT's Init Duration (the first invocation of an on-demand environment)
    restore_ms: float | None = None
    billed_restore_ms: int | None = None
    phase: str | None = None  # init, or invoke for a suppressed init (re-run during the first invocation)
    init_type: str | None = None  # JSON only: on-demand, provisioned-concurrency, snap-start, ...
    runtime_version: str | None = None
    runtime_version_arn: str | None = None
    version: str | None = None  # START's function version


@dataclass(frozen=True)
class Unread:
    """A line that is Lambda's but was not read: a kind this module does not know (``unknown``), or
    a known kind whose fields do not parse (``malformed``)."""

    why: Literal["unknown", "malformed"]
    line: str


class Malformed(ValueError):
    """A line of a known kind whose fields do not read: each reader makes it an ``Unread``."""


def whole(found: float | None) -> int | None:
    return None if found is None else int(found)


def billed_ms(duration_ms: float) -> int:
    """Lambda's rounding of a duration: up to the next whole millisecond, at least 1."""
    # A sum of floats (Init Duration + Duration) can land a hair above a whole number: still that number.
    return max(1, math.ceil(round(duration_ms, 6)))
