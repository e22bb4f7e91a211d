"""``async def`` handlers as Lambda entry points.

The runtime client calls the handler that ``_HANDLER`` names and marshals what it returns: a
coroutine fails there (``Runtime.MarshalError``), as it is never awaited. So when the runtime
client calls an instrumented async handler itself, the SDK runs the coroutine to its end on an
event loop the process keeps for all its invocations (connections and clients made on it stay
usable), and returns the result. Called from async code (a loop running in the thread), or as any
other object than the one ``_HANDLER`` names (a helper, a handler behind a sync wrapper of the
user's), it returns the coroutine, as an ``async def`` does.

Imported only for async handlers: ``asyncio`` costs milliseconds of init that a sync handler
never pays.
"""

from __future__ import annotations

import asyncio
import os
import sys
import warnings

from ._runtime import RUNTIME

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable
    from typing import Any

_running_loop = asyncio._get_running_loop  # the C function asyncio.get_running_loop() wraps, without its raise


class EntryPoint:
    """Whether calls of one instrumented async callable come from the runtime client: it is the
    object ``_HANDLER`` names (found once the handler's module has it), and no event loop runs in
    the calling thread."""

    __slots__ = ("_target", "_named")

    def __init__(self, target: object) -> None:
        self._target = target  # what the instrumented object wraps: its __wrapped__
        self._named: bool | None = None

    def runs_it(self) -> bool:
        """Whether this call must be run to its end here, as its caller cannot await it."""
        if _running_loop() is not None:
            return False
        named = self._named
        if named is None:
            named = self._named = _named_by_handler(self._target)
        return bool(named)


def _named_by_handler(target: object) -> bool | None:
    """Whether ``_HANDLER`` (``dir/module.function``) names the instrumented object wrapping
    ``target``; ``None`` while its module has not been imported that far yet."""
    module_name, _, name = os.environ.get("_HANDLER", "").rpartition(".")
    module = sys.modules.get(module_name.replace("/", "."))
    if module is None:
        return None if module_name else False
    try:
        entry = getattr(module, name, None)
        if entry is None:
            return None
        # Our own wrapper (a function, or a wrapt proxy), not the handler itself nor another
        # decorator's wrapper of ours, which the runtime client would call instead.
        return entry is not target and getattr(entry, "__wrapped__", None) is target
    except Exception:  # noqa: BLE001 - an attribute that raises: not ours
        return False


def run(awaitable: Awaitable[Any]) -> Any:
    """Run ``awaitable`` to its end on the process's event loop and return its result (or raise
    its exception)."""
    loop = RUNTIME.event_loop
    if loop is None or loop.is_closed():
        loop = RUNTIME.event_loop = _loop()
    return loop.run_until_complete(awaitable)


def _loop() -> asyncio.AbstractEventLoop:
    # The thread's own loop if the handler's module set one at import (objects made for it are
    # bound to it), else a new one made the thread's own.
    try:
        with warnings.catch_warnings():
            # Asking for the current loop is deprecated in steps since 3.12; the answer is the same.
            warnings.simplefilter("ignore", DeprecationWarning)
            loop = asyncio.get_event_loop_policy().get_event_loop()
        if not loop.is_closed():
            return loop
    except Exception:  # noqa: BLE001 - none set (3.14), or no policies any more
        pass
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop


def mark_coroutine_function(function: Any) -> None:
    """Make ``inspect.iscoroutinefunction`` (3.12+) say true of a function that returns a
    coroutine when it does not run it itself."""
    import inspect

    mark = getattr(inspect, "markcoroutinefunction", None)
    if mark is not None:
        mark(function)
