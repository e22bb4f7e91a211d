"""One timeline across functions: each function's lanes, grouped by function (functions in name
order, each one's lanes in its own drawing order), labels prefixed with the function, capped at
``max_lanes`` processes in all with a note that says what was left out. Pure."""

from __future__ import annotations

from ..timeline.model import Timeline

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..timeline.model import Lane


def combine(timelines: dict[str, Timeline], *, title: str, max_lanes: int) -> Timeline:
    """The lanes of every function's timeline as one; past ``max_lanes`` the newest processes
    (across functions) are kept."""
    lanes: list[tuple[str, int, Lane]] = [
        (function, order, lane)
        for function, drawn in sorted(timelines.items())
        for order, lane in enumerate(drawn.lanes)
    ]
    notes = [f"{function}: {note}" for function, drawn in sorted(timelines.items()) for note in drawn.notes]
    if len(lanes) > max_lanes:
        kept = sorted(lanes, key=lambda item: item[2].birth_ms)[-max_lanes:]
        left = {function for function, _, _ in lanes} - {function for function, _, _ in kept}
        notes.append(
            f"drew the {max_lanes} newest of {len(lanes)} processes across {len(timelines)} functions"
            + (f"; none of {', '.join(sorted(left))}" if left else "")
            + ": choose fewer functions, narrow the window or raise --max-lanes"
        )
        lanes = sorted(kept, key=lambda item: (item[0], item[1]))
    combined = []
    for function, _, lane in lanes:
        lane.label = f"{function} / {lane.label}"
        lane.details = {"function": function, **lane.details}
        combined.append(lane)
    return Timeline(title, combined, notes)
