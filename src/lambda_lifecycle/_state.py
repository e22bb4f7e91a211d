"""The lifecycle of this process: its identity, init timing and invocations.

The state itself is ``RUNTIME.process`` (see ``_runtime``); everything else reads and changes it
through these functions, under ``RUNTIME.lock``.
"""

from __future__ import annotations

import os
import sys
import time

from . import _config, _init_anatomy, _marker, _probes
from ._cold_start import classify
from ._runtime import RUNTIME
from ._warnings import warn_once
from .contract import INIT_TYPES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType

    from ._context import CallInfo


_IMPORTED_AT = time.time()


class Identity:
    """Who a process is: what every record of it repeats, fixed until a SnapStart restore."""

    __slots__ = ("container_id", "environment_id", "process_restarts", "worker", "init_type", "restored")

    def __init__(self, process: Process) -> None:
        self.container_id = process.container_id
        self.environment_id = process.environment_id
        self.process_restarts = process.process_restarts
        self.worker = process.worker
        self.init_type = process.init_type
        self.restored = process.restored_at is not None


class Invocation:
    """What the lifecycle says about one invocation, fixed when it begins.

    ``previous`` (the process before this one in the environment), ``init_duration_ms``,
    ``restore_ms`` (restore to this invocation) and ``init_calls`` (instrumented calls before
    it, which were not invocations) are set on the first invocation of a process only, when
    known; ``idle_ms`` on the others.
    """

    __slots__ = (
        "identity",
        "number",
        "cold_start",
        "proactive_init",
        "init_duration_ms",
        "idle_ms",
        "restore_ms",
        "previous",
        "init_calls",
    )

    def __init__(self, identity: Identity, number: int, idle_ms: float | None = None) -> None:
        self.identity = identity
        self.number = number
        self.cold_start = self.proactive_init = False
        self.init_duration_ms: float | None = None
        self.idle_ms = idle_ms
        self.restore_ms: float | None = None
        self.previous: dict[str, object] | None = None
        self.init_calls = 0

    @property
    def init_type(self) -> str:
        return self.identity.init_type

    @property
    def reinit(self) -> bool:
        """The first invocation of a process that is not its environment's first."""
        return self.number == 1 and self.identity.process_restarts > 0


class Environment:
    """A read-only snapshot of this execution environment, from ``lambda_lifecycle.environment()``.

    ``container_id`` is this process's; ``environment_id`` is shared by every process the execution
    environment has had (``process_restarts`` before this one) or runs at once (Managed Instances
    workers, numbered by ``worker``). ``restored_at`` is set after a SnapStart restore.

    Times are epoch seconds. Inside a handler, ``invocations`` counts the running invocation and
    ``cold_start`` / ``proactive_init`` describe it; ``in_flight`` is how many invocations are
    running now, and ``max_tmp_used_mb`` the most ``/tmp`` use an invocation ended with.
    """

    __slots__ = (
        "container_id",
        "environment_id",
        "process_restarts",
        "worker",
        "init_type",
        "process_start",
        "restored_at",
        "handler_ready",
        "init_duration_ms",
        "invocations",
        "last_invocation_start",
        "last_invocation_end",
        "cold_start",
        "proactive_init",
        "age_s",
        "in_flight",
        "max_tmp_used_mb",
    )

    container_id: str
    environment_id: str
    process_restarts: int
    worker: int | None
    init_type: str
    process_start: float
    restored_at: float | None
    handler_ready: float | None
    init_duration_ms: float | None
    invocations: int
    last_invocation_start: float | None
    last_invocation_end: float | None
    cold_start: bool
    proactive_init: bool
    age_s: float
    in_flight: int
    max_tmp_used_mb: float | None

    def __init__(self, **values: object) -> None:
        for name in self.__slots__:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Environment is a read-only snapshot; cannot set {name!r}")

    def as_dict(self) -> dict[str, object]:
        """The snapshot as a plain dict, e.g. to log it or return it from a handler.

        Returns:
            Every field by name.
        """
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        return "Environment(" + ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items()) + ")"


