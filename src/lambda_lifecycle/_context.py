"""What one call tells about itself: the facts read from its Lambda context and environment.

Whatever a handler is given (awslambdaric's ``LambdaContext``, a dict, a test double, ``None``),
the result is bounded, CloudWatch-valid where it becomes a dimension, and never raises.
"""

from __future__ import annotations

import os

from ._config import is_cloudwatch_text
from ._warnings import warn_once

# Lambda's own values are far shorter (function names 140, request ids 36, trace roots 35): the
# bound keeps a record under CloudWatch Logs' event limit whatever a context or test passes.
MAX_FIELD = 256
_MAX_MEGABYTES = 1 << 20  # Lambda allows 10240; a larger number is not a memory size
# os.environ's own bytes mapping, which its __setitem__ (the runtime client's, before every
# invocation) keeps current: one lookup instead of os.environ.get's four Python calls.
_ENVIRON = os.environ
_environ_bytes: dict[bytes, bytes] | None = getattr(_ENVIRON, "_data", None) if os.name == "posix" else None


class CallInfo:
    """The facts of one call that its records repeat."""

    __slots__ = ("function_name", "function_version", "request_id", "memory_limit_mb", "tenant_id", "xray_trace_id")

    def __init__(
        self,
        function_name: str,
        function_version: str | None,
        request_id: str | None,
        memory_limit_mb: int | None,
        tenant_id: str | None,
        xray_trace_id: str | None = None,
    ) -> None:
        self.function_name = function_name
        self.function_version = function_version
        self.request_id = request_id
        self.memory_limit_mb = memory_limit_mb
        self.tenant_id = tenant_id
        self.xray_trace_id = xray_trace_id


class Reader:
    """Reads the facts of a handler's calls. The function's name, version and memory size come
    the same on every call of a process: they are validated once, and again only when they change.
    """

    __slots__ = ("_kept",)

    def __init__(self) -> None:
        # The context's raw name, version and memory, and what they were validated as: one
        # tuple, replaced whole, so that threads sharing a handler never pair one with another's.
        self._kept: tuple[tuple[object, object, object], tuple[str, str | None, int | None]] | None = None

    def read(self, context: object) -> CallInfo:
        """The call's facts from whatever context the handler got and, where it says nothing,
        from the environment Lambda sets (which holds the trace header of the running invocation)."""
        try:  # awslambdaric's context, as Lambda gives it: plain attributes
            raw: tuple[object, object, object] = (
                context.function_name,  # type: ignore[attr-defined]
                context.function_version,  # type: ignore[attr-defined]
                context.memory_limit_in_mb,  # type: ignore[attr-defined]
            )
            request_id, tenant = context.aws_request_id, context.tenant_id  # type: ignore[attr-defined]
            kept = self._kept
            same = kept is not None and raw == kept[0]
        except Exception:  # noqa: BLE001 - a dict, a test double, a context of another shape
            raw, request_id, tenant = _loosely(context)
            kept, same = None, False
        if same:
            valid = kept[1]  # type: ignore[index]
        else:
            name, version, memory = _dimension_value(raw[0]), bounded(raw[1]), _megabytes(raw[2])
            if name is None or version is None or memory is None:
                # The environment says what the context does not, and may change: not kept.
                self._kept = None
                environ = os.environ
                valid = (
                    name or _dimension_value(environ.get("AWS_LAMBDA_FUNCTION_NAME")) or "unknown",
                    version or bounded(environ.get("AWS_LAMBDA_FUNCTION_VERSION")),
                    memory or _megabytes(environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")),
                )
            else:
                valid = (name, version, memory)
                self._kept = (raw, valid)
        if _environ_bytes is None or os.environ is not _ENVIRON:  # elsewhere, or replaced by a test
            header = os.environ.get("_X_AMZN_TRACE_ID")
        else:
            raw_header = _environ_bytes.get(b"_X_AMZN_TRACE_ID")
            header = raw_header.decode("utf-8", "surrogateescape") if raw_header else None
        return CallInfo(
            valid[0],
            valid[1],
            bounded(request_id),
            valid[2],
            bounded(tenant),
            trace_root(header),
        )


def _loosely(context: object) -> tuple[tuple[object, object, object], object, object]:
    # What a context of any shape says: function name, version and memory, request id, tenant.
    try:
        if isinstance(context, dict):
            get = context.get
            raw = (get("function_name"), get("function_version"), get("memory_limit_in_mb"))
            return raw, get("aws_request_id"), get("tenant_id")
        return (
            (
                getattr(context, "function_name", None),
                getattr(context, "function_version", None),
                getattr(context, "memory_limit_in_mb", None),
            ),
            getattr(context, "aws_request_id", None),
            getattr(context, "tenant_id", None),
        )
    except Exception as exc:  # noqa: BLE001 - a context whose properties raise is still a context
        warn_once("context", f"cannot read the Lambda context ({exc!r}); its facts come from the environment")
        return (None, None, None), None, None


def read(context: object) -> CallInfo:
    """The facts of one call (see ``Reader.read``), for a caller that reads only once."""
    return Reader().read(context)


def request_id(context: object) -> str | None:
    """Only the request id: what tells a call nested in an invocation from a concurrent one."""
    try:
        value = context.get("aws_request_id") if isinstance(context, dict) else getattr(context, "aws_request_id", None)
    except Exception:  # noqa: BLE001 - then it is not told apart from a nested call
        return None
    return bounded(value)


def bounded(value: object) -> str | None:
    """A non-empty string cut to ``MAX_FIELD`` characters; anything else ``None``."""
    return value[:MAX_FIELD] if isinstance(value, str) and value else None


def _dimension_value(value: object) -> str | None:
    # function_name is a dimension: one CloudWatch refuses would lose every metric of the record.
    value = bounded(value)
    return value if is_cloudwatch_text(value, MAX_FIELD) else None


def _megabytes(value: object) -> int | None:
    # The runtime client gives memory_limit_in_mb as a string; tests often give an int. Nothing
    # else is a memory size: int() of a Mock is 1, which would make MemoryUsedPercent absurd.
    if type(value) is int:
        number = value
    elif isinstance(value, str) and 0 < len(value) <= 8 and value.strip().isdecimal():  # int() refuses "²"
        number = int(value)
    else:
        return None
    return number if 0 < number <= _MAX_MEGABYTES else None


def trace_root(header: str | None) -> str | None:
    """The ``Root=`` part of ``_X_AMZN_TRACE_ID``, which changes on every invocation."""
    return bounded(header.partition("Root=")[2].partition(";")[0]) if header else None
