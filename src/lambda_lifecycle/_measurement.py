"""One call of an instrumented handler, measured: begin, watch the deadline, end, write the record."""

from __future__ import annotations

import functools
import os
import threading
import time
from _contextvars import ContextVar  # what `contextvars` re-exports, without its import (0.6 ms)

from . import _context, _durable, _emit, _init_anatomy, _probes, _record, _state, _watchdog
from ._runtime import RUNTIME
from ._warnings import warn_once
from .contract import complete

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from contextvars import Token
    from typing import Any

    from ._config import Settings
    from ._watchdog import Watchdog

# Set while an instrumented call runs, so a handler calling another instrumented function (or one
# decorated twice through other decorators) is counted once. A ContextVar, not a thread-local,
# so concurrent asyncio tasks each get their own.
_active: ContextVar[bool] = ContextVar("lambda_lifecycle_active", default=False)
_perf_counter = time.perf_counter
_monotonic = time.monotonic
_get_ident = threading.get_ident

_MAX_REMAINING_MS = 16 * 60 * 1000  # Lambda's 15-minute maximum timeout, and a margin


class Measurement:
    """One call of an instrumented handler being measured: made by ``start``, ended by ``finish``,
    and what the watchdog's callback writes a timeout warning from while the handler runs.

    Its fields are set by ``start`` one by one, with no ``__init__`` (a call more on every
    invocation); ``watchdog`` is ``None`` when no deadline is watched, else ``armed`` is its token
    and ``ended`` says whether ``finish`` came after the watchdog took the deadline.
    """

    __slots__ = (
        "settings",
        "call",
        "invocation",
        "context",
        "token",
        "thread",
        "durable_id",
        "replayed",
        "t0",
        "watchdog",
        "armed",
        "ended",
        "awaited",
    )

    settings: Settings
    call: _context.CallInfo
    invocation: _state.Invocation
    context: Any
    """The handler's context as given (the durable SDK's holds the Lambda one)."""
    token: Token[bool]
    """Undoes ``_active``."""
    thread: int
    """The thread the handler runs on."""
    durable_id: str | None
    replayed: bool | None
    t0: float
    """``time.perf_counter()`` when the handler was called."""
    watchdog: Watchdog | None
    armed: int
    ended: bool
    awaited: object
    """An async handler's coroutine, where a timeout warning's stack follows its awaits; else None."""


class InFlight:
    """This module's part of ``RUNTIME`` (``RUNTIME.in_flight``): the calls being measured now,
    and the lock that keeps a timeout warning from following the end of its call.

    ``calls`` is changed and copied only by single set operations, which the GIL makes atomic: no
    lock on the hot path.
    """

    __slots__ = ("calls", "warn_lock")

    calls: set[Measurement]
    warn_lock: threading.Lock
    """Taken to write a timeout warning, and by a call ending while one is being written."""

    def __init__(self) -> None:
        self.after_fork()

    def reset(self) -> None:
        """Nothing to forget in a new environment: the calls running are the process's."""

    def after_fork(self) -> None:
        self.calls = set()
        self.warn_lock = threading.Lock()


RUNTIME.in_flight = RUNTIME.adopt(InFlight())
_new_measurement = object.__new__


