"""How the SDK reports its own faults: one warning per kind of fault, never an exception."""

from __future__ import annotations

import contextlib
import os
import sys
import warnings

from ._runtime import RUNTIME

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType

# Frames of this package, and of the stdlib modules it runs code through, are the SDK's own
# machinery: a warning points past them, to the user's code.
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def in_sdk(filename: str) -> bool:
    """Whether code of ``filename`` is the SDK's own, which the user did not write."""
    return os.path.abspath(filename).startswith(_PACKAGE)


_MACHINERY = frozenset({"contextlib", "threading"})


class LifecycleWarning(RuntimeWarning):
    """Emitted when lambda-lifecycle cannot do part of its job (a probe, a write, a setting).

    The handler is never affected. Filter it like any warning, e.g.
    ``warnings.simplefilter("ignore", lambda_lifecycle.LifecycleWarning)``.
    """


def warn_once(key: str, message: str) -> None:
    """Warn about ``key`` the first time only: a fault on a hot path must not flood the logs."""
    warned = RUNTIME.warned
    if key in warned:
        return
    warned.add(key)
    # A "-W error" filter or a closed stderr must not turn a warning into the handler's exception.
    with contextlib.suppress(Exception):
        warnings.warn(f"lambda-lifecycle: {message}", LifecycleWarning, stacklevel=_user_stacklevel())


def _user_stacklevel() -> int:
    """The ``stacklevel`` of the first frame outside the SDK, so the source line a warning shows is
    the user's code; past the whole stack (no line shown) when there is none, as in the watchdog's
    thread, rather than a line of the SDK that tells the user nothing."""
    level = 1  # warnings.warn's caller, this module's warn_once
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        inside = in_sdk(frame.f_code.co_filename)
        if not (inside or frame.f_globals.get("__name__") in _MACHINERY):
            return level
        level += 1
        frame = frame.f_back
    return level
