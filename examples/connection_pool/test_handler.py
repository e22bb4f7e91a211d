from lambda_lifecycle import testing
from lambda_lifecycle.contract import KIND_KEY


def test_connections_are_made_once_and_do_not_leak(load_handler, monkeypatch, tmp_path):
    monkeypatch.setenv("DB_PATH", str(tmp_path / "orders.sqlite"))
    testing.reset()
    handler = load_handler()
    with testing.capture() as records:
        results = [handler.lambda_handler({"item": f"book-{n}"}, testing.LambdaContext()) for n in range(4)]
        testing.shutdown()  # what Lambda's SIGTERM does
    assert [r["orders"] for r in results] == [1, 2, 3, 4]
    assert {r["connects"] for r in results} == {2}  # the pool made at init, nothing more
    invokes, shutdown = records[:-1], records[-1]
    # The same descriptors on every warm invocation: no connection leaks.
    assert len({r["FileDescriptors"] for r in invokes[1:]}) == 1
    # At shutdown the hook closed every connection.
    assert handler.pool.connects == 0
    assert (shutdown[KIND_KEY], shutdown["hooks_run"], shutdown["hooks_failed"]) == ("shutdown", 1, 0)
