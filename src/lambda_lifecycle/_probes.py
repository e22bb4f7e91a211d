"""Readers of the process and the environment: /proc, statvfs, getrusage.

Each reader is O(1) or bounded, returns ``None`` when the information cannot be had, and warns
once. None of them raises.

The readers of every invocation keep their descriptors open (``Probes``): one ``fstat`` or
``pread`` each, with no path to resolve (see benchmarks/README.md for what each costs). A kept
descriptor is trusted only while it is still the file it was opened as: user code may close it
and get the same number back for a file of its own, which is then left alone, neither read nor
closed, and ours is opened again.
"""

from __future__ import annotations

import contextlib
import os
import resource
import time

from ._runtime import RUNTIME
from ._warnings import warn_once

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    class _Identified(Protocol):  # an os.stat_result, or a _Kept as it was opened
        @property
        def st_ino(self) -> int: ...
        @property
        def st_dev(self) -> int: ...


PROC_SELF = "/proc/self"
EVERY_READING_S = 1.0
"""An invocation takes the readings that cost a system call each at most this often (seconds)."""
_NEVER = float("-inf")
_MB = 1024 * 1024
_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / _MB


class Usage:
    """One sample of what the process and ``/tmp`` use; a field is ``None`` when unreadable.

    The fields come in the order of ``contract.USAGE`` (descriptors before threads), as the
    record writes them.
    """

    __slots__ = ("rss_mb", "max_rss_mb", "fds", "threads", "tmp_used_mb", "tmp_size_mb")

    def __init__(
        self,
        rss_mb: float | None,
        max_rss_mb: float | None,
        fds: int | None,
        threads: int | None,
        tmp_used_mb: float | None,
        tmp_size_mb: float | None,
    ) -> None:
        self.rss_mb = rss_mb
        self.max_rss_mb = max_rss_mb
        self.fds = fds
        self.threads = threads
        self.tmp_used_mb = tmp_used_mb
        self.tmp_size_mb = tmp_size_mb


class _Kept:
    """A descriptor kept open, and the identity (inode, device, named as ``fstat`` names them)
    that shows it is still ours."""

    __slots__ = ("fd", "path", "st_ino", "st_dev")

    def __init__(self) -> None:
        self.fd = -1
        self.path = ""
        self.st_ino = self.st_dev = 0

    def open(self, path: str, flags: int = os.O_RDONLY) -> os.stat_result:
        """Open ``path`` in place of the kept descriptor (closed first if still ours)."""
        self.close()
        self.path = path
        fd = os.open(path, flags | os.O_CLOEXEC)
        try:
            st = os.fstat(fd)
        except BaseException:
            os.close(fd)
            raise
        self.fd, self.st_ino, self.st_dev = fd, st.st_ino, st.st_dev
        return st

    def close(self) -> None:
        """Close the descriptor if it is still ours; a number now someone else's is left alone."""
        fd, self.fd = self.fd, -1
        with contextlib.suppress(OSError):
            st = os.fstat(fd)
            if st.st_ino == self.st_ino and st.st_dev == self.st_dev:
                os.close(fd)


def _identity(tmp: os.statvfs_result, task: _Identified, fd_dir: _Identified) -> tuple[int, ...]:
    """What shows that the kept descriptors of ``/tmp``, the task and the fd directories are still
    ours, in one tuple: the fast path builds it from its readings and compares it with the one the
    careful path built from what it opened (the file system's id and size; inode and device)."""
    return (tmp.f_fsid, tmp.f_blocks, task.st_ino, task.st_dev, fd_dir.st_ino, fd_dir.st_dev)


