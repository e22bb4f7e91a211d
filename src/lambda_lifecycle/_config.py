"""Settings and where they come from.

Precedence: decorator keyword arguments > ``bootstrap()`` > environment variables > defaults.
Values given in code are checked at once and raise ``ValueError`` (a mistake found while
developing); values from the environment can change without a deploy, so a malformed one warns
once and falls back instead: nothing here raises at import or inside a handler.
"""

from __future__ import annotations

import os

from ._runtime import RUNTIME
from ._warnings import warn_once
from .contract import (
    DEFAULT_METRICS,
    DEFAULT_NAMESPACE,
    EMF_MAX_DIMENSIONS,
    MEASUREMENTS,
    RESERVED_DIMENSION_NAMES,
    dimension_names,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, TypeGuard


class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()
"""Default of every keyword argument: "not given here, look further down the precedence"."""

FORMATS = ("emf", "prefixed", "json")


# CloudWatch's namespace alphabet: a namespace outside it makes PutMetricData (and so EMF
# extraction) drop every metric of the record without a word.
_NAMESPACE_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_/#: ")


def _namespace(value: object) -> str:
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= 255
        or value.isspace()
        or not _NAMESPACE_CHARACTERS.issuperset(value)
        or value.startswith((":", "AWS/"))
    ):
        raise ValueError(
            "namespace must be 1-255 characters of letters, digits, spaces and . - _ / # :, "
            f"not blank and not starting with ':' or 'AWS/', got {value!r}"
        )
    return value


def is_cloudwatch_text(value: object, max_length: int) -> TypeGuard[str]:
    # CloudWatch refuses dimension names and values that are blank, non-ASCII or carry control
    # characters, and with them the whole record's metrics.
    return (
        isinstance(value, str)
        and 1 <= len(value) <= max_length
        and value.isascii()
        and value.isprintable()
        and not value.isspace()
    )


