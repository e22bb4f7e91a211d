"""The simulated clock: the lifecycle's wall clock, moved forward without sleeping."""

from __future__ import annotations

import contextlib
import time

from .._runtime import RUNTIME

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator


class Clock:
    """The lifecycle's wall clock, which ``advance()`` moves forward without sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass, e.g. the time an environment sits frozen between invocations.

        Args:
            seconds: how far the clock jumps.
        """
        self.offset += seconds


@contextlib.contextmanager
def simulated_clock(clock: Clock | None = None) -> Iterator[Clock]:
    """Replace the lifecycle's clock with a ``Clock`` for the duration of the block.

    Args:
        clock: the clock to use (a subclass may stand still between ``advance()`` calls, so that
            the test's own running time stays out of ``IdleTime``); a new ``Clock`` by default.

    Yields:
        The clock, to ``advance()``.
    """
    clock = Clock() if clock is None else clock
    real = RUNTIME.clock
    RUNTIME.use_clock(clock)
    try:
        yield clock
    finally:
        RUNTIME.use_clock(real)
