"""``async def`` handlers: run to their end when the runtime client calls them, awaitable otherwise,
and a timeout warning's stack shows where they await."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import types

import pytest

from lambda_lifecycle import testing
from lambda_lifecycle._runtime import RUNTIME
from lambda_lifecycle.contract import KIND_KEY

APP = """
import asyncio, time
import lambda_lifecycle

@lambda_lifecycle.instrument
async def handler(event, context):
    if event.get("fail"):
        raise ValueError("async boom")
    if event.get("await_s"):
        await asyncio.sleep(event["await_s"])  # stuck here
    if event.get("block_s"):
        time.sleep(event["block_s"])  # blocking the loop
    return {"n": event.get("n"), "loop": id(asyncio.get_running_loop())}

@lambda_lifecycle.instrument
async def helper(event, context):
    return "helper"
"""


@pytest.fixture
def app(monkeypatch):
    """The module ``_HANDLER`` names (``async_app.handler``), imported as the runtime client does."""
    monkeypatch.setenv("_HANDLER", "async_app.handler")
    module = types.ModuleType("async_app")
    module.__file__ = "async_app.py"
    monkeypatch.setitem(sys.modules, "async_app", module)
    exec(compile(textwrap.dedent(APP), "async_app.py", "exec"), module.__dict__)
    yield module
    loop = RUNTIME.event_loop  # the process's; a test's process lives on after it
    if loop is not None:
        loop.close()
    asyncio.set_event_loop(None)


def test_the_handler_the_runtime_client_calls_is_run_to_its_end_on_one_loop(app, records):
    context = testing.LambdaContext()
    first, second = app.handler({"n": 1}, context), app.handler({"n": 2}, context)
    assert (first["n"], second["n"]) == (1, 2)  # results, not coroutines: the runtime can marshal them
    assert first["loop"] == second["loop"]  # one loop for the process: clients made on it stay usable
    assert [(r["invocation"], r["cold_start"]) for r in records] == [(1, True), (2, False)]


def test_its_exception_reaches_the_runtime_client_and_is_recorded(app, records):
    with pytest.raises(ValueError, match="async boom"):
        app.handler({"fail": True}, testing.LambdaContext())
    assert records[0]["error"] == "ValueError"


def test_awaited_from_async_code_or_not_named_it_stays_a_coroutine(app, records):
    context = testing.LambdaContext()

    async def main():
        return await app.handler({"n": 3}, context)

    assert asyncio.run(main())["n"] == 3  # a loop runs: the caller awaits
    coroutine = app.helper({}, context)  # not what _HANDLER names
    assert asyncio.iscoroutine(coroutine)
    assert asyncio.run(coroutine) == "helper"
    assert len(records) == 2


@pytest.mark.skipif(sys.version_info < (3, 12), reason="inspect.markcoroutinefunction is 3.12+")
def test_it_still_looks_like_a_coroutine_function(app):
    import inspect

    assert inspect.iscoroutinefunction(app.handler)


@pytest.mark.parametrize("called", ["by the runtime client", "from async code"])
def test_a_timeout_warning_shows_where_the_handler_awaits(app, records, called):
    context = testing.LambdaContext(timeout_s=0.5)
    if called == "by the runtime client":
        app.handler({"await_s": 0.6}, context)
    else:

        async def main():
            await app.handler({"await_s": 0.6}, context)

        asyncio.run(main())
    [warning] = [r for r in records if r[KIND_KEY] == "timeout_warning"]
    # Innermost first: asyncio's sleep, then the handler's own await, not the event loop's select.
    stack = warning["stack"]
    assert stack[0].endswith("in sleep: return await future")
    assert stack[1] == "async_app.py:10 in handler"  # the source of an exec'd module is not on disk
    assert not [line for line in stack if "select" in line or "lambda_lifecycle" in line]


def test_a_handler_blocking_its_loop_shows_the_blocking_line(app, records):
    app.handler({"block_s": 0.6}, testing.LambdaContext(timeout_s=0.5))
    [warning] = [r for r in records if r[KIND_KEY] == "timeout_warning"]
    assert warning["stack"][0] == "async_app.py:12 in handler"
