"""What an execution environment remembers across its processes, kept in its ``/tmp``.

A timeout, an ``os._exit`` or an out-of-memory kill ends the Python process but keeps the
environment and its ``/tmp``; Lambda starts a new process for the next invocation. Managed
Instances run several worker processes in one environment at once. A small directory in ``/tmp``
lets each process learn which environment it is in and what came before it:

- ``environment.json``: the environment id, how many processes it has had, the last one's id, and
  the Managed Instances workers; read and written under a POSIX lock, once per process start;
- ``<container_id>``: one per process, holding its invocation count and whether it shut down
  cleanly, rewritten in place at every invocation through a shared memory mapping (no system
  call): the page cache keeps what a killed process wrote, so it leaves its count behind.

The directory is private (0700, files 0600) and nothing in it is followed through a symlink: a
directory or file that is not what we made is refused. A read-only, full or missing ``/tmp``
only costs the cross-process facts, with one warning.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat

from ._runtime import RUNTIME
from ._warnings import warn_once

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mmap import mmap
    from typing import TypeGuard

DIRECTORY = ".lambda-lifecycle"
_FLAGS = os.O_CLOEXEC | os.O_NOFOLLOW
_SLOT = 16  # bytes of a process file: "%012d" invocations, then "R" running or "S" shut down
_HEX = frozenset("0123456789abcdef")


class MarkerSlot:
    """This module's part of ``RUNTIME`` (``RUNTIME.marker``): this process's slot in the marker."""

    __slots__ = ("slot",)

    def __init__(self) -> None:
        self.slot: mmap | None = None
        """The slot, mapped into memory, or ``None``: the count is not kept."""

    def keep(self, slot: mmap) -> None:
        """Keep ``slot`` (a slot kept before is closed)."""
        self.close()
        self.slot = slot

    def close(self) -> None:
        """Stop keeping the slot open."""
        slot, self.slot = self.slot, None
        if slot is not None:
            with contextlib.suppress(Exception):
                slot.close()

    # A new environment joins its own marker; a forked child is not the process the slot counts.
    reset = after_fork = close


RUNTIME.marker = RUNTIME.adopt(MarkerSlot())


def _is_id(value: object) -> TypeGuard[str]:
    """Whether ``value`` is an id as ``_state._new_id`` makes them (12 lowercase hex characters).

    The marker's ids are used as file names in the directory; anything else could be a path
    (``../x``, ``/etc/x``) that would be read and unlinked outside it.
    """
    return isinstance(value, str) and len(value) == 12 and _HEX.issuperset(value)


class Identity:
    """What the marker says about this process's environment."""

    __slots__ = ("environment_id", "process_restarts", "worker", "previous")

    def __init__(
        self,
        environment_id: str,
        process_restarts: int = 0,
        worker: int | None = None,
        previous: dict[str, object] | None = None,
    ) -> None:
        self.environment_id = environment_id
        self.process_restarts = process_restarts
        self.worker = worker
        self.previous = previous  # container_id, invocations, killed: the process before this one


def _directory(tmp: str) -> str:
    path = os.path.join(tmp, DIRECTORY)
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise PermissionError(f"{path} is not a private directory of this user")
    return path


def _read_slot(path: str) -> tuple[int, bool] | None:
    try:
        fd = os.open(path, os.O_RDONLY | _FLAGS)
    except OSError:
        return None
    try:
        data = os.pread(fd, _SLOT, 0)
    finally:
        os.close(fd)
    return (int(data[:12]), data[12:13] == b"S") if len(data) >= 13 and data[:12].isdigit() else None


