"""@instrument on every kind of callable, with every kind of context, through every failure."""

from __future__ import annotations

import asyncio
import inspect
import io
import json
import sys
import threading
import traceback
from unittest import mock

import pytest

import lambda_lifecycle
from lambda_lifecycle import _record, testing
from lambda_lifecycle.contract import KIND_KEY

CONTEXT = testing.LambdaContext(function_name="orders", memory_limit_in_mb=256)


def test_bare_and_with_options(records):
    @lambda_lifecycle.instrument
    def bare(event, context):
        return 1

    @lambda_lifecycle.instrument()
    def empty(event, context):
        return 2

    @lambda_lifecycle.instrument(namespace="Shop", service="cart")
    def configured(event, context):
        return 3

    assert (bare({}, CONTEXT), empty({}, CONTEXT), configured({}, CONTEXT)) == (1, 2, 3)
    assert [r["_aws"]["CloudWatchMetrics"][0]["Namespace"] for r in records] == [
        "LambdaLifecycle",
        "LambdaLifecycle",
        "Shop",
    ]
    assert records[2]["service"] == "cart"
    assert [r["invocation"] for r in records] == [1, 2, 3]


def test_name_docstring_and_signature_are_kept():
    def lambda_handler(event: dict, context: object) -> dict:
        """Handle an order."""
        return event

    wrapped = lambda_lifecycle.instrument(lambda_handler)
    assert wrapped.__name__ == "lambda_handler"
    assert wrapped.__doc__ == "Handle an order."
    assert inspect.signature(wrapped) == inspect.signature(lambda_handler)
    assert wrapped.__wrapped__ is lambda_handler


def test_return_value_is_the_same_object(records):
    result = {"statusCode": 200}
    handler = lambda_lifecycle.instrument(lambda event, context: result)
    assert handler({}, CONTEXT) is result


def test_exception_is_the_same_object_with_its_traceback(records):
    error = KeyError("missing")

    @lambda_lifecycle.instrument
    def handler(event, context):
        raise error  # the line the traceback must point at

    with pytest.raises(KeyError) as caught:
        handler({}, CONTEXT)
    assert caught.value is error
    last = traceback.extract_tb(caught.value.__traceback__)[-1]
    assert (last.name, last.line) == ("handler", "raise error  # the line the traceback must point at")
    assert records[0]["error"] == "KeyError"


def test_base_exceptions_pass_through_too(records):
    @lambda_lifecycle.instrument
    def handler(event, context):
        raise SystemExit(3)

    with pytest.raises(SystemExit) as caught:
        handler({}, CONTEXT)
    assert caught.value.code == 3
    assert records[0]["error"] == "SystemExit"


class Handlers:
    def __init__(self) -> None:
        self.calls = 0

    @lambda_lifecycle.instrument
    def method(self, event, context):
        self.calls += 1
        return ("method", self.calls)

    @classmethod
    @lambda_lifecycle.instrument
    def class_outer(cls, event, context):
        return ("class_outer", cls.__name__)

    @lambda_lifecycle.instrument
    @classmethod
    def class_inner(cls, event, context):
        return ("class_inner", cls.__name__)

    @staticmethod
    @lambda_lifecycle.instrument
    def static(event, context):
        return ("static", event)


class CallableHandler:
    def __call__(self, event, context):
        return ("callable", event)


def test_methods_classmethods_staticmethods_and_callable_objects(records):
    handlers = Handlers()
    assert handlers.method({}, CONTEXT) == ("method", 1)
    assert Handlers.class_outer({}, CONTEXT) == ("class_outer", "Handlers")
    assert Handlers.class_inner({}, CONTEXT) == ("class_inner", "Handlers")
    assert Handlers.static(5, CONTEXT) == ("static", 5)
    assert lambda_lifecycle.instrument(CallableHandler())(7, CONTEXT) == ("callable", 7)
    # Every form finds the context, wherever the instance or class sits in the arguments.
    assert [r["function_name"] for r in records] == ["orders"] * 5
    assert [r["request_id"] for r in records] == [CONTEXT.aws_request_id] * 5
    assert [r["invocation"] for r in records] == [1, 2, 3, 4, 5]


def test_async_handler_is_measured_while_it_awaits(records):
    @lambda_lifecycle.instrument
    async def handler(event, context):
        await asyncio.sleep(0.05)
        return event["n"]

    class AsyncCallable:
        async def __call__(self, event, context):
            return "called"

    assert inspect.iscoroutinefunction(handler)
    assert asyncio.run(handler({"n": 4}, CONTEXT)) == 4
    assert asyncio.run(lambda_lifecycle.instrument(AsyncCallable())({}, CONTEXT)) == "called"
    assert records[0]["Duration"] >= 45  # the await, not just the creation of the coroutine
    assert [r["invocation"] for r in records] == [1, 2]