class Process:
    """This process's lifecycle; ``RUNTIME.process`` holds the one there is."""

    __slots__ = (
        "container_id",
        "environment_id",
        "process_restarts",
        "worker",
        "previous",
        "init_type",
        "restores_observed",
        "process_start",
        "restored_at",
        "handler_ready",
        "invocations",
        "last_start",
        "last_end",
        "cold_start",
        "proactive_init",
        "in_flight",
        "max_tmp_used_mb",
        "first_handler",
        "last_served",
        "marker_dir",
        "identity",
        "in_environment",
        "runtime_api",
        "serving",
        "init_calls",
    )

    def __init__(self, process_start: float | None = None, handler_ready: float | None = None) -> None:
        init_type = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") or "on-demand"
        if init_type not in INIT_TYPES:
            warn_once("state.init_type", f"unknown AWS_LAMBDA_INITIALIZATION_TYPE {init_type!r}: no cold start claimed")
        self.container_id = _new_id()
        simulated = process_start is not None
        # Invocations come from a Runtime API, each with a request id (Lambda, lambda-lifecycle run).
        self.runtime_api = not simulated and bool(os.environ.get("AWS_LAMBDA_RUNTIME_API"))
        # Inside Lambda (or a simulated environment) the process belongs to an execution
        # environment, whose end the shutdown record tells; a plain script has none.
        self.in_environment = simulated or self.runtime_api
        # A child process of the one that serves the invocations records nothing (see serves_invocations).
        self.serving = simulated or serves_invocations()
        self.init_calls = 0  # instrumented calls before the first invocation, which are none
        self.init_type = init_type
        self.restores_observed = init_type == "snap-start" and _watch_restores()
        self.restored_at: float | None = None
        self.identify(_marker_dir() if not simulated and self.serving else None)
        self.process_start = process_start or _probes.process_start_time() or _IMPORTED_AT
        self.handler_ready = handler_ready
        self.invocations = 0
        self.last_start: float | None = None
        self.last_end: float | None = None
        self.cold_start = False
        self.proactive_init = False
        self.in_flight = 0
        self.max_tmp_used_mb: float | None = None
        # What the shutdown record is written with: the settings of the first decorated handler
        # (a callable resolving them), and the settings and call facts (function name, version,
        # ...) of the invocation that ended last.
        self.first_handler: Callable[[], _config.Settings] | None = None
        self.last_served: tuple[_config.Settings, CallInfo] | None = None

    def identify(self, marker_dir: str | None) -> None:
        """Learn the environment's identity from the marker in ``marker_dir``, or be one's own."""
        identity = _marker.Identity(_new_id())
        self.marker_dir = marker_dir
        if marker_dir is not None:
            workers = self.init_type == "lambda-managed-instances"
            identity = _marker.join(marker_dir, self.container_id, identity.environment_id, workers)
        self.environment_id = identity.environment_id
        self.process_restarts = identity.process_restarts
        # A per-process id even when the marker is unusable: the pid is unique within an environment.
        self.worker = (identity.worker or os.getpid()) if self.init_type == "lambda-managed-instances" else None
        self.previous = identity.previous
        self.identity = Identity(self)

    def init_duration_ms(self) -> float | None:
        if self.handler_ready is None:
            return None
        return max(0.0, (self.handler_ready - self.process_start) * 1000)


