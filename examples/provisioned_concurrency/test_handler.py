import pytest


@pytest.mark.parametrize(("init_type", "cold"), [("provisioned-concurrency", False), ("on-demand", True)])
def test_provisioned_environments_never_cold_start_but_report_init(handler_path, lifecycle, init_type, cold):
    lifecycle.load(handler_path)
    lifecycle.new_environment(init_type=init_type, init_duration_ms=2500)  # a 2.5 s init: imported again
    handler = lifecycle.module(handler_path)  # the new environment's module
    first = lifecycle.invoke(handler.lambda_handler, {"word": "lambda"})
    lifecycle.invoke(handler.lambda_handler, {"word": "lifecycle"})
    assert first == {"score": 6, "init_type": init_type, "cold": cold}
    records = lifecycle.invocations
    assert [r["cold_start"] for r in records] == [cold, False]
    assert records[0]["InitDuration"] >= 2500  # reported either way: size provisioned concurrency with it
