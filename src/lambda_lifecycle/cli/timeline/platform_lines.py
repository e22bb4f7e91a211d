"""Lambda's own lines on the timeline: its killed invocations and failed inits as marks on the
process that ran them, or on a lane of their own for a process killed before it wrote a record."""

from __future__ import annotations

from ...platform_log import KILLED_CAUSES, SUCCESS, PlatformLine, cause
from .model import INIT_FAILED, KILLED, SHUT, Lane, Mark

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

UNRECORDED = "no record"  # a process known only from Lambda's lines: killed before it wrote any


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
    """The environment's process that ran an invocation from ``start_ms`` to ``end_ms``: the newest
    one running when it began, else the first one born during it (an init within the invocation);
    None when no record names it (a process killed before it wrote any).

    Lambda's line is written when the process is gone, and may come after the next process has
    begun: a process born later than the first during the invocation came after it, and a process
    one of Lambda's earlier lines ended ran nothing after, though that line may have been written
    after this invocation began."""
    mine = [lane for lane in lanes if lane.environment_id == environment]
    alive = [lane for lane in mine if lane.ended == "running" or (lane.ended == SHUT and lane.end_ms > start_ms)]
    running = [lane for lane in alive if lane.birth_ms <= start_ms]
    if running:
        return max(running, key=lambda lane: lane.birth_ms)
    born = [lane for lane in alive if start_ms < lane.birth_ms <= end_ms]
    return min(born, key=lambda lane: lane.birth_ms, default=None)


def place_platform_lines(
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
                container_id=f"{UNRECORDED} {len(added) + 1}",
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
