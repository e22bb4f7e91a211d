"""``bootstrap()``: process-wide options, given once at module level."""

from __future__ import annotations

from . import _config, _init_anatomy, _shutdown, _state
from ._config import UNSET
from ._init_anatomy import SdkWork

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


def bootstrap(
    *,
    namespace: str = UNSET,
    service: str | None = UNSET,
    format: str = UNSET,
    metrics: Any = UNSET,
    dimensions: Mapping[str, str] = UNSET,
    tmp_path: str = UNSET,
    tmp_size_mb: float | str | None = UNSET,
    proactive_init_threshold_ms: float = UNSET,
    timeout_warning_ms: float | str | None = UNSET,
    disabled: bool = UNSET,
    handle_sigterm: bool | None = UNSET,
    shutdown_extension: bool = UNSET,
    shutdown_budget_ms: float | None = UNSET,
    run_atexit: bool = UNSET,
    usage_every_invocation: bool = UNSET,
    otel: bool = UNSET,
    init_breakdown: bool = UNSET,
    init_imports_threshold_ms: float = UNSET,
    init_imports_max: int = UNSET,
) -> _state.Environment:
    """Set process-wide options and start the lifecycle clock; call it at module level.

    Optional: the first decorated handler does the same with defaults. Calling it again with the
    same options changes nothing; options given in a later call replace earlier ones, for
    handlers already decorated too, and one ``LifecycleWarning`` says when a later call changes a
    value an earlier one set. The handler-level options are those of ``instrument()``, which a
    decorator's own keywords beat.

    Args:
        namespace: see ``instrument()``; likewise ``service``, ``format``, ``metrics``,
            ``dimensions``, ``proactive_init_threshold_ms``, ``timeout_warning_ms`` and ``disabled``.
        service: see ``instrument()``.
        format: see ``instrument()``.
        metrics: see ``instrument()``.
        dimensions: see ``instrument()``.
        tmp_path: the ``/tmp`` to measure; given before the first handler is decorated it also
            moves the environment marker, which stays where it is after that.
        tmp_size_mb: see ``instrument()``.
        proactive_init_threshold_ms: see ``instrument()``.
        timeout_warning_ms: see ``instrument()``.
        disabled: see ``instrument()``.
        handle_sigterm: run the ``on_shutdown`` hooks on SIGTERM (default ``"auto"``: only inside
            Lambda on python3.12+ runtimes, where a Python handler can run).
        shutdown_extension: register the internal extension that makes Lambda send SIGTERM
            (default true; python3.12+ runtimes, on-demand and provisioned concurrency).
        shutdown_budget_ms: the time the hooks have (default ``"auto"``: 400 ms, 200 ms when
            external extensions are present).
        run_atexit: also run the functions registered with ``atexit`` on SIGTERM.
        usage_every_invocation: read ``FileDescriptors``, ``Threads`` and ``TmpUsed`` (with
            ``TmpUsedPercent``) on every invocation; by default an invocation reads them at most
            once a second per process (always on a process's first), and the lines in between
            leave them out: each costs a system call on the handler's time.
        otel: speak OpenTelemetry: ``lambda_lifecycle.otel.integrate()`` with its defaults
            (default false; ``LAMBDA_LIFECYCLE_OTEL``), a warning if the API is not installed.
        init_breakdown: write the ``init`` record, where init's time went (default true; it is
            measured inside Lambda when the SDK is loaded before the handler module's imports);
            false stops timing the imports at once.
        init_imports_threshold_ms: the ``init`` record lists imports that took at least this
            long, their imports included (default 5).
        init_imports_max: and at most this many of them, the slowest (default 10).

    Returns:
        The current ``environment()`` snapshot.

    Raises:
        ValueError: an option has a value that cannot work.
    """
    checked = _config.check(**locals())  # every keyword of this signature is a setting
    _config.set_bootstrap(checked)
    if "tmp_path" in checked:
        _state.move_marker()
    if checked.get("init_breakdown") is False:
        _init_anatomy.turn_off()
    with SdkWork():
        _shutdown.install()
        integrate_requested()
    return _state.environment()


def integrate_requested() -> None:
    """Integrate what the settings ask for (``otel``), once; at ``bootstrap()`` and decoration."""
    if _config.value("otel", {}):
        from . import otel  # only now: OpenTelemetry is imported by no one who did not ask for it

        otel.integrate()
