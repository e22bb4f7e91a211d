"""Records made into lanes: each process's records gathered, then its lane, with a mark per
invocation, timeout warning and end; ``build`` makes the timeline of them, with Lambda's own lines
(``platform_lines``) and the lanes put in order (``order``).

A process is born at a record's time minus its ``ContainerAge``, or, more precisely, at its init
record's time (its first invocation's start) minus ``InitWait`` and ``InitDuration``: its init
phases are drawn from there, with the slowest imports on hover. Invoke records are written when
the invocation ends, so an invocation runs from its record's time minus ``Duration`` to that time,
and the gaps between invocations are the time the process sat frozen. Timeout warnings and
shutdown records carry no time of their own: they take the log line's time when the input has one,
otherwise the invocation they warn about (start plus ``elapsed_ms``) and the last invocation's end
plus ``IdleBeforeShutdown`` (or the birth plus ``ContainerAge``).
"""

from __future__ import annotations

from ...contract import INIT, INVOKE, KIND_KEY, RECORD_KINDS, SHUTDOWN, TIMEOUT_WARNING
from ...platform_log import PlatformLine
from ...records import Record, numbers, record_ms, value
from .model import (
    COLD,
    ERROR,
    INIT_PHASES,
    MAX_LANES,
    REINIT,
    SHUT,
    TIMEOUT,
    WARM,
    Lane,
    Mark,
    Timeline,
    init_segments,
)
from .order import BEFORE, capped, killed, labelled
from .platform_lines import place_platform_lines

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

# Shown on hover, in this order, when a record has them.
_HOVER_INVOKE = (
    "request_id",
    "invocation",
    "init_type",
    "Duration",
    "IdleTime",
    "InitDuration",
    "MemoryUsed",
    "MaxMemoryUsed",
    "TmpUsed",
    "error",
    "durable_execution_id",
    "replayed",
    "tenant_id",
)
_HOVER_TIMEOUT = ("request_id", "invocation", "elapsed_ms", "remaining_ms", "MemoryUsed", "stack")
_HOVER_SHUTDOWN = ("reason", "invocations", "ContainerAge", "IdleBeforeShutdown", "MaxMemoryUsed", "hooks_failed")


def _num(record: Record, name: str) -> float | None:
    found = numbers([record], name)
    return found[0] if found else None


def whole(found: object, default: int = 0) -> int:
    """A whole number from a record's value or a result row's text; ``default`` when it is neither."""
    if isinstance(found, bool) or not isinstance(found, (int, float, str)):
        return default
    try:
        return int(float(found))
    except (ValueError, OverflowError):
        return default


def _details(record: Record, names: Iterable[str]) -> dict[str, object]:
    shown = {}
    for name in names:
        found = record.get(name) if name == "stack" else value(record, name)
        if found is not None and found != "":
            shown[name] = found
    return shown


def _kind(record: Record) -> str:
    if record.get("error") is not None:
        return ERROR
    if record.get("reinit") is True:
        return REINIT
    if value(record, "ColdStart") == 1 or record.get("cold_start") is True:
        return COLD
    return WARM


def _aged(born: int | None, record: Record) -> int | None:
    """When a record without a time was written: its process's birth plus its ``ContainerAge``."""
    age = _num(record, "ContainerAge")
    return None if born is None or age is None else born + int(age * 1000)