def join(tmp: str, container_id: str, new_environment_id: str, workers: bool) -> Identity:
    """Register this process in the environment's marker and learn what it holds.

    ``workers``: the environment runs several worker processes at once (Managed Instances), so a
    new process is another worker, not a restart. Never raises; without a usable ``/tmp`` the
    process is an environment of its own.
    """
    try:
        directory = _directory(tmp)
        fd = os.open(os.path.join(directory, "environment.json"), os.O_RDWR | os.O_CREAT | _FLAGS, 0o600)
        try:
            # A POSIX lock (fcntl's F_SETLKW), held until this process closes the file: os has
            # it, where flock would cost importing fcntl (0.6 ms) on every cold start.
            os.lockf(fd, os.F_LOCK, 0)
            raw = os.pread(fd, 65536, 0)
            marker = json.loads(raw) if raw else {}
            stream = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME") or None
            usable = isinstance(marker, dict) and _is_id(marker.get("environment_id"))
            if not usable or _elsewhere(marker, stream, workers):
                marker = {"environment_id": new_environment_id, "processes": 0, "workers": 0}
            if stream and not workers:
                marker["stream"] = stream
            identity = Identity(marker["environment_id"])
            if workers:
                marker["workers"] = identity.worker = int(marker.get("workers", 0)) + 1
            else:
                identity.process_restarts = int(marker.get("processes", 0))
                last = marker.get("last")
                if _is_id(last):
                    slot = _read_slot(os.path.join(directory, last))
                    identity.previous = {
                        "container_id": last,
                        "invocations": slot[0] if slot else None,
                        "killed": not slot[1] if slot else None,
                    }
                    _remove(os.path.join(directory, last))
                marker["processes"] = identity.process_restarts + 1
                marker["last"] = container_id
            body = json.dumps(marker).encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, body, 0)
        finally:
            os.close(fd)  # also releases the lock
        _keep_slot(os.path.join(directory, container_id))
        return identity
    except Exception as exc:  # noqa: BLE001
        warn_once("marker", f"cannot keep the environment marker in {tmp!r} ({exc!r}); no restart detection")
        return Identity(new_environment_id)


def _elsewhere(marker: dict[str, object], stream: str | None, workers: bool) -> bool:
    """Whether the marker was left by another execution environment than this one.

    Lambda gives each execution environment a log stream of its own, kept across the processes
    it runs (``AWS_LAMBDA_LOG_STREAM_NAME``), and every process of an environment sees the same
    variables; so a marker naming another stream, or none while this process has one, was written
    by an environment this one is not: a local run sharing the host's ``/tmp`` with an earlier
    one. Where this process has no stream (SnapStart sets none) nothing is concluded. Managed
    Instances' workers are not compared: nothing documents that they share one stream.
    """
    return bool(stream and not workers and marker.get("stream") != stream)


def renew(tmp: str) -> None:
    """Forget the marker: after a SnapStart restore it is the snapshot's, shared by every clone.

    ``join()`` then starts a new one."""
    RUNTIME.marker.close()
    try:
        _remove(os.path.join(_directory(tmp), "environment.json"))
    except Exception as exc:  # noqa: BLE001
        warn_once("marker", f"cannot renew the environment marker in {tmp!r} ({exc!r})")


def leave(tmp: str, container_id: str) -> None:
    """Stop keeping this process's count in ``tmp`` (the marker moves to another directory)."""
    RUNTIME.marker.close()
    with contextlib.suppress(OSError):
        _remove(os.path.join(tmp, DIRECTORY, container_id))


def _keep_slot(path: str) -> None:
    import mmap  # only inside Lambda, once per process (0.3 ms, less than a write per invocation)

    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | _FLAGS, 0o600)
        try:
            # Written, not just sized: the file's block is allocated now, where a full /tmp
            # raises, and not when the mapping is first written to (SIGBUS would kill the process).
            os.pwrite(fd, (b"%012dR" % 0).ljust(_SLOT), 0)
            RUNTIME.marker.keep(mmap.mmap(fd, _SLOT))
        finally:
            os.close(fd)  # the mapping keeps the file
    except OSError as exc:  # a full /tmp: the identity joined stands, only the count is lost
        warn_once("marker.count", f"cannot keep this process's count in the environment marker ({exc!r})")
        _remove(path)


def count(invocations: int, shut_down: bool = False) -> None:
    """Record this process's invocation count, and at the end whether it shut down cleanly."""
    slot = RUNTIME.marker.slot
    if slot is not None:
        try:  # noqa: SIM105 - contextlib.suppress would cost a call on every invocation
            slot[:13] = b"%012d%s" % (invocations, b"S" if shut_down else b"R")
        except ValueError:  # closed meanwhile by another thread (a reset, or the marker moved)
            pass


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
