# The testing page includes this file: the pytest fixtures ``lifecycle`` and ``lambda_context``.


def test_lifecycle(lifecycle, lambda_context, handler_path):
    handler = lifecycle.load(handler_path)  # init: bootstrap(), on_shutdown hooks, the pool
    lifecycle.invoke(handler.lambda_handler, {"id": 1}, lambda_context)  # the cold start
    lifecycle.idle(600)  # ten minutes frozen, without sleeping
    lifecycle.write_tmp(100)  # 100 MB more in this environment's /tmp
    lifecycle.invoke(handler.lambda_handler, {"id": 2})  # a warm invocation, with a fresh context
    lifecycle.shutdown()  # Lambda's SIGTERM: on_shutdown hooks, the last record
    first, second = lifecycle.invocations
    assert first["cold_start"]
    assert second["IdleTime"] >= 600_000
    assert lifecycle.shutdowns[0]["hooks_run"] == 1
    assert lifecycle.shutdowns[0]["hooks_failed"] == 0
    assert handler.pool == {}  # close_pool ran


def test_without_pytest_fixtures(load_handler):
    # lambda_lifecycle.testing needs no pytest: the same in plain Python.
    from lambda_lifecycle import testing

    testing.reset(init_duration_ms=300)  # a new execution environment, then its init:
    handler = load_handler().lambda_handler
    with testing.capture() as records, testing.simulated_clock() as clock:
        handler({}, testing.LambdaContext())  # memory_limit_in_mb is a string, as in Lambda
        clock.advance(60)  # frozen for a minute, without sleeping
        handler({}, testing.LambdaContext())
    assert records[0]["cold_start"]
    assert records[1]["IdleTime"] >= 60_000
