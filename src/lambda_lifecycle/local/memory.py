"""The function's memory limit, enforced on the local runtime as Lambda enforces it: the
environment's resident memory (the runtime process and what it started) is watched, and past the
limit the runtime is killed, which Lambda reports as ``Runtime.OutOfMemory``.

Lambda counts memory in a cgroup and its kernel kills at once; here a thread reads ``/proc`` every
``POLL_S`` seconds, so an allocation can overshoot the limit by what the handler allocates in that
time before the kill. The peak it saw is the REPORT's ``Max Memory Used``.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading

POLL_S = 0.01


def _status_kb(pid: int, field: str) -> int:
    """``VmRSS``, ``VmHWM`` ... of a process from /proc/<pid>/status, in kB (0 when gone or absent)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            return [int(child) for child in f.read().split()]
    except (OSError, ValueError):
        return []


def _resident_kb(pid: int) -> int:
    """The resident memory of ``pid`` and its descendants (workers, child processes), in kB."""
    total, seen, todo = 0, set(), [pid]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _status_kb(current, "VmRSS:")
        todo.extend(_children(current))
    return total


class MemoryWatch:
    """Watches one runtime process (and its children) until it exits or ``stop()``; kills its
    process group when their resident memory passes ``limit_mb``."""

    def __init__(self, pid: int, limit_mb: int) -> None:
        self.pid = pid
        self.limit_kb = limit_mb * 1024
        self.peak_kb = 0
        self.exceeded = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    @property
    def peak_mb(self) -> int:
        """The most memory seen in use, in whole MB rounded up (as Lambda shows Max Memory Used)."""
        return math.ceil(max(self.peak_kb, _status_kb(self.pid, "VmHWM:")) / 1024)

    def _watch(self) -> None:
        while not self._stop.wait(POLL_S):
            used = _resident_kb(self.pid)
            if not used:
                return  # the process is gone
            self.peak_kb = max(self.peak_kb, used)
            if used > self.limit_kb:
                self.exceeded = True
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.pid, signal.SIGKILL)
                return

    def stop(self) -> None:
        self._stop.set()
