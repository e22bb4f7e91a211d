"""A simulated execution environment begun (``reset()``) and ended (``shutdown()``), and the
count of ``on_shutdown`` hooks a reset forgot, which only this module keeps."""

from __future__ import annotations

from .. import _shutdown, _warnings
from .._runtime import RUNTIME
from ._fresh_import import LOADED


def reset(*, init_duration_ms: float = 0.0) -> None:
    """Start a new simulated execution environment.

    The new process began ``init_duration_ms`` ago and its handlers are ready now, so the next
    invocation is its first. ``bootstrap()`` settings, ``on_shutdown`` hooks and
    ``powertools.integrate()`` are forgotten (as a new environment's import has not run yet), the
    environment variables are read again (set ``AWS_LAMBDA_INITIALIZATION_TYPE`` before calling
    this), and every warning may fire again.

    Args:
        init_duration_ms: how long the new process's init took.

    A simulated environment writes no shutdown record when the interpreter exits; call
    ``shutdown()`` to end it.
    """
    restart(init_duration_ms, count_dropped=True)


class _Forgotten:
    """How many ``on_shutdown`` hooks the last counted reset dropped: registered outside the
    simulated environment (at import of a handler module), so ``shutdown()`` can say why none ran."""

    __slots__ = ("hooks",)

    def __init__(self) -> None:
        self.hooks = 0


_FORGOTTEN = _Forgotten()


def restart(init_duration_ms: float, *, count_dropped: bool) -> None:
    # count_dropped: False where the hooks dropped now were registered inside a Lifecycle's
    # block, not at import, and so are not forgotten ones.
    now = RUNTIME.clock()
    hooks = RUNTIME.shutdown.hooks
    dropped = [f for f, _, _ in hooks if not (getattr(f, "__module__", None) or "").startswith(LOADED)]
    RUNTIME.reset(simulated=(now - init_duration_ms / 1000, now))
    if count_dropped:
        _FORGOTTEN.hooks = len(dropped)


def shutdown(reason: str = "SIGTERM") -> None:
    """End the simulated environment as Lambda does: run the ``on_shutdown`` hooks, within the
    budget, and write the shutdown record (captured by ``capture()``). The process goes on.

    With no hooks registered while ``reset()`` dropped some (a handler module imported before
    the simulated environment began), a ``LifecycleWarning`` says so: import the module inside
    the environment, with ``Lifecycle.load()``.

    Args:
        reason: the shutdown record's ``reason``.
    """
    if not RUNTIME.shutdown.hooks and _FORGOTTEN.hooks:
        _warnings.warn_once(
            "testing.forgotten_hooks",
            f"no on_shutdown hooks ran: the {_FORGOTTEN.hooks} registered when the "
            "handler module was imported were forgotten when the simulated environment began; "
            'import it inside the environment with lifecycle.load("handler.py")',
        )
    _shutdown.shutdown(reason)
