"""The lines Lambda itself writes into an environment's log stream (``INIT_START``, ``START``,
``END``, ``REPORT``, ``INIT_REPORT``, or their ``platform.*`` forms under the JSON log format),
written by the local run as Lambda would, with the local runtime API's timings."""

from __future__ import annotations

import time
from dataclasses import replace

from ..platform_log import SUCCESS, Format, PlatformLine, billed_ms, to_json, to_text
from .runtime_api import Function

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def now_ms() -> int:
    return int(time.time() * 1000)


class LambdaLog:
    """Writes Lambda's lines for one environment through ``write(text)`` in ``log_format``
    (``text`` or ``json``)."""

    def __init__(
        self, write: Callable[[str], None], log_format: str, function: Function, runtime: str, init_type: str
    ) -> None:
        self._write = write
        self.json = log_format == "json"
        self.form: Format = "json" if self.json else "text"
        self.function = function
        self.init_type = init_type
        version = runtime.removeprefix("python")
        self.runtime_version = f"python:{version}.local"
        self.runtime_arn = f"arn:aws:lambda:{function.region}::runtime:local-python{version}"

    def _put(self, line: PlatformLine, *, text: bool = True) -> None:
        written = to_json(line) if self.json else (to_text(line) if text else None)
        if written is not None:
            self._write(written)

    def init_start(self, phase: str) -> None:
        self._put(
            PlatformLine(
                "init_start",
                self.form,
                time_ms=now_ms(),
                init_type=self.init_type,
                phase=phase,
                runtime_version=self.runtime_version,
                runtime_version_arn=self.runtime_arn,
            )
        )

    def init_done(self, phase: str, duration_ms: float, status: str = SUCCESS, error_type: str | None = None) -> None:
        """``platform.initRuntimeDone`` and ``platform.initReport``; in text, ``INIT_REPORT`` only
        where the REPORT will not carry the init: a failed init, a suppressed one (phase invoke),
        and the inits that are not on-demand."""
        base = PlatformLine(
            "init_report",
            self.form,
            time_ms=now_ms(),
            init_type=self.init_type,
            phase=phase,
            status=status,
            error_type=error_type,
        )
        self._put(replace(base, kind="init_runtime_done"))
        in_text = status != SUCCESS or phase != "init" or self.init_type != "on-demand"
        self._put(replace(base, duration_ms=duration_ms), text=in_text)

    def start(self, request_id: str) -> None:
        self._put(
            PlatformLine(
                "start",
                self.form,
                time_ms=now_ms(),
                request_id=request_id,
                version=self.function.version,
            )
        )

    def runtime_exited(self, request_id: str, how: str, error_type: str) -> None:
        """What Lambda writes when the runtime process ended during an invocation (text only)."""
        if not self.json:
            self._write(f"RequestId: {request_id} Error: Runtime exited with error: {how}")
            self._write(error_type)

    def report(
        self,
        request_id: str,
        duration_ms: float,
        max_memory_mb: int,
        *,
        init_ms: float | None = None,
        status: str = SUCCESS,
        error_type: str | None = None,
    ) -> None:
        """``END`` and ``REPORT`` (``platform.runtimeDone`` and ``platform.report``). An on-demand
        init is billed with the invocation that it started (Lambda bills it since 2025-08-01)."""
        form = self.form
        at = now_ms()
        self._put(
            PlatformLine(
                "runtime_done",
                form,
                time_ms=at,
                request_id=request_id,
                status=status,
                error_type=error_type,
                duration_ms=duration_ms,
            )
        )
        self._put(PlatformLine("end", form, time_ms=at, request_id=request_id))
        # A handler's own error: Lambda's text REPORT shows no Status for it (the runtime lives on).
        shown = status if (self.json or status in ("timeout", "error")) else SUCCESS
        self._put(
            PlatformLine(
                "report",
                form,
                time_ms=at,
                request_id=request_id,
                status=shown,
                error_type=error_type if shown != SUCCESS else None,
                duration_ms=duration_ms,
                billed_ms=billed_ms(duration_ms + (init_ms or 0.0)),
                memory_mb=self.function.memory_mb,
                max_memory_mb=max_memory_mb,
                init_ms=init_ms,
            )
        )