def serves_invocations() -> bool:
    """Whether this process serves the environment's invocations, and is not a child process of
    the one that does (``multiprocessing`` with any start method, ``os.fork``).

    Only the environment's process takes a place in the ``/tmp`` marker, writes records and a
    shutdown record, installs the shutdown handling and runs the hooks. A child forked after its
    parent's lifecycle began knows it from the fork (``RUNTIME.forked_child``). A ``spawn`` or
    ``forkserver`` child imports the handler's module anew while multiprocessing starts it:
    found on the stack, innermost first, before any frame of the runtime client, which loads
    the handler in the process that serves (Managed Instances' workers, which the runtime client
    starts with multiprocessing itself, included). Nothing of multiprocessing imported: not a
    child of it.
    """
    if RUNTIME.forked_child:
        return False
    mp = sys.modules.get("multiprocessing.process")
    if mp is None:
        return True
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__") or ""
        if module.startswith("awslambdaric"):
            return True
        if module.startswith(_CHILD_STARTERS):
            return False
        frame = frame.f_back
    # Called outside any import (a thread's call, a lazy decoration): a child has a parent.
    return mp.parent_process() is None


_CHILD_STARTERS = ("multiprocessing.", "concurrent.futures.process")


def _new_id() -> str:
    # 48 random bits: ids of thousands of environments of one function stay distinct.
    return os.urandom(6).hex()


def _marker_dir() -> str | None:
    # Only a real execution environment has a /tmp of its own to keep the marker in.
    return _config.value("tmp_path", {}) if os.environ.get("AWS_LAMBDA_RUNTIME_API") else None


def move_marker() -> None:
    """``bootstrap(tmp_path=...)`` changed the directory: join the marker there instead, as long as
    no handler has been decorated yet (the marker's directory is process-wide, fixed by then)."""
    process = RUNTIME.process
    if process is None or RUNTIME.simulated is not None:
        return  # not started yet: it joins the marker wherever the settings say when it starts
    with RUNTIME.lock:
        if process.handler_ready is not None or process.invocations:
            return
        marker_dir = _marker_dir()
        if marker_dir is None or marker_dir == process.marker_dir:
            return
        if process.marker_dir is not None:
            _marker.leave(process.marker_dir, process.container_id)
        process.identify(marker_dir)


def _watch_restores() -> bool:
    """Register the after-restore hook, once; False where SnapStart's hooks are not available."""
    if not RUNTIME.restore_hook_registered:
        try:
            from snapshot_restore_py import register_after_restore
        except ImportError:
            return False
        register_after_restore(restored)
        RUNTIME.restore_hook_registered = True
    return True


def restored() -> None:
    """The SnapStart after-restore hook: this process is one of many clones of a snapshot.

    Everything made during init that should be unique is made anew: the container id, the
    environment id and the ``/tmp`` marker (which came from the snapshot too).
    """
    process = started()
    _init_anatomy.stop()  # the snapshot's init is over
    with RUNTIME.lock:
        process.container_id = _new_id()
        process.restored_at = RUNTIME.clock()
        marker_dir = _marker_dir()
        if marker_dir is not None:
            _marker.renew(marker_dir)
        process.identify(marker_dir)


def started() -> Process:
    """This process's lifecycle, created on first use (bootstrap or decoration)."""
    process = RUNTIME.process
    if process is None:
        with RUNTIME.lock:
            process = RUNTIME.process
            if process is None:
                process = RUNTIME.process = Process(*(RUNTIME.simulated or ()))
    return process


def mark_handler_ready(settings: Callable[[], _config.Settings] | None = None) -> None:
    """A handler was decorated: init is at least this far along (the latest one before any call wins).

    ``settings`` resolves the handler's settings; the first handler's are the shutdown record's
    until an invocation ends.
    """
    process = started()
    with RUNTIME.lock:
        if process.invocations == 0:
            process.handler_ready = RUNTIME.clock()
        if process.first_handler is None:
            process.first_handler = settings


