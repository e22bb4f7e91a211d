"""Lambda's own log lines (the platform's), read: ``START``, ``END``, ``REPORT``, ``INIT_START``,
``INIT_REPORT``, ``RESTORE_START`` and ``RESTORE_REPORT`` in the text log format, and the
``platform.*`` records of the JSON log format (Telemetry API shapes). Lambda writes them into the
function's log stream, one stream per execution environment, beside the function's own lines.

Text lines separate their fields with tabs (``START`` with spaces); a REPORT of a traced function
carries an ``XRAY`` line after a newline in the same log event. A field is ``Name: value`` with
milliseconds as ``15.74 ms`` and memory as ``128 MB``. Lines without ``Status`` succeeded.

Pure: a message in, a ``PlatformLine`` (or why not) out. A platform line this module does not know,
or one whose fields cannot be read, is counted by the caller, never fatal. The tools (the CLI and the
local runner, which writes these lines as Lambda would) share it; the SDK never imports it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from .records import time_ms

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

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


# Text ------------------------------------------------------------------------------------------

_TEXT_KINDS: Mapping[str, Kind] = {
    "START": "start",
    "END": "end",
    "REPORT": "report",
    "INIT_START": "init_start",
    "INIT_REPORT": "init_report",
    "RESTORE_START": "restore_start",
    "RESTORE_REPORT": "restore_report",
}
# Lambda's, but nothing here needs them: trace ids, extensions and Telemetry/Logs API subscribers.
_TEXT_IGNORED = ("XRAY", "EXTENSION", "TELEMETRY", "LOGS")
# The names a text line's fields have; longest first, so Billed Duration is not read as Duration.
_FIELDS = sorted(
    (
        "RequestId",
        "Version",
        "Duration",
        "Billed Duration",
        "Memory Size",
        "Max Memory Used",
        "Init Duration",
        "Restore Duration",
        "Billed Restore Duration",
        "Status",
        "Error Type",
        "Phase",
        "Runtime Version",
        "Runtime Version ARN",
    ),
    key=len,
    reverse=True,
)
_NAMES = "|".join(re.escape(name) for name in _FIELDS)
# A field runs to the next known name (tabs in real lines; spaces where a copy lost them) or the end.
_FIELD = re.compile(rf"(?:^|(?<=\s))({_NAMES}): (.*?)\s*(?=\s(?:{_NAMES}): |$)")
_HEAD = re.compile(r"([A-Z][A-Z_]*[A-Z])[ \t]")
# An upper-case word with an underscore and ``Name: `` after it: Lambda's style, a kind unknown here.
_UNKNOWN_TEXT = re.compile(r"[A-Z]+(?:_[A-Z]+)+[ \t]+[A-Z][A-Za-z ]*: ")
_MS = re.compile(r"(\d+(?:\.\d+)?) ms")
_MB = re.compile(r"(\d+) MB")


class _Malformed(ValueError):
    pass


def _number(pattern: re.Pattern[str], fields: Mapping[str, str], name: str) -> float | None:
    text = fields.get(name)
    if text is None:
        return None
    match = pattern.fullmatch(text)
    if match is None:
        raise _Malformed(f"{name}: {text!r}")
    return float(match.group(1))


def _whole(found: float | None) -> int | None:
    return None if found is None else int(found)


def _text(head: str, body: str, time_ms: int | None) -> PlatformLine:
    kind = _TEXT_KINDS[head]
    fields = {match.group(1): match.group(2) for match in _FIELD.finditer(body)}
    ms = _MS
    request_id = fields.get("RequestId")
    if kind in ("start", "end", "report") and not request_id:
        raise _Malformed("no RequestId")
    duration_name = {"report": "Duration", "init_report": "Init Duration", "restore_report": "Restore Duration"}
    duration = _number(ms, fields, duration_name[kind]) if kind in duration_name else None
    if kind in duration_name and duration is None:
        raise _Malformed(f"no {duration_name[kind]}")
    reported = kind in duration_name
    return PlatformLine(
        kind=kind,
        format="text",
        time_ms=time_ms,
        request_id=request_id,
        status=fields.get("Status", SUCCESS) if reported else None,
        error_type=fields.get("Error Type"),
        duration_ms=duration,
        billed_ms=_whole(_number(ms, fields, "Billed Duration")),
        memory_mb=_whole(_number(_MB, fields, "Memory Size")),
        max_memory_mb=_whole(_number(_MB, fields, "Max Memory Used")),
        init_ms=_number(ms, fields, "Init Duration") if kind == "report" else None,
        restore_ms=_number(ms, fields, "Restore Duration") if kind == "report" else None,
        billed_restore_ms=_whole(_number(ms, fields, "Billed Restore Duration")),
        phase=fields.get("Phase"),
        runtime_version=fields.get("Runtime Version"),
        runtime_version_arn=fields.get("Runtime Version ARN"),
        version=fields.get("Version"),
    )


# JSON ------------------------------------------------------------------------------------------

_JSON_KINDS: Mapping[str, Kind] = {
    "platform.initStart": "init_start",
    "platform.initRuntimeDone": "init_runtime_done",
    "platform.initReport": "init_report",
    "platform.start": "start",
    "platform.runtimeDone": "runtime_done",
    "platform.end": "end",  # early Telemetry API previews wrote it
    "platform.report": "report",
    "platform.restoreStart": "restore_start",
    "platform.restoreRuntimeDone": "restore_runtime_done",
    "platform.restoreReport": "restore_report",
}
_JSON_IGNORED = ("platform.extension", "platform.telemetrySubscription", "platform.logsDropped", "platform.fault")


def _iso_ms(text: object) -> int | None:
    # Only a text: a platform line's time is never a number.
    return time_ms(text) if isinstance(text, str) else None


def _json_number(metrics: Mapping[str, object], name: str) -> float | None:
    found = metrics.get(name)
    if found is None:
        return None
    if isinstance(found, bool) or not isinstance(found, (int, float)) or not math.isfinite(found):
        raise _Malformed(f"{name}: {found!r}")
    return float(found)


def _string(record: Mapping[str, object], name: str) -> str | None:
    found = record.get(name)
    if found is None:
        return None
    if not isinstance(found, str):
        raise _Malformed(f"{name}: {found!r}")
    return found


def _json(kind: Kind, record: Mapping[str, object], time_ms: int | None) -> PlatformLine:
    metrics = record.get("metrics", {})
    if not isinstance(metrics, dict):
        raise _Malformed("metrics is not an object")
    request_id = _string(record, "requestId")
    if kind in ("start", "end", "report", "runtime_done") and not request_id:
        raise _Malformed("no requestId")
    reported = kind in ("report", "init_report", "restore_report")
    duration = _json_number(metrics, "durationMs")
    if kind == "report" and duration is None:
        raise _Malformed("no metrics.durationMs")
    status = _string(record, "status")
    return PlatformLine(
        kind=kind,
        format="json",
        time_ms=time_ms,
        request_id=request_id,
        status=status or (SUCCESS if reported else None),
        error_type=_string(record, "errorType"),
        duration_ms=duration,
        billed_ms=_whole(_json_number(metrics, "billedDurationMs")),
        memory_mb=_whole(_json_number(metrics, "memorySizeMB")),
        max_memory_mb=_whole(_json_number(metrics, "maxMemoryUsedMB")),
        init_ms=_json_number(metrics, "initDurationMs"),
        restore_ms=_json_number(metrics, "restoreDurationMs"),
        billed_restore_ms=_whole(_json_number(metrics, "billedRestoreDurationMs")),
        phase=_string(record, "phase"),
        init_type=_string(record, "initializationType"),
        runtime_version=_string(record, "runtimeVersion"),
        runtime_version_arn=_string(record, "runtimeVersionArn"),
        version=_string(record, "version"),
    )


def parse_object(obj: Mapping[str, object], time_ms: int | None = None) -> PlatformLine | Unread | None:
    """A JSON log format record (already parsed): a PlatformLine, Unread, or None when it is not
    one of Lambda's (no ``platform.`` type)."""
    kind_name = obj.get("type")
    if not isinstance(kind_name, str) or not kind_name.startswith("platform."):
        return None
    shown = json.dumps(obj, separators=(",", ":"))
    if kind_name in _JSON_IGNORED:
        return None
    if kind_name not in _JSON_KINDS:
        return Unread("unknown", shown)
    record = obj.get("record", {})
    if not isinstance(record, dict):
        return Unread("malformed", shown)
    try:
        return _json(_JSON_KINDS[kind_name], record, _iso_ms(obj.get("time")) or time_ms)
    except _Malformed:
        return Unread("malformed", shown)


