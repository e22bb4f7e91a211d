"""The FaaS metrics, through the configured ``MeterProvider``: made once, recorded per invocation.

Names, instrument types and units are the semantic conventions' (``faas.*``); every point has
``faas.trigger``. Durations are in seconds and memory in bytes, as the conventions say, not in
the milliseconds and megabytes of the SDK's own record.
"""

from __future__ import annotations

from opentelemetry import metrics

from .._version import __version__
from ._attributes import MIB, TRIGGER
from ._trigger import TRIGGERS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .._probes import Usage
    from .._state import Invocation

# The conventions' advice for both durations.
_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0]
# Lambda's memory sizes run from 128 MB to 10240 MB; the default buckets (0 to 10000) would put
# every value in bytes in the last one.
_BYTES = [
    mb * MIB for mb in (16, 32, 64, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 10240)
]

# One attribute set per trigger, made once: the same mapping on every point of a trigger.
_ON = {trigger: {TRIGGER: trigger} for trigger in TRIGGERS}


class FaasMetrics:
    """The instruments, made when integrating; an API proxy's forward to the provider set later."""

    def __init__(self, meter_provider: metrics.MeterProvider | None) -> None:
        meter = metrics.get_meter("lambda_lifecycle", __version__, meter_provider)
        self.invocations = meter.create_counter(
            "faas.invocations", unit="{invocation}", description="Number of successful invocations."
        )
        self.errors = meter.create_counter("faas.errors", unit="{error}", description="Number of invocation errors.")
        self.timeouts = meter.create_counter(
            "faas.timeouts", unit="{timeout}", description="Number of invocation timeouts."
        )
        self.coldstarts = meter.create_counter(
            "faas.coldstarts", unit="{coldstart}", description="Number of invocation cold starts."
        )
        self.invoke_duration = meter.create_histogram(
            "faas.invoke_duration",
            unit="s",
            description="Measures the duration of the function's logic execution.",
            explicit_bucket_boundaries_advisory=_SECONDS,
        )
        self.init_duration = meter.create_histogram(
            "faas.init_duration",
            unit="s",
            description="Measures the duration of the function's initialization, such as a cold start.",
            explicit_bucket_boundaries_advisory=_SECONDS,
        )
        self.mem_usage = meter.create_histogram(
            "faas.mem_usage",
            unit="By",
            description="Distribution of max memory usage per invocation.",
            explicit_bucket_boundaries_advisory=_BYTES,
        )

    def began(self, invocation: Invocation, trigger: str) -> None:
        """A cold start counts, and a process's init is measured once, as the invocation begins:
        a process killed in it has still started cold."""
        if invocation.number != 1:
            return
        on = _ON[trigger]
        if invocation.cold_start:
            self.coldstarts.add(1, on)
        if invocation.init_duration_ms is not None:
            self.init_duration.record(invocation.init_duration_ms / 1000, on)

    def ended(self, trigger: str, failed: bool, duration_ms: float, usage: Usage | None) -> None:
        """An invocation returned (``faas.invocations``: the conventions count successful ones)
        or raised (``faas.errors``)."""
        on = _ON[trigger]
        (self.errors if failed else self.invocations).add(1, on)
        self.invoke_duration.record(duration_ms / 1000, on)
        if usage is not None and usage.max_rss_mb is not None:
            self.mem_usage.record(round(usage.max_rss_mb * MIB), on)

    def timed_out(self, trigger: str) -> None:
        self.timeouts.add(1, _ON[trigger])
