"""Reading records back: the one reader of every tool (the CLI, the local runner, the timeline and
``testing``). The SDK never imports it, and it imports nothing of the tools.

A line is a record when it holds a JSON object whose ``lambda_lifecycle`` key (``contract.KIND_KEY``)
names a record kind. Records written by 0.2.x name their kind under ``event``, as a function's own
logs may (structlog's message key): such a line is read only when it can be told apart, with string
``container_id`` and ``environment_id`` and, for an invoke record, an ``_aws`` block; the reader
renames its ``event`` to ``lambda_lifecycle``. Every record comes out completed per the contract (the
usual values a line leaves out filled in).

Lines are read in every shape they reach a user: plain JSON, after ``METRICS:`` or a log line's
prefix (a time, a request id, a level), in a CloudWatch event's or Lambda's JSON log format's
``message``, in a Logs Insights row's ``@message``, and files of such lines or one JSON export.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import NamedTuple

from .contract import INVOKE, KIND_KEY, RECORD_KINDS, SHUTDOWN, TIMEOUT_WARNING, complete

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "LEGACY_KINDS",
    "LEGACY_KIND_KEY",
    "MalformedRecord",
    "Reading",
    "Record",
    "Timed",
    "as_record",
    "kind",
    "numbers",
    "read_text",
    "record_ms",
    "record_of",
    "records_in",
    "time_ms",
    "value",
]

Record = dict[str, object]

LEGACY_KIND_KEY = "event"
"""Where 0.2.x wrote a record's kind: read only under the rule above, never written."""
LEGACY_KINDS = (INVOKE, TIMEOUT_WARNING, SHUTDOWN)
"""The kinds 0.2.x wrote: a later kind under ``event`` is a function's own line."""

_KINDS = "|".join(RECORD_KINDS)
# A line that names a kind under either key (one of ours, or with the old key perhaps a function's
# own), its quotes escaped too when the record is a string in an export's message.
_NAMES_A_KIND = re.compile(rf'\\?"(?:{KIND_KEY}|{LEGACY_KIND_KEY})\\?"\s*:\s*\\?"(?:{_KINDS})\\?"')
_OURS = re.compile(rf'\\?"{KIND_KEY}\\?"\s*:\s*\\?"(?:{_KINDS})\\?"')
_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?")


class MalformedRecord(ValueError):
    """A line that names a record kind under ``lambda_lifecycle`` but does not read as a record."""


class Timed(NamedTuple):
    """A record and when its log line was written (epoch ms), ``None`` when the input does not say."""

    ms: int | None
    record: Record


@dataclass
class Reading:
    """What a text held: its records, and what was left out (said to the user, never dropped silently)."""

    records: list[Timed] = field(default_factory=list)
    malformed: int = 0
    """Lines that name a kind under ``lambda_lifecycle`` but could not be read."""
    unrecognised: int = 0
    """0.2.x-shaped invoke lines without an ``_aws`` block (its json or prefixed format): they
    cannot be told apart from a function's own logs, so they are not read."""


def kind(obj: object) -> str | None:
    """The record kind a parsed JSON value holds, ``None`` when it is not a record (see the module)."""
    if not isinstance(obj, dict):
        return None
    found = obj.get(KIND_KEY)
    if found is not None:
        return found if isinstance(found, str) and found in RECORD_KINDS else None
    return _legacy_kind(obj)


def _legacy_kind(obj: dict[str, object]) -> str | None:
    found = obj.get(LEGACY_KIND_KEY)
    if not isinstance(found, str) or found not in LEGACY_KINDS:
        return None
    if not isinstance(obj.get("container_id"), str) or not isinstance(obj.get("environment_id"), str):
        return None
    if found == INVOKE and not isinstance(obj.get("_aws"), dict):
        return None
    return found


def _unrecognised(obj: object) -> bool:
    # A 0.2.x invoke record of the json or prefixed format would read as one but for its _aws block.
    return (
        isinstance(obj, dict)
        and KIND_KEY not in obj
        and obj.get(LEGACY_KIND_KEY) == INVOKE
        and isinstance(obj.get("container_id"), str)
        and isinstance(obj.get("environment_id"), str)
        and not isinstance(obj.get("_aws"), dict)
    )


def as_record(obj: object) -> Record | None:
    """A parsed JSON value as a record (0.2.x's kind key renamed, the contract's usual values
    filled in, in place), ``None`` when it is not one."""
    found = kind(obj)
    if found is None or not isinstance(obj, dict):
        return None
    if KIND_KEY not in obj:
        del obj[LEGACY_KIND_KEY]
        obj[KIND_KEY] = found
    return complete(obj)