class Probes:
    """The readers of every invocation, with the descriptors they keep: this module's part of
    ``RUNTIME`` (``RUNTIME.probes``).

    ``sample()`` opens what it needs on first use (call it once during init to move that cost
    there); ``close()`` lets every descriptor go, as a forked child must: the ones it inherited
    name the parent's ``/proc`` entries.
    """

    def __init__(self) -> None:
        self._proc = PROC_SELF
        self._statm = _Kept()  # resident memory
        self._text = b""  # statm's text size, as read when it was opened
        self._task = _Kept()  # threads: its link count is 2 + the thread count
        self._fd_dir = _Kept()  # open descriptors: its size is their count (Linux 6.2+)
        self._tmp = _Kept()  # the first tmp path sampled, for fstatvfs
        self._tmp_fs: os.statvfs_result | None = None  # its file system, as when it was opened
        self._kept_ids: tuple[int, ...] = ()  # _identity() as the careful path last found it
        self._tmp_unkept = False  # that path could not be opened: statvfs by path instead
        self._peak_rss_mb = 0.0  # the highest resident size sampled
        self._every_reading_at = _NEVER  # when an invocation last took every reading (see usage())

    def close(self) -> None:
        for kept in (self._statm, self._task, self._fd_dir, self._tmp):
            kept.close()
            kept.path = ""
        self._tmp_unkept = False
        self._tmp_fs = None
        self._kept_ids = ()
        self._peak_rss_mb = 0.0  # a forked child's peak is its own
        self._every_reading_at = _NEVER

    def reset(self) -> None:
        """The descriptors are the process's; a new environment's invocations read everything anew."""
        self._every_reading_at = _NEVER

    after_fork = close

    def usage(self, tmp_path: str, tmp_size_mb: float | None, now: float, every_reading: bool) -> Usage:
        """What an invocation's record holds: resident memory and its peak always; descriptors,
        threads and ``/tmp``, which cost a system call each, with ``every_reading`` (a process's
        first invocation, or the setting) or at least ``EVERY_READING_S`` after an invocation last
        took them (``now``, lifecycle clock seconds), else ``None``.

        A maximum over any period of CloudWatch or Logs Insights still sees a reading of each
        second an environment served in, and a line never carries a stale number.
        """
        if every_reading or not 0.0 <= now - self._every_reading_at < EVERY_READING_S:
            self._every_reading_at = now
            return self.sample(tmp_path, tmp_size_mb)
        return self.memory()

    def memory(self) -> Usage:
        """Resident memory and its peak alone: one ``pread`` and one ``getrusage``."""
        try:
            fields = os.pread(self._statm.fd, 128, 0).split()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
            if self._ours(fields) and self._proc == PROC_SELF:
                rss = int(fields[1]) * _PAGE_MB
                if rss > self._peak_rss_mb:
                    self._peak_rss_mb = rss
                return Usage(rss, peak if peak >= self._peak_rss_mb else self._peak_rss_mb, None, None, None, None)
        except Exception:  # noqa: BLE001 - the careful readers find out which, and warn
            pass
        self._follow_proc()
        rss_mb = self.rss_mb()
        if rss_mb is not None and rss_mb > self._peak_rss_mb:
            self._peak_rss_mb = rss_mb
        return Usage(rss_mb, self.max_rss_mb(), None, None, None, None)

    def _follow_proc(self) -> None:
        if self._proc != PROC_SELF:  # tests point it elsewhere: what was kept is no longer asked for
            self.close()
            self._proc = PROC_SELF

    def sample(self, tmp_path: str, tmp_size_mb: float | None = None) -> Usage:
        """Take every reading once; with ``tmp_size_mb``, ``tmp_path`` is a simulated ``/tmp`` of
        that size, whose use is what its files take."""
        # The fast path, one system call a reading and as little else as can be, because it runs
        # on every invocation: every descriptor open and still ours (its identity, statm its
        # content, /tmp its file system, as when opened). Anything else (first use, a descriptor
        # closed or reused behind our back, a simulated /tmp, an error) takes the careful path.
        try:
            if tmp_size_mb is None and self._tmp.path == tmp_path and self._proc == PROC_SELF:
                st_vfs = os.fstatvfs(self._tmp.fd)
                # statm is checked by its content (_ours), not by an fstat: a system call less.
                fields = os.pread(self._statm.fd, 128, 0).split()
                st_task = os.fstat(self._task.fd)
                st_fds = os.fstat(self._fd_dir.fd)  # last: every descriptor kept is open by now, and counted
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
                if _identity(st_vfs, st_task, st_fds) == self._kept_ids and self._ours(fields):
                    rss = int(fields[1]) * _PAGE_MB
                    if rss > self._peak_rss_mb:
                        self._peak_rss_mb = rss
                    used, size = _used_and_size(st_vfs)
                    return Usage(
                        rss,
                        peak if peak >= self._peak_rss_mb else self._peak_rss_mb,  # see max_rss_mb()
                        st_fds.st_size or self._listed(),
                        st_task.st_nlink - 2,
                        used,
                        size,
                    )
        except Exception:  # noqa: BLE001 - the careful path finds out which, and warns
            pass
        return self._sample_carefully(tmp_path, tmp_size_mb)

    def _sample_carefully(self, tmp_path: str, tmp_size_mb: float | None) -> Usage:
        # Each reading on its own: a descriptor no longer ours is opened again; a reading that
        # cannot be had warns once and gives None.
        self._follow_proc()
        used: float | None
        size: float | None
        try:
            if tmp_size_mb is not None:
                used, size = _files_mb(tmp_path), tmp_size_mb
            else:
                st_vfs, kept_fs = os.fstatvfs(self._tmp.fd), self._tmp_fs
                if self._tmp.path == tmp_path and kept_fs is not None and _same_fs(st_vfs, kept_fs):
                    used, size = _used_and_size(st_vfs)
                else:
                    used, size = self.tmp_usage(tmp_path)
        except Exception:  # noqa: BLE001
            used, size = self.tmp_usage(tmp_path)
        try:
            fields = os.pread(self._statm.fd, 128, 0).split()
            if self._ours(fields):
                rss: float | None = int(fields[1]) * _PAGE_MB
            else:
                rss = self.rss_mb()
        except Exception:  # noqa: BLE001
            rss = self.rss_mb()
        kept = self._task
        try:
            st = os.fstat(kept.fd)
            threads = st.st_nlink - 2 if st.st_ino == kept.st_ino and st.st_dev == kept.st_dev else self.threads()
        except Exception:  # noqa: BLE001
            threads = self.threads()
        kept = self._fd_dir  # last: every descriptor kept is open by now, and counted
        try:
            st = os.fstat(kept.fd)
            ours = st.st_ino == kept.st_ino and st.st_dev == kept.st_dev
            fds = (st.st_size or self._listed()) if ours else self.open_fds()
        except Exception:  # noqa: BLE001
            fds = self.open_fds()
        if rss is not None and rss > self._peak_rss_mb:
            self._peak_rss_mb = rss
        tmp_fs = self._tmp_fs
        self._kept_ids = () if tmp_fs is None else _identity(tmp_fs, self._task, self._fd_dir)
        return Usage(rss, self.max_rss_mb(), fds, threads, used, size)

    def _ours(self, statm: list[bytes]) -> bool:
        # statm tells by its content, not by an fstat (a system call more): seven numbers,
        # ``text`` this interpreter's size, ``lib`` and ``dt`` always 0. Only the statm of another
        # process of the same interpreter, opened by the handler in place of ours after closing
        # it, would pass.
        return len(statm) == 7 and statm[3] == self._text and statm[4] == statm[6] == b"0"

    def max_rss_mb(self) -> float | None:
        """Peak resident memory of the process (MB): getrusage's, or the highest ``sample()`` saw.

        Recent kernels sum the per-CPU memory counters exactly for statm and approximately for
        getrusage's peak (100-230 KB apart on Linux 6.18): the peak could otherwise come out
        below a resident size already reported.
        """
        try:
            peak: float = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
        except Exception as exc:  # noqa: BLE001
            warn_once("probe.rusage", f"cannot read peak memory ({exc!r}); MaxMemoryUsed omitted")
            return None
        return peak if peak >= self._peak_rss_mb else self._peak_rss_mb

    def rss_mb(self) -> float | None:
        """Resident memory (MB), from /proc/self/statm ("size resident shared ...", in pages)."""
        try:
            self._statm.open(f"{self._proc}/statm")
            fields = os.pread(self._statm.fd, 128, 0).split()
            self._text = fields[3]
            return int(fields[1]) * _PAGE_MB
        except Exception as exc:  # noqa: BLE001
            proc_unreadable(f"{self._proc}/statm", exc)
            return None

    def threads(self) -> int | None:
        """OS threads of the process: /proc/self/task has one entry per thread, plus . and .."""
        try:
            return self._task.open(f"{self._proc}/task", os.O_RDONLY | os.O_DIRECTORY).st_nlink - 2
        except Exception as exc:  # noqa: BLE001
            proc_unreadable(f"{self._proc}/task", exc)
            return None

    def open_fds(self) -> int | None:
        """Open file descriptors of the process, this reader's own included.

        Linux 6.2+ reports the count as the size of /proc/self/fd; older kernels, which Lambda
        has run (4.14 and 5.x), need a listing, bounded by the 1024 descriptors Lambda allows.
        """
        try:
            return self._fd_dir.open(f"{self._proc}/fd", os.O_RDONLY | os.O_DIRECTORY).st_size or self._listed()
        except Exception as exc:  # noqa: BLE001
            proc_unreadable(f"{self._proc}/fd", exc)
            return None

    def _listed(self) -> int:
        return len(os.listdir(self._fd_dir.fd)) - 1  # less the copy of it that the listing opens

    def tmp_usage(self, path: str) -> tuple[float | None, float | None]:
        """Used and total size (MB) of the file system holding ``path``."""
        try:
            return _used_and_size(self._statvfs(path))
        except Exception as exc:  # noqa: BLE001
            warn_once(f"probe.tmp:{path}", f"cannot stat {path!r} ({exc!r}); TmpUsed omitted")
            return None, None

    def _statvfs(self, path: str) -> os.statvfs_result:
        tmp = self._tmp
        if (tmp.path and tmp.path != path) or (tmp.path == path and self._tmp_unkept):
            return os.statvfs(path)  # another handler's tmp_path (the first one is kept), or unopenable
        try:
            # O_PATH: no read permission needed, and a FIFO there does not block the open.
            tmp.open(path, getattr(os, "O_PATH", os.O_RDONLY))
        except OSError:
            self._tmp_unkept = True  # e.g. not there (yet): read by path, as statvfs says
            return os.statvfs(path)
        st = self._tmp_fs = os.fstatvfs(tmp.fd)  # what shows later that it is still there (_same_fs)
        return st


