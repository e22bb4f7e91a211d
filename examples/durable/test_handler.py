import json
import sys

import pytest

if sys.version_info < (3, 11):
    pytest.skip("aws-durable-execution-sdk-python needs Python >= 3.11", allow_module_level=True)

from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner


@pytest.mark.parametrize("name", ["lambda_handler", "lambda_handler_inside"])
def test_the_replay_after_the_wait_is_not_a_new_order(lifecycle, handler_path, name):
    handler = lifecycle.load(handler_path)
    with DurableFunctionTestRunner(handler=getattr(handler, name)) as runner:
        result = runner.run(input=json.dumps({"order_id": 42, "amount": 30}))
    assert json.loads(result.result) == {"order_id": 42, "reservation": "r-42", "charged": 30}
    assert handler.reservations == 1  # the second invocation replayed it from its checkpoint
    first, after_the_wait = lifecycle.invocations
    assert first["durable_execution_id"] == after_the_wait["durable_execution_id"]
    assert (first["replayed"], after_the_wait["replayed"]) == (False, True)
    assert (first["cold_start"], after_the_wait["cold_start"]) == (True, False)
