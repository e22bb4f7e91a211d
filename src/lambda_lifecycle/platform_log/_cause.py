"""Why an invocation ended as it did, from what its REPORT line says."""

from __future__ import annotations

from typing import Literal

from ._line import ERROR, FAILURE, OUT_OF_MEMORY, SUCCESS, TIMEOUT

Cause = Literal["timeout", "out of memory", "runtime exit", "init error", "function error", "success", "unknown"]


def cause(status: str | None, error_type: str | None) -> Cause:
    """Why an invocation ended as it did, from its REPORT's status and error type.

    ``timeout``, ``out of memory`` and ``runtime exit`` (Runtime.ExitError and the other
    ``Runtime.*`` errors that end the runtime process) kill the process before the SDK can write its
    record; ``init error`` is a suppressed init that failed again; ``function error`` is the
    handler's own exception (the runtime lives on and the record is written); ``unknown`` is a
    status this table does not know.
    """
    if status in (None, SUCCESS):
        return "success"
    if status == TIMEOUT:
        return "timeout"
    if status not in (ERROR, FAILURE):
        return "unknown"
    if error_type == OUT_OF_MEMORY:
        return "out of memory"
    if error_type in _INIT_ERRORS:
        return "init error"
    if error_type is None:
        return "unknown"
    if error_type.startswith(("Runtime.", "Sandbox.")):
        return "runtime exit"
    return "function error"


# The runtime's init failures (a suppressed init that failed again is reported with them).
_INIT_ERRORS = frozenset(
    (
        "Runtime.ImportModuleError",
        "Runtime.HandlerNotFound",
        "Runtime.MalformedHandlerName",
        "Runtime.UserCodeSyntaxError",
    )
)
KILLED_CAUSES: tuple[Cause, ...] = ("timeout", "out of memory", "runtime exit")