def start(
    resolve: Callable[[], Settings], reader: _context.Reader, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Measurement | None:
    """Begin measuring one call of an instrumented handler, or ``None`` when the call is not
    measured (nested in another, disabled, or the SDK cannot).

    New threads do not inherit ``_active``, so a handler's own worker threads would each count
    an invocation: ``RUNTIME.in_flight`` lists the calls running, with their thread and request
    id. A call on another thread is nested in one of them when it carries the same request id,
    or none at all (a helper called with other arguments); a real concurrent invocation has a
    request id of its own.
    """
    # Handlers take (event, context); methods and classmethods put more in front.
    if len(args) >= 2:
        event, context = args[-2], args[-1]
    else:
        event, context = kwargs.get("event"), kwargs.get("context")
    # Inside @durable_execution the context is the durable SDK's: the Lambda context is in it.
    try:
        durable_id, replayed, context = _durable.durable_facts(event, context)
    except Exception as exc:  # noqa: BLE001 - an event that raises when read is still the handler's
        warn_once("durable", f"cannot read the event as a durable execution's ({exc!r})")
        durable_id = replayed = None
    in_flight = RUNTIME.in_flight
    if _active.get() or (in_flight.calls and _nested_in_another_thread(context)):
        return None
    try:
        settings = resolve()
        if settings.disabled:
            return None
        call = reader.read(context)
        invocation = _state.begin(settings.proactive_init_threshold_ms, call.request_id)
    except Exception as exc:  # noqa: BLE001
        warn_once("sdk.begin", f"cannot record this invocation ({exc!r})")
        return None
    if invocation is None:  # not an invocation: a child process's call, or one during init
        return None
    if invocation.number == 1 and RUNTIME.init.timing is not None:
        _init_anatomy.write(settings, call, invocation, RUNTIME.process)  # type: ignore[arg-type]
    measured = _new_measurement(Measurement)
    measured.token = _active.set(True)
    measured.settings = settings
    measured.call = call
    measured.invocation = invocation
    measured.context = context
    measured.thread = _get_ident()
    measured.durable_id = durable_id
    measured.replayed = replayed
    measured.watchdog = None
    in_flight.calls.add(measured)
    if RUNTIME.begin_listeners:
        _notify(invocation)
    if RUNTIME.observers:
        _tell("begin", invocation, call, event, context)
    measured.t0 = _perf_counter()
    margin_ms = settings.timeout_warning_ms
    if margin_ms != 0:
        _watch(measured, margin_ms)
    return measured


def _watch(measured: Measurement, margin_ms: float | None) -> None:
    # Arm the call's deadline with the watchdog, if it has one to watch.
    try:
        remaining_ms = measured.context.get_remaining_time_in_millis()
        # Lambda allows at most 15 minutes; anything longer (or inf, or NaN) is a stand-in such
        # as a test double's, not a deadline, and would overflow the watchdog's wait. Only an
        # int or a float is one (a Decimal's arithmetic with floats raises).
        if not 0 < remaining_ms <= _MAX_REMAINING_MS or not isinstance(remaining_ms, (int, float)):
            return
    except Exception:  # noqa: BLE001 - no deadline to watch: a dict, None, a Mock's
        return
    if margin_ms is None:  # max(200 ms, 3 %)
        margin_ms = 0.03 * remaining_ms
        if margin_ms < 200.0:
            margin_ms = 200.0
    if remaining_ms <= margin_ms:
        return
    measured.ended = False
    measured.awaited = None
    try:
        watchdog = RUNTIME.watchdog or _watchdog.start()
        due = _monotonic() + (remaining_ms - margin_ms) / 1000
        measured.armed = watchdog.arm(due, functools.partial(_warn_timeout, measured))
        measured.watchdog = watchdog
    except Exception as exc:  # noqa: BLE001 - e.g. no thread can be started
        warn_once("watchdog.arm", f"cannot watch for timeouts ({exc!r})")


def _nested_in_another_thread(context: object) -> bool:
    request_id = _context.request_id(context)
    here = threading.get_ident()
    return any(
        outer.thread != here and (request_id is None or request_id == outer.call.request_id)
        for outer in tuple(RUNTIME.in_flight.calls)  # one atomic copy
    )


def _published(settings: Settings, body: str) -> bool:
    record = _record.as_dict(body)
    for publish in RUNTIME.record_sinks:
        try:
            if publish(settings, record):
                collect = RUNTIME.collect
                if collect is not None:  # testing.capture(): it sees what went elsewhere too
                    collect.append(complete(record))
                return True
        except Exception as exc:  # noqa: BLE001 - the record is then written as usual
            warn_once(f"plugin:{publish!r}", f"an integration could not publish a record ({exc!r})")
    return False


def _notify(invocation: _state.Invocation) -> None:
    for listener in RUNTIME.begin_listeners:
        try:
            listener(invocation)
        except Exception as exc:  # noqa: BLE001
            warn_once(f"plugin:{listener!r}", f"an integration failed at the start of an invocation ({exc!r})")


def _tell(what: str, *facts: object) -> None:
    # Each observer's method ``what``; one that fails is warned about once and the call goes on.
    for observer in RUNTIME.observers:
        try:
            getattr(observer, what)(*facts)
        except Exception as exc:  # noqa: BLE001
            warn_once(f"plugin:{observer!r}.{what}", f"an integration failed at the {what} of an invocation ({exc!r})")


def _warn_timeout(measured: Measurement) -> None:
    # On the watchdog thread, while the handler is still running.
    from . import _stacks  # only when a warning fires: not on the import path of every cold start

    settings = measured.settings
    record = _record.timeout_record(
        settings,
        measured.invocation,
        measured.call,
        elapsed_ms=(time.perf_counter() - measured.t0) * 1000,
        remaining_ms=measured.context.get_remaining_time_in_millis(),
        usage=_probes.sample(settings.tmp_path, settings.tmp_size_mb),
        stack=_stacks.thread_stack(measured.thread, skip=_WRAPPER_CODES)
        if measured.awaited is None
        else _stacks.awaiting_stack(measured.awaited, measured.thread, skip=_WRAPPER_CODES),
    )
    line = _record.render(settings, record)
    # The handler may be returning just now: the warning is written only if finish() has not
    # marked the call ended, under a lock finish() takes only when it finds the deadline taken.
    with RUNTIME.in_flight.warn_lock:
        if measured.ended:
            return
        _emit.emit(line)
    if RUNTIME.observers:
        _tell("timed_out", measured.invocation, measured.call)


def finish(measured: Measurement, exc_type: type[BaseException] | None) -> None:
    """End measuring a call (``start``'s result) and write its record; never raises."""
    duration_ms = (_perf_counter() - measured.t0) * 1000
    in_flight = RUNTIME.in_flight
    watchdog = measured.watchdog
    if watchdog is not None and not watchdog.disarm(measured.armed):
        with in_flight.warn_lock:  # the watchdog took the deadline: its warning must not follow
            measured.ended = True
    in_flight.calls.discard(measured)
    try:  # noqa: SIM105 - contextlib.suppress would cost a call on every invocation
        _active.reset(measured.token)
    except ValueError:  # left in another context (unusual async code): nothing to undo here
        pass
    usage = None
    try:
        settings, call, durable_id = measured.settings, measured.call, measured.durable_id
        now, age_s = _state.end((settings, call))
        # Everything but the usage before it is read: code run right after system calls is
        # slower (caches and predictors are cold), so as little as possible comes after them.
        body, mask = _record.invoke_body(
            settings,
            measured.invocation,
            call,
            None if exc_type is None else _durable.error_name(exc_type),
            duration_ms,
            age_s,
            None if durable_id is None else _context.bounded(durable_id),
            measured.replayed,
        )
        # Every reading on a process's first invocation, and in a simulated environment, whose
        # tests invoke far faster than once a second and look at what each invocation holds.
        usage = _probes.usage(
            settings.tmp_path,
            settings.tmp_size_mb,
            now,
            settings.usage_every_invocation or measured.invocation.number == 1 or RUNTIME.simulated is not None,
        )
        _state.used_tmp(usage.tmp_used_mb)
        measured_usage, present = _record.usage_fields(usage, call.memory_limit_mb)
        if not (RUNTIME.record_sinks and _published(settings, body + measured_usage)):
            _emit.emit(_record.invoke_line(settings, body, measured_usage, mask | present, int(now * 1000)))
    except Exception as error:  # noqa: BLE001
        warn_once("sdk.end", f"cannot write the record of this invocation ({error!r})")
    if RUNTIME.observers:
        _tell("end", measured.invocation, measured.call, exc_type, duration_ms, usage)


def _call(
    settings: Callable[[], Settings], reader: _context.Reader, target: Callable[..., Any], args: Any, kwargs: Any
) -> Any:
    measured = start(settings, reader, args, kwargs)
    if measured is None:
        return target(*args, **kwargs)
    try:
        result = target(*args, **kwargs)
    except BaseException as exc:
        finish(measured, type(exc))
        raise
    finish(measured, None)
    return result


async def _call_async(
    settings: Callable[[], Settings], reader: _context.Reader, target: Callable[..., Any], args: Any, kwargs: Any
) -> Any:
    measured = start(settings, reader, args, kwargs)
    if measured is None:
        return await target(*args, **kwargs)
    try:
        awaited = target(*args, **kwargs)
        if measured.watchdog is not None:  # a timeout warning's stack follows the handler's awaits
            measured.awaited = awaited
        result = await awaited
    except BaseException as exc:
        finish(measured, type(exc))
        raise
    finish(measured, None)
    return result


def _async_entry_possible() -> bool:
    # Where a runtime client names a handler (Lambda, lambda-lifecycle run), an async one may be
    # its entry point, which the SDK must run to its end (see _async): its wrapper is a function
    # that returns the coroutine or runs it. Elsewhere (tests, scripts) it stays an `async def`,
    # which inspect.iscoroutinefunction() recognises before Python 3.12 too.
    return bool(os.environ.get("_HANDLER"))


def function(target: Callable[..., Any], settings: Callable[[], Settings], is_async: bool) -> Callable[..., Any]:
    """A plain function in place of ``target``, a plain function too: one measured call per call.

    Cheaper to call than a ``wrapt`` proxy (about a microsecond a call) and it needs no ``wrapt``
    import at init. Not for methods: it could not tell an instance from an event.
    """
    reader = _context.Reader()
    if is_async and _async_entry_possible():
        from . import _async

        entry = _async.EntryPoint(target)

        def instrumented_entry(*args: Any, **kwargs: Any) -> Any:
            # A coroutine for its caller to await, or its result where the caller is the runtime client.
            awaitable = _call_async(settings, reader, target, args, kwargs)
            return _async.run(awaitable) if entry.runs_it() else awaitable

        _async.mark_coroutine_function(instrumented_entry)
        return instrumented_entry
    if is_async:

        async def instrumented_async(*args: Any, **kwargs: Any) -> Any:
            return await _call_async(settings, reader, target, args, kwargs)

        return instrumented_async

    def instrumented(*args: Any, **kwargs: Any) -> Any:
        return _call(settings, reader, target, args, kwargs)

    return instrumented


def wrapper(settings: Callable[[], Settings], target: object, is_async: bool) -> Callable[..., Any]:
    """The function ``wrapt`` calls around each call of ``target``, any other callable than a
    plain function (methods, classmethods, callable objects): one measured call per call."""
    reader = _context.Reader()
    if is_async and _async_entry_possible():
        from . import _async

        entry = _async.EntryPoint(target)

        def call_entry(wrapped: Callable[..., Any], instance: object, args: Any, kwargs: Any) -> Any:
            # As instrumented_entry in function(): an object _HANDLER names is a callable object.
            awaitable = _call_async(settings, reader, wrapped, args, kwargs)
            return _async.run(awaitable) if entry.runs_it() else awaitable

        return call_entry
    if is_async:

        async def call_async(wrapped: Callable[..., Any], instance: object, args: Any, kwargs: Any) -> Any:
            return await _call_async(settings, reader, wrapped, args, kwargs)

        return call_async

    def call(wrapped: Callable[..., Any], instance: object, args: Any, kwargs: Any) -> Any:
        return _call(settings, reader, wrapped, args, kwargs)

    return call


# The wrappers' frames stand between a handler and its caller in every stack: a timeout
# warning's stack leaves them out, as they tell the user nothing.
_WRAPPER_CODES = frozenset(
    [_call.__code__, _call_async.__code__]
    + [
        const
        for outer in (function, wrapper)
        for const in outer.__code__.co_consts
        if getattr(const, "co_name", None)
        in ("instrumented", "instrumented_async", "instrumented_entry", "call", "call_async", "call_entry")
    ]
)
