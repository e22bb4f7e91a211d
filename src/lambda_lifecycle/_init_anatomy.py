"""Where a process's init time went: its phases and its slowest imports, as the ``init`` record.

Timing starts when the SDK is imported inside Lambda (by the entry point ``lambda_lifecycle.handler``,
or by ``import lambda_lifecycle`` as the handler module's first import) and stops once init is
over: when the entry point has loaded the handler, else at the first invocation or a SnapStart
restore. The record is written when the process's first invocation begins.

Phases, which add up to ``InitDuration`` (process start to the handler being ready):
``InitRuntime`` (the interpreter, the runtime client and the SDK, until the SDK was loaded),
``InitImports`` (the imports of the function's code, on the thread that loads it) and
``InitCode`` (the rest: the module's own code, its clients, config and pools). After them,
``InitWait`` (the handler ready until the first invocation: large for a proactive or provisioned
init) or, after a SnapStart restore, ``RestoreToInvoke``.
"""

from __future__ import annotations

import os
import sys

from . import _config, _emit, _record
from ._import_timing import ImportTimer
from ._runtime import RUNTIME
from ._warnings import warn_once

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._config import Settings
    from ._context import CallInfo
    from ._import_timing import Import
    from ._state import Invocation, Process

ENTRY_POINT = "lambda_lifecycle.handler.handler"
VARIABLE = "LAMBDA_LIFECYCLE_HANDLER"
# Where a wrapper's handler setting (OpenTelemetry's layer: ``otel-instrument``) moves the
# function's own, which may be the entry point.
_WRAPPED_HANDLER = "ORIG_HANDLER"
SDK = "lambda_lifecycle"
"""The entry of what the SDK imports while it sets itself up during init."""


class InitTiming:
    """What is measured of this process's init while it runs: the handler module and the imports."""

    __slots__ = ("timer", "handler", "loaded_at", "loaded_by", "_found")

    def __init__(self, timer: ImportTimer, handler: str, loaded_at: float, loaded_by: str) -> None:
        self._found: tuple[float, Attribution] | None = None
        self.timer = timer
        self.handler = handler
        """The user's handler as ``_HANDLER`` names it (``dir/module.function``)."""
        self.loaded_at = loaded_at
        """Wall time (``RUNTIME.clock``) when the SDK was loaded and the timing began."""
        self.loaded_by = loaded_by
        """``entry_point`` or ``import``."""

    def stop(self) -> None:
        self.timer.stop()

    def attributed(self, ready: float) -> Attribution:
        """The imports until ``ready`` (wall time: the handler ready), attributed; made once per
        ``ready``, during init where it is known by then, so that the first invocation does not
        pay for it."""
        if self._found is not None and self._found[0] == ready:
            return self._found[1]
        timer = self.timer
        module = module_of(self.handler)
        parts = module.split(".")
        handler_modules = frozenset(".".join(parts[: n + 1]) for n in range(len(parts)))
        threshold_s = _config.value("init_imports_threshold_ms", {}) / 1000  # bootstrap() and the environment
        until = timer.started_at + (ready - self.loaded_at)  # the timer's clock is perf_counter's
        via_entry_point = self.loaded_by == "entry_point"
        found = attribute(
            timer.imports,
            until,
            handler_modules,
            threshold_s,
            None if via_entry_point else module,
            loaders=_ENTRY_POINT_MODULES if via_entry_point else frozenset(),
        )
        self._found = ready, found
        return found


class InitState:
    """This module's part of ``RUNTIME`` (``RUNTIME.init``): the process's init being measured."""

    __slots__ = ("timing",)

    def __init__(self) -> None:
        self.timing: InitTiming | None = None
        """What is measured, until the init record is made (or the breakdown is turned off)."""

    def forget(self) -> None:
        """Stop timing init's imports, and forget what was measured of them."""
        timing, self.timing = self.timing, None
        if timing is not None:
            timing.stop()

    # A new environment's init is not this one; a forked child's process did not go through it.
    reset = after_fork = forget


RUNTIME.init = RUNTIME.adopt(InitState())


class Entry:
    """One line of the slowest imports: a top-level package or a first-party module. Seconds."""

    __slots__ = ("module", "took", "own", "by", "first")

    def __init__(self, module: str, by: str | None, first: float) -> None:
        self.module = module
        self.first = first
        """When its first import began (the timer's clock)."""
        self.took = 0.0
        """Cumulative: the full time of each of its imports, except those made inside another
        import of the same entry (already counted in that one's time)."""
        self.own = 0.0
        """Without the imports of other packages or modules it pulled in."""
        self.by = by
        """The first-party module whose import pulled it in first; ``None``: the runtime or the SDK."""

    def __repr__(self) -> str:
        return f"Entry({self.module!r}, took={self.took:.6f}, own={self.own:.6f}, by={self.by!r})"


class Attribution:
    """The imports of init, attributed: their total and the entries over the threshold, slowest first."""

    __slots__ = ("imports_s", "entries")

    def __init__(self, imports_s: float, entries: list[Entry]) -> None:
        self.imports_s = imports_s
        self.entries = entries


