"""``bootstrap()``: process-wide options, given once at module level."""

from __future__ import annotations

from . import _config, _shutdown, _state
from ._config import UNSET

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
    proactive_init_threshold_ms: float = UNSET,
    timeout_warning_ms: float | str | None = UNSET,
    disabled: bool = UNSET,
    handle_sigterm: bool | None = UNSET,
    shutdown_extension: bool = UNSET,
    shutdown_budget_ms: float | None = UNSET,
    run_atexit: bool = UNSET,
) -> _state.Environment:
    """Set process-wide options and start the lifecycle clock; call it at module level.

    Optional: the first decorated handler does the same with defaults. Calling it again is safe;
    options given in a later call replace earlier ones, for handlers already decorated too.

    The shutdown options are process-wide and take effect here, so call it before decorating:
    ``handle_sigterm`` (default: only inside Lambda on python3.12+ runtimes) runs the ``on_shutdown`` hooks on SIGTERM;
    ``shutdown_extension`` (default true) registers the internal extension that makes Lambda send
    SIGTERM on python3.12+ runtimes; ``shutdown_budget_ms`` bounds the hooks (default 400 ms, 200 ms
    when external extensions are present); ``run_atexit`` also runs ``atexit`` functions on SIGTERM.
    ``tmp_path`` given here before the first handler is decorated also moves the environment
    marker kept in ``/tmp``; after that the marker stays where it is.
    Returns the current ``environment()`` snapshot.

    Raises:
        ValueError: an option has a value that cannot work.
    """
    checked = _config.check(**locals())  # every keyword of this signature is a setting
    _config.set_bootstrap(checked)
    if "tmp_path" in checked:
        _state.move_marker()
    _shutdown.install()
    return _state.environment()
