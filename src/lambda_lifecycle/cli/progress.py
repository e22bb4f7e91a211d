"""Progress on stderr, so that stdout holds only the result."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TextIO

    Progress = Callable[[str], None]
    """Takes one message: ``"<step>: <how far>"``."""


class StderrProgress:
    """One line rewritten on a terminal; elsewhere a line per step (a message whose part before
    the first colon differs from the last one's)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.step = ""

    def __call__(self, message: str) -> None:
        if self.tty:
            self.stream.write(f"\r{message}\033[K")
            self.stream.flush()
            return
        step = message.split(":")[0]
        if step != self.step:
            self.step = step
            print(message, file=self.stream)

    def done(self) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
