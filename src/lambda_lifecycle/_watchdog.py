"""One long-lived timer thread that calls back when an invocation nears its deadline.

A thread per invocation would cost a thread start on the hot path and, as Sentry's Lambda
integration showed, a timer left over from one invocation can fire in the next. Here every
armed deadline has its own token, disarming removes it under the lock, and only a deadline still
armed when it falls due is called back: a finished invocation can never be warned about.

Waking the thread costs the handler a GIL hand-off, so arming does it only when the new deadline
comes before the one the thread already waits for. Once woken, the thread waits until the latest
deadline it has been told of, even when that invocation has since ended, so the next invocation
(with a later deadline) need not wake it again: under steady traffic it wakes about once per
timeout period. Only when every deadline it knows of has passed does it wait without a timeout.

The one ``Watchdog`` of a process is ``RUNTIME.watchdog``; a forked child starts without one.
"""

from __future__ import annotations

import itertools
import threading
import time

from ._runtime import RUNTIME
from ._warnings import warn_once

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

_AWAKE = float("-inf")
# Deadlines come in whole milliseconds, so one invocation's can fall a fraction of a millisecond
# before the previous one's; waking the thread that little early is not worth a GIL hand-off.
_SLACK_S = 0.005
# Condition.wait() overflows beyond threading.TIMEOUT_MAX (about 292 years on Linux, less
# elsewhere); waking once an hour to look again costs nothing and no real deadline is that far.
_MAX_WAIT_S = 3600.0


class Watchdog:
    """The thread and the deadlines it watches."""

    def __init__(self) -> None:
        self._tokens = itertools.count(1)
        self._cond = threading.Condition(threading.Lock())
        self._armed: dict[int, tuple[float, Callable[[], None]]] = {}
        # What the thread waits for: a deadline, None (nothing, no timeout), or _AWAKE (it will
        # look at _armed before it waits again).
        self._waiting_until: float | None = _AWAKE
        self._horizon = _AWAKE  # the latest deadline ever armed
        threading.Thread(target=self._run, name="lambda-lifecycle-watchdog", daemon=True).start()

    def arm(self, due: float, callback: Callable[[], None]) -> int:
        if due != due:  # NaN: it would never compare as due, nor order the others
            raise ValueError("the deadline is not a number")
        token = next(self._tokens)
        with self._cond:
            self._armed[token] = (due, callback)
            self._horizon = max(self._horizon, due)
            if self._waiting_until is None or due < self._waiting_until - _SLACK_S:
                self._cond.notify()
        return token

    def disarm(self, token: int) -> bool:
        with self._cond:
            return self._armed.pop(token, None) is not None

    def _due(self) -> Callable[[], None]:
        # Called with the lock held; returns the first callback that falls due.
        armed = self._armed
        while True:
            if not armed:
                if self._horizon > time.monotonic():
                    self._waiting_until = self._horizon
                    self._cond.wait(_bounded(self._horizon - time.monotonic()))
                else:
                    self._waiting_until = None
                    self._cond.wait()
                continue
            token, (due, callback) = min(armed.items(), key=lambda item: item[1][0])
            delay = due - time.monotonic()
            if delay > 0:
                self._waiting_until = due
                self._cond.wait(_bounded(delay))
                continue
            del armed[token]
            self._waiting_until = _AWAKE
            return callback

    def _run(self) -> None:
        while True:
            with self._cond:
                callback = self._due()
            try:
                callback()
            except Exception as exc:  # noqa: BLE001 - the watchdog must outlive any one warning
                warn_once("watchdog", f"cannot write a timeout warning ({exc!r})")


def _bounded(seconds: float) -> float:
    return seconds if seconds <= _MAX_WAIT_S else _MAX_WAIT_S


def start() -> Watchdog:
    """The process's watchdog, its thread started now if it was not: better in init than in the
    first call (a thread start costs about 0.3 ms)."""
    watchdog = RUNTIME.watchdog
    if watchdog is None:
        with RUNTIME.lock:
            watchdog = RUNTIME.watchdog
            if watchdog is None:
                watchdog = RUNTIME.watchdog = Watchdog()
    return watchdog


def arm(due: float, callback: Callable[[], None]) -> int:
    """Call ``callback`` on the watchdog thread at ``time.monotonic()`` ``due``, unless disarmed first."""
    return (RUNTIME.watchdog or start()).arm(due, callback)


def disarm(token: int) -> bool:
    """Forget the deadline of ``token``: True if it had not fallen due, so its callback never runs;
    False if the thread has taken it (its callback runs, or ran) or it is unknown."""
    watchdog = RUNTIME.watchdog
    return watchdog is not None and watchdog.disarm(token)