def time_ms(text: object) -> int | None:
    """A time as epoch milliseconds: a number of them, or an ISO 8601 text (a date, or a date and
    time with ``T`` or a space between, as Logs Insights writes ``@timestamp``; UTC unless it
    says); ``None`` for anything else."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return int(text) if math.isfinite(text) else None
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return round(moment.timestamp() * 1000)


def record_ms(stamp: int | None, record: Record) -> int | None:
    """A record's own time: an EMF record's ``_aws.Timestamp``, else its log line's (``stamp``)."""
    block = record.get("_aws")
    if isinstance(block, dict):
        found = time_ms(block.get("Timestamp"))
        if found is not None:
            return found
    return stamp


def _from_object(obj: object, line_ms: int | None, reading: Reading) -> None:
    """The records a parsed JSON value holds: a record itself, a log event (``message`` and
    ``timestamp``; Lambda's JSON log format; a Logs Insights row's ``@message``), or a list or
    ``events`` of them."""
    if isinstance(obj, list):
        for item in obj:
            _from_object(item, line_ms, reading)
        return
    if not isinstance(obj, dict):
        return
    found = as_record(obj)
    if found is not None:
        reading.records.append(Timed(line_ms, found))
        return
    if _unrecognised(obj):
        reading.unrecognised += 1
        return
    if isinstance(obj.get("events"), list):
        _from_object(obj["events"], line_ms, reading)
        return
    for message_key, time_key in (("message", "timestamp"), ("@message", "@timestamp")):
        message = obj.get(message_key)
        stamp = time_ms(obj.get(time_key)) or line_ms
        if isinstance(message, dict):
            _from_object(message, stamp, reading)
        elif isinstance(message, str):
            _from_line(message, stamp, reading)


def _from_line(line: str, line_ms: int | None, reading: Reading) -> None:
    brace = line.find("{")
    if brace < 0 or not _NAMES_A_KIND.search(line, brace):
        return  # no record here: most lines of a log, read without parsing them
    found = _TIME.search(line, 0, brace)
    if found is not None:
        line_ms = time_ms(found.group()) or line_ms
    try:
        obj, _ = json.JSONDecoder().raw_decode(line, brace)
    except ValueError:
        if _OURS.search(line, brace):
            reading.malformed += 1
        return
    before = len(reading.records)
    _from_object(obj, line_ms, reading)
    if len(reading.records) == before and isinstance(obj, dict) and _OURS.search(line, brace) and kind(obj) is None:
        reading.malformed += 1  # our key, but not a kind it can hold


def records_in(line: str, ms: int | None = None) -> Reading:
    """The records in one line of text (``ms``: its time, when known, e.g. a CloudWatch event's)."""
    reading = Reading()
    _from_line(line, ms, reading)
    return reading


def record_of(line: str) -> Record | None:
    """The record one log line holds, ``None`` for any other line (the function's own logs
    included); raises ``MalformedRecord`` for a line of ours that cannot be read."""
    reading = records_in(line)
    if reading.malformed:
        raise MalformedRecord(f"not a readable lambda-lifecycle record: {line.strip()[:80]}")
    return reading.records[0].record if reading.records else None


def read_text(text: str) -> Reading:
    """Every record in a file's text (JSON lines in any of the shapes above, or one JSON document:
    an export ``{"events": [...]}`` or a list), each with its time when the text says it."""
    stripped = text.strip()
    if stripped.startswith(("[", "{")) and "\n" in stripped:
        try:
            document = json.loads(stripped)
        except ValueError:
            pass  # JSON lines, then
        else:
            reading = Reading()
            _from_object(document, None, reading)
            return reading
    reading = Reading()
    for line in text.splitlines():
        _from_line(line, None, reading)
    return reading


def value(record: Record, name: str) -> object:
    """A field's value; for a list (how Powertools writes metric values), its first item."""
    found = record.get(name)
    if isinstance(found, list):
        return found[0] if found else None
    return found


def numbers(records: Iterable[Record], name: str) -> list[float]:
    """A field's numeric values in these records (booleans and text are not numbers)."""
    values = (value(r, name) for r in records)
    return [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]


def of_kind(records: Iterable[Record], wanted: str) -> Iterator[Record]:
    """The records of one kind."""
    return (r for r in records if r.get(KIND_KEY) == wanted)
