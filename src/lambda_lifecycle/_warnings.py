"""How the SDK reports its own faults: one warning per kind of fault, never an exception."""

from __future__ import annotations

import contextlib
import warnings


class LifecycleWarning(RuntimeWarning):
    """Emitted when lambda-lifecycle cannot do part of its job (a probe, a write, a setting).

    The handler is never affected. Filter it like any warning, e.g.
    ``warnings.simplefilter("ignore", lambda_lifecycle.LifecycleWarning)``.
    """


_seen: set[str] = set()


def warn_once(key: str, message: str) -> None:
    """Warn about ``key`` the first time only: a fault on a hot path must not flood the logs."""
    if key in _seen:
        return
    _seen.add(key)
    # A "-W error" filter or a closed stderr must not turn a warning into the handler's exception.
    with contextlib.suppress(Exception):
        warnings.warn(f"lambda-lifecycle: {message}", LifecycleWarning, stacklevel=3)


def forget() -> None:
    """Let every warning fire again (used when state is reset, as in a new process)."""
    _seen.clear()
