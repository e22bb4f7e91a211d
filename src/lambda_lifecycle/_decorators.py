"""``@instrument``: classify, measure and record every invocation of a handler."""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import os
import threading
import time

import wrapt

from . import _config, _emit, _plugins, _probes, _record, _shutdown, _state, _watchdog
from ._config import UNSET
from ._warnings import warn_once

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import TracebackType
    from typing import Any, TypeVar, overload

    F = TypeVar("F", bound=Callable[..., Any])

# Set while an instrumented call runs, so a handler calling another instrumented function (or one
# decorated twice through other decorators) is counted once. A ContextVar, not a thread-local,
# so concurrent asyncio tasks each get their own.
_active: contextvars.ContextVar[bool] = contextvars.ContextVar("lambda_lifecycle_active", default=False)
# New threads do not inherit the ContextVar, so a handler's own worker threads would each count an
# invocation. The invocations in flight, by measurement: (thread ident, request id). A call on
# another thread is nested in one of them when it carries the same request id, or none at all (a
# helper called with other arguments); a real concurrent invocation has a request id of its own.
_in_flight: dict[int, tuple[int, str | None]] = {}
_in_flight_lock = threading.Lock()


def _after_fork_in_child() -> None:
    # A forked child starts with no invocation of its own in flight, whatever the parent was doing.
    global _in_flight_lock
    _in_flight.clear()
    _in_flight_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


_MAX_REMAINING_MS = 16 * 60 * 1000  # Lambda's 15-minute maximum timeout, and a margin


class _Instrumented(wrapt.FunctionWrapper):  # type: ignore[misc]
    """A handler wrapped by ``instrument``; decorating it again returns it unchanged."""


class _SettingsFor:
    """The resolved settings of one decorated handler, re-read when ``bootstrap()`` changes them."""

    __slots__ = ("_overrides", "_generation", "_settings")

    def __init__(self, overrides: Mapping[str, Any]) -> None:
        self._overrides = overrides
        self._generation = -1
        self._settings: _config.Settings | None = None

    def __call__(self) -> _config.Settings:
        generation = _config.generation()
        if self._settings is None or generation != self._generation:
            self._settings = _config.resolve(self._overrides)
            self._generation = generation
        return self._settings


def _context_info(context: object) -> tuple[str, str | None, str | None, int | None, str | None]:
    """Function name, version, request id, memory limit and tenant id, from whatever context the
    handler got and, where it says nothing, from the environment Lambda sets."""
    try:
        # Spelled out rather than looped over field names: this runs on every invocation.
        if isinstance(context, dict):
            get = context.get
            name, version, request_id = get("function_name"), get("function_version"), get("aws_request_id")
            memory, tenant = get("memory_limit_in_mb"), get("tenant_id")
        else:
            name = getattr(context, "function_name", None)
            version = getattr(context, "function_version", None)
            request_id = getattr(context, "aws_request_id", None)
            memory = getattr(context, "memory_limit_in_mb", None)
            tenant = getattr(context, "tenant_id", None)
    except Exception:  # noqa: BLE001 - a context whose properties raise is still a context
        name = version = request_id = memory = tenant = None
    environ = os.environ
    return (
        _dimension_value(name) or _dimension_value(environ.get("AWS_LAMBDA_FUNCTION_NAME")) or "unknown",
        _bounded(version) or _bounded(environ.get("AWS_LAMBDA_FUNCTION_VERSION")),
        _bounded(request_id),
        _megabytes(memory) or _megabytes(environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")),
        _bounded(tenant),
    )


# Lambda's own values are far shorter (function names 140, request ids 36, trace roots 35): the
# bound keeps a record under CloudWatch Logs' event limit whatever a context or test passes.
_MAX_FIELD = 256
_MAX_MEGABYTES = 1 << 20  # Lambda allows 10240; a larger number is not a memory size


def _bounded(value: object) -> str | None:
    return value[:_MAX_FIELD] if isinstance(value, str) and value else None


def _dimension_value(value: object) -> str | None:
    # function_name is a dimension: one CloudWatch refuses would lose every metric of the record.
    bounded = _bounded(value)
    return bounded if _config.is_cloudwatch_text(bounded, _MAX_FIELD) else None


def _megabytes(value: object) -> int | None:
    # The runtime client gives memory_limit_in_mb as a string; tests often give an int.
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str) and len(value) > 32:
        return None  # int() of a long string is slow or refused, and no memory size is that long
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number <= _MAX_MEGABYTES else None