def parse(message: str, time_ms: int | None = None) -> PlatformLine | Unread | None:
    """One log event's message: a PlatformLine when it is one of Lambda's lines, Unread when it is
    Lambda's but cannot be read, None when it is not Lambda's (the function's own output, records).

    ``time_ms`` is the log event's time, kept for text lines (JSON records carry their own).
    """
    line = message.lstrip()
    if line.startswith("{"):
        if '"platform.' not in line:
            return None  # the function's own JSON, or the SDK's records: not decoded here
        try:
            obj = json.loads(line)
        except ValueError:
            return Unread("malformed", line.rstrip())
        return parse_object(obj, time_ms) if isinstance(obj, dict) else None
    first = line.split("\n", 1)[0].rstrip()
    head = _HEAD.match(first)
    if head is None:
        return None
    name = head.group(1)
    if name in _TEXT_IGNORED:
        return None
    if name not in _TEXT_KINDS:
        return Unread("unknown", first) if _UNKNOWN_TEXT.match(first) else None
    body = first[head.end() :]
    if not body.startswith(tuple(f"{field}:" for field in _FIELDS)):
        return None  # "END of batch", "REPORT written": an upper-case word that begins a function's own line
    try:
        return _text(name, body, time_ms)
    except _Malformed:
        return Unread("malformed", first)