def proc_unreadable(path: str, exc: Exception) -> None:
    """One warning for /proc, whichever of its readers fails first: an unreadable /proc (not
    mounted, or hidden) fails them all, and that is one fault."""
    warn_once(
        "probe.proc",
        f"cannot read {path} ({exc!r}); what /proc gives is left out wherever it cannot be read:"
        " MemoryUsed and MemoryUsedPercent, Threads, FileDescriptors, and the process start (the import time"
        " stands in)",
    )


# A simulated /tmp is measured by walking it; Lambda's is 10 GB at most, and a local run's or a
# test's holds far fewer files than this.
_MAX_FILES = 10_000


def _files_mb(path: str) -> float | None:
    """What the files under ``path`` take on disk (MB), as a file system of their own would count."""
    total = counted = 0
    folders = [path]
    try:
        while folders:
            with os.scandir(folders.pop()) as entries:
                for entry in entries:
                    counted += 1
                    if counted > _MAX_FILES:
                        warn_once(
                            f"probe.files:{path}", f"over {_MAX_FILES} files in {path!r}: TmpUsed counts only those"
                        )
                        return total / _MB
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.path)
                    else:
                        total += entry.stat(follow_symlinks=False).st_blocks * 512
    except OSError as exc:
        warn_once(f"probe.tmp:{path}", f"cannot read {path!r} ({exc!r}); TmpUsed omitted")
        return None
    return total / _MB


