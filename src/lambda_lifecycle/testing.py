"""Drive instrumented handlers locally: a realistic context, captured records, simulated time.

Plain Python, no pytest needed:

    from lambda_lifecycle import testing

    testing.reset()                       # as if in a new execution environment
    with testing.capture() as records, testing.simulated_clock() as clock:
        handler({}, testing.LambdaContext())
        clock.advance(60)                 # the environment sits frozen for a minute
        handler({}, testing.LambdaContext())
    assert records[0]["cold_start"] and records[1]["IdleTime"] >= 60_000
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import os
import sys
import tempfile
import time

from . import _emit, _shutdown, _state, _warnings
from ._runtime import RUNTIME
from .contract import INVOKE, SHUTDOWN, TIMEOUT_WARNING
from .records import of_kind, record_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import ModuleType, TracebackType
    from typing import Any

__all__ = ["Clock", "LambdaContext", "Lifecycle", "capture", "parse", "reset", "shutdown", "simulated_clock"]


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


def parse(line: str) -> dict[str, object]:
    """One written record line (any format) back into a dict, as the contract reads it.

    Args:
        line: a line as the SDK writes it: EMF or plain JSON, or with the ``METRICS: `` prefix.

    Returns:
        The record, with the usual values a line leaves out filled in
        (``lambda_lifecycle.contract.ABSENT``: ``cold_start`` false, ``init_type`` on-demand...).

    Raises:
        ValueError: the line is not a record (a function's own JSON log line is not one, even
            with ``"event": "invoke"``).
    """
    record = record_of(line)
    if record is None:
        raise ValueError(f"not a lambda-lifecycle record: {line.strip()[:80]!r}")
    return record


@contextlib.contextmanager
def capture(*, echo: bool = False) -> Iterator[list[dict[str, object]]]:
    """Collect the records instrumented handlers write, parsed, instead of printing them.

    Records an integration published instead of writing them (``powertools.integrate(metrics=)``)
    are collected too, as the record the SDK made.

    Args:
        echo: print the written lines as well.

    Yields:
        The list the records are appended to, in the order they are made.
    """
    records: list[dict[str, object]] = []
    write, collect = RUNTIME.write, RUNTIME.collect

    def collect_line(line: str) -> None:
        records.append(parse(line))
        if echo:
            (write or _emit.write_line)(line)

    RUNTIME.redirect(collect_line, records)
    try:
        yield records
    finally:
        RUNTIME.redirect(write, collect)


class Clock:
    """The lifecycle's wall clock, which ``advance()`` moves forward without sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass, e.g. the time an environment sits frozen between invocations.

        Args:
            seconds: how far the clock jumps.
        """
        self.offset += seconds


@contextlib.contextmanager
def simulated_clock(clock: Clock | None = None) -> Iterator[Clock]:
    """Replace the lifecycle's clock with a ``Clock`` for the duration of the block.

    Args:
        clock: the clock to use (a subclass may stand still between ``advance()`` calls, so that
            the test's own running time stays out of ``IdleTime``); a new ``Clock`` by default.

    Yields:
        The clock, to ``advance()``.
    """
    clock = Clock() if clock is None else clock
    real = RUNTIME.clock
    RUNTIME.use_clock(clock)
    try:
        yield clock
    finally:
        RUNTIME.use_clock(real)


def reset(*, init_duration_ms: float = 0.0) -> None:
    """Start a new simulated execution environment.

    The new process began ``init_duration_ms`` ago and its handlers are ready now, so the next
    invocation is its first. ``bootstrap()`` settings, ``on_shutdown`` hooks and
    ``powertools.integrate()`` are forgotten (as a new environment's import has not run yet), the
    environment variables are read again (set ``AWS_LAMBDA_INITIALIZATION_TYPE`` before calling
    this), and every warning may fire again.

    Args:
        init_duration_ms: how long the new process's init took.

    A simulated environment writes no shutdown record when the interpreter exits; call
    ``shutdown()`` to end it.
    """
    _reset(init_duration_ms, count_dropped=True)


class _Forgotten:
    """How many ``on_shutdown`` hooks the last counted reset dropped: registered outside the
    simulated environment (at import of a handler module), so ``shutdown()`` can say why none ran."""

    __slots__ = ("hooks",)

    def __init__(self) -> None:
        self.hooks = 0


_FORGOTTEN = _Forgotten()
_load_count = itertools.count()
_LOADED = "_lambda_lifecycle_load_"  # the prefix of the modules Lifecycle.load() imports


def _reset(init_duration_ms: float, *, count_dropped: bool) -> None:
    # count_dropped: False where the hooks dropped now were registered inside a Lifecycle's
    # block, not at import, and so are not forgotten ones.
    now = RUNTIME.clock()
    hooks = RUNTIME.shutdown.hooks
    dropped = [f for f, _, _ in hooks if not (getattr(f, "__module__", None) or "").startswith(_LOADED)]
    RUNTIME.reset(simulated=(now - init_duration_ms / 1000, now))
    if count_dropped:
        _FORGOTTEN.hooks = len(dropped)


def shutdown(reason: str = "SIGTERM") -> None:
    """End the simulated environment as Lambda does: run the ``on_shutdown`` hooks, within the
    budget, and write the shutdown record (captured by ``capture()``). The process goes on.

    With no hooks registered while ``reset()`` dropped some (a handler module imported before
    the simulated environment began), a ``LifecycleWarning`` says so: import the module inside
    the environment, with ``Lifecycle.load()``.

    Args:
        reason: the shutdown record's ``reason``.
    """
    if not RUNTIME.shutdown.hooks and _FORGOTTEN.hooks:
        _warnings.warn_once(
            "testing.forgotten_hooks",
            f"no on_shutdown hooks ran: the {_FORGOTTEN.hooks} registered when the "
            "handler module was imported were forgotten when the simulated environment began; "
            'import it inside the environment with lifecycle.load("handler.py")',
        )
    _shutdown.shutdown(reason)


def _is_path(target: str) -> bool:
    return target.endswith(".py") or os.sep in target or "/" in target


def _locate(target: str, caller: str | None) -> str:
    """A file target as an absolute path: relative to the working directory, else to the
    directory of the file that asked (a test next to its handler works from any directory)."""
    if not _is_path(target) or os.path.isabs(target) or os.path.exists(target) or caller is None:
        return target
    beside = os.path.join(os.path.dirname(os.path.abspath(caller)), target)
    return beside if os.path.exists(beside) else target


def _import_fresh(target: str) -> ModuleType:
    """A new module object for ``target`` (a ``.py`` path or a dotted module name), executed now."""
    if _is_path(target):
        location = os.path.abspath(target)
        if not os.path.exists(location):
            raise FileNotFoundError(f"lambda-lifecycle load: no file {target!r} (from {os.getcwd()!r})")
        stem = os.path.splitext(os.path.basename(location))[0]
        spec = importlib.util.spec_from_file_location(f"{_LOADED}{next(_load_count)}_{stem}", location)
    else:
        found = importlib.util.find_spec(target)
        if found is None or found.origin is None:
            raise ModuleNotFoundError(f"lambda-lifecycle load: no module named {target!r}", name=target)
        name = f"{_LOADED}{next(_load_count)}_{target.replace('.', '_')}"
        spec = importlib.util.spec_from_file_location(name, found.origin)
    if spec is None or spec.loader is None:
        raise ImportError(f"lambda-lifecycle load: cannot import {target!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(spec.name, None)
        raise
    return module


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
        _reset(0.0, count_dropped=False)  # the hooks registered inside the block are not forgotten ones
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
        _reset(
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
        return self._import(key, _locate(key, sys._getframe(1).f_globals.get("__file__")))

    def _import(self, key: str, location: str) -> ModuleType:
        module = _import_fresh(location)
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
