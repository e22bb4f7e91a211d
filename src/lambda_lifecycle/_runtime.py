"""The one owner of lambda-lifecycle's process-wide state: ``RUNTIME``.

Everything the SDK keeps between calls is a field of ``RUNTIME``: the ``bootstrap()`` settings
and their generation, this process's lifecycle, the shutdown hooks and what was installed to run
them, the integrations' listeners and sinks, the writer and the clock, the kept descriptors, the
invocations in flight, the watchdog and the warnings already given. Other modules read and change
these fields; none keeps state of its own, and nothing rebinds a module attribute.

Two methods change the state wholesale, and they are the only ones that do:

- ``reset()``: a new execution environment in the same process (``lambda_lifecycle.testing``).
  What belongs to the environment is forgotten; what was installed in the process (the SIGTERM
  handler, the atexit hook, the extension, the watchdog thread, the writer and clock in use) stays.
- ``after_fork()``: registered once with ``os.register_at_fork``; a child process is a new
  process with no lifecycle, hooks, invocations or descriptors of its parent's.

This module imports nothing of the SDK, so every other module can import it.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from asyncio import AbstractEventLoop
    from collections.abc import Callable
    from mmap import mmap
    from typing import Any, Protocol

    from ._config import Settings
    from ._context import CallInfo
    from ._probes import Usage
    from ._state import Invocation, Process
    from ._watchdog import Watchdog

    class Closable(Protocol):
        def close(self) -> None: ...

    Hook = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]
    Sink = Callable[[Settings, dict[str, object]], bool]
    Listener = Callable[[Invocation], None]

    class Observer(Protocol):
        """An integration that follows whole calls: what began, how it ended, a timeout warning."""

        def begin(self, invocation: Invocation, call: CallInfo, event: object, context: object) -> None:
            """Before the handler runs, in its thread and context."""

        def end(
            self,
            invocation: Invocation,
            call: CallInfo,
            error: type[BaseException] | None,
            duration_ms: float,
            usage: Usage | None,
        ) -> None:
            """After the handler returned or raised and its record was written (``usage``: the
            sample the record holds; ``None`` if the record could not be made)."""

        def timed_out(self, invocation: Invocation, call: CallInfo) -> None:
            """The timeout warning was written, on the watchdog's thread, while the handler runs."""


class Runtime:
    """The process's state; one instance, ``RUNTIME``. Fields are grouped by what resets them."""

    # -- the environment's: forgotten by reset() and after a fork --------------------------------
    bootstrap: dict[str, Any]
    """Settings given to ``bootstrap()``, checked."""
    generation: int
    """Changes whenever resolved settings may have changed; decorated handlers re-resolve then."""
    process: Process | None
    """This process's lifecycle, made on first use (``_state.started()``)."""
    simulated: tuple[float, float] | None
    """Start and ready times of a simulated process (``testing.reset()``); ``None`` in a real one."""
    hooks: list[Hook]
    """``on_shutdown`` hooks, in the order registered."""
    shutdown_done: bool
    """The shutdown ran (hooks and record happen once per process)."""
    dropped_hooks: int
    """How many hooks registered outside a simulated environment the last ``reset()`` dropped."""
    begin_listeners: list[Listener]
    """Integrations called when an invocation begins, before the handler runs."""
    record_sinks: list[Sink]
    """Integrations offered each invoke record; one that returns True has published it."""
    observers: list[Observer]
    """Integrations told of each measured call's beginning, end and timeout warning."""
    undo: list[Callable[[], None]]
    """What integrations changed outside this state (a Powertools logger's filter), to take back."""
    warned: set[str]
    """Keys of the faults already warned about: one warning per kind of fault."""
    marker_slot: mmap | None
    """This process's slot in the ``/tmp`` marker, mapped into memory, or ``None``."""

    # -- the process's: kept by reset(), made anew after a fork ----------------------------------
    lock: threading.Lock
    """Guards ``process`` and its counters."""
    in_flight: dict[int, tuple[int, str | None]]
    """Instrumented calls running now, by measurement: (thread ident, request id). Changed and
    copied only by single dict operations, which the GIL makes atomic: no lock on the hot path."""
    warn_lock: threading.Lock
    """Taken to write a timeout warning, and by an invocation ending while one is being written."""
    watchdog: Watchdog | None
    """The timeout watchdog, once started."""
    event_loop: AbstractEventLoop | None
    """Where async handlers called by the runtime client run (``_async``), once one was."""
    descriptors: list[Closable]
    """Holders of kept descriptors (probes): closed after a fork, where they are the parent's; they
    open their own again when next used."""
    owner: int
    """The pid whose hooks these are; a forked child is not it (-1), and runs none."""
    atexit_registered: bool
    sigterm_installed: bool
    previous_sigterm: Any
    """What SIGTERM did before our handler; ``None``: not installed from Python."""
    extension_tried: bool
    restore_hook_registered: bool

    # -- swapped by lambda_lifecycle.testing for the length of a block, never reset --------------
    clock: Callable[[], float]
    """Wall clock for lifecycle timestamps: wall time, because idle time spans the freeze."""
    write: Callable[[str], None] | None
    """Where record lines go instead of stdout (``testing.capture()``); ``None``: stdout."""
    collect: list[dict[str, object]] | None
    """``testing.capture()``'s list: it also gets the records an integration published."""

    def __init__(self) -> None:
        self.clock = time.time
        self.write = None
        self.generation = 0
        self.collect = None
        self.simulated = None
        self.marker_slot = None
        self.owner = os.getpid()
        self.atexit_registered = self.sigterm_installed = self.extension_tried = False
        self.restore_hook_registered = False
        self.previous_sigterm = None
        self.descriptors = []
        self._new_process()
        self._new_environment()

    def _new_environment(self) -> None:
        self.bootstrap = {}
        self.generation += 1
        self.process = None
        self.hooks = []
        self.shutdown_done = False
        self.dropped_hooks = 0
        self.begin_listeners = []
        self.record_sinks = []
        self.observers = []
        self.undo = []
        self.warned = set()
        self.close_marker()

    def _new_process(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = {}
        self.warn_lock = threading.Lock()
        self.watchdog = None
        self.event_loop = None  # a forked child must not share its parent's (its selector is the parent's)

    def close_marker(self) -> None:
        """Stop keeping this process's slot of the ``/tmp`` marker open."""
        if self.marker_slot is not None:
            with contextlib.suppress(Exception):
                self.marker_slot.close()
        self.marker_slot = None

    def reset(self, simulated: tuple[float, float] | None = None) -> None:
        """Start a new execution environment in this process; see the module's docstring.

        ``simulated``: the new process's start and ready times (``lambda_lifecycle.testing``).
        Integrations are taken back, so a Powertools logger no longer carries lifecycle keys.
        """
        for undo in reversed(self.undo):
            with contextlib.suppress(Exception):
                undo()
        self._new_environment()
        self.simulated = simulated

    def after_fork(self) -> None:
        """In a forked child: nothing of the parent's lifecycle, hooks or descriptors is its own."""
        for kept in self.descriptors:
            with contextlib.suppress(Exception):
                kept.close()
        self._new_process()
        self.close_marker()
        self.process = None
        self.hooks = []
        self.owner = -1


RUNTIME = Runtime()
os.register_at_fork(after_in_child=RUNTIME.after_fork)
