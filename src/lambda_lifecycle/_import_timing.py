"""How long each import of init takes, measured around the import system's own ``_find_and_load``.

The interpreter looks ``_find_and_load`` up on its import module (``importlib._bootstrap``) for
every import statement, ``importlib.import_module`` and ``__import__`` of a module that is not in
``sys.modules`` yet, exactly where ``python -X importtime`` measures. Standing in for that one
function changes nothing an import does: no finder, loader, path hook or ``sys.path`` entry is
added or wrapped (so ``__loader__``, ``__spec__.loader`` and what ``find_spec`` returns stay the
same), no lock is taken, nothing is traced or profiled, and builtins' ``__import__`` is left
alone. Only the thread that started the timing is measured; other threads' imports pass straight
through. A failure of the timing itself stops it and warns once; the import goes on unharmed.
"""

from __future__ import annotations

import sys
import time
from _thread import get_ident

from ._warnings import warn_once

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

# The interpreter's import module itself (what importlib re-exports as importlib._bootstrap),
# reached without importing importlib.
_IMPORTLIB: Any = sys.modules["_frozen_importlib"]
_perf_counter = time.perf_counter
# What CPython's import system and warnings module recognize as the import machinery's frames.
_MACHINERY_FILE = "<frozen importlib._bootstrap>"


class Import:
    """One module's import, as the thread that loads the handler did it. Times in seconds."""

    __slots__ = ("name", "parent", "start", "took", "nested", "by_sdk")

    def __init__(self, name: str, parent: int, start: float, by_sdk: bool = False) -> None:
        self.name = name
        self.by_sdk = by_sdk
        """Begun while the SDK was setting itself up (``ImportTimer.sdk_work``), not by the user's code."""
        self.parent = parent
        """Index of the import this one happened inside, or -1."""
        self.start = start
        self.took = -1.0
        """Cumulative: this module's code and every import inside it; -1 while it runs."""
        self.nested = 0.0
        """The cumulative time of the imports directly inside this one."""

    @property
    def own(self) -> float:
        """This module's own code: what it took without the imports inside it."""
        return self.took - self.nested

    def __repr__(self) -> str:
        return f"Import({self.name!r}, parent={self.parent}, took={self.took:.6f}, nested={self.nested:.6f})"


class ImportTimer:
    """Times the imports of one thread from ``start()`` until ``stop()``; ``imports`` in the
    order they began (a parent before the imports inside it)."""

    __slots__ = ("imports", "started_at", "sdk_work", "_thread", "_open", "_original", "_installed")

    def __init__(self) -> None:
        self.imports: list[Import] = []
        self.sdk_work = 0
        """Above 0 while the SDK sets itself up (decorating a handler): what it imports is its own."""
        self.started_at = 0.0
        self._thread = get_ident()
        self._open: list[int] = []
        self._original: Callable[[str, Any], Any] | None = None
        self._installed: Callable[[str, Any], Any] | None = None

    @property
    def running(self) -> bool:
        return self._installed is not None

    def start(self) -> bool:
        """Stand in for ``_find_and_load``; False, with nothing changed, where that cannot be done
        safely (another interpreter, or a signature this code was not written for)."""
        original = getattr(_IMPORTLIB, "_find_and_load", None)
        code = getattr(original, "__code__", None)
        if code is None or code.co_argcount != 2 or code.co_varnames[:2] != ("name", "import_"):
            return False
        self._original = original
        self._installed = _timed(self, original)  # type: ignore[arg-type]
        self.started_at = _perf_counter()
        _IMPORTLIB._find_and_load = self._installed
        return True

    def stop(self) -> None:
        """Give the import system its own function back. If something stood in for ours since,
        ours stays in its chain but measures nothing more."""
        installed, self._installed = self._installed, None
        if installed is not None and getattr(_IMPORTLIB, "_find_and_load", None) is installed:
            _IMPORTLIB._find_and_load = self._original

    def enter(self, name: str) -> int:
        """An import of ``name`` begins on the timed thread: its index, or -1 when not timed."""
        if self._installed is None or get_ident() != self._thread or name in sys.modules:
            return -1  # not ours, or a module another thread is loading: a wait, not an import
        opened = self._open
        index = len(self.imports)
        self.imports.append(Import(name, opened[-1] if opened else -1, _perf_counter(), self.sdk_work > 0))
        opened.append(index)
        return index

    def leave(self, index: int) -> None:
        """The import ``enter`` returned ``index`` for has ended, loaded or raised."""
        end = _perf_counter()
        imports = self.imports
        done = imports[index]
        done.took = end - done.start
        opened = self._open
        if opened and opened[-1] == index:
            opened.pop()
        if done.parent >= 0:
            imports[done.parent].nested += done.took

    def fail(self, exc: BaseException) -> None:
        """The timing itself failed: stop it, say so once, leave the imports alone."""
        self.stop()
        warn_once("init.imports", f"cannot time init's imports ({exc!r}); the init breakdown is off")


def _timed(timer: ImportTimer, find_and_load: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
    """``find_and_load`` measured by ``timer``."""

    def _find_and_load(name: str, import_: Any) -> Any:
        try:
            index = timer.enter(name)
        except Exception as exc:  # noqa: BLE001 - the timing must never fail an import
            timer.fail(exc)
            index = -1
        if index < 0:
            return find_and_load(name, import_)
        try:
            return find_and_load(name, import_)
        finally:
            try:
                timer.leave(index)
            except Exception as exc:  # noqa: BLE001 - nor change what the import returned or raised
                timer.fail(exc)

    # The import system's own frames are left out of what warnings point at (a module's
    # warnings.warn(..., stacklevel=2) names the file that imported it) and out of import
    # tracebacks; ours stands in for one of them, so it is named as one of them.
    _find_and_load.__code__ = _find_and_load.__code__.replace(co_filename=_MACHINERY_FILE)
    _find_and_load.__qualname__ = "_find_and_load"
    return _find_and_load
