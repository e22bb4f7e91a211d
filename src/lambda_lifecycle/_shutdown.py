"""Shutdown hooks, and the two ways a process ends that run them: SIGTERM and interpreter exit.

Lambda never runs ``atexit`` by itself: it ends the runtime with SIGKILL, or, when an extension is
registered, with SIGTERM and about 500 ms of grace. ``install()`` sets up what is needed for the
hooks to run inside that window (see ``_extension`` for how SIGTERM is made to arrive), and
``shutdown()`` runs them once, last registered first, each isolated and all within a time budget,
then writes the shutdown record.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time

from . import _config, _context, _emit, _marker, _probes, _record, _state
from ._runtime import RUNTIME
from ._warnings import in_sdk, warn_once

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType
    from typing import Any, TypeVar

    F = TypeVar("F", bound=Callable[..., Any])

    Hook = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]

_MAX_ERRORS = 10


class ShutdownState:
    """This module's part of ``RUNTIME`` (``RUNTIME.shutdown``): the hooks, and what runs them."""

    __slots__ = (
        "hooks",
        "done",
        "owner",
        "atexit_registered",
        "sigterm_installed",
        "previous_sigterm",
        "extension_tried",
    )

    def __init__(self) -> None:
        self.hooks: list[Hook] = []
        """``on_shutdown`` hooks, in the order registered."""
        self.done = False
        """The shutdown ran (hooks and record happen once per process)."""
        self.owner = os.getpid()
        """The pid whose hooks these are; a forked child is not it (-1), and runs none."""
        self.atexit_registered = False
        self.sigterm_installed = False
        self.previous_sigterm: Any = None
        """What SIGTERM did before our handler; ``None``: not installed from Python."""
        self.extension_tried = False

    def reset(self) -> None:
        # A new environment registers its own hooks and shuts down once; what was installed in
        # the process stays.
        self.hooks = []
        self.done = False

    def after_fork(self) -> None:
        self.hooks = []
        self.owner = -1


RUNTIME.shutdown = RUNTIME.adopt(ShutdownState())


class _HookTimeout(BaseException):
    """Raised inside a hook that outlives the budget; a BaseException, so ``except Exception`` in
    the hook does not swallow it."""


def on_shutdown(func: F, /, *args: Any, **kwargs: Any) -> F:
    """Run ``func(*args, **kwargs)`` once when this execution environment shuts down.

    Use it as a decorator (``@on_shutdown``) or a call (``on_shutdown(pool.close)``); it returns
    ``func``. Hooks run last registered first, each isolated (an exception is reported in the
    shutdown record and the others still run), all within ``shutdown_budget_ms``: a hook still
    running when the budget ends is interrupted and reported as timed out, and the rest are
    skipped. They run on SIGTERM inside Lambda (python3.12 and later runtimes) and at a normal
    interpreter exit; a process killed with SIGKILL runs nothing.

    Args:
        func: the hook.
        *args: positional arguments it is called with.
        **kwargs: keyword arguments it is called with.

    Returns:
        ``func`` itself, so that it works as a decorator.

    Raises:
        TypeError: ``func`` is not callable.
    """
    if not callable(func):
        raise TypeError(f"lambda-lifecycle on_shutdown needs a callable, got {func!r}")
    RUNTIME.shutdown.hooks.append((func, args, kwargs))
    install()
    return func


def install() -> None:
    """Set up what runs the hooks, as far as the settings ask; calling it again is safe.

    Called by ``bootstrap()``, by decorating a handler and by ``on_shutdown()``, never by importing.
    """
    state = RUNTIME.shutdown
    try:
        if not _state.started().serving:
            return  # a child process: the environment's process alone handles its shutdown
        if not state.atexit_registered:
            atexit.register(_at_exit)
            state.atexit_registered = True
            state.owner = os.getpid()
        address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
        wanted = _config.value("handle_sigterm", {})
        if wanted is None:
            # Where the runtime client waits in C on the main thread (python3.11 and older), a
            # Python handler would swallow SIGTERM and the process would linger until SIGKILL.
            wanted = bool(address) and runtime_delivers_sigterm()
        if not wanted:
            return
        if not state.sigterm_installed:
            import _signal  # the built-in under `signal`, whose enums cost about 1 ms of init

            if threading.current_thread() is not threading.main_thread():
                warn_once("shutdown.thread", "SIGTERM handling needs the main thread; hooks may not run on SIGTERM")
                return
            state.previous_sigterm = _signal.signal(_signal.SIGTERM, _on_sigterm)
            state.sigterm_installed = True
        if not state.extension_tried and address and _extension_wanted():
            state.extension_tried = True
            from . import _extension

            _extension.register(address)
    except Exception as exc:  # noqa: BLE001 - init must never fail because of this
        warn_once("shutdown.install", f"cannot set up shutdown handling ({exc!r})")


