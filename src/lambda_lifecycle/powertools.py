"""Use lambda-lifecycle with AWS Lambda Powertools for Python (``pip install lambda-lifecycle[powertools]``):

    from aws_lambda_powertools import Logger, Metrics, Tracer
    import lambda_lifecycle
    from lambda_lifecycle import powertools

    logger, metrics, tracer = Logger(), Metrics(), Tracer()
    powertools.integrate(logger=logger, metrics=metrics, tracer=tracer)

    @metrics.log_metrics                # outermost, so one EMF document holds both
    @tracer.capture_lambda_handler
    @logger.inject_lambda_context
    @lambda_lifecycle.instrument
    def lambda_handler(event, context): ...

Only this module imports Powertools, and only when it is imported itself.
"""

from __future__ import annotations

import logging
import sys

from . import _record, _state
from ._runtime import RUNTIME
from ._warnings import warn_once
from .contract import MEASUREMENTS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import CodeType
    from typing import Any

    from ._config import Settings

__all__ = ["LOG_KEYS", "integrate"]

LOG_KEYS = ("container_id", "environment_id", "invocation", "cold_start", "init_type")
"""What every log line of an integrated Powertools ``Logger`` carries."""


class _LifecycleKeys(logging.Filter):
    """Adds the lifecycle of the running invocation to each record; the Powertools formatter
    turns record attributes it does not reserve into JSON keys. A filter on the handler works
    whatever the order of the decorators, and survives ``clear_state=True``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            env = _state.environment()
            record.container_id = env.container_id
            record.environment_id = env.environment_id
            record.invocation = env.invocations
            record.cold_start = env.cold_start
            record.init_type = env.init_type
        except Exception as exc:  # noqa: BLE001 - a log line must never be lost to us
            warn_once("powertools.logger", f"cannot add lifecycle keys to log lines ({exc!r})")
        return True


_filter = _LifecycleKeys()


def _add_to_logger(logger: Any) -> Callable[[], None] | None:
    handler = getattr(logger, "registered_handler", None)
    if handler is None:
        raise TypeError(f"logger must be an aws_lambda_powertools.Logger, got {logger!r}")
    if _filter in handler.filters:
        return None
    handler.addFilter(_filter)
    return lambda: handler.removeFilter(_filter)


def _agree_on_cold_starts(invocation: _state.Invocation) -> None:
    # Powertools keeps its own cold-start flags and decides after the handler ran (metrics,
    # tracer): set them from ours, so its ColdStart metric and annotation say what our record says.
    from aws_lambda_powertools.metrics.provider import cold_start
    from aws_lambda_powertools.tracing import tracer

    cold_start.is_cold_start = tracer.is_cold_start = invocation.cold_start


def _log_metrics_code() -> CodeType | None:
    from aws_lambda_powertools.metrics.provider.base import BaseProvider

    for const in BaseProvider.log_metrics.__code__.co_consts:
        if getattr(const, "co_name", None) == "decorate":
            return const  # type: ignore[no-any-return]
    return None


class _PublishThrough:
    """Publishes invoke records through a Powertools ``Metrics``: its namespace, service and
    default dimensions, in the document its ``log_metrics`` writes."""

    def __init__(self, metrics: Any) -> None:
        self.metrics = metrics
        self.flushing_code = _log_metrics_code()

    def __call__(self, settings: Settings, record: dict[str, object]) -> bool:
        declared = _record.declared(settings, record)
        for name in declared:
            self.metrics.add_metric(name=name, unit=MEASUREMENTS[name], value=record[name])
        for key, value in record.items():
            if key not in declared and value is not None:
                self.metrics.add_metadata(key=key, value=value)
        if not self._inside_log_metrics():
            # Its log_metrics has already flushed (it is below @instrument) or is not used:
            # flush now, as a document of its own, rather than leave the data to a later one.
            self.metrics.flush_metrics()
        return True

    def _inside_log_metrics(self) -> bool:
        frame = sys._getframe(2)
        while frame is not None:
            if frame.f_code is self.flushing_code:
                return True
            frame = frame.f_back  # type: ignore[assignment]
        return False


class _Annotate:
    """Annotates the segment of the running invocation (open only inside ``capture_lambda_handler``)."""

    def __init__(self, tracer: Any) -> None:
        self.tracer = tracer

    def __call__(self, invocation: _state.Invocation) -> None:
        if self.tracer.disabled:
            return
        try:
            self.tracer.put_annotation(key="ColdStart", value=invocation.cold_start)
            self.tracer.put_annotation(key="init_type", value=invocation.init_type)
        except Exception as exc:  # noqa: BLE001
            warn_once(
                "powertools.tracer",
                f"cannot annotate the trace ({exc!r}); put @tracer.capture_lambda_handler above @instrument",
            )


def _registered(hooks: list[Any], attribute: str, utility: object) -> bool:
    return any(getattr(hook, attribute, None) is utility for hook in hooks)


def integrate(*, logger: Any = None, metrics: Any = None, tracer: Any = None) -> Callable[[], None]:
    """Make Powertools utilities and lambda-lifecycle tell one story. Call it once, at module level.

    With any of them, the ``ColdStart`` metric and annotation Powertools writes itself follow
    lambda-lifecycle's rules (no cold start for proactive inits, provisioned concurrency or
    SnapStart restores). ``lambda_lifecycle.testing.reset()`` (a new simulated environment) takes
    every integration back, as the returned function does.

    Args:
        logger: a Powertools ``Logger``; every line of it (and of its child loggers) carries
            ``container_id``, ``environment_id``, ``invocation``, ``cold_start`` and ``init_type``
            of the running invocation, in any decorator order.
        metrics: a Powertools ``Metrics``; invoke records are published through it (its
            namespace, service and default dimensions) instead of as a line of their own: the
            declared measurements as metrics, everything else as metadata. With
            ``@metrics.log_metrics`` above ``@instrument`` one EMF document per invocation holds
            both; below it, two.
        tracer: a Powertools ``Tracer``; the handler's segment is annotated with ``ColdStart``
            and ``init_type``.

    Returns:
        A function that takes back what this call added (idempotent).

    Raises:
        TypeError: ``logger`` is not a Powertools ``Logger``.
    """
    runtime = RUNTIME
    added: list[tuple[list[Any], object]] = []
    undo_logger = _add_to_logger(logger) if logger is not None else None
    if metrics is not None and not _registered(runtime.record_sinks, "metrics", metrics):
        added.append((runtime.record_sinks, _PublishThrough(metrics)))
    if tracer is not None and not _registered(runtime.begin_listeners, "tracer", tracer):
        added.append((runtime.begin_listeners, _Annotate(tracer)))
    for hooks, hook in added:
        hooks.append(hook)
    if _agree_on_cold_starts not in runtime.begin_listeners:
        runtime.begin_listeners.insert(0, _agree_on_cold_starts)
        added.append((runtime.begin_listeners, _agree_on_cold_starts))

    def undo() -> None:
        for hooks, hook in added:
            if hook in hooks:
                hooks.remove(hook)
        if undo_logger is not None:
            undo_logger()

    runtime.undo.append(undo)
    return undo
