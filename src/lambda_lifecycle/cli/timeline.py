"""The timeline's pure part: records (or Logs Insights rows) made into lanes, one per process, with
a mark per invocation. Reading records is ``lambda_lifecycle.records``' job, drawing ``timeline_plot``'s.

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

import itertools
from dataclasses import dataclass, field

from ..contract import INIT, INVOKE, KIND_KEY, RECORD_KINDS, SHUTDOWN, TIMEOUT_WARNING
from ..platform_log import KILLED_CAUSES, SUCCESS, PlatformLine, cause
from ..records import Record, numbers, record_ms, value
from .errors import CliError
from .insights import number

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

MAX_LANES = 200
MAX_MARKS = 20_000

# What a mark is, in the order the legend shows them; a mark takes the first that applies.
COLD, REINIT, WARM, ERROR, TIMEOUT, SHUT, KILLED, INIT_FAILED = (
    "cold start",
    "re-init",
    "warm",
    "error",
    "timeout warning",
    "shutdown",
    "killed",
    "init failed",
)
INIT_RUNTIME, INIT_IMPORTS, INIT_CODE = "init: runtime", "init: imports", "init: module code"
KINDS = (COLD, REINIT, WARM, ERROR, TIMEOUT, SHUT, KILLED, INIT_FAILED, INIT_RUNTIME, INIT_IMPORTS, INIT_CODE)
INIT_PHASES = ((INIT_RUNTIME, "InitRuntime"), (INIT_IMPORTS, "InitImports"), (INIT_CODE, "InitCode"))
"""The init record's phases, drawn one after the other from the process's start."""

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


class TimelineError(CliError):
    """A timeline that cannot be drawn; its message is the one line to show."""


@dataclass
class Mark:
    """One thing that happened to a process: an invocation (``start_ms`` to ``end_ms``), a
    timeout warning, or its end."""

    kind: str
    start_ms: int
    end_ms: int
    details: dict[str, object] = field(default_factory=dict)


@dataclass
class Lane:
    """One process (one ``container_id``) from its birth to its end."""

    container_id: str
    environment_id: str
    worker: int | None
    process_restarts: int
    init_type: str
    birth_ms: int
    end_ms: int
    ended: str  # "shutdown", "killed", or "running" (its last record is all that is known)
    invocations: int
    label: str = ""
    marks: list[Mark] = field(default_factory=list)
    details: dict[str, object] = field(default_factory=dict)


@dataclass
class Timeline:
    title: str
    lanes: list[Lane]
    notes: list[str]

    @property
    def start_ms(self) -> int:
        return min((lane.birth_ms for lane in self.lanes), default=0)

    @property
    def end_ms(self) -> int:
        return max((lane.end_ms for lane in self.lanes), default=0)


# Records into lanes ----------------------------------------------------------------------------


def _num(record: Record, name: str) -> float | None:
    found = numbers([record], name)
    return found[0] if found else None


def _int(found: object, default: int = 0) -> int:
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


def init_segments(start: int, phases: dict[str, float | None], slowest: list[str]) -> list[Mark]:
    """The init phases (``InitRuntime``, ``InitImports``, ``InitCode`` in ms) one after the other
    from ``start``, the slowest imports on the imports segment's hover."""
    marks = []
    for kind, name in INIT_PHASES:
        took = int(phases.get(name) or 0)
        details: dict[str, object] = {name: took}
        if kind == INIT_IMPORTS and slowest:
            details["slowest imports"] = slowest
        marks.append(Mark(kind, start, start + took, details))
        start += took
    return marks


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
        invokes = sorted(self.invokes, key=lambda pair: _int(pair[1].get("invocation")))
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
            at = stamp if stamp is not None or begun is None else begun + _int(r.get("elapsed_ms"))
            if at is None:
                self.unplaced += 1
            else:
                marks.append(Mark(TIMEOUT, at, at + _int(r.get("remaining_ms")), _details(r, _HOVER_TIMEOUT)))
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
            worker=None if r.get("worker") is None else _int(r.get("worker")),
            process_restarts=_int(r.get("process_restarts")),
            init_type=str(r.get("init_type") or "unknown"),
            birth_ms=born,
            end_ms=last,
            ended=SHUT if end_mark is not None else "running",
            invocations=len(invokes),
            marks=sorted(marks, key=lambda m: m.start_ms),
        )