def runtime_delivers_sigterm() -> bool:
    """Whether a Python SIGTERM handler can run in this runtime.

    The runtime client waits for the next event in a C call on the main thread, where no Python
    signal handler runs, except on python3.12 and later runtimes, where it waits on a worker thread.
    awslambdaric decides this from ``AWS_EXECUTION_ENV``, and so do we.
    """
    env = os.environ.get("AWS_EXECUTION_ENV", "")
    prefix = "AWS_Lambda_python3."
    minor = env[len(prefix) :]
    return env.startswith(prefix) and minor.isdigit() and int(minor) >= 12


def _extension_wanted() -> bool:
    # Only during init (Lambda refuses registration later), only where the SIGTERM it brings can
    # run a Python handler, and not where a held-open connection would be cloned into a snapshot
    # (SnapStart) or shared by worker processes (Managed Instances).
    process = _state.started()
    return (
        _config.value("shutdown_extension", {})
        and runtime_delivers_sigterm()
        and process.init_type in ("on-demand", "provisioned-concurrency")
        and process.invocations == 0
    )


def default_budget_ms() -> float:
    """The hooks' share of Lambda's shutdown window, leaving 100 ms for the record and the exit.

    The runtime gets about 500 ms after SIGTERM, 300 ms when external extensions (files in
    ``/opt/extensions``) are present.
    """
    try:
        external = bool(os.listdir("/opt/extensions"))
    except OSError:
        external = False
    return 200.0 if external else 400.0


def _name(func: Callable[..., Any]) -> str:
    return getattr(func, "__qualname__", None) or repr(func)


def _error(func: Callable[..., Any], exc: BaseException) -> str:
    # Where the user's code failed: the innermost frame of the hook's own, or, when the SDK
    # refused what the hook did (an awaitable), where the hook is defined.
    where = ""
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if not in_sdk(code.co_filename):
            where = f" at {code.co_filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    defined = getattr(func, "__code__", None)
    if not where and defined is not None:
        where = f" at {defined.co_filename}:{defined.co_firstlineno}"
    return f"{_name(func)}: {type(exc).__name__}: {exc}{where}"[:300]


def _call(func: Callable[..., Any], args: Any, kwargs: Any, seconds: float, interrupt: bool) -> BaseException | bool:
    """Run one hook; returns True if it finished in time, False if it timed out, or its exception."""
    import _signal

    fired = False

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        nonlocal fired
        fired = True
        raise _HookTimeout

    started = time.monotonic()
    previous: Any = _signal.SIG_DFL
    try:
        if interrupt:
            previous = _signal.signal(_signal.SIGALRM, on_alarm)
            _signal.setitimer(_signal.ITIMER_REAL, seconds)
        try:
            result = func(*args, **kwargs)
        finally:
            if interrupt:
                _signal.setitimer(_signal.ITIMER_REAL, 0)
        if hasattr(result, "__await__"):
            getattr(result, "close", lambda: None)()
            raise TypeError("the hook returned an awaitable; register a plain function that does the work")
    except _HookTimeout:
        return False
    except BaseException as exc:  # noqa: BLE001 - a hook's SystemExit must not stop the others
        return exc
    finally:
        if interrupt:
            _signal.signal(_signal.SIGALRM, _signal.SIG_DFL if previous is None else previous)
    # A hook that swallowed the interruption, or one that could not be interrupted, still overran.
    return not fired and time.monotonic() - started <= seconds