def _used_and_size(st: os.statvfs_result) -> tuple[float, float]:
    return (st.f_blocks - st.f_bfree) * st.f_frsize / _MB, st.f_blocks * st.f_frsize / _MB


def _same_fs(st: os.statvfs_result, kept: os.statvfs_result) -> bool:
    # Its file system's id and size tell whether the kept tmp descriptor is still there
    # (fstatvfs of any file on it answers the same); a pipe or socket in its place is not.
    return st.f_fsid == kept.f_fsid and st.f_blocks == kept.f_blocks


RUNTIME.probes = RUNTIME.adopt(Probes())
sample = RUNTIME.probes.sample
usage = RUNTIME.probes.usage
max_rss_mb = RUNTIME.probes.max_rss_mb


def process_start_time() -> float | None:
    """When this process started, as epoch seconds, or ``None``; read once, so nothing is kept.

    ``/proc/self/stat`` gives the start in clock ticks since boot; CLOCK_BOOTTIME is the same
    clock, so now minus (boot-time now - start) is the start on the wall clock (10 ms ticks).
    """
    try:
        fd = os.open(f"{PROC_SELF}/stat", os.O_RDONLY | os.O_CLOEXEC)
        try:
            data = os.read(fd, 4096)
        finally:
            os.close(fd)
        # The command name (field 2) may hold spaces and parentheses, so split after the last
        # ")": the list then starts at field 3 (state), and the start time is field 22.
        ticks = int(data[data.rindex(b")") + 2 :].split(maxsplit=20)[19])
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
        return time.time() - age
    except Exception as exc:  # noqa: BLE001
        proc_unreadable(f"{PROC_SELF}/stat", exc)
        return None
