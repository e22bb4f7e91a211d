"""Where a handler is stuck, for the timeout warning: the stack of its thread, or of the coroutines
an async handler awaits through. Imported only when a warning fires, so that no cold start pays
for it."""

from __future__ import annotations

import os
import sys

from ._warnings import warn_once

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from types import CodeType, FrameType
    from typing import Any


def thread_stack(
    ident: int, limit: int = 10, width: int = 240, skip: frozenset[CodeType] = frozenset()
) -> list[str] | None:
    """The innermost ``limit`` frames of thread ``ident``, innermost first, each line at most ``width``.

    Paths under the working directory (``/var/task`` in Lambda) are shown relative to it; frames
    running code in ``skip``, and the interpreter's frozen modules (``runpy``), are left out.
    """
    try:
        return _described(_outward(sys._current_frames().get(ident)), limit, width, skip)
    except Exception as exc:  # noqa: BLE001
        warn_once("probe.stack", f"cannot read the handler's stack ({exc!r})")
        return None


def awaiting_stack(
    awaitable: object, ident: int, limit: int = 10, width: int = 240, skip: frozenset[CodeType] = frozenset()
) -> list[str] | None:
    """Where an async handler is: the frames of the coroutines ``awaitable`` awaits through, down
    to the one suspended innermost, innermost first, as ``thread_stack`` writes them.

    A suspended coroutine is on no thread's stack (its thread runs the event loop meanwhile), so
    its ``await`` chain is followed instead: each coroutine's frame, then what it awaits, through
    tasks to their coroutines, to a future. A coroutine running now (blocking its loop) is on
    thread ``ident``'s stack, which is read then.
    """
    try:
        frames: list[FrameType] = []
        current: Any = awaitable
        for _ in range(1000):  # a bound: a chain is as deep as the handler's awaits
            if current is None or getattr(current, "cr_running", False) or getattr(current, "gi_running", False):
                break
            frame = getattr(current, "cr_frame", None) or getattr(current, "gi_frame", None)
            if frame is None:  # a task awaited: its coroutine; a plain future ends the chain
                get_coro = getattr(current, "get_coro", None)
                current = get_coro() if callable(get_coro) else None
                continue
            frames.append(frame)
            current = getattr(current, "cr_await", None) or getattr(current, "gi_yieldfrom", None)
        if current is not None or not frames:  # running, or nothing suspended to follow
            return thread_stack(ident, limit, width, skip)
        return _described(reversed(frames), limit, width, skip)
    except Exception as exc:  # noqa: BLE001
        warn_once("probe.stack", f"cannot read the handler's stack ({exc!r})")
        return None


def _outward(frame: FrameType | None) -> Iterator[FrameType]:
    while frame is not None:
        yield frame
        frame = frame.f_back


def _described(frames: Iterable[FrameType], limit: int, width: int, skip: frozenset[CodeType]) -> list[str]:
    # Each frame as "path:line in function: source", innermost first, paths relative to the
    # working directory; frames of code in ``skip``, and the interpreter's frozen modules, left out.
    import linecache  # only when a warning fires: not on the import path of every cold start

    cwd = os.getcwd() + os.sep
    lines: list[str] = []
    for frame in frames:
        if len(lines) >= limit:
            break
        code = frame.f_code
        if code in skip or code.co_filename.startswith("<frozen "):
            continue
        path = code.co_filename
        path = path[len(cwd) :] if path.startswith(cwd) else path
        lineno = frame.f_lineno or 0
        source = linecache.getline(code.co_filename, lineno).strip()
        line = f"{path}:{lineno} in {code.co_name}" + (f": {source}" if source else "")
        lines.append(line[:width])
    return lines