class HookReport:
    """How the shutdown hooks went: counts by outcome, the errors, and the budget they had."""

    __slots__ = ("counts", "errors", "budget_ms")

    def __init__(self, budget_ms: float) -> None:
        self.counts = {"run": 0, "failed": 0, "timed_out": 0, "skipped": 0}
        self.errors: list[str] = []
        self.budget_ms = budget_ms


def _run_hooks(budget_ms: float, with_atexit: bool) -> HookReport:
    hooks = list(reversed(RUNTIME.shutdown.hooks))
    RUNTIME.shutdown.hooks.clear()
    if with_atexit:
        hooks.append((atexit._run_exitfuncs, (), {}))
    report = HookReport(budget_ms)
    counts, errors = report.counts, report.errors
    budget_s = budget_ms / 1000
    # SIGALRM can interrupt a hook only on the main thread, where signal handlers run.
    interrupt = threading.current_thread() is threading.main_thread()
    deadline = time.monotonic() + budget_s
    for index, (func, args, kwargs) in enumerate(hooks):
        left = deadline - time.monotonic()
        if left <= 0:
            counts["skipped"] = len(hooks) - index
            break
        outcome = _call(func, args, kwargs, left, interrupt)
        counts["run"] += 1
        if outcome is False:
            counts["timed_out"] += 1
            errors.append(f"{_name(func)}: still running when the {budget_ms:.0f} ms budget ended")
        elif outcome is not True:
            counts["failed"] += 1
            errors.append(_error(func, outcome))
    del errors[_MAX_ERRORS:]
    return report


def shutdown(reason: str) -> None:
    """Run the hooks and write the shutdown record, once per process; never raises."""
    state = RUNTIME.shutdown
    if state.done or os.getpid() != state.owner:
        return
    state.done = True
    try:
        started = time.perf_counter()
        signalled = RUNTIME.clock()  # the environment was idle until now, not until the hooks ended
        process_wide = _config.resolve({})  # PROCESS_SETTINGS: bootstrap() and the environment
        budget_ms = process_wide.shutdown_budget_ms
        if budget_ms is None:
            budget_ms = default_budget_ms()
        hooks = _run_hooks(budget_ms, process_wide.run_atexit and reason != "exit")
        if not _state.started().in_environment:
            return  # a plain script's exit: no execution environment ended, and the host is not one
        # HANDLER_SETTINGS (service, format, ...), name and version: those of the last invocation.
        settings, call = _state.shutdown_identity()
        settings = settings or process_wide
        if _state.started().invocations:
            # /tmp as it is now: invocations read it at most once a second (Probes.usage).
            _state.used_tmp(_probes.sample(settings.tmp_path, settings.tmp_size_mb).tmp_used_mb)
        env = _state.environment()
        _marker.count(env.invocations, shut_down=True)
        call = call or _context.read(None)  # no invocation: what the environment Lambda sets says
        record = _record.shutdown_record(
            settings,
            env,
            call,
            reason=reason,
            max_memory_mb=_probes.max_rss_mb(),
            idle_before_shutdown_ms=_idle_ms(env, signalled),
            hooks=hooks,
            shutdown_ms=(time.perf_counter() - started) * 1000,
        )
        _emit.emit(_record.render(settings, record))
        sys.stderr.flush()
    except Exception as exc:  # noqa: BLE001
        warn_once("shutdown", f"cannot complete the shutdown ({exc!r})")


def _idle_ms(env: _state.Environment, signalled: float) -> float | None:
    # How long Lambda kept the environment warm after its last invocation, up to the shutdown
    # signal: only meaningful when one ended and none is running.
    if env.last_invocation_end is None or env.in_flight:
        return None
    return max(0.0, (signalled - env.last_invocation_end) * 1000)


def _at_exit() -> None:
    # A simulated environment (lambda_lifecycle.testing) shuts down only when a test says so.
    if RUNTIME.simulated is None:
        shutdown("exit")


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    import _signal

    shutdown("SIGTERM")
    # Then whatever would have happened without us: the earlier handler, ignoring, or dying.
    previous = RUNTIME.shutdown.previous_sigterm
    if callable(previous):
        previous(signum, frame)
    elif previous != _signal.SIG_IGN:  # SIG_DFL, or None: a handler not installed from Python
        _signal.signal(_signal.SIGTERM, _signal.SIG_DFL)
        os.kill(os.getpid(), _signal.SIGTERM)
