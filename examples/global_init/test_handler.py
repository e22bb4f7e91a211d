import json

from lambda_lifecycle import testing


def test_init_runs_once_and_is_reused_while_warm(load_handler):
    testing.reset(init_duration_ms=180)
    handler = load_handler()
    with testing.capture() as records:
        bodies = [json.loads(handler.lambda_handler({}, testing.LambdaContext())["body"]) for _ in range(3)]
    assert [b["invocation"] for b in bodies] == [1, 2, 3]
    assert [b["cold_start"] for b in bodies] == [True, False, False]
    assert {b["init_runs"] for b in bodies} == {1}
    assert [r["cold_start"] for r in records] == [True, False, False]
    assert "InitDuration" in records[0]
    assert "InitDuration" not in records[1]
    assert {r["service"] for r in records} == {"greeter"}


def test_a_new_environment_initialises_again(load_handler):
    with testing.capture() as records:
        testing.reset()
        first = load_handler()
        first.lambda_handler({}, testing.LambdaContext())
        testing.reset()
        second = load_handler()
        second.lambda_handler({}, testing.LambdaContext())
    assert first.INITIALISED_AT <= second.INITIALISED_AT
    assert [(r["invocation"], r["cold_start"]) for r in records] == [(1, True), (1, True)]
    assert records[0]["container_id"] != records[1]["container_id"]
