"""The context a handler is called with, shaped as the real runtime client makes it."""

from __future__ import annotations

import os
import time


class LambdaContext:
    """A context shaped like the real runtime client's, including its quirks.

    ``memory_limit_in_mb`` is a string, as awslambdaric gives it, and
    ``get_remaining_time_in_millis()`` counts down from ``timeout_s`` in real time.

    Args:
        function_name: the function's name (also in ``invoked_function_arn`` and the log group).
        function_version: its version.
        memory_limit_in_mb: its memory size, given back as a string.
        timeout_s: the invocation's timeout, counted from now.
        aws_request_id: the request id (default: a new random UUID).
        region: the region in the ARN.
        account_id: the account in the ARN.
        tenant_id: the tenant of a tenant-isolation-mode invocation.
    """

    def __init__(
        self,
        *,
        function_name: str = "my-function",
        function_version: str = "$LATEST",
        memory_limit_in_mb: int = 128,
        timeout_s: float = 3.0,
        aws_request_id: str | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        tenant_id: str | None = None,
    ) -> None:
        self.function_name = function_name
        self.function_version = function_version
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self.memory_limit_in_mb = str(memory_limit_in_mb)
        self.aws_request_id = aws_request_id or _uuid4()
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + os.urandom(16).hex()
        self.identity = None
        self.client_context = None
        self.tenant_id = tenant_id
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left until the deadline, never below 0."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    def __repr__(self) -> str:
        return f"LambdaContext(function_name={self.function_name!r}, aws_request_id={self.aws_request_id!r})"


def _uuid4() -> str:
    h = bytearray(os.urandom(16))
    h[6] = (h[6] & 0x0F) | 0x40
    h[8] = (h[8] & 0x3F) | 0x80
    x = h.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"
