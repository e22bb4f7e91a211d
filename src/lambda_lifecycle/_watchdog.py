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
"""

from __future__ import annotations

import itertools
import os
import threading
import time

from ._warnings import warn_once

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

_tokens = itertools.count(1)
_cond = threading.Condition(threading.Lock())
_armed: dict[int, tuple[float, Callable[[], None]]] = {}
_thread: threading.Thread | None = None
_AWAKE = float("-inf")
# Deadlines come in whole milliseconds, so one invocation's can fall a fraction of a millisecond
# before the previous one's; waking the thread that little early is not worth a GIL hand-off.
_SLACK_S = 0.005
# Condition.wait() overflows beyond threading.TIMEOUT_MAX (about 292 years on Linux, less
# elsewhere); waking once an hour to look again costs nothing and no real deadline is that far.
_MAX_WAIT_S = 3600.0
# What the thread waits for: a deadline, None (nothing, no timeout), or _AWAKE (it will look at
# _armed before it waits again).
_waiting_until: float | None = _AWAKE
_horizon = _AWAKE  # the latest deadline ever armed


def start() -> None:
    """Start the thread now, during init, rather than in the first invocation. Idempotent."""
    global _thread, _waiting_until
    with _cond:
        if _thread is None:
            _waiting_until = _AWAKE
            _thread = threading.Thread(target=_run, name="lambda-lifecycle-watchdog", daemon=True)
            _thread.start()


def arm(due: float, callback: Callable[[], None]) -> int:
    """Call ``callback`` on the watchdog thread at ``time.monotonic()`` ``due``, unless disarmed first."""
    if due != due:  # NaN: it would never compare as due, nor order the others
        raise ValueError("the deadline is not a number")
    if _thread is None:
        start()
    global _horizon
    token = next(_tokens)
    with _cond:
        _armed[token] = (due, callback)
        _horizon = max(_horizon, due)
        if _waiting_until is None or due < _waiting_until - _SLACK_S:
            _cond.notify()
    return token


def disarm(token: int) -> None:
    """Forget the deadline of ``token``; it is harmless to disarm one that already fired."""
    with _cond:
        _armed.pop(token, None)


def _bounded(seconds: float) -> float:
    return seconds if seconds <= _MAX_WAIT_S else _MAX_WAIT_S


def _due() -> Callable[[], None]:
    # Called with the lock held; returns the first callback that falls due.
    global _waiting_until
    while True:
        if not _armed:
            if _horizon > time.monotonic():
                _waiting_until = _horizon
                _cond.wait(_bounded(_horizon - time.monotonic()))
            else:
                _waiting_until = None
                _cond.wait()
            continue
        token, (due, callback) = min(_armed.items(), key=lambda item: item[1][0])
        delay = due - time.monotonic()
        if delay > 0:
            _waiting_until = due
            _cond.wait(_bounded(delay))
            continue
        del _armed[token]
        _waiting_until = _AWAKE
        return callback


def _run() -> None:
    while True:
        with _cond:
            callback = _due()
        try:
            callback()
        except Exception as exc:  # noqa: BLE001 - the watchdog must outlive any one warning
            warn_once("watchdog", f"cannot write a timeout warning ({exc!r})")


def _after_fork_in_child() -> None:
    # The thread does not exist in a child, and the deadlines are the parent's invocations'.
    global _cond, _thread, _waiting_until, _horizon
    _cond = threading.Condition(threading.Lock())
    _armed.clear()
    _thread = None
    _waiting_until = _horizon = _AWAKE


os.register_at_fork(after_in_child=_after_fork_in_child)
