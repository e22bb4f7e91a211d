"""Lambda's text log format: ``START``, ``END``, ``REPORT``, ``INIT_START``, ``INIT_REPORT``,
``RESTORE_START`` and ``RESTORE_REPORT`` lines, read and written.

Text lines separate their fields with tabs (``START`` with spaces); a REPORT of a traced function
carries an ``XRAY`` line after a newline in the same log event. A field is ``Name: value`` with
milliseconds as ``15.74 ms`` and memory as ``128 MB``. Lines without ``Status`` succeeded.
"""

from __future__ import annotations

import re

from ._line import SUCCESS, Kind, Malformed, PlatformLine, Unread, whole

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

# The upper-case head a text line begins with: one of these kinds, one ignored, or one unknown here.
_HEAD = re.compile(r"([A-Z][A-Z_]*[A-Z])[ \t]")
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
# An upper-case word with an underscore and ``Name: `` after it: Lambda's style, a kind unknown here.
_UNKNOWN_TEXT = re.compile(r"[A-Z]+(?:_[A-Z]+)+[ \t]+[A-Z][A-Za-z ]*: ")
_MS = re.compile(r"(\d+(?:\.\d+)?) ms")
_MB = re.compile(r"(\d+) MB")


def _number(pattern: re.Pattern[str], fields: Mapping[str, str], name: str) -> float | None:
    text = fields.get(name)
    if text is None:
        return None
    match = pattern.fullmatch(text)
    if match is None:
        raise Malformed(f"{name}: {text!r}")
    return float(match.group(1))


def _line_of(head: str, body: str, time_ms: int | None) -> PlatformLine:
    kind = _TEXT_KINDS[head]
    fields = {match.group(1): match.group(2) for match in _FIELD.finditer(body)}
    ms = _MS
    request_id = fields.get("RequestId")
    if kind in ("start", "end", "report") and not request_id:
        raise Malformed("no RequestId")
    duration_name = {"report": "Duration", "init_report": "Init Duration", "restore_report": "Restore Duration"}
    duration = _number(ms, fields, duration_name[kind]) if kind in duration_name else None
    if kind in duration_name and duration is None:
        raise Malformed(f"no {duration_name[kind]}")
    reported = kind in duration_name
    return PlatformLine(
        kind=kind,
        format="text",
        time_ms=time_ms,
        request_id=request_id,
        status=fields.get("Status", SUCCESS) if reported else None,
        error_type=fields.get("Error Type"),
        duration_ms=duration,
        billed_ms=whole(_number(ms, fields, "Billed Duration")),
        memory_mb=whole(_number(_MB, fields, "Memory Size")),
        max_memory_mb=whole(_number(_MB, fields, "Max Memory Used")),
        init_ms=_number(ms, fields, "Init Duration") if kind == "report" else None,
        restore_ms=_number(ms, fields, "Restore Duration") if kind == "report" else None,
        billed_restore_ms=whole(_number(ms, fields, "Billed Restore Duration")),
        phase=fields.get("Phase"),
        runtime_version=fields.get("Runtime Version"),
        runtime_version_arn=fields.get("Runtime Version ARN"),
        version=fields.get("Version"),
    )


def read(line: str, time_ms: int | None) -> PlatformLine | Unread | None:
    """A message that is not JSON, left-stripped: ``parse`` for the text format."""
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
        return _line_of(name, body, time_ms)
    except Malformed:
        return Unread("malformed", first)


# Written back as Lambda writes them: the local runner plays Lambda.
_TEXT_HEADS: Mapping[Kind, str] = {kind: head for head, kind in _TEXT_KINDS.items()}


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
