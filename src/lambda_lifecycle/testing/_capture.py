"""The records instrumented handlers write, collected and parsed instead of printed."""

from __future__ import annotations

import contextlib

from .. import _emit
from .._runtime import RUNTIME
from ..records import record_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator


def parse(line: str) -> dict[str, object]:
    """One written record line (any format) back into a dict, as the contract reads it.

    Args:
        line: a line as the SDK writes it: EMF or plain JSON, or with the ``METRICS: `` prefix.

    Returns:
        The record, with the usual values a line leaves out filled in
        (``lambda_lifecycle.contract.ABSENT``: ``cold_start`` false, ``init_type`` on-demand...).

    Raises:
        ValueError: the line is not a record (a function's own JSON log line is not one, even
            with ``"event": "invoke"``).
    """
    record = record_of(line)
    if record is None:
        raise ValueError(f"not a lambda-lifecycle record: {line.strip()[:80]!r}")
    return record


@contextlib.contextmanager
def capture(*, echo: bool = False) -> Iterator[list[dict[str, object]]]:
    """Collect the records instrumented handlers write, parsed, instead of printing them.

    Records an integration published instead of writing them (``powertools.integrate(metrics=)``)
    are collected too, as the record the SDK made.

    Args:
        echo: print the written lines as well.

    Yields:
        The list the records are appended to, in the order they are made.
    """
    records: list[dict[str, object]] = []
    write, collect = RUNTIME.write, RUNTIME.collect

    def collect_line(line: str) -> None:
        records.append(parse(line))
        if echo:
            (write or _emit.write_line)(line)

    RUNTIME.redirect(collect_line, records)
    try:
        yield records
    finally:
        RUNTIME.redirect(write, collect)