def billed_ms(duration_ms: float) -> int:
    """Lambda's rounding of a duration: up to the next whole millisecond, at least 1."""
    # A sum of floats (Init Duration + Duration) can land a hair above a whole number: still that number.
    return max(1, math.ceil(round(duration_ms, 6)))


# Writing them (the local runner plays Lambda) -----------------------------------------------------

_TEXT_HEADS: Mapping[Kind, str] = {kind: head for head, kind in _TEXT_KINDS.items()}
_JSON_TYPES: Mapping[Kind, str] = {kind: name for name, kind in _JSON_KINDS.items() if kind != "end"}


def _ms_text(ms: float) -> str:
    return f"{ms:.2f} ms"


def to_text(line: PlatformLine) -> str | None:
    """The line as the text log format writes it (tabs between fields); None for the kinds that
    only the JSON format has (``runtime_done``, ``init_runtime_done``, ``restore_runtime_done``)."""
    head = _TEXT_HEADS.get(line.kind)
    if head is None:
        return None
    fields: list[tuple[str, str | None]]
    if line.kind in ("start", "end"):
        version = f" Version: {line.version}" if line.kind == "start" and line.version else ""
        return f"{head} RequestId: {line.request_id}{version}"
    if line.kind in ("init_start", "restore_start"):
        fields = [("Runtime Version", line.runtime_version), ("Runtime Version ARN", line.runtime_version_arn)]
    elif line.kind == "report":
        fields = [
            ("RequestId", line.request_id),
            ("Duration", _ms_text(line.duration_ms or 0.0)),
            ("Billed Duration", f"{line.billed_ms} ms"),
            ("Memory Size", f"{line.memory_mb} MB"),
            ("Max Memory Used", f"{line.max_memory_mb} MB"),
            ("Init Duration", None if line.init_ms is None else _ms_text(line.init_ms)),
            ("Restore Duration", None if line.restore_ms is None else _ms_text(line.restore_ms)),
            ("Billed Restore Duration", None if line.billed_restore_ms is None else f"{line.billed_restore_ms} ms"),
        ]
    else:  # init_report, restore_report
        name = "Init Duration" if line.kind == "init_report" else "Restore Duration"
        fields = [(name, _ms_text(line.duration_ms or 0.0)), ("Phase", line.phase)]
    if line.status not in (None, SUCCESS):  # the text format says only what went wrong
        fields += [("Status", line.status), ("Error Type", line.error_type)]
    return f"{head} " + "\t".join(f"{name}: {value}" for name, value in fields if value is not None)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_json(line: PlatformLine) -> str | None:
    """The line as the JSON log format writes it (a Telemetry API record); None for ``end``, which
    that format does not have. Needs ``time_ms``."""
    name = _JSON_TYPES.get(line.kind)
    if name is None or line.time_ms is None:
        return None
    metrics = {
        "durationMs": None if line.duration_ms is None else round(line.duration_ms, 3),
        "billedDurationMs": line.billed_ms,
        "memorySizeMB": line.memory_mb,
        "maxMemoryUsedMB": line.max_memory_mb,
        "initDurationMs": None if line.init_ms is None else round(line.init_ms, 3),
        "restoreDurationMs": None if line.restore_ms is None else round(line.restore_ms, 3),
        "billedRestoreDurationMs": line.billed_restore_ms,
    }
    record = {
        "initializationType": line.init_type,
        "phase": line.phase,
        "runtimeVersion": line.runtime_version,
        "runtimeVersionArn": line.runtime_version_arn,
        "requestId": line.request_id,
        "version": line.version,
        "status": line.status,
        "errorType": line.error_type,
        "metrics": {key: value for key, value in metrics.items() if value is not None} or None,
    }
    body = {"time": _iso(line.time_ms), "type": name, "record": {k: v for k, v in record.items() if v is not None}}
    return json.dumps(body, separators=(",", ":"))


