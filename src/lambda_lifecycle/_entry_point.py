"""Loading the function's handler named by ``LAMBDA_LIFECYCLE_HANDLER``, for ``lambda_lifecycle.handler``."""

from __future__ import annotations

import importlib
import os
import sys

from . import _init_anatomy, _state
from ._decorators import instrument, is_instrumented
from ._init_anatomy import ENTRY_POINT, VARIABLE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def load() -> Callable[..., Any]:
    """The handler ``LAMBDA_LIFECYCLE_HANDLER`` names, imported as the runtime client imports one, and
    instrumented. Raises what the runtime client would raise for it, so Lambda reports the same
    error type (``Runtime.ImportModuleError``, ``Runtime.HandlerNotFound``, ...)."""
    name = os.environ.get(VARIABLE, "").strip()
    if not name or name == ENTRY_POINT:
        said = "names this entry point" if name else "is not set"
        raise _malformed(
            f"Bad handler {ENTRY_POINT!r}: {VARIABLE} {said}; set it to the function's own handler (module.function)"
        )
    target = _runtime_client_loader()(name)
    already = is_instrumented(target)
    handler: Callable[..., Any] = instrument(target)
    if already:  # decorated in its module: init went on after that, until now
        _state.mark_handler_ready()
    _init_anatomy.stop()
    return handler


def _runtime_client_loader() -> Callable[[str], Any]:
    # The runtime client's own loader, which raises its own errors with the user's module named,
    # when it is the one running (it has imported itself by now); else one that behaves alike.
    bootstrap = sys.modules.get("awslambdaric.bootstrap")
    loader = getattr(bootstrap, "_get_handler", None)
    return loader if callable(loader) else _load


def _load(name: str) -> Any:
    module, _, function = name.rpartition(".")
    return getattr(importlib.import_module(module.replace("/", ".")), function)


def _malformed(message: str) -> Exception:
    exceptions = sys.modules.get("awslambdaric.lambda_runtime_exception")
    fault = getattr(exceptions, "FaultException", None)
    if fault is None:
        return ValueError(message)
    error: Exception = fault(fault.MALFORMED_HANDLER_NAME, message)
    return error