def through_entry_point() -> bool:
    """Whether the function's handler is the entry point: Lambda's handler setting, or the one a
    wrapper around it loads (OpenTelemetry's layer, with no code change for either)."""
    return ENTRY_POINT in (os.environ.get("_HANDLER"), os.environ.get(_WRAPPED_HANDLER))


def handler_name() -> str | None:
    """The user's handler as ``_HANDLER`` names it: ``LAMBDA_LIFECYCLE_HANDLER`` through the entry point."""
    if through_entry_point():
        return os.environ.get(VARIABLE)
    return os.environ.get("_HANDLER")


def module_of(handler: str) -> str:
    """The module a ``_HANDLER`` value names, dotted, as the runtime client imports it."""
    return handler.rpartition(".")[0].replace("/", ".")


# Whose import only loads the handler module, when a wrapper imports the entry point after the SDK.
_ENTRY_POINT_MODULES = frozenset({module_of(ENTRY_POINT)})


def begin() -> None:
    """Start timing init's imports, inside Lambda, unless turned off or init is already over."""
    if RUNTIME.init.timing is not None or not os.environ.get("AWS_LAMBDA_RUNTIME_API"):
        return
    handler = handler_name()
    try:
        if not handler or not _config.value("init_breakdown", {}):
            return
        loaded = sys.modules.get(module_of(handler))
        if loaded is not None and not getattr(getattr(loaded, "__spec__", None), "_initializing", False):
            return  # imported after the handler module: init is over
    except Exception as exc:  # noqa: BLE001 - never fails an init
        warn_once("init.imports", f"cannot time init's imports ({exc!r}); the init breakdown is off")
        return
    time_imports(handler, "entry_point" if through_entry_point() else "import")


def time_imports(handler: str, loaded_by: str) -> None:
    """Start timing the imports of the init that loads ``handler`` (``_HANDLER``'s form), loaded
    by ``entry_point`` or ``import``; ``begin()`` inside Lambda, the demo's simulated init."""
    try:
        timer = ImportTimer()
        if timer.start():
            RUNTIME.init.timing = InitTiming(timer, handler, RUNTIME.clock(), loaded_by)
    except Exception as exc:  # noqa: BLE001 - never fails an init
        warn_once("init.imports", f"cannot time init's imports ({exc!r}); the init breakdown is off")


class SdkWork:
    """``with SdkWork():`` around the SDK setting itself up during init: the imports it makes are
    attributed to the SDK, not to the user's module that called it."""

    __slots__ = ("timer",)

    def __enter__(self) -> None:
        timing = RUNTIME.init.timing
        self.timer = None if timing is None else timing.timer
        if self.timer is not None:
            self.timer.sdk_work += 1

    def __exit__(self, *exc: object) -> None:
        if self.timer is not None:
            self.timer.sdk_work -= 1


def turn_off() -> None:
    """``bootstrap(init_breakdown=False)``: stop timing, and write no init record."""
    RUNTIME.init.forget()


def stop() -> None:
    """Init is over: the import system gets its own function back; what was measured is kept,
    and attributed now if the handler is ready."""
    timing = RUNTIME.init.timing
    if timing is None:
        return
    timing.stop()
    process = RUNTIME.process
    if process is not None and process.handler_ready is not None:
        try:
            timing.attributed(process.handler_ready)
        except Exception as exc:  # noqa: BLE001 - never fails an init
            RUNTIME.init.timing = None
            warn_once("init.record", f"cannot write the init record ({exc!r})")


def actionable(module: str, first_party: str) -> str:
    """What a user can act on for ``module``: a first-party module itself, else its top-level package."""
    top = module.partition(".")[0]
    return module if top == first_party else top