_BEFORE = "*"  # in ``replaced``: whichever process came before in the environment (and worker)


def _slots(lanes: Iterable[Lane]) -> dict[tuple[str, int | None], list[Lane]]:
    """The lanes of each environment (and worker), in the order its processes lived.

    Each process's record counts the processes its environment had before it (``process_restarts``,
    kept in ``/tmp``): that count orders them, as births cannot; a birth is an estimate, and the
    next process after a kill may look born before the one it replaced. Births order equal counts
    only. A process known only from Lambda's lines goes among them by its birth.
    """
    slots: dict[tuple[str, int | None], list[Lane]] = {}
    for lane in sorted(lanes, key=lambda lane: (lane.process_restarts, lane.birth_ms)):
        if not lane.container_id.startswith(_UNRECORDED):
            slots.setdefault((lane.environment_id, lane.worker), []).append(lane)
    for lane in sorted(lanes, key=lambda lane: lane.birth_ms):
        if lane.container_id.startswith(_UNRECORDED):
            slot = slots.setdefault((lane.environment_id, lane.worker), [])
            after = next((i for i, other in enumerate(slot) if other.birth_ms > lane.birth_ms), len(slot))
            slot.insert(after, lane)
    return slots


def _killed(lanes: list[Lane], replaced: dict[str, set[str]]) -> None:
    """Mark as killed each process a later one of its environment (and worker) replaced without a
    shutdown record: the later one names it (``previous_container_id`` with ``previous_killed``),
    or re-initialized after it (``reinit``)."""
    for slot in _slots(lanes).values():
        for before, after in itertools.pairwise(slot):
            named = replaced.get(after.container_id, set())
            if before.ended == "running" and (before.container_id in named or _BEFORE in named):
                before.ended = KILLED
                before.marks.append(Mark(KILLED, before.end_ms, before.end_ms, {"replaced_by": after.container_id}))


def _short(environment: str) -> str:
    """An environment's id cut for a label. An environment no record names is its log stream
    (``2026/12/07/[$LATEST]3223c372...``), whose date every stream of the day shares: its id after
    the version."""
    return environment.rpartition("]")[2][:8] or environment[:8]


def _labelled(lanes: list[Lane]) -> list[Lane]:
    """Lanes in drawing order (environments by birth, their processes by worker, then succession),
    each with a label that is unique among them."""
    born: dict[str, int] = {}
    for lane in lanes:
        born[lane.environment_id] = min(born.get(lane.environment_id, lane.birth_ms), lane.birth_ms)
    order = {id(lane): i for slot in _slots(lanes).values() for i, lane in enumerate(slot)}
    lanes.sort(key=lambda x: (born[x.environment_id], x.environment_id, x.worker or 0, order[id(x)]))
    seen: set[str] = set()
    for lane in lanes:
        part = f"worker {lane.worker}" if lane.worker is not None else f"process {lane.process_restarts}"
        if lane.container_id.startswith(_UNRECORDED):
            part = lane.container_id
        label = f"{_short(lane.environment_id)} {part}"
        if label in seen:
            label += f" ({lane.container_id[:8]})"
        seen.add(label)
        lane.label = label
        lane.details = {
            "environment_id": lane.environment_id,
            "container_id": lane.container_id,
            "init_type": lane.init_type,
            "invocations": lane.invocations,
            "lived_s": round((lane.end_ms - lane.birth_ms) / 1000, 1),
            "ended": lane.ended,
        }
    return lanes


