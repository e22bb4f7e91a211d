"""``Lifecycle``: an execution environment's life, simulated around instrumented handlers."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

from .. import _state
from ..contract import INVOKE, SHUTDOWN, TIMEOUT_WARNING
from ..records import of_kind
from ._capture import capture
from ._clock import Clock, simulated_clock
from ._environment import restart, shutdown
from ._fresh_import import import_fresh, locate
from ._lambda_context import LambdaContext

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType, TracebackType
    from typing import Any


class Lifecycle:
    """An execution environment's life, simulated around your instrumented handlers.

    Use it as a context manager (the pytest fixture ``lifecycle`` is one, already entered):

        with testing.Lifecycle(init_duration_ms=300) as lifecycle:
            lifecycle.invoke(handler, {"id": 1})   # the cold start
            lifecycle.idle(600)                    # ten minutes frozen, without sleeping
            lifecycle.write_tmp(100)               # the handler's files fill /tmp
            lifecycle.invoke(handler, {"id": 2})
            lifecycle.shutdown()                   # Lambda's SIGTERM: hooks run, last record
        assert lifecycle.invocations[1]["IdleTime"] >= 600_000

    A handler module's own init (module-level ``bootstrap()``, ``@on_shutdown`` hooks, clients)
    belongs to an environment: import it inside with ``load()``, not at the top of the test
    file, or the environment starts without its settings and hooks:

        handler = lifecycle.load("handler.py")     # or a module name, "app.handler"
        lifecycle.invoke(handler.lambda_handler)
        lifecycle.new_environment()                # imports it again: a new init
        handler = lifecycle.module("handler.py")   # the new environment's module

    ``records`` holds every record written inside the block, parsed; ``invocations``,
    ``timeout_warnings`` and ``shutdowns`` hold each kind. ``/tmp`` is ``tmp_dir`` (a new
    temporary directory by default, also ``tempfile``'s), through ``LAMBDA_LIFECYCLE_TMP_PATH``, measured as Lambda's
    ephemeral storage of ``tmp_size_mb`` (``LAMBDA_LIFECYCLE_TMP_SIZE_MB``): ``TmpUsed`` is what
    its files take, not what the host's disk holds. The environment variables set here are
    restored on exit, and the SDK's state is reset.

    Args:
        init_type: the environment's ``AWS_LAMBDA_INITIALIZATION_TYPE``.
        init_duration_ms: how long its init took.
        tmp_dir: its ``/tmp`` (default: a new temporary directory, removed on exit).
        tmp_size_mb: the size of that ``/tmp``: Lambda's ephemeral storage, 512 MB by default.
    """

    def __init__(
        self,
        *,
        init_type: str = "on-demand",
        init_duration_ms: float = 0.0,
        tmp_dir: str | None = None,
        tmp_size_mb: float = 512,
    ) -> None:
        self.init_type = init_type
        self.tmp_size_mb = tmp_size_mb
        self.init_duration_ms = init_duration_ms
        self.tmp_dir = tmp_dir
        self.records: list[dict[str, object]] = []
        self._stack = contextlib.ExitStack()
        self._saved_env: dict[str, str | None] = {}
        self._clock: Clock | None = None
        self._written: list[str] = []
        self._modules: dict[str, ModuleType] = {}  # target -> its module in this environment
        self._locations: dict[str, str] = {}  # target -> what is imported for it
        self._module_names: list[str] = []  # every sys.modules entry made, removed on exit
        self._entered = False

    def __enter__(self) -> Lifecycle:
        if self.tmp_dir is None:
            self.tmp_dir = self._stack.enter_context(tempfile.TemporaryDirectory(prefix="lambda-tmp-"))
        self._set_env("LAMBDA_LIFECYCLE_TMP_PATH", self.tmp_dir)
        self._set_env("LAMBDA_LIFECYCLE_TMP_SIZE_MB", str(self.tmp_size_mb))
        # tempfile's /tmp too, as in Lambda: what a handler writes there is the environment's.
        self._set_env("TMPDIR", self.tmp_dir)
        self._stack.callback(setattr, tempfile, "tempdir", tempfile.tempdir)
        tempfile.tempdir = self.tmp_dir
        self._clock = self._stack.enter_context(simulated_clock())
        self.records = self._stack.enter_context(capture())
        self.new_environment(init_type=self.init_type, init_duration_ms=self.init_duration_ms)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        restart(0.0, count_dropped=False)  # the hooks registered inside the block are not forgotten ones
        for name in self._module_names:
            sys.modules.pop(name, None)
        self._module_names.clear()
        self._modules.clear()
        self._locations.clear()
        self._entered = False
        self._stack.close()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()

    def _set_env(self, name: str, value: str) -> None:
        self._saved_env.setdefault(name, os.environ.get(name))
        os.environ[name] = value

    def new_environment(self, *, init_type: str | None = None, init_duration_ms: float | None = None) -> None:
        """Start a new execution environment (its handlers are ready now); the next invocation is
        its first. ``init_type`` is any ``AWS_LAMBDA_INITIALIZATION_TYPE``. Its ``/tmp`` no longer
        holds what ``write_tmp()`` wrote for the previous one.

        Every module ``load()`` imported is imported again, fresh, in the new environment (its
        module-level ``bootstrap()`` and ``on_shutdown`` hooks run again); get the new module
        with ``module()``: the one you hold belongs to the previous environment.

        Args:
            init_type: the new environment's init type (default: the one before).
            init_duration_ms: how long its init took (default: the ``Lifecycle``'s).
        """
        while self._written:
            with contextlib.suppress(OSError):
                os.remove(self._written.pop())
        if init_type is not None:
            self.init_type = init_type
        self._set_env("AWS_LAMBDA_INITIALIZATION_TYPE", self.init_type)
        restart(
            self.init_duration_ms if init_duration_ms is None else init_duration_ms,
            count_dropped=not self._entered,  # once entered, the hooks dropped were registered inside
        )
        self._entered = True
        for key, location in list(self._locations.items()):
            self._import(key, location)

    def load(self, target: str | os.PathLike[str]) -> ModuleType:
        """Import a handler module fresh in this environment, as Lambda's init does, and return it.

        ``target`` is a path to a ``.py`` file (relative to the working directory or, failing
        that, to the calling test file's directory) or a dotted module name (``"app.handler"``). Each
        call executes a new module object (under a unique name in ``sys.modules``, removed on
        exit), so its module-level code, ``bootstrap()`` and ``on_shutdown`` hooks included,
        runs in this simulated environment. Call it once per environment: ``new_environment()``
        imports every loaded module again, and ``module()`` returns the current one.

        Args:
            target: a ``.py`` path or a dotted module name.

        Returns:
            The new module.

        Raises:
            FileNotFoundError: no file at that path.
            ModuleNotFoundError: no module of that name.
            ImportError: ``target`` cannot be imported.
        """
        key = os.fspath(target)
        return self._import(key, locate(key, sys._getframe(1).f_globals.get("__file__")))

    def _import(self, key: str, location: str) -> ModuleType:
        module = import_fresh(location)
        self._modules[key] = module
        self._locations[key] = location
        self._module_names.append(module.__name__)
        return module

    def module(self, target: str | os.PathLike[str]) -> ModuleType:
        """The module ``load()`` imported for ``target`` in the current environment.

        Args:
            target: what was given to ``load()``.

        Returns:
            The module of the current environment.

        Raises:
            KeyError: ``target`` was never loaded.
        """
        return self._modules[os.fspath(target)]

    def invoke(self, handler: Callable[..., Any], event: object = None, context: object = None) -> Any:
        """Call ``handler(event, context)`` as Lambda would; its result or exception is yours.

        Args:
            handler: the instrumented handler.
            event: the event (default: an empty dict).
            context: the context (default: a new ``LambdaContext``).

        Returns:
            What the handler returned.
        """
        return handler({} if event is None else event, LambdaContext() if context is None else context)

    def idle(self, seconds: float) -> None:
        """Let the environment sit frozen for ``seconds`` (the lifecycle clock jumps; nothing sleeps).

        Args:
            seconds: how long it is frozen.
        """
        assert self._clock is not None, "use Lifecycle as a context manager"
        self._clock.advance(seconds)

    def write_tmp(self, megabytes: float, name: str | None = None) -> str:
        """Write a file of ``megabytes`` into the environment's ``/tmp``.

        Args:
            megabytes: its size.
            name: a prefix for its name.

        Returns:
            Its path; ``new_environment()`` removes it.
        """
        assert self.tmp_dir is not None, "use Lifecycle as a context manager"
        fd, path = tempfile.mkstemp(prefix=name or "tmp-growth-", dir=self.tmp_dir)
        with os.fdopen(fd, "wb") as f:
            left = int(megabytes * 1024 * 1024)
            while left:  # a chunk at a time: the file must not show as the process's peak memory
                chunk = min(left, 1024 * 1024)
                f.write(os.urandom(chunk))
                left -= chunk
            os.fsync(f.fileno())
        self._written.append(path)
        return path

    def restore(self) -> None:
        """A SnapStart restore of this environment's snapshot, as the runtime client runs it."""
        _state.restored()

    def shutdown(self, reason: str = "SIGTERM") -> None:
        """End the environment as Lambda does: the ``on_shutdown`` hooks run and the shutdown
        record is written; the test goes on.

        Args:
            reason: the shutdown record's ``reason``.
        """
        shutdown(reason)

    def _of(self, kind: str) -> list[dict[str, object]]:
        return list(of_kind(self.records, kind))

    @property
    def invocations(self) -> list[dict[str, object]]:
        """The invoke records so far."""
        return self._of(INVOKE)

    @property
    def timeout_warnings(self) -> list[dict[str, object]]:
        """The timeout_warning records so far."""
        return self._of(TIMEOUT_WARNING)

    @property
    def shutdowns(self) -> list[dict[str, object]]:
        """The shutdown records so far (one per environment that shut down)."""
        return self._of(SHUTDOWN)