def attribute(
    imports: Sequence[Import],
    until: float,
    handler_modules: frozenset[str],
    threshold_s: float,
    outermost_by: str | None = None,
    *,
    loaders: frozenset[str] = frozenset(),
) -> Attribution:
    """Attribute ``imports`` (in the order they began, as ``ImportTimer`` keeps them) that began
    before ``until`` (the timer's clock) to what a user can act on.

    The handler module and its packages (``handler_modules``) are the function's own code, not
    imports: what they import are the imports of init (their total is ``imports_s``, cut at
    ``until``). Every other first-party module (of the handler's top-level package) is an entry of
    its own. Any other module that first-party code imported is an entry under its top-level
    package, and everything its import pulled in is attributed to it (``urllib3`` inside
    ``botocore`` is part of ``botocore``'s time), unless it is first-party again. An entry's
    cumulative time counts its outermost imports only; its own time is its own modules' code
    (the top-level package's, or the first-party module's). An import still running (it raised
    out of the timing's sight) counts up to ``until``. ``outermost_by`` is who made the imports no
    other import was running around (the handler module, when it was being imported before the
    timing began); an entry's ``by`` is the first-party module whose import pulled it in first.
    ``loaders`` are modules whose import only loads the handler module (the entry point's, when a
    wrapper imports it after the SDK): seen through, as the handler's own.
    """
    first_party = min(handler_modules, key=len).partition(".")[0] if handler_modules else ""
    group: list[str | None] = []  # each import's entry, None for the handler's own modules
    entries: dict[str, Entry] = {}
    imports_s = 0.0
    for imp in imports:
        if imp.start >= until:
            break
        parent = imp.parent
        took = imp.took if imp.took >= 0 else until - imp.start
        outer = imports[parent].name if parent >= 0 else None
        if (imp.name in handler_modules or imp.name in loaders) and (parent < 0 or group[parent] is None):
            group.append(None)
            continue
        if parent < 0 or group[parent] is None:
            imports_s += took
        top = imp.name.partition(".")[0]
        if outer is None or outer.partition(".")[0] == first_party or group[parent] is None:
            name = SDK if imp.by_sdk else actionable(imp.name, first_party)
            entry = entries.get(name)
            if entry is None:
                entry = entries[name] = Entry(name, outermost_by if outer is None else outer, imp.start)
            if not _inside(imports, group, parent, name):
                entry.took += took
        elif top == first_party:
            name = imp.name  # first-party code that a package imported: still the user's own
            entry = entries.get(name)
            if entry is None:
                entry = entries[name] = Entry(name, None, imp.start)
            if not _inside(imports, group, parent, name):
                entry.took += took
        else:
            name = group[parent] or ""  # pulled in by the entry being imported around it
            entry = entries[name]
        group.append(name)
        if name in (imp.name, top) or (imp.by_sdk and name == SDK):
            entry.own += took - imp.nested
    over = sorted((e for e in entries.values() if e.took >= threshold_s), key=lambda e: -e.took)
    return Attribution(imports_s, over)


def _inside(imports: Sequence[Import], group: list[str | None], index: int, name: str) -> bool:
    # Whether an import of entry `name` is already running around this one.
    while index >= 0:
        if group[index] == name:
            return True
        index = imports[index].parent
    return False


def record_fields(
    process_start: float, ready: float, first_invocation: float, restored_at: float | None, memory_mb: int | None
) -> dict[str, object] | None:
    """The ``init`` record's own fields (phases and slowest imports), once per process, at its
    first invocation; ``None`` when nothing was measured."""
    timing, RUNTIME.init.timing = RUNTIME.init.timing, None
    if timing is None:
        return None
    timing.stop()
    found = timing.attributed(ready)
    threshold_ms = _config.value("init_imports_threshold_ms", {})
    most = _config.value("init_imports_max", {})
    init_ms = max(0.0, (ready - process_start) * 1000)
    runtime_ms = min(init_ms, max(0.0, (timing.loaded_at - process_start) * 1000))
    imports_ms = min(init_ms - runtime_ms, found.imports_s * 1000)
    rec: dict[str, object] = {
        "handler": timing.handler,
        "loaded_by": timing.loaded_by,
        **({"memory_mb": memory_mb} if memory_mb else {}),
        "InitDuration": round(init_ms),
        "InitRuntime": round(runtime_ms),
        "InitImports": round(imports_ms),
        "InitCode": round(init_ms - runtime_ms - imports_ms),
    }
    if restored_at is not None:
        rec["RestoreToInvoke"] = round(max(0.0, (first_invocation - restored_at) * 1000))
    else:
        rec["InitWait"] = round(max(0.0, (first_invocation - ready) * 1000))
    listed = found.entries[:most]
    # The timer's clock is perf_counter's, begun when the SDK was loaded (loaded_at, wall time).
    offset_ms = (timing.loaded_at - process_start - timing.timer.started_at) * 1000
    rec["imports"] = [
        {
            "module": entry.module,
            "ms": round(entry.took * 1000, 1),
            "own_ms": round(entry.own * 1000, 1),
            "share": round(100 * entry.took * 1000 / init_ms, 1) if init_ms else 0.0,
            "at_ms": round(offset_ms + entry.first * 1000, 1),
            **({"by": entry.by} if entry.by else {}),
        }
        for entry in listed
    ]
    rec["imports_threshold_ms"] = threshold_ms
    if len(found.entries) > len(listed):
        rec["imports_left_out"] = len(found.entries) - len(listed)
    return rec


def write(settings: Settings, call: CallInfo, invocation: Invocation, process: Process) -> None:
    """The process's first invocation begins: write its ``init`` record, if its init was measured,
    and give it to the integrations; never raises."""
    try:
        if process.handler_ready is None or process.last_start is None:
            return
        fields = record_fields(
            process.process_start, process.handler_ready, process.last_start, process.restored_at, call.memory_limit_mb
        )
        if fields is None:
            return
        rec = _record.init_record(settings, call, invocation.identity, fields)
        for listener in RUNTIME.init_listeners:
            try:
                listener(rec)
            except Exception as exc:  # noqa: BLE001
                warn_once(f"plugin:{listener!r}", f"an integration failed with the init record ({exc!r})")
        _emit.emit(_record.render(settings, rec))
    except Exception as exc:  # noqa: BLE001
        warn_once("init.record", f"cannot write the init record ({exc!r})")
