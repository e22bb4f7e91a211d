"""Where record lines go: stdout, one write and one flush per line, which CloudWatch keeps as one
event; or, for a test, the writer ``lambda_lifecycle.testing`` put in ``RUNTIME.write``."""

from __future__ import annotations

import sys
import time

from ._runtime import RUNTIME
from ._warnings import warn_once

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

# A non-blocking stdout (set so by other code sharing the descriptor) refuses a write with EAGAIN
# while the pipe is full; the reader usually drains it within milliseconds. Bounded, because the
# handler waits for this.
_ATTEMPTS = 5
_PAUSE_S = 0.002


def emit(line: str) -> None:
    """Send one record line where records go; never raises."""
    (RUNTIME.write or write_line)(line)


def write_line(line: str) -> None:
    """Write ``line`` and a newline to stdout; a failure warns once and never raises."""
    text = line + "\n"
    out = sys.stdout
    try:
        out.write(text)
        text = ""
        if not _flushes_itself(type(out)):
            out.flush()
        return
    except BlockingIOError as exc:
        text = _unwritten(text, exc)
    except Exception as exc:  # noqa: BLE001 - a closed or missing stdout must not reach the handler
        warn_once("emit", f"cannot write records to stdout ({exc!r}); they are dropped")
        return
    if not _retried(out, text):
        warn_once("emit.blocked", "stdout is non-blocking and stays full; records are dropped")


def _flushes_itself(kind: type) -> bool:
    # awslambdaric's stdout flushes on every write; a second flush, through its __getattr__,
    # would cost the handler about a microsecond for nothing.
    return kind.__name__ == "Unbuffered" and kind.__module__ == "awslambdaric.bootstrap"


def _retried(out: TextIO, text: str) -> bool:
    # A non-blocking stdout refused (part of) a line: a few more tries, a pause apart.
    for _ in range(_ATTEMPTS - 1):
        time.sleep(_PAUSE_S)
        try:
            if text:
                out.write(text)
                text = ""
            out.flush()
            return True
        except BlockingIOError as exc:
            text = _unwritten(text, exc)
        except Exception:  # noqa: BLE001 - closed meanwhile: dropped, as the caller warns
            return False
    return False


def _unwritten(text: str, blocked: BlockingIOError) -> str:
    # What was taken must not be written twice: the line would come out garbled.
    return text[max(0, getattr(blocked, "characters_written", 0) or 0) :]