def begin(proactive_init_threshold_ms: float, request_id: str | None) -> Invocation | None:
    """Count an invocation and classify it, before the handler runs (so one that raises counts).

    ``None``: the call is not an invocation. In a child process of the environment's (it records
    nothing), or, where invocations come from a Runtime API, a call with no request id before
    the first invocation (a thread started at init, warm-up code): counted in ``init_calls``,
    which the first invocation's record carries, and neither the cold start nor ``IdleTime``.
    """
    process = RUNTIME.process or started()
    now = RUNTIME.clock()
    with RUNTIME.lock:
        number = process.invocations + 1
        if number > 1:  # only a process's first invocation can be a cold start
            process.invocations = number
            _marker.count(number)  # before the handler runs: a process killed in it leaves the count
            process.last_start = now
            process.in_flight += 1
            if process.cold_start or process.proactive_init:
                process.cold_start = process.proactive_init = False
            last_end = process.last_end
            return Invocation(process.identity, number, None if last_end is None else max(0.0, (now - last_end) * 1000))
        if not process.serving:
            return None
        if request_id is None and process.runtime_api:
            process.init_calls += 1
            return None
        process.invocations = 1
        _marker.count(1)
        process.last_start = now
        process.in_flight += 1
        if process.handler_ready is None:
            process.handler_ready = now
        inv = Invocation(process.identity, number)
        inv.cold_start, inv.proactive_init = process.cold_start, process.proactive_init = classify(
            init_type=process.init_type,
            invocation=number,
            process_restarts=process.process_restarts,
            restores_observed=process.restores_observed,
            ready_to_invoke_ms=(now - process.handler_ready) * 1000,
            proactive_threshold_ms=proactive_init_threshold_ms,
        )
        inv.init_duration_ms = process.init_duration_ms()
        inv.previous = process.previous
        inv.init_calls = process.init_calls
        if process.restored_at is not None:
            inv.restore_ms = max(0.0, (now - process.restored_at) * 1000)
    return inv


def end(served: tuple[_config.Settings, CallInfo]) -> tuple[float, float]:
    """An invocation ended: returns the time and the container age in seconds.

    ``served`` is the handler's settings and call facts (function name, version, ...), kept for
    the shutdown record.
    """
    process = RUNTIME.process or started()
    now = RUNTIME.clock()
    with RUNTIME.lock:
        process.last_end = now
        process.last_served = served
        process.in_flight -= 1
    return now, now - (process.restored_at or process.process_start)


def used_tmp(tmp_used_mb: float | None) -> None:
    """An invocation ended with ``/tmp`` this full."""
    process = RUNTIME.process
    if process is not None and tmp_used_mb is not None and tmp_used_mb > (process.max_tmp_used_mb or -1.0):
        with RUNTIME.lock:
            if tmp_used_mb > (process.max_tmp_used_mb or -1.0):
                process.max_tmp_used_mb = tmp_used_mb


def shutdown_identity() -> tuple[_config.Settings | None, CallInfo | None]:
    """The handler-level settings and call facts (function name, version) the shutdown record is
    written with.

    Those of the invocation that ended last; if none has, the first decorated handler's settings
    and no call; else nothing (the caller then uses the process-wide settings and environment).
    """
    process = started()
    with RUNTIME.lock:
        served = process.last_served
        first = process.first_handler
    if served is not None:
        return served
    return (first() if first is not None else None), None


def environment() -> Environment:
    """A read-only snapshot of this execution environment's lifecycle so far.

    Returns:
        An ``Environment``; its fields do not change after it is taken.
    """
    process = started()
    with RUNTIME.lock:
        return Environment(
            container_id=process.container_id,
            environment_id=process.environment_id,
            process_restarts=process.process_restarts,
            worker=process.worker,
            init_type=process.init_type,
            process_start=process.process_start,
            restored_at=process.restored_at,
            handler_ready=process.handler_ready,
            init_duration_ms=process.init_duration_ms(),
            invocations=process.invocations,
            last_invocation_start=process.last_start,
            last_invocation_end=process.last_end,
            cold_start=process.cold_start,
            proactive_init=process.proactive_init,
            age_s=RUNTIME.clock() - (process.restored_at or process.process_start),
            in_flight=process.in_flight,
            max_tmp_used_mb=process.max_tmp_used_mb,
        )
