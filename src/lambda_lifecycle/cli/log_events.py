"""A saved log read as log events: (time when known, log stream, message), the shape CloudWatch's
FilterLogEvents returns. ``report --input`` and ``timeline --input`` read Lambda's own lines and the
SDK's records from them, each line in its stream (one stream is one execution environment).

The shapes a saved log comes in:

- ``lambda-lifecycle run --output`` and CloudWatch exports: one ``{"timestamp", "logStreamName",
  "message"}`` object per line, or one JSON document (``{"events": [...]}`` or a list of them);
- ``aws logs tail`` / ``sam logs`` lines: the stream, an ISO time, then the message;
- any other text: each line a message, of no known time or stream (one environment, ``-``).
"""

from __future__ import annotations

import json
import re
import sys

from ..records import Reading, records_in, time_ms
from .errors import cannot_read

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    Event = tuple[int | None, str, str]  # (timestamp ms when known, log stream, message)

NO_STREAM = "-"
# "2023/07/05/[56]374cd7798d2a4e36a494a23d658b9741 2023-07-05T10:16:34.013000 RESTORE_START ..."
_TAILED = re.compile(r"(\d{4}/\d\d/\d\d/\[[^\]]*\]\w+)\s+(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)?)\s(.*)")


def _from_object(obj: object) -> Iterator[Event]:
    if isinstance(obj, list):
        for item in obj:
            yield from _from_object(item)
        return
    if not isinstance(obj, dict):
        return
    if isinstance(obj.get("events"), list):
        yield from _from_object(obj["events"])
        return
    message = obj.get("message")
    if message is None:  # a record, or one of Lambda's JSON records, on a line of its own
        yield None, NO_STREAM, json.dumps(obj, separators=(",", ":"))
        return
    text = message if isinstance(message, str) else json.dumps(message, separators=(",", ":"))
    stream = obj.get("logStreamName")
    yield time_ms(obj.get("timestamp")), stream if isinstance(stream, str) else NO_STREAM, text.rstrip("\n")


def events_in(text: str) -> list[Event]:
    """Every log event in a saved log's text, in its order."""
    stripped = text.strip()
    if stripped.startswith(("[", "{")) and "\n" in stripped:
        try:
            return list(_from_object(json.loads(stripped)))
        except ValueError:
            pass  # lines, then
    events: list[Event] = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                events.extend(_from_object(json.loads(line)))
                continue
            except ValueError:
                pass  # a line that only looks like JSON: a message as it is
        tailed = _TAILED.fullmatch(line)
        if tailed is not None:
            events.append((time_ms(tailed.group(2)), tailed.group(1), tailed.group(3)))
        elif line.strip():
            events.append((None, NO_STREAM, line))
    return events


def records_of(events: Iterable[Event]) -> Reading:
    """The SDK's records in log events, each with its event's time, and what was left out."""
    reading = Reading()
    for ms, _, message in events:
        found = records_in(message, ms)
        reading.records += found.records
        reading.malformed += found.malformed
        reading.unrecognised += found.unrecognised
    return reading


def environments_of(events: Iterable[Event]) -> dict[str, str]:
    """The ``environment_id`` of each log stream, as its records name it (the first that does)."""
    found: dict[str, str] = {}
    for ms, stream, message in events:
        if stream in found:
            continue
        for _, record in records_in(message, ms).records:
            environment = record.get("environment_id")
            if isinstance(environment, str):
                found[stream] = environment
                break
    return found


def read_input(source: str) -> str:
    """The text of ``--input``: a file, or stdin for ``-``."""
    if source == "-":
        return sys.stdin.read()
    try:
        with open(source, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError as exc:
        raise cannot_read(source, exc) from None