def _capped(lanes: list[Lane], max_lanes: int, notes: list[str]) -> list[Lane]:
    if len(lanes) <= max_lanes:
        return lanes
    notes.append(
        f"drew the {max_lanes} newest of {len(lanes)} processes: narrow the window or raise --max-lanes to see more"
    )
    return sorted(lanes, key=lambda lane: lane.birth_ms)[-max_lanes:]


# Lambda's own lines: killed invocations and failed inits ----------------------------------------

_UNRECORDED = "no record"  # a process known only from Lambda's lines: killed before it wrote any


def _platform_details(line: PlatformLine, stream: str, what: str) -> dict[str, object]:
    found = {
        "cause": what,
        "request_id": line.request_id,
        "log_stream": stream,
        "Duration (Lambda)": line.duration_ms,
        "Billed Duration": line.billed_ms,
        "Max Memory Used": line.max_memory_mb,
        "Memory Size": line.memory_mb,
        "phase": line.phase,
        "status": line.status,
        "error type": line.error_type,
    }
    return {k: v for k, v in found.items() if v is not None}


def _placed(lanes: list[Lane], environment: str, start_ms: int, end_ms: int) -> Lane | None:
    """The environment's process that ran an invocation from ``start_ms`` to ``end_ms``: the one
    running when it began, else one born during it (an init within the invocation); None when no
    record names it (a process killed before it wrote any)."""
    mine = [lane for lane in lanes if lane.environment_id == environment]
    alive = [lane for lane in mine if lane.ended == "running" or lane.end_ms > start_ms]
    running = [lane for lane in alive if lane.birth_ms <= start_ms]
    born = running or [lane for lane in alive if start_ms < lane.birth_ms <= end_ms]
    return max(born, key=lambda lane: lane.birth_ms, default=None)


def _platform(
    lanes: list[Lane], lines: Iterable[tuple[str, PlatformLine]], environment_of: Mapping[str, str]
) -> list[Lane]:
    """Marks for the killed invocations and failed inits in ``lines`` ((log stream, line) pairs with
    their times), on ``lanes``; returns the lanes added for processes no record names.

    ``environment_of`` maps a log stream to the ``environment_id`` its records carry.
    """
    added: list[Lane] = []
    for stream, line in sorted(lines, key=lambda pair: pair[1].time_ms or 0):
        if line.time_ms is None:
            continue
        if line.kind == "report":
            what: str = cause(line.status, line.error_type)
            if what not in KILLED_CAUSES:
                continue
            kind = KILLED
        elif line.kind == "init_report" and line.status not in (None, SUCCESS):
            kind, what = INIT_FAILED, f"init {line.status}: {line.error_type or line.status}"
        else:
            continue
        end = line.time_ms
        start = end - int(line.duration_ms or 0)
        environment = environment_of.get(stream, stream)
        lane = _placed([*lanes, *added], environment, start, end)
        if lane is None:
            lane = Lane(
                container_id=f"{_UNRECORDED} {len(added) + 1}",
                environment_id=environment,
                worker=None,
                process_restarts=0,
                init_type="unknown",
                birth_ms=start,
                end_ms=end,
                ended="running",
                invocations=0,
            )
            added.append(lane)
        lane.marks.append(Mark(kind, start, end, _platform_details(line, stream, what)))
        lane.marks.sort(key=lambda m: m.start_ms)
        lane.birth_ms = min(lane.birth_ms, start)
        # A kill ends the process then (a timeout warning's mark may reach past it, to the deadline).
        lane.end_ms = end if kind == KILLED else max(lane.end_ms, end)
        if kind == KILLED or line.phase == "init":
            lane.ended = f"{KILLED}: {what}" if kind == KILLED else what
    return added


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
            replaced.setdefault(container, set()).add(_BEFORE)
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
    lanes += _platform(lanes, platform, environment_of or {})
    _killed(lanes, replaced)
    return Timeline(title, _labelled(_capped(lanes, max_lanes, notes)), notes)