# What an invocation's REPORT says happened to it -------------------------------------------------

Cause = Literal["timeout", "out of memory", "runtime exit", "init error", "function error", "success", "unknown"]


def cause(status: str | None, error_type: str | None) -> Cause:
    """Why an invocation ended as it did, from its REPORT's status and error type.

    ``timeout``, ``out of memory`` and ``runtime exit`` (Runtime.ExitError and the other
    ``Runtime.*`` errors that end the runtime process) kill the process before the SDK can write its
    record; ``init error`` is a suppressed init that failed again; ``function error`` is the
    handler's own exception (the runtime lives on and the record is written); ``unknown`` is a
    status this table does not know.
    """
    if status in (None, SUCCESS):
        return "success"
    if status == TIMEOUT:
        return "timeout"
    if status not in (ERROR, FAILURE):
        return "unknown"
    if error_type == OUT_OF_MEMORY:
        return "out of memory"
    if error_type in _INIT_ERRORS:
        return "init error"
    if error_type is None:
        return "unknown"
    if error_type.startswith(("Runtime.", "Sandbox.")):
        return "runtime exit"
    return "function error"


# The runtime's init failures (a suppressed init that failed again is reported with them).
_INIT_ERRORS = frozenset(
    (
        "Runtime.ImportModuleError",
        "Runtime.HandlerNotFound",
        "Runtime.MalformedHandlerName",
        "Runtime.UserCodeSyntaxError",
    )
)
KILLED_CAUSES: tuple[Cause, ...] = ("timeout", "out of memory", "runtime exit")
