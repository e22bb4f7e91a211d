# The testing page includes this file: the pytest fixtures ``lifecycle`` and ``lambda_context``.
from pathlib import Path

HANDLER = Path(__file__).with_name("handler.py")  # the handler next to this test, wherever pytest runs


def test_lifecycle(lifecycle, lambda_context):
    handler = lifecycle.load(HANDLER)  # init: bootstrap(), on_shutdown hooks, the pool
    lifecycle.invoke(handler.lambda_handler, {"id": 1}, lambda_context)  # the cold start
    lifecycle.idle(600)  # ten minutes frozen, without sleeping
    lifecycle.write_tmp(100)  # 100 MB more in this environment's /tmp
    lifecycle.invoke(handler.lambda_handler, {"id": 2})  # a warm invocation, with a fresh context
    lifecycle.shutdown()  # Lambda's SIGTERM: on_shutdown hooks, the last record
    first, second = lifecycle.invocations
    assert first["cold_start"]
    assert first["service"] == second["service"] == "orders"  # bootstrap(service=...) at init
    assert second["IdleTime"] >= 600_000
    assert lifecycle.shutdowns[0]["hooks_run"] == 1
    assert lifecycle.shutdowns[0]["hooks_failed"] == 0
    assert handler.pool == {}  # close_pool ran


def test_without_pytest_fixtures():
    # lambda_lifecycle.testing needs no pytest: the fixture's class is a context manager.
    from lambda_lifecycle import testing

    with testing.Lifecycle(init_duration_ms=300) as lifecycle:  # a new execution environment
        handler = lifecycle.load(HANDLER).lambda_handler  # its init
        handler({}, testing.LambdaContext())  # memory_limit_in_mb is a string, as in Lambda
        lifecycle.idle(60)  # frozen for a minute, without sleeping
        handler({}, testing.LambdaContext())
    first, second = lifecycle.invocations
    assert first["cold_start"]
    assert first["InitDuration"] >= 300
    assert second["IdleTime"] >= 60_000
