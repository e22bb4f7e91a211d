import json

from lambda_lifecycle import testing


def test_config_is_loaded_once_per_environment(load_handler, monkeypatch):
    monkeypatch.setenv("CURRENCY", "USD")
    testing.reset()
    handler = load_handler()
    with testing.capture() as records:
        bodies = [json.loads(handler.lambda_handler({"amount": a}, testing.LambdaContext())["body"]) for a in (10, 20)]
    assert bodies == [{"total": 12.1, "currency": "USD"}, {"total": 24.2, "currency": "USD"}]
    assert handler.loads == 1
    assert [r["cold_start"] for r in records] == [True, False]


def test_each_new_environment_loads_it_again(load_handler):
    loads = []
    for _ in range(2):
        testing.reset()
        handler = load_handler()
        with testing.capture():
            handler.lambda_handler({"amount": 1}, testing.LambdaContext())
            handler.lambda_handler({"amount": 1}, testing.LambdaContext())
        loads.append(handler.loads)
    assert loads == [1, 1]
