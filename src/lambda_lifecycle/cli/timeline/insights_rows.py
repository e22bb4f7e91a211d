"""The timeline from Logs Insights: the ``processes`` query's rows (one per process, aggregated at
any volume) made into lanes, its windows' rows merged, and the processes a capped timeline draws."""

from __future__ import annotations

from ...platform_log import PlatformLine
from ...records import Record
from ..insights import number
from .model import MAX_LANES, SHUT, Lane, Mark, Timeline, init_segments
from .order import BEFORE, capped, killed, labelled
from .processes import build, whole

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

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
        born = whole(row.get("born_ms"), -1)
        born = born if born >= 0 else whole(row.get("first_ms"), -1)
        last = whole(row.get("last_ms"), -1)
        if born < 0 or last < 0:
            continue
        shut = whole(row.get("shutdowns")) > 0
        lane = Lane(
            container_id=row.get("container_id", "unknown"),
            environment_id=row.get("environment") or row.get("container_id", "unknown"),
            worker=whole(row["worker_number"]) if row.get("worker_number") else None,
            process_restarts=whole(row.get("restarts")),
            init_type=row.get("init", "unknown"),
            birth_ms=born,
            end_ms=last,
            ended=SHUT if shut else "running",
            invocations=whole(row.get("invocations")),
            marks=[Mark(SHUT, last, last, {})] if shut else [],
        )
        phases = {name: number(row, column) for column, name in _INIT_COLUMNS.items()}
        if any(took is not None for took in phases.values()):
            lane.marks[:0] = init_segments(born, phases, [])
        lanes.append(lane)
        by_container[lane.container_id] = row
    killed(
        lanes,
        {
            cid: {BEFORE}
            for cid, row in by_container.items()
            if whole(row.get("killed_previous")) > 0 or whole(row.get("reinits")) > 0
        },
    )
    lanes = labelled(capped(lanes, max_lanes, notes))
    for lane in lanes:
        row = by_container[lane.container_id]
        lane.details.update({k: whole(row[k]) for k in ("cold_starts", "errors", "timeout_warnings") if k in row})
    return Timeline(title, lanes, notes)