def test_async_exception_passes_through(records):
    @lambda_lifecycle.instrument
    async def handler(event, context):
        raise ValueError("async boom")

    with pytest.raises(ValueError, match="async boom"):
        asyncio.run(handler({}, CONTEXT))
    assert records[0]["error"] == "ValueError"


def test_concurrent_async_invocations_are_each_recorded(records):
    @lambda_lifecycle.instrument
    async def handler(event, context):
        await asyncio.sleep(0.01)
        return event

    async def main():
        return await asyncio.gather(*(handler(n, CONTEXT) for n in range(4)))

    assert asyncio.run(main()) == [0, 1, 2, 3]
    assert sorted(r["invocation"] for r in records) == [1, 2, 3, 4]


@pytest.mark.parametrize(
    "context",
    [
        None,
        {},
        {"aws_request_id": "from-dict", "function_name": "dict-fn", "memory_limit_in_mb": 128},
        mock.Mock(),
        mock.MagicMock(),
        object(),
        "not a context",
    ],
    ids=["none", "empty-dict", "dict", "mock", "magicmock", "object", "string"],
)
def test_odd_contexts_are_accepted(context, records):
    handler = lambda_lifecycle.instrument(lambda event, ctx: "ok")
    assert handler({}, context) == "ok"
    record = records[0]
    assert isinstance(record["function_name"], str)  # a dimension must be a string
    assert record["request_id"] is None or isinstance(record["request_id"], str)
    if isinstance(context, dict) and context:
        assert (record["request_id"], record["function_name"]) == ("from-dict", "dict-fn")
        assert "MemoryUsedPercent" in record
    else:  # no memory limit to be had (int() of a MagicMock is 1, which is no memory size)
        assert "MemoryUsedPercent" not in record


def test_context_as_keyword_and_missing_context(records):
    handler = lambda_lifecycle.instrument(lambda event, context=None: "ok")
    assert handler({}, context=CONTEXT) == "ok"
    assert handler({}) == "ok"
    assert records[0]["request_id"] == CONTEXT.aws_request_id
    assert records[1]["request_id"] is None


def test_an_event_that_raises_when_read_is_the_handlers_business():
    class Hostile(dict):
        def get(self, key, default=None):
            raise RuntimeError("nope")

    handler = lambda_lifecycle.instrument(lambda event, context: "ok")
    with testing.capture() as records, pytest.warns(lambda_lifecycle.LifecycleWarning, match="durable"):
        assert handler(Hostile(), CONTEXT) == "ok"
    assert records[0]["request_id"] == CONTEXT.aws_request_id


def test_context_whose_properties_raise():
    class Hostile:
        @property
        def aws_request_id(self):
            raise RuntimeError("nope")

    handler = lambda_lifecycle.instrument(lambda e, c: "ok")
    with testing.capture() as records, pytest.warns(lambda_lifecycle.LifecycleWarning, match="Lambda context") as w:
        assert handler({}, Hostile()) == "ok"
        assert handler({}, Hostile()) == "ok"
    assert len(w) == 1  # one warning, not one per invocation
    assert records[0]["request_id"] is None


@pytest.mark.parametrize(
    ("limit", "expected"),
    [("256", 256), (256, 256), ("abc", None), ("0", None), (True, None), (256.0, None), ("-5", None), ("²", None)],
)
def test_memory_limit_as_the_runtime_gives_it(limit, expected, records):
    handler = lambda_lifecycle.instrument(lambda e, c: None)
    handler({}, {"memory_limit_in_mb": limit})
    if expected:
        assert records[0]["MemoryUsedPercent"] == pytest.approx(100 * records[0]["MemoryUsed"] / expected, abs=0.3)
    else:
        assert "MemoryUsedPercent" not in records[0]


def test_memory_limit_falls_back_to_the_environment(monkeypatch, records):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "from-env")
    lambda_lifecycle.instrument(lambda e, c: None)({}, None)
    assert records[0]["function_name"] == "from-env"
    assert records[0]["MemoryUsedPercent"] == pytest.approx(100 * records[0]["MemoryUsed"] / 1024, abs=0.1)
    assert isinstance(records[0]["MemoryUsed"], int)  # whole MB, as Lambda's REPORT line


def test_trace_id_is_read_on_every_invocation(monkeypatch, records):
    handler = lambda_lifecycle.instrument(lambda e, c: None)
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-aaaa-1111;Parent=53995c3f42cd8ad8;Sampled=1")
    handler({}, CONTEXT)
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-bbbb-2222;Parent=53995c3f42cd8ad8;Sampled=0")
    handler({}, CONTEXT)
    monkeypatch.delenv("_X_AMZN_TRACE_ID")
    handler({}, CONTEXT)
    assert [r.get("xray_trace_id") for r in records] == ["1-aaaa-1111", "1-bbbb-2222", None]


