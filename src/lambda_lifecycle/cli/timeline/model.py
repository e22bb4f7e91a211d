"""What a timeline holds: a lane per process, marks on it, the kinds of mark, and the limits of a
drawing."""

from __future__ import annotations

from dataclasses import dataclass, field

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