# The processes query's columns of the init record's phases (drawn from the lane's birth, which
# Logs Insights knows to the second only; the slowest imports need the records).
_INIT_COLUMNS = {"init_runtime": "InitRuntime", "init_imports": "InitImports", "init_code": "InitCode"}

_ADDED = (
    "records",
    "invocations",
    "cold_starts",
    "errors",
    "timeout_warnings",
    "shutdowns",
    "reinits",
    "killed_previous",
)


def merge_processes(a: list[dict[str, str]], b: list[dict[str, str]]) -> list[dict[str, str]]:
    """``processes`` rows of two adjacent windows (``b`` the later) as one window's."""
    merged = {row.get("container_id"): dict(row) for row in a}
    for row in b:
        old = merged.setdefault(row.get("container_id"), dict(row))
        if old is row or old == row:
            continue
        for key in _ADDED:
            old[key] = str(int((number(old, key) or 0) + (number(row, key) or 0)))
        for key, pick in (("born_ms", min), ("first_ms", min), ("last_ms", max)):
            values = [float(r[key]) for r in (old, row) if r.get(key)]
            if values:
                old[key] = str(int(pick(values)))
        old.update({k: v for k, v in row.items() if k not in _ADDED and k not in ("born_ms", "first_ms", "last_ms")})
    return list(merged.values())


def newest(rows: list[dict[str, str]], count: int) -> list[dict[str, str]]:
    """The ``count`` processes born last: those a capped timeline draws."""
    return sorted(rows, key=lambda row: number(row, "born_ms") or number(row, "first_ms") or 0)[-count:]


def from_rows(
    rows: list[dict[str, str]],
    records: Iterable[tuple[int | None, Record]] | None,
    *,
    title: str,
    max_lanes: int = MAX_LANES,
    notes: list[str] | None = None,
    platform: Iterable[tuple[str, PlatformLine]] = (),
    environment_of: Mapping[str, str] | None = None,
) -> Timeline:
    """The timeline from the Logs Insights ``processes`` rows (one per process, aggregated at any
    volume), with the marks of ``records`` when they were fetched, and of Lambda's lines with them
    (see ``build``); else lanes alone, their counts on hover."""
    notes = list(notes or [])
    if records is not None:
        drawn = build(records, title=title, max_lanes=max_lanes, platform=platform, environment_of=environment_of)
        drawn.notes[:0] = notes
        return drawn
    lanes, by_container = [], {}
    for row in rows:
        born = _int(row.get("born_ms"), -1)
        born = born if born >= 0 else _int(row.get("first_ms"), -1)
        last = _int(row.get("last_ms"), -1)
        if born < 0 or last < 0:
            continue
        shut = _int(row.get("shutdowns")) > 0
        lane = Lane(
            container_id=row.get("container_id", "unknown"),
            environment_id=row.get("environment") or row.get("container_id", "unknown"),
            worker=_int(row["worker_number"]) if row.get("worker_number") else None,
            process_restarts=_int(row.get("restarts")),
            init_type=row.get("init", "unknown"),
            birth_ms=born,
            end_ms=last,
            ended=SHUT if shut else "running",
            invocations=_int(row.get("invocations")),
            marks=[Mark(SHUT, last, last, {})] if shut else [],
        )
        phases = {name: number(row, column) for column, name in _INIT_COLUMNS.items()}
        if any(took is not None for took in phases.values()):
            lane.marks[:0] = init_segments(born, phases, [])
        lanes.append(lane)
        by_container[lane.container_id] = row
    _killed(
        lanes,
        {
            cid: {_BEFORE}
            for cid, row in by_container.items()
            if _int(row.get("killed_previous")) > 0 or _int(row.get("reinits")) > 0
        },
    )
    lanes = _labelled(_capped(lanes, max_lanes, notes))
    for lane in lanes:
        row = by_container[lane.container_id]
        lane.details.update({k: _int(row[k]) for k in ("cold_starts", "errors", "timeout_warnings") if k in row})
    return Timeline(title, lanes, notes)
