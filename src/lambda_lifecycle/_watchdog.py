"""One long-lived timer thread that calls back when an invocation nears its deadline.

A thread per invocation would cost a thread start on the hot path and, as Sentry's Lambda
integration showed, a timer left over from one invocation can fire in the next. Here every
armed deadline has its own token, disarming removes it, and only a deadline still armed when it
falls due is called back: a finished invocation can never be warned about.

Waking the thread costs the handler a GIL hand-off, so arming does it only when the new deadline
comes before the one the thread already waits for. Once woken, the thread waits until the latest
deadline it has been told of, even when that invocation has since ended, so the next invocation
(with a later deadline) need not wake it again: under steady traffic it wakes about once per
timeout period. When every deadline it knows of has passed, it looks again once a second, so
that the next invocation need not wake it either.

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
# An idle thread looks again this often: in a frozen environment never, elsewhere at no cost
# that counts, and an invocation whose deadline comes after it then arms it without a wake-up.
_IDLE_S = 1.0
# Condition.wait() overflows beyond threading.TIMEOUT_MAX (about 292 years on Linux, less
# elsewhere); waking once an hour to look again costs nothing and no real deadline is that far.
_MAX_WAIT_S = 3600.0


class Watchdog:
    """The thread and the deadlines it watches.

    Arming and disarming take no lock: a dict's item assignment and ``pop`` are atomic under the
    GIL, and ``pop`` decides who gets a deadline, the thread or ``disarm``. The thread holds
    ``_lock`` while it decides what to wait for; ``arm`` takes it only to wake the thread. The
    thread publishes what it will wait until before it looks at the deadlines one last time, and
    ``arm`` adds its deadline before it reads that: so either the thread sees the new deadline,
    or ``arm`` sees that the thread waits too long and wakes it.
    """

    def __init__(self) -> None:
        self._tokens = itertools.count(1)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._armed: dict[int, tuple[float, Callable[[], None]]] = {}
        # What the thread waits until, or _AWAKE: it will look at _armed before it waits again.
        self._waiting_until = _AWAKE
        self._horizon = _AWAKE  # the latest deadline ever armed
        threading.Thread(target=self._run, name="lambda-lifecycle-watchdog", daemon=True).start()

    def arm(self, due: float, callback: Callable[[], None]) -> int:
        """Call ``callback`` on the thread at ``time.monotonic()`` ``due`` (a number, not NaN),
        unless disarmed first; returns the token to disarm it with."""
        token = next(self._tokens)
        self._armed[token] = (due, callback)
        if due > self._horizon:
            self._horizon = due
        if due < self._waiting_until - _SLACK_S:
            with self._lock:
                self._cond.notify()
        return token

    def disarm(self, token: int) -> bool:
        """Forget the deadline of ``token``: True if it had not fallen due, so its callback never
        runs; False if the thread has taken it (its callback runs, or ran) or it is unknown."""
        return self._armed.pop(token, None) is not None

    def _due(self) -> Callable[[], None]:
        # Called with the lock held; returns the first callback that falls due.
        armed = self._armed
        while True:
            pending = tuple(armed.items())  # one atomic copy: arm() and disarm() take no lock
            if pending:
                token, (due, callback) = min(pending, key=lambda item: item[1][0])
                if due <= time.monotonic():
                    if armed.pop(token, None) is None:
                        continue  # disarmed meanwhile: the invocation ended in time
                    self._waiting_until = _AWAKE
                    return callback
                until = due
            else:
                # Idle: wait until the latest deadline known, or a while, so that an arm() for a
                # deadline after that need not wake the thread (a GIL hand-off in the handler).
                now = time.monotonic()
                until = self._horizon if self._horizon > now else now + _IDLE_S
            self._waiting_until = until
            if tuple(armed.items()) != pending:
                continue  # armed or disarmed meanwhile, perhaps before arm() read _waiting_until
            self._cond.wait(_bounded(until - time.monotonic()))

    def _run(self) -> None:
        while True:
            with self._lock:
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