def _trace_root(header: str | None) -> str | None:
    # _X_AMZN_TRACE_ID is "Root=1-...;Parent=...;Sampled=1" and changes on every invocation.
    if not header:
        return None
    start = header.find("Root=")
    if start < 0:
        return None
    end = header.find(";", start)
    return _bounded(header[start + 5 : None if end < 0 else end])


class _Measurement:
    """One call of an instrumented handler; it lives in the wrapper's frame and nowhere else."""

    __slots__ = (
        "_resolve",
        "_settings",
        "_context",
        "_info",
        "_invocation",
        "_token",
        "_t0",
        "_watch",
        "_thread",
        "_guard",
        "_ended",
    )

    def __init__(self, resolve: _SettingsFor, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._resolve = resolve
        self._invocation: _state.Invocation | None = None
        self._watch = 0
        # Handlers take (event, context); methods and classmethods put more in front.
        self._context: Any = args[-1] if len(args) >= 2 else kwargs.get("context")

    def __enter__(self) -> None:
        if _active.get() or (_in_flight and self._nested_in_another_thread()):
            return
        try:
            self._settings = settings = self._resolve()
            if settings.disabled:
                return
            self._info = _context_info(self._context)
            self._invocation = _state.begin(settings.proactive_init_threshold_ms)
        except Exception as exc:  # noqa: BLE001
            warn_once("sdk.begin", f"cannot record this invocation ({exc!r})")
            return
        self._token = _active.set(True)
        with _in_flight_lock:
            _in_flight[id(self)] = (threading.get_ident(), self._info[2])
        if _plugins.begin_listeners:
            self._notify(self._invocation)
        self._t0 = time.perf_counter()
        self._watch_deadline(settings)

    def _nested_in_another_thread(self) -> bool:
        try:
            request_id = _context_info(self._context)[2]
        except Exception:  # noqa: BLE001 - then it is not told apart from a nested call
            request_id = None
        here = threading.get_ident()
        with _in_flight_lock:
            return any(
                thread != here and (request_id is None or request_id == outer) for thread, outer in _in_flight.values()
            )

    @staticmethod
    def _published(settings: _config.Settings, record: dict[str, object]) -> bool:
        for publish in _plugins.record_sinks:
            try:
                if publish(settings, record):
                    return True
            except Exception as exc:  # noqa: BLE001 - the record is then written as usual
                warn_once(f"plugin:{publish!r}", f"an integration could not publish a record ({exc!r})")
        return False

    @staticmethod
    def _notify(invocation: _state.Invocation) -> None:
        for listener in _plugins.begin_listeners:
            try:
                listener(invocation)
            except Exception as exc:  # noqa: BLE001
                warn_once(f"plugin:{listener!r}", f"an integration failed at the start of an invocation ({exc!r})")

    def _watch_deadline(self, settings: _config.Settings) -> None:
        margin_ms = settings.timeout_warning_ms
        if margin_ms == 0:
            return
        try:
            remaining_ms = self._context.get_remaining_time_in_millis()
        except Exception:  # noqa: BLE001 - no deadline to watch: a dict, None, or a test double
            return
        if not isinstance(remaining_ms, (int, float)):  # a Mock's, say
            return
        # Lambda allows at most 15 minutes; anything longer (or inf, or NaN) is a stand-in such as
        # a test double's, not a deadline, and would overflow the watchdog's wait.
        if not 0 < remaining_ms <= _MAX_REMAINING_MS:
            return
        if margin_ms is None:
            margin_ms = max(200.0, 0.03 * remaining_ms)
        if remaining_ms > margin_ms:
            self._thread = threading.get_ident()
            # The watchdog may have taken the callback just as the handler returns: the warning is
            # written under this lock, and only if __exit__ has not yet marked the call ended.
            self._guard = threading.Lock()
            self._ended = False
            due = time.monotonic() + (remaining_ms - margin_ms) / 1000
            try:
                self._watch = _watchdog.arm(due, self._warn_timeout)
            except Exception as exc:  # noqa: BLE001 - e.g. no thread can be started
                warn_once("watchdog.arm", f"cannot watch for timeouts ({exc!r})")

    def _warn_timeout(self) -> None:
        # On the watchdog thread, while the handler is still running.
        settings = self._settings
        inv = self._invocation
        assert inv is not None  # armed only after begin()
        name, version, request_id, memory, tenant = self._info
        record = _record.timeout_record(
            settings,
            inv,
            function_name=name,
            function_version=version,
            request_id=request_id,
            tenant_id=tenant,
            elapsed_ms=(time.perf_counter() - self._t0) * 1000,
            remaining_ms=self._context.get_remaining_time_in_millis(),
            memory_limit_mb=memory,
            usage=_probes.sample(settings.tmp_path),
            stack=_probes.thread_stack(self._thread),
        )
        line = _record.render(settings, record)
        with self._guard:
            if not self._ended:
                _emit.write_line(line)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Returns None: the handler's exception, if any, propagates untouched with its traceback.
        if self._invocation is None:
            return
        duration_ms = (time.perf_counter() - self._t0) * 1000
        if self._watch:
            with self._guard:
                self._ended = True
        with _in_flight_lock:
            _in_flight.pop(id(self), None)
        if self._watch:
            _watchdog.disarm(self._watch)
        # Left in another context (unusual async code): nothing to undo here, and nothing to raise.
        with contextlib.suppress(ValueError):
            _active.reset(self._token)
        try:
            settings = self._settings
            usage = _probes.sample(settings.tmp_path)
            info = self._info
            now, age_s = _state.end(usage.tmp_used_mb, (settings, info))
            name, version, request_id, memory, tenant = info
            record = _record.invoke_record(
                settings,
                self._invocation,
                function_name=name,
                function_version=version,
                request_id=request_id,
                memory_limit_mb=memory,
                xray_trace_id=_trace_root(os.environ.get("_X_AMZN_TRACE_ID")),
                tenant_id=tenant,
                error=None if exc_type is None else exc_type.__name__,
                duration_ms=duration_ms,
                container_age_s=age_s,
                usage=usage,
            )
            if not (_plugins.record_sinks and self._published(settings, record)):
                _emit.write_line(_record.render(settings, record, int(now * 1000)))
        except Exception as error:  # noqa: BLE001
            warn_once("sdk.end", f"cannot write the record of this invocation ({error!r})")


def _is_async(func: object) -> bool:
    target = getattr(func, "__func__", func)  # classmethod and staticmethod objects
    if inspect.iscoroutinefunction(target):
        return True
    # A callable object whose __call__ is a coroutine function.
    return not inspect.isroutine(target) and inspect.iscoroutinefunction(type(target).__call__)


def _wrapper(settings: _SettingsFor, is_async: bool) -> Callable[..., Any]:
    if is_async:

        async def call_async(wrapped: Callable[..., Any], instance: object, args: Any, kwargs: Any) -> Any:
            with _Measurement(settings, args, kwargs):
                return await wrapped(*args, **kwargs)

        return call_async

    def call(wrapped: Callable[..., Any], instance: object, args: Any, kwargs: Any) -> Any:
        with _Measurement(settings, args, kwargs):
            return wrapped(*args, **kwargs)

    return call


if TYPE_CHECKING:
    # Overloads only for type checkers (importing typing at runtime is too heavy): the bare form
    # and the keyword form both give back the handler's own type, not an untyped Any.
    @overload
    def instrument(func: F, /) -> F: ...

    @overload
    def instrument(
        func: None = None,
        /,
        *,
        namespace: str = ...,
        service: str | None = ...,
        format: str = ...,
        metrics: Any = ...,
        dimensions: Mapping[str, str] = ...,
        tmp_path: str = ...,
        proactive_init_threshold_ms: float = ...,
        timeout_warning_ms: float | str | None = ...,
        disabled: bool = ...,
    ) -> Callable[[F], F]: ...


def instrument(
    func: F | None = None,
    /,
    *,
    namespace: str = UNSET,
    service: str | None = UNSET,
    format: str = UNSET,
    metrics: Any = UNSET,
    dimensions: Mapping[str, str] = UNSET,
    tmp_path: str = UNSET,
    proactive_init_threshold_ms: float = UNSET,
    timeout_warning_ms: float | str | None = UNSET,
    disabled: bool = UNSET,
) -> Any:
    """Record every invocation of a Lambda handler as one structured line on stdout.

    Use it bare (``@instrument``) or with keyword options (``@instrument(namespace="Shop")``); a
    keyword given here beats ``bootstrap()``, which beats the environment. Works on functions,
    methods, classmethods, callable objects and ``async def`` handlers; the handler's return value
    and exceptions pass through unchanged, and a failure of the SDK itself only warns.

    When the context has a deadline, a ``timeout_warning`` record with the handler's stack is
    written ``timeout_warning_ms`` before it (default ``"auto"``: max(200 ms, 3 % of the time the
    invocation had); 0 turns it off).

    With ``disabled=True`` or ``LAMBDA_LIFECYCLE_DISABLED=true`` the handler is returned as it is.

    The keywords here are the handler-level settings (``_config.HANDLER_SETTINGS``); the
    process-level ones (``handle_sigterm``, ``shutdown_extension``, ``shutdown_budget_ms``,
    ``run_atexit``) are ``bootstrap()``'s and the environment's only. The process's shutdown
    record is written with the handler-level settings (``service``, ``format``, ...) of the handler
    that served the last invocation, or of the first decorated handler if none served, and with
    the function name and version that the last invocation's context reported. ``tmp_path`` given
    here moves only this handler's ``/tmp`` measurement: the environment marker is placed when the
    lifecycle starts, so move it with ``LAMBDA_LIFECYCLE_TMP_PATH`` or ``bootstrap(tmp_path=...)``
    called before decorating.

    Raises:
        ValueError: an option has a value that cannot work (checked when decorating).
    """
    # Every keyword of this signature is a setting; UNSET ones are dropped by check().
    overrides = _config.check(**{name: value for name, value in locals().items() if name != "func"})

    def decorate(target: F) -> F:
        if type(target) is _Instrumented or _config.value("disabled", overrides):
            return target
        resolve = _SettingsFor(overrides)
        _state.mark_handler_ready(resolve)
        _shutdown.install()
        if _config.value("timeout_warning_ms", overrides) != 0:
            _watchdog.start()  # a thread start costs about 0.3 ms: better in init than in the first call
        wrapped: F = _Instrumented(target, _wrapper(resolve, _is_async(target)))
        return wrapped

    return decorate if func is None else decorate(func)


def bootstrap(
    *,
    namespace: str = UNSET,
    service: str | None = UNSET,
    format: str = UNSET,
    metrics: Any = UNSET,
    dimensions: Mapping[str, str] = UNSET,
    tmp_path: str = UNSET,
    proactive_init_threshold_ms: float = UNSET,
    timeout_warning_ms: float | str | None = UNSET,
    disabled: bool = UNSET,
    handle_sigterm: bool | None = UNSET,
    shutdown_extension: bool = UNSET,
    shutdown_budget_ms: float | None = UNSET,
    run_atexit: bool = UNSET,
) -> _state.Environment:
    """Set process-wide options and start the lifecycle clock; call it at module level.

    Optional: the first decorated handler does the same with defaults. Calling it again is safe;
    options given in a later call replace earlier ones, for handlers already decorated too.

    The shutdown options are process-wide and take effect here, so call it before decorating:
    ``handle_sigterm`` (default: only inside Lambda on python3.12+ runtimes) runs the ``on_shutdown`` hooks on SIGTERM;
    ``shutdown_extension`` (default true) registers the internal extension that makes Lambda send
    SIGTERM on python3.12+ runtimes; ``shutdown_budget_ms`` bounds the hooks (default 400 ms, 200 ms
    when external extensions are present); ``run_atexit`` also runs ``atexit`` functions on SIGTERM.
    ``tmp_path`` given here before the first handler is decorated also moves the environment
    marker kept in ``/tmp``; after that the marker stays where it is.
    Returns the current ``environment()`` snapshot.

    Raises:
        ValueError: an option has a value that cannot work.
    """
    checked = _config.check(**locals())  # every keyword of this signature is a setting
    _config.set_bootstrap(checked)
    if "tmp_path" in checked:
        _state.move_marker()
    _shutdown.install()
    return _state.environment()
