"""Readers of the process and the environment: /proc, statvfs, getrusage.

Each reader is O(1) or bounded, returns ``None`` when the information cannot be had, and warns
once. None of them raises.
"""

from __future__ import annotations

import contextlib
import os
import resource
import sys
import time

from ._runtime import RUNTIME
from ._warnings import warn_once

PROC_SELF = "/proc/self"
_MB = 1024 * 1024


class _StatFile:
    """/proc/self/stat, kept open: a pread costs a third of open, read and close, on every invocation.

    Every read is checked to start with this process's "<pid> (": if user code closed our
    descriptor and its number now names another file, we open a new one and leave that number,
    which is no longer ours, alone.
    """

    def __init__(self) -> None:
        self._fd = -1
        self._prefix = b""
        self._path = ""

    def read(self) -> bytes:
        path = f"{PROC_SELF}/stat"
        if self._fd >= 0 and path == self._path:
            try:
                data = os.pread(self._fd, 4096, 0)
                if data.startswith(self._prefix):
                    return data
            except OSError:
                pass
        self._fd = os.open(path, os.O_RDONLY)
        self._path = path
        self._prefix = f"{os.getpid()} (".encode()
        data = os.pread(self._fd, 4096, 0)
        if not data.startswith(self._prefix):
            # A PROC_SELF that is not this process's (tests point it elsewhere): no cached fd.
            os.close(self._fd)
            self._fd = -1
        return data

    def close(self) -> None:
        # After a fork the child holds a descriptor of the parent's /proc entry: it must not read it.
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = -1


_stat_file = _StatFile()
RUNTIME.descriptors.append(_stat_file)


def _stat_fields() -> list[bytes]:
    # The command name (field 2) may hold spaces and parentheses, so split after the last ")";
    # the list then starts at field 3 (state).
    data = _stat_file.read()
    return data[data.rindex(b")") + 2 :].split(maxsplit=22)


def process_start_time() -> float | None:
    """When this process started, as epoch seconds, or ``None``.

    ``/proc/self/stat`` gives the start in clock ticks since boot; CLOCK_BOOTTIME is the same
    clock, so now minus (boot-time now - start) is the start on the wall clock (10 ms ticks).
    """
    try:
        ticks = int(_stat_fields()[19])
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
        return time.time() - age
    except Exception as exc:  # noqa: BLE001
        warn_once("probe.start", f"cannot read the process start time ({exc!r}); using import time")
        return None


class Usage:
    """One sample of what the process and ``/tmp`` use; a field is ``None`` when unreadable."""

    __slots__ = ("rss_mb", "max_rss_mb", "threads", "fds", "tmp_used_mb", "tmp_size_mb")

    def __init__(
        self,
        rss_mb: float | None,
        max_rss_mb: float | None,
        threads: int | None,
        fds: int | None,
        tmp_used_mb: float | None,
        tmp_size_mb: float | None,
    ) -> None:
        self.rss_mb = rss_mb
        self.max_rss_mb = max_rss_mb
        self.threads = threads
        self.fds = fds
        self.tmp_used_mb = tmp_used_mb
        self.tmp_size_mb = tmp_size_mb


_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / _MB


def rss_and_threads() -> tuple[float | None, int | None]:
    """Resident memory (MB) and OS threads, both from one read of /proc/self/stat."""
    try:
        fields = _stat_fields()
        return int(fields[21]) * _PAGE_MB, int(fields[17])
    except Exception as exc:  # noqa: BLE001
        warn_once("probe.stat", f"cannot read {PROC_SELF}/stat ({exc!r}); memory and threads omitted")
        return None, None


def max_rss_mb() -> float | None:
    """Peak resident memory of the process (MB) from getrusage."""
    try:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    except Exception as exc:  # noqa: BLE001
        warn_once("probe.rusage", f"cannot read peak memory ({exc!r}); MaxMemoryUsed omitted")
        return None


def open_fds() -> int | None:
    """Open file descriptors of the process.

    Linux 6.2+ reports the count as the size of /proc/self/fd (O(1)); older kernels, which
    Lambda has run (4.14 and 5.x), need a listing, bounded by the 1024 descriptors Lambda allows.
    """
    path = f"{PROC_SELF}/fd"
    try:
        size = os.stat(path).st_size
        if size:
            return size
        return len(os.listdir(path)) - 1  # the listing's own descriptor
    except Exception as exc:  # noqa: BLE001
        warn_once("probe.fds", f"cannot count open file descriptors ({exc!r}); FileDescriptors omitted")
        return None


def tmp_usage(path: str) -> tuple[float | None, float | None]:
    """Used and total size (MB) of the file system holding ``path``."""
    try:
        st = os.statvfs(path)
        return (st.f_blocks - st.f_bfree) * st.f_frsize / _MB, st.f_blocks * st.f_frsize / _MB
    except Exception as exc:  # noqa: BLE001
        warn_once(f"probe.tmp:{path}", f"cannot stat {path!r} ({exc!r}); TmpUsed omitted")
        return None, None


def sample(tmp_path: str) -> Usage:
    """Take every reading once."""
    rss, threads = rss_and_threads()
    used, size = tmp_usage(tmp_path)
    return Usage(rss, max_rss_mb(), threads, open_fds(), used, size)


def thread_stack(ident: int, limit: int = 10, width: int = 240) -> list[str] | None:
    """The innermost ``limit`` frames of thread ``ident``, innermost first, each line at most ``width``.

    Paths under the working directory (``/var/task`` in Lambda) are shown relative to it.
    """
    try:
        import linecache  # only when a warning fires: not on the import path of every cold start

        frame = sys._current_frames().get(ident)
        cwd = os.getcwd() + os.sep
        lines: list[str] = []
        while frame is not None and len(lines) < limit:
            code = frame.f_code
            path = code.co_filename
            path = path[len(cwd) :] if path.startswith(cwd) else path
            lineno = frame.f_lineno or 0
            source = linecache.getline(code.co_filename, lineno).strip()
            line = f"{path}:{lineno} in {code.co_name}" + (f": {source}" if source else "")
            lines.append(line[:width])
            frame = frame.f_back
        return lines
    except Exception as exc:  # noqa: BLE001
        warn_once("probe.stack", f"cannot read the handler's stack ({exc!r})")
        return None