def _service(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not is_cloudwatch_text(value, 1024):
        raise ValueError(
            f"service is a dimension value: at most 1024 printable ASCII characters, not all whitespace, got {value!r}"
        )
    return value


def _format(value: object) -> str:
    if not isinstance(value, str) or value.lower() not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {value!r}")
    return value.lower()


def _metrics(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
        if [name.lower() for name in value] == ["all"]:
            return tuple(MEASUREMENTS)
        if [name.lower() for name in value] == ["none"]:
            return ()
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise ValueError(f"metrics must be names of measurements, 'all' or 'none', got {value!r}")
    unknown = [name for name in value if name not in MEASUREMENTS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; known: {', '.join(MEASUREMENTS)}")
    return tuple(dict.fromkeys(value))


def _dimensions(value: object) -> tuple[tuple[str, str], ...]:
    if isinstance(value, str):
        pairs = [part.split("=", 1) for part in value.split(",") if part.strip()]
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError(f"dimensions must look like 'key=value,key2=value2', got {value!r}")
        value = {k.strip(): v.strip() for k, v in pairs}
    if not isinstance(value, dict):
        raise ValueError(f"dimensions must be a mapping of names to values, got {value!r}")
    for key, val in value.items():
        if not is_cloudwatch_text(key, 255) or key.startswith(":"):
            raise ValueError(
                "dimension name must be 1-255 printable ASCII characters, not all whitespace "
                f"and not starting with ':', got {key!r}"
            )
        if key in RESERVED_DIMENSION_NAMES:
            raise ValueError(
                f"{key!r} cannot be a user dimension: it is a record field "
                "(ids are high-cardinality and would create a metric per container or request)"
            )
        if not is_cloudwatch_text(val, 1024):
            raise ValueError(
                f"dimension {key!r} needs a value of 1-1024 printable ASCII characters, not all whitespace, got {val!r}"
            )
    if len(value) > EMF_MAX_DIMENSIONS - 2:
        raise ValueError(f"at most {EMF_MAX_DIMENSIONS - 2} user dimensions, got {len(value)}")
    return tuple(value.items())


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        return value.strip().lower() in ("1", "true", "yes", "on")
    raise ValueError(f"expected true or false, got {value!r}")


def _path(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"tmp_path must be a non-empty path, got {value!r}")
    return value


def _auto_flag(value: object) -> bool | None:
    if value is None or (isinstance(value, str) and value.strip().lower() == "auto"):
        return None
    return _flag(value)


def _milliseconds(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = -1.0
    if isinstance(value, bool) or not number >= 0 or number == float("inf"):
        raise ValueError(f"expected a non-negative number of milliseconds, got {value!r}")
    return number


def _count(value: object) -> int:
    try:
        number: int = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        number = -1
    if isinstance(value, bool) or number < 0 or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"expected a whole number, 0 or more, got {value!r}")
    return number


def _auto_megabytes(value: object) -> float | None:
    if value is None or (isinstance(value, str) and value.strip().lower() == "auto"):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = -1.0
    # Lambda's ephemeral storage is 512 to 10240 MB.
    if isinstance(value, bool) or not 0 < number <= 10240:
        raise ValueError(f"expected a size in MB above 0 and at most 10240, or auto, got {value!r}")
    return number


def _auto_milliseconds(value: object) -> float | None:
    if value is None or (isinstance(value, str) and value.strip().lower() == "auto"):
        return None
    return _milliseconds(value)


def _margin(value: object) -> float | None:
    if value is False or (isinstance(value, str) and value.strip().lower() in ("off", "false")):
        return 0.0
    return _auto_milliseconds(value)


# setting -> (check, environment variables in order of preference, default)
_TABLE: dict[str, tuple[Callable[[object], Any], tuple[str, ...], Any]] = {
    # Not POWERTOOLS_METRICS_NAMESPACE: there our ColdStart (0 or 1 on every invocation) would merge
    # with Powertools' capture_cold_start_metric series (1 on cold starts only) into a wrong rate.
    "namespace": (_namespace, ("LAMBDA_LIFECYCLE_NAMESPACE",), DEFAULT_NAMESPACE),
    "service": (_service, ("LAMBDA_LIFECYCLE_SERVICE", "POWERTOOLS_SERVICE_NAME"), None),
    "format": (_format, ("LAMBDA_LIFECYCLE_FORMAT",), "emf"),
    "metrics": (_metrics, ("LAMBDA_LIFECYCLE_METRICS",), DEFAULT_METRICS),
    "dimensions": (_dimensions, ("LAMBDA_LIFECYCLE_DIMENSIONS",), ()),
    "disabled": (_flag, ("LAMBDA_LIFECYCLE_DISABLED",), False),
    "tmp_path": (_path, ("LAMBDA_LIFECYCLE_TMP_PATH",), "/tmp"),
    # None: the size of the file system holding tmp_path (Lambda's /tmp is one of its own). A
    # number: tmp_path is a simulated /tmp of that many MB (local runs, tests, the demo), whose
    # use is what its files take, not what the host's disk holds.
    "tmp_size_mb": (_auto_megabytes, ("LAMBDA_LIFECYCLE_TMP_SIZE_MB",), None),
    "proactive_init_threshold_ms": (_milliseconds, ("LAMBDA_LIFECYCLE_PROACTIVE_INIT_THRESHOLD_MS",), 10_000.0),
    # None: max(200 ms, 3 % of the time the invocation had); 0: no timeout warning.
    "timeout_warning_ms": (_margin, ("LAMBDA_LIFECYCLE_TIMEOUT_WARNING_MS",), None),
    # PROCESS_SETTINGS, so bootstrap() and the environment only:
    # None: only inside Lambda (AWS_LAMBDA_RUNTIME_API set).
    "handle_sigterm": (_auto_flag, ("LAMBDA_LIFECYCLE_HANDLE_SIGTERM",), None),
    "shutdown_extension": (_flag, ("LAMBDA_LIFECYCLE_SHUTDOWN_EXTENSION",), True),
    # None: what fits the runtime's share of Lambda's shutdown window (see _shutdown).
    "shutdown_budget_ms": (_auto_milliseconds, ("LAMBDA_LIFECYCLE_SHUTDOWN_BUDGET_MS",), None),
    "run_atexit": (_flag, ("LAMBDA_LIFECYCLE_RUN_ATEXIT",), False),
    # False: FileDescriptors, Threads and TmpUsed (each a system call) at most once a second per
    # process, on the first invocation, and in timeout warnings (see _probes.Probes.usage).
    "usage_every_invocation": (_flag, ("LAMBDA_LIFECYCLE_USAGE_EVERY_INVOCATION",), False),
    # lambda_lifecycle.otel.integrate() at bootstrap() or the first decoration, for the zero-code
    # entry point and the layer; the OpenTelemetry API is imported only then.
    "otel": (_flag, ("LAMBDA_LIFECYCLE_OTEL",), False),
    # The init record (see _init_anatomy): on inside Lambda; its slowest imports, at least this
    # long (cumulative) and at most this many.
    "init_breakdown": (_flag, ("LAMBDA_LIFECYCLE_INIT_BREAKDOWN",), True),
    "init_imports_threshold_ms": (_milliseconds, ("LAMBDA_LIFECYCLE_INIT_IMPORTS_THRESHOLD_MS",), 5.0),
    "init_imports_max": (_count, ("LAMBDA_LIFECYCLE_INIT_IMPORTS_MAX",), 10),
}


VARIABLES = tuple(variable for _check, variables, _default in _TABLE.values() for variable in variables)
"""Every environment variable a setting is read from."""

HANDLER_SETTINGS = (
    "namespace",
    "service",
    "format",
    "metrics",
    "dimensions",
    "disabled",
    "tmp_path",
    "tmp_size_mb",
    "proactive_init_threshold_ms",
    "timeout_warning_ms",
)
"""Settings each decorated handler may have its own of: ``instrument()``, ``bootstrap()`` and the
environment all accept them. Every record a handler causes is written with its handler's values,
the shutdown record with those of the handler that served last (see ``_shutdown.shutdown``)."""

PROCESS_SETTINGS = (
    "handle_sigterm",
    "shutdown_extension",
    "shutdown_budget_ms",
    "run_atexit",
    "usage_every_invocation",
    "otel",
    "init_breakdown",
    "init_imports_threshold_ms",
    "init_imports_max",
)
"""Settings of the process as a whole (its signal handling, shutdown, integrations, init record):
``bootstrap()`` and the environment only, never ``instrument()``. The ``/tmp`` marker's directory
is process-wide too: it is the ``tmp_path`` of ``bootstrap()`` or the environment when the
lifecycle starts."""


class Settings:
    """The resolved settings one decorated handler runs with."""

    __slots__ = (*_TABLE, "dimension_names", "log_level", "memo")

    namespace: str
    service: str | None
    format: str
    metrics: tuple[str, ...]
    dimensions: tuple[tuple[str, str], ...]
    disabled: bool
    tmp_path: str
    tmp_size_mb: float | None
    proactive_init_threshold_ms: float
    timeout_warning_ms: float | None
    handle_sigterm: bool | None
    shutdown_extension: bool
    shutdown_budget_ms: float | None
    run_atexit: bool
    usage_every_invocation: bool
    otel: bool
    init_breakdown: bool
    init_imports_threshold_ms: float
    init_imports_max: int
    dimension_names: tuple[str, ...]
    log_level: str | None
    memo: dict[object, str]
    """Parts of record lines that follow from these settings, made once (``_record``)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        for name in _TABLE:
            setattr(self, name, values[name])
        self.dimension_names = dimension_names(self.service, tuple(key for key, _ in self.dimensions))
        self.log_level = _kept_level()
        self.memo = {}

    def __repr__(self) -> str:
        return "Settings(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in _TABLE) + ")"


def _kept_level() -> str | None:
    """The ``level`` a record needs so that Lambda's log-level filtering keeps it, or ``None``.

    With the JSON log format, Lambda reads a stdout line without a ``level`` as INFO and drops it
    when the application log level is WARN or above: records then carry that level.
    """
    environ = os.environ
    level = environ.get("AWS_LAMBDA_LOG_LEVEL", "").strip().upper()
    if environ.get("AWS_LAMBDA_LOG_FORMAT", "").strip().upper() == "JSON" and level in ("WARN", "ERROR", "FATAL"):
        return level
    return None


def check(**given: Any) -> dict[str, Any]:
    """Validate settings given in code; drop the ones left ``UNSET``. Raises ``ValueError``."""
    checked = {}
    for name, value in given.items():
        if value is not UNSET:
            try:
                checked[name] = _TABLE[name][0](value)
            except ValueError as exc:
                raise ValueError(f"lambda-lifecycle {name}: {exc}") from None
    return checked


def set_bootstrap(values: dict[str, Any]) -> None:
    """Record ``bootstrap()`` settings; decorated handlers pick them up on their next call.

    A later call that gives a setting another value than an earlier call gave it warns once:
    two modules each calling ``bootstrap()`` at import would otherwise replace each other's
    settings without a word.
    """
    given = RUNTIME.bootstrap
    changed = [
        f"{name} {given[name]!r} -> {value!r}" for name, value in values.items() if given.get(name, value) != value
    ]
    if changed:
        warn_once(
            "config.bootstrap_again",
            f"bootstrap() called again changes {', '.join(changed)}; the later values apply, also to handlers"
            " decorated already",
        )
    given.update(values)
    RUNTIME.generation += 1


def _from_environment(name: str) -> Any:
    check_value, variables, default = _TABLE[name]
    for variable in variables:
        raw = os.environ.get(variable)
        if raw is None or raw.strip() == "":
            continue
        try:
            return check_value(raw)
        except ValueError as exc:
            fallback = f"{variable}={_documented(name, default)}, the default"
            warn_once(f"config.{variable}", f"ignoring {variable}={raw!r}: {exc}; using {fallback}")
            return default
    return default


# Settings whose None default means "decided at run time", spelled "auto" in the README.
_AUTO = frozenset({"timeout_warning_ms", "handle_sigterm", "shutdown_budget_ms", "tmp_size_mb"})


def _documented(name: str, default: object) -> str:
    """A default as the README and the environment variable spell it, not as Python repr()s it."""
    if default is None:
        return "auto" if name in _AUTO else "none"
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, float):
        return str(int(default)) if default.is_integer() else str(default)
    if isinstance(default, tuple):
        if not default:
            return "none"
        return ",".join(item if isinstance(item, str) else "=".join(map(str, item)) for item in default)
    return str(default)


def value(name: str, overrides: Mapping[str, Any]) -> Any:
    """One setting, by precedence."""
    if name in overrides:
        return overrides[name]
    given = RUNTIME.bootstrap
    if name in given:
        return given[name]
    return _from_environment(name)


def resolve(overrides: Mapping[str, Any]) -> Settings:
    """All settings for a handler decorated with ``overrides``."""
    return Settings({name: value(name, overrides) for name in _TABLE})
