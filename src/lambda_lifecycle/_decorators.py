"""``@instrument``: the decorator, and the settings each decorated handler resolves."""

from __future__ import annotations

import functools
from types import FunctionType

from . import _bootstrap, _config, _context, _probes, _record, _shutdown, _state, _watchdog
from ._config import UNSET
from ._init_anatomy import SdkWork
from ._measurement import function, wrapper
from ._runtime import RUNTIME

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, TypeVar, overload

    F = TypeVar("F", bound=Callable[..., Any])


# Set on what instrument() returns, so that decorating it again returns it unchanged: on a
# function, the function itself (functools.wraps copies the attribute to other functions, which
# are then not instrumented); on the proxy class, in its own namespace.
_MARK = "__lambda_lifecycle_instrumented__"
_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect (3-5 ms of init)


@functools.cache
def _proxy() -> type:
    """``wrapt.FunctionWrapper``, imported when first needed: for methods, classmethods and callable
    objects, not the plain functions most handlers are (wrapt takes 10 ms of init)."""
    import wrapt

    class Instrumented(wrapt.FunctionWrapper):  # type: ignore[misc]
        """A callable wrapped by ``instrument``."""

    setattr(Instrumented, _MARK, True)
    return Instrumented


def _in_a_class(function: Callable[..., Any]) -> bool:
    # A method: wrapt tells its instance from its arguments, as a plain function could not when
    # it is called with fewer than (event, context). "f.<locals>.g" is a closure, not a method.
    outer = function.__qualname__.rpartition(".")[0]
    return bool(outer) and not outer.endswith("<locals>")


def is_instrumented(target: object) -> bool:
    """Whether ``target`` is what ``instrument`` returned (decorating it again changes nothing)."""
    try:
        return getattr(target, _MARK, None) is target or _MARK in type(target).__dict__
    except Exception:  # noqa: BLE001 - an object whose attributes raise is not ours
        return False


class _SettingsFor:
    """The resolved settings of one decorated handler, re-read when ``bootstrap()`` changes them."""

    __slots__ = ("_overrides", "_generation", "_settings")

    def __init__(self, overrides: Mapping[str, Any]) -> None:
        self._overrides = overrides
        self._generation = -1
        self._settings: _config.Settings | None = None

    def __call__(self) -> _config.Settings:
        generation = RUNTIME.generation
        if self._settings is None or generation != self._generation:
            self._settings = _config.resolve(self._overrides)
            self._generation = generation
        return self._settings


def _is_async(func: object) -> bool:
    import inspect  # for what is not a plain function: wrapt imports it anyway

    target = getattr(func, "__func__", func)  # classmethod and staticmethod objects
    if inspect.iscoroutinefunction(target):
        return True
    # A callable object whose __call__ is a coroutine function.
    return not inspect.isroutine(target) and inspect.iscoroutinefunction(type(target).__call__)


def _decorated(target: F, overrides: dict[str, Any]) -> F:
    """``target`` instrumented with ``overrides``, or as it is (instrumented already, or disabled)."""
    if is_instrumented(target) or _config.value("disabled", overrides) or not _state.started().serving:
        return target  # a child process records nothing: its calls are its parent's invocation's work
    resolve = _SettingsFor(overrides)
    _state.mark_handler_ready(resolve)
    _shutdown.install()
    _bootstrap.integrate_requested()
    # What the first call would otherwise pay for belongs to init: settings, the probes'
    # kept descriptors, the parts of its line, and the watchdog's thread (a thread start
    # costs about 0.3 ms).
    settings = resolve()
    _probes.sample(settings.tmp_path, settings.tmp_size_mb)
    _record.prepare(settings, _context.read(None), _state.started().identity)
    if settings.timeout_warning_ms != 0:
        _watchdog.start()
    if type(target) is FunctionType and not _in_a_class(target):
        is_async = bool(target.__code__.co_flags & _CO_COROUTINE)
        if not is_async and hasattr(target, "_is_coroutine_marker"):  # inspect.markcoroutinefunction
            is_async = _is_async(target)
        plain = function(target, resolve, is_async)
        functools.update_wrapper(plain, target)
        setattr(plain, _MARK, plain)
        return plain  # type: ignore[return-value]
    wrapped: F = _proxy()(target, wrapper(resolve, target, _is_async(target)))
    return wrapped


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
        tmp_size_mb: float | str | None = ...,
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
    tmp_size_mb: float | str | None = UNSET,
    proactive_init_threshold_ms: float = UNSET,
    timeout_warning_ms: float | str | None = UNSET,
    disabled: bool = UNSET,
) -> Any:
    """Record every invocation of a Lambda handler as one structured line on stdout.

    Use it bare (``@instrument``) or with keyword options (``@instrument(namespace="Shop")``); a
    keyword given here beats ``bootstrap()``, which beats the environment. Works on functions,
    methods, classmethods, callable objects and ``async def`` handlers; the handler's return value
    and exceptions pass through unchanged, and a failure of the SDK itself only warns.

    The keywords are the handler-level settings; the process-level ones (``handle_sigterm``,
    ``shutdown_extension``, ``shutdown_budget_ms``, ``run_atexit``) are ``bootstrap()``'s and the
    environment's only. The shutdown record is written with the settings of the handler that
    served the last invocation (else of the first decorated one).

    Args:
        func: the handler, when used bare; omitted when keywords are given.
        namespace: the CloudWatch namespace of the metrics (default ``LambdaLifecycle``).
        service: a ``service`` dimension and property (default ``POWERTOOLS_SERVICE_NAME``, else none).
        format: ``emf`` (default), ``prefixed`` (``METRICS: `` and plain JSON) or ``json``.
        metrics: the measurements published as metrics: names, ``"all"`` or ``"none"``.
        dimensions: extra dimensions, a mapping of names to values, added after ``service``.
        tmp_size_mb: ``"auto"`` (default): ``TmpUsed`` is what the file system holding
            ``tmp_path`` has used, as in Lambda, where ``/tmp`` is one of its own; a size in MB:
            ``tmp_path`` is a simulated ``/tmp`` of that size, and ``TmpUsed`` what its files take.
        tmp_path: the directory whose file system is measured as ``/tmp`` (this handler's only:
            the environment marker stays where ``bootstrap()`` or the environment put it).
        proactive_init_threshold_ms: a first invocation this long after the handler was ready
            is a proactive init, not a cold start (default 10000).
        timeout_warning_ms: write a ``timeout_warning`` record this long before the deadline;
            ``"auto"`` (default) is max(200 ms, 3 % of the time the invocation had), 0 is off.
        disabled: return the handler undecorated (also ``LAMBDA_LIFECYCLE_DISABLED=true``).

    Returns:
        The instrumented handler, of the same type as ``func``; or, without ``func``, a decorator
        that makes one.

    Raises:
        ValueError: an option has a value that cannot work (checked when decorating).
    """
    # Every keyword of this signature is a setting; UNSET ones are dropped by check().
    overrides = _config.check(**{name: value for name, value in locals().items() if name != "func"})

    def decorate(target: F) -> F:
        with SdkWork():
            return _decorated(target, overrides)

    return decorate if func is None else decorate(func)