class _Process:
    """The records of one process, gathered before its lane is made."""

    def __init__(self, container_id: str) -> None:
        self.container_id = container_id
        self.invokes: list[tuple[int | None, Record]] = []
        self.warnings: list[tuple[int | None, Record]] = []
        self.shutdown: tuple[int | None, Record] | None = None
        self.init: tuple[int | None, Record] | None = None
        self.any: Record = {}
        self.unplaced = 0  # timeout warnings without a time, of an invocation that wrote no record

    def add(self, ms: int | None, record: Record) -> None:
        self.any = self.any or record
        if record.get(KIND_KEY) == INVOKE:
            self.invokes.append((ms, record))
        elif record.get(KIND_KEY) == TIMEOUT_WARNING:
            self.warnings.append((ms, record))
        elif record.get(KIND_KEY) == SHUTDOWN:
            self.shutdown = (ms, record)
        elif record.get(KIND_KEY) == INIT:
            self.init = (ms, record)

    def init_marks(self) -> list[Mark]:
        """The init phases from the process's start, when its init record has a time."""
        stamp, r = self.init or (None, {})
        if stamp is None:
            return []
        start = stamp - int((_num(r, "InitWait") or _num(r, "RestoreToInvoke") or 0) + (_num(r, "InitDuration") or 0))
        listed = r.get("imports")
        slowest = (
            [f"{i.get('module')} {i.get('ms')} ms" for i in listed if isinstance(i, dict)]
            if isinstance(listed, list)
            else []
        )
        return init_segments(start, {name: _num(r, name) for _, name in INIT_PHASES}, slowest)

    def birth(self) -> int | None:
        """The earliest record time minus ``ContainerAge`` (whole seconds) among timed records."""
        timed = [*self.invokes, *([self.shutdown] if self.shutdown else [])]
        births = [
            ms - int(age * 1000) for ms, r in timed if ms is not None and (age := _num(r, "ContainerAge")) is not None
        ]
        return min(births, default=None)

    def lane(self) -> Lane | None:
        """The lane, or ``None`` when no record of the process says when it happened."""
        born = self.birth()
        invokes = sorted(self.invokes, key=lambda pair: whole(pair[1].get("invocation")))
        marks: list[Mark] = []
        starts: dict[object, int] = {}
        for stamp, r in invokes:
            end = stamp if stamp is not None else _aged(born, r)
            if end is None:
                continue
            start = end - int(_num(r, "Duration") or 0)
            starts[r.get("request_id")] = start
            marks.append(Mark(_kind(r), start, end, _details(r, _HOVER_INVOKE)))
        for stamp, r in self.warnings:
            begun = starts.get(r.get("request_id"))
            at = stamp if stamp is not None or begun is None else begun + whole(r.get("elapsed_ms"))
            if at is None:
                self.unplaced += 1
            else:
                marks.append(Mark(TIMEOUT, at, at + whole(r.get("remaining_ms")), _details(r, _HOVER_TIMEOUT)))
        end_mark = None
        if self.shutdown is not None:
            stamp, r = self.shutdown
            idle = _num(r, "IdleBeforeShutdown")
            invoke_ends = [m.end_ms for m in marks if m.kind != TIMEOUT]
            if stamp is None and idle is not None and invoke_ends:
                stamp = max(invoke_ends) + int(idle)
            at = stamp if stamp is not None else _aged(born, r)
            if at is not None:
                end_mark = Mark(SHUT, at, at, _details(r, _HOVER_SHUTDOWN))
        # A process killed in its first invocation wrote its init record alone: its lane starts there.
        init = self.init_marks()
        timed = [*init, *marks, *([end_mark] if end_mark else [])]
        if not timed:
            return None
        first = min(m.start_ms for m in timed)
        # The init record says when the process started; ContainerAge is rounded to whole seconds,
        # so a birth from it can precede that start by up to half a second (into a killed predecessor).
        born = first if born is None or init else min(born, first)
        last = max(m.end_ms for m in timed)
        if end_mark is not None:
            marks.append(end_mark)
        marks += init
        r = self.any
        return Lane(
            container_id=self.container_id,
            environment_id=str(r.get("environment_id") or self.container_id),
            worker=None if r.get("worker") is None else whole(r.get("worker")),
            process_restarts=whole(r.get("process_restarts")),
            init_type=str(r.get("init_type") or "unknown"),
            birth_ms=born,
            end_ms=last,
            ended=SHUT if end_mark is not None else "running",
            invocations=len(invokes),
            marks=sorted(marks, key=lambda m: m.start_ms),
        )


def build(
    records: Iterable[tuple[int | None, Record]],
    *,
    title: str = "",
    max_lanes: int = MAX_LANES,
    platform: Iterable[tuple[str, PlatformLine]] = (),
    environment_of: Mapping[str, str] | None = None,
) -> Timeline:
    """The timeline of (time ms or ``None``, record) pairs: a lane per process; with Lambda's own
    lines (``platform``: (log stream, line) pairs), its killed invocations and failed inits too
    (``environment_of`` maps a log stream to its records' ``environment_id``)."""
    processes: dict[str, _Process] = {}
    replaced: dict[str, set[str]] = {}
    for stamp, record in records:
        container = record.get("container_id")
        if not isinstance(container, str) or record.get(KIND_KEY) not in RECORD_KINDS:
            continue
        processes.setdefault(container, _Process(container)).add(record_ms(stamp, record), record)
        previous = record.get("previous_container_id")
        if isinstance(previous, str) and record.get("previous_killed") is True:
            replaced.setdefault(container, set()).add(previous)
        if record.get("reinit") is True:
            replaced.setdefault(container, set()).add(BEFORE)
    lanes, notes = [], []
    unplaced = 0
    for process in processes.values():
        lane = process.lane()
        if lane is None:
            unplaced += 1
        else:
            lanes.append(lane)
    warnings = sum(process.unplaced for process in processes.values())
    why = "(write records in the emf format, or give a log whose lines carry their time)"
    if unplaced:
        notes.append(f"{unplaced} process(es) left out: none of their records has a time {why}")
    if warnings:
        notes.append(f"{warnings} timeout warning(s) left out: neither they nor their invocation has a time {why}")
    lanes += place_platform_lines(lanes, platform, environment_of or {})
    killed(lanes, replaced)
    return Timeline(title, labelled(capped(lanes, max_lanes, notes)), notes)
