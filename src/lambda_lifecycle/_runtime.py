"""The one owner of lambda-lifecycle's process-wide state: ``RUNTIME``.

Everything the SDK keeps between calls is under ``RUNTIME``: the ``bootstrap()`` settings and
their generation, this process's lifecycle, the integrations' listeners and sinks, the writer and
the clock, the watchdog and the warnings already given; and the parts that one module alone uses
and changes, each an object of that module's (``RUNTIME.shutdown``: the hooks and what was
installed to run them; ``RUNTIME.marker``: the ``/tmp`` marker's mapped slot;
``RUNTIME.in_flight``: the calls being measured; ``RUNTIME.probes``: the probes' kept
descriptors; ``RUNTIME.init``: the timing of init's imports). No module keeps state of its own,
nothing rebinds a module attribute, and no module assigns the fields of another module's part.

Two methods change the state wholesale, and they are the only ones that do; each resets every
part as well:

- ``reset()``: a new execution environment in the same process (``lambda_lifecycle.testing``).
  What belongs to the environment is forgotten; what was installed in the process (the SIGTERM
  handler, the atexit hook, the extension, the watchdog thread, the writer and clock in use, the
  kept descriptors) stays.
- ``after_fork()``: registered once with ``os.register_at_fork``; a child process is a new
  process with no lifecycle, hooks, invocations or descriptors of its parent's.

This module imports nothing of the SDK, so every other module can import it: a part is made by
its own module, which hands it over with ``adopt()`` when it is imported.
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
    from typing import Any, Protocol, TypeVar

    from ._config import Settings
    from ._context import CallInfo
    from ._init_anatomy import InitState
    from ._marker import MarkerSlot
    from ._measurement import InFlight
    from ._probes import Probes, Usage
    from ._shutdown import ShutdownState
    from ._state import Invocation, Process
    from ._watchdog import Watchdog

    class Part(Protocol):
        """A module's own state under ``RUNTIME``."""

        def reset(self) -> None:
            """Forget what belongs to the execution environment (``Runtime.reset``)."""

        def after_fork(self) -> None:
            """Forget what belongs to the parent process, in a forked child (``Runtime.after_fork``)."""

    P = TypeVar("P", bound=Part)
    Sink = Callable[[Settings, dict[str, object]], bool]
    Listener = Callable[[Invocation], None]
    InitListener = Callable[[dict[str, object]], None]

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

    # -- modules' own parts: each changed by its module only; reset() and after_fork() reset them
    shutdown: ShutdownState
    """``_shutdown``'s: the hooks, whether the shutdown ran, what was installed to run it."""
    marker: MarkerSlot
    """``_marker``'s: this process's slot in the ``/tmp`` marker, mapped into memory."""
    in_flight: InFlight
    """``_measurement``'s: the instrumented calls running now, and the timeout warnings' lock."""
    probes: Probes
    """``_probes``': the readers of every invocation and the descriptors they keep."""
    init: InitState
    """``_init_anatomy``'s: this process's init being measured, until its init record is made."""

    # -- the environment's: forgotten by reset() and after a fork --------------------------------
    bootstrap: dict[str, Any]
    """Settings given to ``bootstrap()``, checked."""
    generation: int
    """Changes whenever resolved settings may have changed; decorated handlers re-resolve then."""
    process: Process | None
    """This process's lifecycle, made on first use (``_state.started()``)."""
    simulated: tuple[float, float] | None
    """Start and ready times of a simulated process (``testing.reset()``); ``None`` in a real one."""
    begin_listeners: list[Listener]
    """Integrations called when an invocation begins, before the handler runs."""
    record_sinks: list[Sink]
    """Integrations offered each invoke record; one that returns True has published it."""
    observers: list[Observer]
    """Integrations told of each measured call's beginning, end and timeout warning."""
    init_listeners: list[InitListener]
    """Integrations given the ``init`` record (a dict, as written) when a process's first
    invocation begins, before the handler runs."""
    undo: list[Callable[[], None]]
    """What integrations changed outside this state (a Powertools logger's filter), to take back."""
    warned: set[str]
    """Keys of the faults already warned about: one warning per kind of fault."""

    # -- the process's: kept by reset(), made anew after a fork ----------------------------------
    lock: threading.Lock
    """Guards ``process`` and its counters."""
    watchdog: Watchdog | None
    """The timeout watchdog, once started."""
    event_loop: AbstractEventLoop | None
    """Where async handlers called by the runtime client run (``_async``), once one was."""
    restore_hook_registered: bool
    forked_child: bool
    """Forked from a process whose lifecycle had begun: a child of the environment's process,
    which records nothing (``_state.serves_invocations``). Set by ``after_fork()`` alone."""

    # -- swapped by lambda_lifecycle.testing for the length of a block, never reset --------------
    clock: Callable[[], float]
    """Wall clock for lifecycle timestamps: wall time, because idle time spans the freeze."""
    write: Callable[[str], None] | None
    """Where record lines go instead of stdout (``testing.capture()``); ``None``: stdout."""
    collect: list[dict[str, object]] | None
    """``testing.capture()``'s list: it also gets the records an integration published."""

    def __init__(self) -> None:
        self._parts: list[Part] = []
        self.clock = time.time
        self.write = None
        self.generation = 0
        self.collect = None
        self.simulated = None
        self.restore_hook_registered = False
        self.forked_child = False
        self._new_process()
        self._new_environment()

    def _new_environment(self) -> None:
        self.bootstrap = {}
        self.generation += 1
        self.process = None
        self.begin_listeners = []
        self.record_sinks = []
        self.observers = []
        self.init_listeners = []
        self.undo = []
        self.warned = set()

    def _new_process(self) -> None:
        self.lock = threading.Lock()
        self.watchdog = None
        self.event_loop = None  # a forked child must not share its parent's (its selector is the parent's)

    def adopt(self, part: P) -> P:
        """Keep ``part``, a module's own state, and return it: ``reset()`` and ``after_fork()``
        reset it along with the rest. Called once by that module, when it is imported."""
        self._parts.append(part)
        return part

    def redirect(self, write: Callable[[str], None] | None, collect: list[dict[str, object]] | None) -> None:
        """Send record lines to ``write`` (``None``: stdout), and records to ``collect`` too
        (``testing.capture()``, which puts back what it found when its block ends)."""
        self.write, self.collect = write, collect

    def use_clock(self, clock: Callable[[], float]) -> None:
        """Take lifecycle timestamps from ``clock`` (``testing.simulated_clock()``)."""
        self.clock = clock

    def reset(self, simulated: tuple[float, float] | None = None) -> None:
        """Start a new execution environment in this process; see the module's docstring.

        ``simulated``: the new process's start and ready times (``lambda_lifecycle.testing``).
        Integrations are taken back, so a Powertools logger no longer carries lifecycle keys.
        """
        for undo in reversed(self.undo):
            with contextlib.suppress(Exception):
                undo()
        self._new_environment()
        for part in self._parts:
            part.reset()
        self.simulated = simulated

    def after_fork(self) -> None:
        """In a forked child: nothing of the parent's lifecycle, hooks or descriptors is its own."""
        self.forked_child = self.forked_child or self.process is not None
        for part in self._parts:
            with contextlib.suppress(Exception):
                part.after_fork()
        self._new_process()
        self.process = None


RUNTIME = Runtime()
os.register_at_fork(after_in_child=RUNTIME.after_fork)
