"""One call of an instrumented handler, measured: begin, watch the deadline, end, write the record."""

from __future__ import annotations

import threading
import time
from _contextvars import ContextVar  # what `contextvars` re-exports, without its import (0.6 ms)

from . import _context, _durable, _emit, _probes, _record, _state, _watchdog
from ._runtime import RUNTIME
from ._warnings import warn_once
from .contract import complete

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType
    from typing import Any

    from ._config import Settings

# Set while an instrumented call runs, so a handler calling another instrumented function (or one
# decorated twice through other decorators) is counted once. A ContextVar, not a thread-local,
# so concurrent asyncio tasks each get their own.
_active: ContextVar[bool] = ContextVar("lambda_lifecycle_active", default=False)
_perf_counter = time.perf_counter
_monotonic = time.monotonic
_get_ident = threading.get_ident

_MAX_REMAINING_MS = 16 * 60 * 1000  # Lambda's 15-minute maximum timeout, and a margin


class Measurement:
    """One call of an instrumented handler; it lives in the wrapper's frame and nowhere else.

    New threads do not inherit ``_active``, so a handler's own worker threads would each count an
    invocation: ``RUNTIME.in_flight`` lists the calls running, with their thread and request id.
    A call on another thread is nested in one of them when it carries the same request id, or
    none at all (a helper called with other arguments); a real concurrent invocation has a
    request id of its own.
    """

    __slots__ = (
        "_resolve",
        "_reader",
        "_settings",
        "_context",
        "_durable_id",
        "_replayed",
        "_call",
        "_invocation",
        "_token",
        "_t0",
        "_watch",
        "_watchdog",
        "_thread",
        "_ended",
    )

    def __init__(
        self, resolve: Callable[[], Settings], reader: _context.Reader, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        self._resolve = resolve
        self._reader = reader
        self._invocation: _state.Invocation | None = None
        self._watch = 0
        # Handlers take (event, context); methods and classmethods put more in front.
        context = args[-1] if len(args) >= 2 else kwargs.get("context")
        event = args[-2] if len(args) >= 2 else kwargs.get("event")
        # Inside @durable_execution the context is the durable SDK's: the Lambda context is in it.
        try:
            self._durable_id, self._replayed, self._context = _durable.durable_facts(event, context)
        except Exception as exc:  # noqa: BLE001 - an event that raises when read is still the handler's
            warn_once("durable", f"cannot read the event as a durable execution's ({exc!r})")
            self._durable_id, self._replayed, self._context = None, None, context

    def __enter__(self) -> None:
        runtime = RUNTIME
        if _active.get() or (runtime.in_flight and self._nested_in_another_thread()):
            return
        try:
            self._settings = settings = self._resolve()
            if settings.disabled:
                return
            self._call = call = self._reader.read(self._context)
            self._invocation = invocation = _state.begin(settings.proactive_init_threshold_ms)
        except Exception as exc:  # noqa: BLE001
            warn_once("sdk.begin", f"cannot record this invocation ({exc!r})")
            return
        self._token = _active.set(True)
        runtime.in_flight[id(self)] = (_get_ident(), call.request_id)
        if runtime.begin_listeners:
            self._notify(invocation)
        self._t0 = _perf_counter()
        margin_ms = settings.timeout_warning_ms
        if margin_ms == 0:
            return
        try:
            remaining_ms = self._context.get_remaining_time_in_millis()
            # Lambda allows at most 15 minutes; anything longer (or inf, or NaN) is a stand-in
            # such as a test double's, not a deadline, and would overflow the watchdog's wait.
            if not 0 < remaining_ms <= _MAX_REMAINING_MS or type(remaining_ms) is bool:
                return
        except Exception:  # noqa: BLE001 - no deadline to watch: a dict, None, a Mock's
            return
        if margin_ms is None:  # max(200 ms, 3 %)
            margin_ms = 0.03 * remaining_ms
            if margin_ms < 200.0:
                margin_ms = 200.0
        if remaining_ms > margin_ms:
            self._thread = _get_ident()
            self._ended = False
            try:
                self._watchdog = watchdog = runtime.watchdog or _watchdog.start()
                self._watch = watchdog.arm(_monotonic() + (remaining_ms - margin_ms) / 1000, self._warn_timeout)
            except Exception as exc:  # noqa: BLE001 - e.g. no thread can be started
                warn_once("watchdog.arm", f"cannot watch for timeouts ({exc!r})")

    def _nested_in_another_thread(self) -> bool:
        request_id = _context.request_id(self._context)
        here = threading.get_ident()
        return any(
            thread != here and (request_id is None or request_id == outer)
            for thread, outer in tuple(RUNTIME.in_flight.values())  # one atomic copy
        )

    @staticmethod
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

    @staticmethod
    def _notify(invocation: _state.Invocation) -> None:
        for listener in RUNTIME.begin_listeners:
            try:
                listener(invocation)
            except Exception as exc:  # noqa: BLE001
                warn_once(f"plugin:{listener!r}", f"an integration failed at the start of an invocation ({exc!r})")

    def _warn_timeout(self) -> None:
        # On the watchdog thread, while the handler is still running.
        settings = self._settings
        inv = self._invocation
        assert inv is not None  # armed only after begin()
        record = _record.timeout_record(
            settings,
            inv,
            self._call,
            elapsed_ms=(time.perf_counter() - self._t0) * 1000,
            remaining_ms=self._context.get_remaining_time_in_millis(),
            usage=_probes.sample(settings.tmp_path, settings.tmp_size_mb),
            stack=_probes.thread_stack(self._thread, skip=_WRAPPER_CODES),
        )
        line = _record.render(settings, record)
        # The handler may be returning just now: the warning is written only if __exit__ has not
        # marked the call ended, under a lock __exit__ takes only when it finds the deadline taken.
        with RUNTIME.warn_lock:
            if not self._ended:
                _emit.emit(line)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Returns None: the handler's exception, if any, propagates untouched with its traceback.
        if self._invocation is None:
            return
        duration_ms = (_perf_counter() - self._t0) * 1000
        runtime = RUNTIME
        if self._watch and not self._watchdog.disarm(self._watch):
            with runtime.warn_lock:  # the watchdog took the deadline: its warning must not follow
                self._ended = True
        runtime.in_flight.pop(id(self), None)
        try:
            _active.reset(self._token)
        except ValueError:  # left in another context (unusual async code): nothing to undo here
            pass
        try:
            settings = self._settings
            call = self._call
            now, age_s = _state.end((settings, call))
            durable_id = self._durable_id
            # Everything but the usage before it is read: code run right after system calls is
            # slower (caches and predictors are cold), so as little as possible comes after them.
            body, mask = _record.invoke_body(
                settings,
                self._invocation,
                call,
                None if exc_type is None else _durable.error_name(exc_type),
                duration_ms,
                age_s,
                None if durable_id is None else _context.bounded(durable_id),
                self._replayed,
            )
            usage = _probes.sample(settings.tmp_path, settings.tmp_size_mb)
            _state.used_tmp(usage.tmp_used_mb)
            measured, present = _record.usage_fields(usage, call.memory_limit_mb)
            if not (runtime.record_sinks and self._published(settings, body + measured)):
                _emit.emit(_record.invoke_line(settings, body, measured, mask | present, int(now * 1000)))
        except Exception as error:  # noqa: BLE001
            warn_once("sdk.end", f"cannot write the record of this invocation ({error!r})")


def function(target: Callable[..., Any], settings: Callable[[], Settings], is_async: bool) -> Callable[..., Any]:
    """A plain function in place of ``target``, a plain function too: one ``Measurement`` per call.

    Cheaper to call than a ``wrapt`` proxy (about a microsecond a call) and it needs no ``wrapt``
    import at init; a function defined in a class still binds as a method.
    """
    reader = _context.Reader()
    if is_async:

        async def instrumented_async(*args: Any, **kwargs: Any) -> Any:
            with Measurement(settings, reader, args, kwargs):
                return await target(*args, **kwargs)

        return instrumented_async

    def instrumented(*args: Any, **kwargs: Any) -> Any:
        with Measurement(settings, reader, args, kwargs):
            return target(*args, **kwargs)

    return instrumented


def wrapper(settings: Callable[[], Settings], is_async: bool) -> Callable[..., Any]:
    """The function ``wrapt`` calls around each call of any other callable (methods, classmethods,
    callable objects): one ``Measurement`` per call."""
    reader = _context.Reader()
    if is_async:

        async def call_async(wrapped: Callable[..., Any], instance: object, args: Any, kwargs: Any) -> Any:
            with Measurement(settings, reader, args, kwargs):
                return await wrapped(*args, **kwargs)

        return call_async

    def call(wrapped: Callable[..., Any], instance: object, args: Any, kwargs: Any) -> Any:
        with Measurement(settings, reader, args, kwargs):
            return wrapped(*args, **kwargs)

    return call


# The wrappers' frames stand between a handler and its caller in every stack: a timeout
# warning's stack leaves them out, as they tell the user nothing.
_WRAPPER_CODES = frozenset(
    const
    for outer in (function, wrapper)
    for const in outer.__code__.co_consts
    if getattr(const, "co_name", None) in ("instrumented", "instrumented_async", "call", "call_async")
)