def test_decorating_twice_counts_once(records):
    def handler(event, context):
        return "ok"

    once = lambda_lifecycle.instrument(handler)
    twice = lambda_lifecycle.instrument(once)
    assert twice is once
    assert twice({}, CONTEXT) == "ok"
    assert len(records) == 1


def test_nested_instrumented_calls_count_once(records):
    @lambda_lifecycle.instrument
    def inner(event, context):
        return "inner"

    def other_decorator(func):
        def wrapper(*args, **kwargs):
            return func(*args, **kwargs)

        return wrapper

    outer = lambda_lifecycle.instrument(other_decorator(inner))
    assert outer({}, CONTEXT) == "inner"
    assert inner({}, CONTEXT) == "inner"
    assert [r["invocation"] for r in records] == [1, 2]


def test_threads_share_one_counter(records):
    handler = lambda_lifecycle.instrument(lambda e, c: None)
    # Each call its own context, as each real invocation has its own request id.
    workers = [
        threading.Thread(target=lambda: [handler({}, testing.LambdaContext()) for _ in range(50)]) for _ in range(8)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(r["invocation"] for r in records) == list(range(1, 401))
    assert sum(r["cold_start"] for r in records) == 1


@pytest.mark.parametrize("how", ["env", "keyword", "bootstrap"])
def test_disabled_returns_the_handler_itself(how, monkeypatch, records):
    if how == "env":
        monkeypatch.setenv("LAMBDA_LIFECYCLE_DISABLED", "true")
    if how == "bootstrap":
        lambda_lifecycle.bootstrap(disabled=True)

    def handler(event, context):
        return "ok"

    result = (
        lambda_lifecycle.instrument(disabled=True)(handler)
        if how == "keyword"
        else lambda_lifecycle.instrument(handler)
    )
    assert result is handler
    assert result({}, CONTEXT) == "ok"
    assert records == []


def test_disabling_after_decoration_stops_the_records(records):
    handler = lambda_lifecycle.instrument(lambda e, c: "ok")
    handler({}, CONTEXT)
    lambda_lifecycle.bootstrap(disabled=True)
    assert handler({}, CONTEXT) == "ok"
    assert len(records) == 1


def test_sdk_failure_warns_once_and_leaves_the_handler_alone(monkeypatch, records):
    def broken(*args, **kwargs):
        raise RuntimeError("bug in the SDK")

    monkeypatch.setattr(_record, "invoke_body", broken)
    handler = lambda_lifecycle.instrument(lambda e, c: "ok")
    with pytest.warns(lambda_lifecycle.LifecycleWarning, match="bug in the SDK") as warned:
        assert [handler({}, CONTEXT) for _ in range(3)] == ["ok"] * 3
    assert len(warned) == 1
    assert records == []


def test_sdk_failure_before_the_handler_runs(monkeypatch):
    from lambda_lifecycle import _state

    monkeypatch.setattr(_state, "begin", lambda *a: 1 / 0)
    handler = lambda_lifecycle.instrument(lambda e, c: "ok")
    with pytest.warns(lambda_lifecycle.LifecycleWarning, match="ZeroDivisionError"):
        assert handler({}, CONTEXT) == "ok"


def test_sdk_failure_does_not_mask_the_handlers_exception(monkeypatch):
    monkeypatch.setattr(_record, "invoke_body", lambda *a, **k: 1 / 0)
    handler = lambda_lifecycle.instrument(lambda e, c: {}["missing"])
    with pytest.warns(lambda_lifecycle.LifecycleWarning), pytest.raises(KeyError) as caught:
        handler({}, CONTEXT)
    assert caught.value.__context__ is None


def test_closed_stdout_warns_once(monkeypatch):
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdout", closed)
    handler = lambda_lifecycle.instrument(lambda e, c: "ok")
    with pytest.warns(lambda_lifecycle.LifecycleWarning, match="stdout") as warned:
        assert [handler({}, CONTEXT) for _ in range(3)] == ["ok"] * 3
    assert len(warned) == 1


def test_warnings_as_errors_do_not_reach_the_handler(monkeypatch):
    import warnings

    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdout", closed)
    handler = lambda_lifecycle.instrument(lambda e, c: "ok")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert handler({}, CONTEXT) == "ok"


@pytest.mark.parametrize("runtime_client", [False, True], ids=["plain", "awslambdaric"])
def test_one_line_one_write_one_flush(runtime_client, capsys, monkeypatch):
    writes, flushes = [], []
    real = sys.stdout

    class Spy:
        def write(self, text):
            writes.append(text)
            return real.write(text)

        def flush(self):
            flushes.append(1)
            real.flush()

    if runtime_client:  # its stdout wrapper flushes on every write: no second flush is needed
        from awslambdaric.bootstrap import Unbuffered

        monkeypatch.setattr(sys, "stdout", Unbuffered(Spy()))
    else:
        monkeypatch.setattr(sys, "stdout", Spy())
    lambda_lifecycle.instrument(lambda e, c: None)({}, CONTEXT)
    assert len(writes) == 1
    assert writes[0].endswith("\n")
    assert writes[0].count("\n") == 1
    assert len(flushes) == 1


@pytest.mark.parametrize("how", ["pool", "thread"])
def test_instrumented_calls_from_the_handlers_own_threads_are_not_invocations(records, how):
    from concurrent.futures import ThreadPoolExecutor

    @lambda_lifecycle.instrument
    def inner(item, context=None):
        return item * 2

    @lambda_lifecycle.instrument
    def handler(event, context):
        if how == "pool":
            with ThreadPoolExecutor(max_workers=5) as pool:
                results = list(pool.map(lambda item: inner(item, context), range(5)))
        else:
            results = []
            threads = [threading.Thread(target=lambda i=i: results.append(inner(i))) for i in range(5)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        return sorted(results)

    assert handler({}, CONTEXT) == [0, 2, 4, 6, 8]
    [record] = records
    assert record[KIND_KEY] == "invoke"
    assert record["invocation"] == 1
    assert inner(3, CONTEXT) == 6  # and once the handler has ended, a call is an invocation again
    assert [r["invocation"] for r in records] == [1, 2]


class NonBlockingStdout(io.StringIO):
    """A stdout whose pipe is full for the first ``refusals`` writes (EAGAIN)."""

    def __init__(self, refusals: float) -> None:
        super().__init__()
        self.refusals = refusals

    def write(self, text: str) -> int:
        if self.refusals > 0:
            self.refusals -= 1
            raise BlockingIOError(11, "Resource temporarily unavailable", 0)
        return super().write(text)


def test_a_momentarily_full_non_blocking_stdout_still_gets_the_whole_record(monkeypatch):
    import json
    import warnings

    out = NonBlockingStdout(refusals=1)
    monkeypatch.setattr(sys, "stdout", out)
    handler = lambda_lifecycle.instrument(lambda e, c: "ok")
    with warnings.catch_warnings():
        warnings.simplefilter("error", lambda_lifecycle.LifecycleWarning)
        assert handler({}, CONTEXT) == "ok"
    [line] = out.getvalue().splitlines()
    assert json.loads(line)[KIND_KEY] == "invoke"


def test_a_non_blocking_stdout_that_stays_full_warns_once(monkeypatch):
    monkeypatch.setattr(sys, "stdout", NonBlockingStdout(refusals=float("inf")))
    handler = lambda_lifecycle.instrument(lambda e, c: "ok")
    with pytest.warns(lambda_lifecycle.LifecycleWarning, match="non-blocking") as warned:
        assert [handler({}, CONTEXT) for _ in range(3)] == ["ok"] * 3
    assert len(warned) == 1


@pytest.mark.parametrize("name", [" ", "fn\n", "fünction", "\x00"])
def test_a_function_name_cloudwatch_refuses_falls_back(name, monkeypatch, capsys):
    # function_name is a dimension: CloudWatch would drop every metric of the record.
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "from-env")
    lambda_lifecycle.instrument(lambda e, c: None)({}, {"function_name": name})
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME")
    lambda_lifecycle.instrument(lambda e, c: None)({}, {"function_name": name})
    names = [json.loads(line)["function_name"] for line in capsys.readouterr().out.splitlines()]
    assert names == ["from-env", "unknown"]


def test_a_method_called_with_its_event_only_does_not_read_the_event_as_the_context():
    class Service:
        @lambda_lifecycle.instrument
        def handle(self, event, context=None):
            return event

    event = {"function_name": "from-the-event", "aws_request_id": "event-rid"}
    with testing.capture() as records:
        assert Service().handle(event) is event
    assert records[0]["function_name"] != "from-the-event"
    assert records[0]["request_id"] is None


def test_a_deadline_of_an_unusual_number_type_is_not_watched_and_the_call_is_recorded():
    from decimal import Decimal

    class Context(testing.LambdaContext):
        def get_remaining_time_in_millis(self):
            return Decimal(3000)

    handler = lambda_lifecycle.instrument(lambda event, context: "ran")
    with testing.capture() as records:
        assert handler({}, Context()) == "ran"
        assert handler({}, testing.LambdaContext()) == "ran"
    assert [r["invocation"] for r in records] == [1, 2]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="inspect.markcoroutinefunction is 3.12+")
def test_a_function_marked_as_a_coroutine_function_stays_one():
    import inspect

    async def work(event, context):
        return "done"

    def handler(event, context):
        return work(event, context)

    inspect.markcoroutinefunction(handler)
    instrumented = lambda_lifecycle.instrument(handler)
    assert inspect.iscoroutinefunction(instrumented)
