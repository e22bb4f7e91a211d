"""The lanes put in order: each environment's processes in succession, the processes a later one
replaced marked as killed, labels unique among the lanes, and the cap on how many are drawn."""

from __future__ import annotations

import itertools

from .model import KILLED, Lane, Mark
from .platform_lines import UNRECORDED

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

BEFORE = "*"  # in ``replaced``: whichever process came before in the environment (and worker)


def _slots(lanes: Iterable[Lane]) -> dict[tuple[str, int | None], list[Lane]]:
    """The lanes of each environment (and worker), in the order its processes lived.

    Each process's record counts the processes its environment had before it (``process_restarts``,
    kept in ``/tmp``): that count orders them, as births cannot; a birth is an estimate, and the
    next process after a kill may look born before the one it replaced. Births order equal counts
    only. A process known only from Lambda's lines goes among them by its birth.
    """
    slots: dict[tuple[str, int | None], list[Lane]] = {}
    for lane in sorted(lanes, key=lambda lane: (lane.process_restarts, lane.birth_ms)):
        if not lane.container_id.startswith(UNRECORDED):
            slots.setdefault((lane.environment_id, lane.worker), []).append(lane)
    for lane in sorted(lanes, key=lambda lane: lane.birth_ms):
        if lane.container_id.startswith(UNRECORDED):
            slot = slots.setdefault((lane.environment_id, lane.worker), [])
            after = next((i for i, other in enumerate(slot) if other.birth_ms > lane.birth_ms), len(slot))
            slot.insert(after, lane)
    return slots


def killed(lanes: list[Lane], replaced: dict[str, set[str]]) -> None:
    """Mark as killed each process a later one of its environment (and worker) replaced without a
    shutdown record: the later one names it (``previous_container_id`` with ``previous_killed``),
    or re-initialized after it (``reinit``)."""
    for slot in _slots(lanes).values():
        for before, after in itertools.pairwise(slot):
            named = replaced.get(after.container_id, set())
            if before.ended == "running" and (before.container_id in named or BEFORE in named):
                before.ended = KILLED
                before.marks.append(Mark(KILLED, before.end_ms, before.end_ms, {"replaced_by": after.container_id}))


def _short(environment: str) -> str:
    """An environment's id cut for a label. An environment no record names is its log stream
    (``2026/12/07/[$LATEST]3223c372...``), whose date every stream of the day shares: its id after
    the version."""
    return environment.rpartition("]")[2][:8] or environment[:8]


def labelled(lanes: list[Lane]) -> list[Lane]:
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
        if lane.container_id.startswith(UNRECORDED):
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


def capped(lanes: list[Lane], max_lanes: int, notes: list[str]) -> list[Lane]:
    if len(lanes) <= max_lanes:
        return lanes
    notes.append(
        f"drew the {max_lanes} newest of {len(lanes)} processes: narrow the window or raise --max-lanes to see more"
    )
    return sorted(lanes, key=lambda lane: lane.birth_ms)[-max_lanes:]
