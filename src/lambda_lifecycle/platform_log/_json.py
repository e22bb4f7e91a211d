"""Lambda's JSON log format: the ``platform.*`` records (Telemetry API shapes), read and written."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone

from ..records import time_ms
from ._line import SUCCESS, Kind, Malformed, PlatformLine, Unread, whole

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

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
        raise Malformed(f"{name}: {found!r}")
    return float(found)


def _string(record: Mapping[str, object], name: str) -> str | None:
    found = record.get(name)
    if found is None:
        return None
    if not isinstance(found, str):
        raise Malformed(f"{name}: {found!r}")
    return found


def _line_of(kind: Kind, record: Mapping[str, object], time_ms: int | None) -> PlatformLine:
    metrics = record.get("metrics", {})
    if not isinstance(metrics, dict):
        raise Malformed("metrics is not an object")
    request_id = _string(record, "requestId")
    if kind in ("start", "end", "report", "runtime_done") and not request_id:
        raise Malformed("no requestId")
    reported = kind in ("report", "init_report", "restore_report")
    duration = _json_number(metrics, "durationMs")
    if kind == "report" and duration is None:
        raise Malformed("no metrics.durationMs")
    status = _string(record, "status")
    return PlatformLine(
        kind=kind,
        format="json",
        time_ms=time_ms,
        request_id=request_id,
        status=status or (SUCCESS if reported else None),
        error_type=_string(record, "errorType"),
        duration_ms=duration,
        billed_ms=whole(_json_number(metrics, "billedDurationMs")),
        memory_mb=whole(_json_number(metrics, "memorySizeMB")),
        max_memory_mb=whole(_json_number(metrics, "maxMemoryUsedMB")),
        init_ms=_json_number(metrics, "initDurationMs"),
        restore_ms=_json_number(metrics, "restoreDurationMs"),
        billed_restore_ms=whole(_json_number(metrics, "billedRestoreDurationMs")),
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
        return _line_of(_JSON_KINDS[kind_name], record, _iso_ms(obj.get("time")) or time_ms)
    except Malformed:
        return Unread("malformed", shown)


def read(line: str, time_ms: int | None) -> PlatformLine | Unread | None:
    """A message that begins with ``{``, left-stripped: ``parse`` for the JSON format."""
    if '"platform.' not in line:
        return None  # the function's own JSON, or the SDK's records: not decoded here
    try:
        obj = json.loads(line)
    except ValueError:
        return Unread("malformed", line.rstrip())
    return parse_object(obj, time_ms) if isinstance(obj, dict) else None


# Written back as Lambda writes them: the local runner plays Lambda.
_JSON_TYPES: Mapping[Kind, str] = {kind: name for name, kind in _JSON_KINDS.items() if kind != "end"}


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
