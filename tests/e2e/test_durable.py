"""Durable functions under the real runtime client, with Lambda's own JSON payloads."""

from __future__ import annotations

import json
import sys

import pytest

from lambda_lifecycle.contract import KIND_KEY
from lambda_lifecycle.local.runtime_api import RuntimeAPI, lambda_environment, records, start_runtime

# The durable SDK and its local runner require Python 3.11; on 3.11+ a missing one is an error.
SDK = sys.version_info >= (3, 11)
needs_sdk = pytest.mark.skipif(not SDK, reason="aws-durable-execution-sdk-python needs Python >= 3.11")
if SDK:
    from aws_durable_execution_sdk_python import durable_execution
    from aws_durable_execution_sdk_python.config import Duration
    from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner


# The durable SDK in the runtime: the boto3 client it would checkpoint through is a stand-in that
# accepts every checkpoint, so nothing leaves the machine.
DURABLE_APP = """
import json

from aws_durable_execution_sdk_python import durable_execution
from aws_durable_execution_sdk_python.config import Duration

import lambda_lifecycle


class Checkpoints:
    STATUS = {"START": "STARTED", "SUCCEED": "SUCCEEDED"}

    def checkpoint_durable_execution(self, **request):
        # The service's answer: each update applied, as the operation it is now.
        operations = []
        for update in request["Updates"]:
            operation = {key: update[key] for key in ("Id", "Type", "Name", "SubType", "ParentId") if key in update}
            operation["Status"] = self.STATUS[update["Action"]]
            if update["Type"] == "STEP" and "Payload" in update:
                operation["StepDetails"] = {"Result": update["Payload"]}
            operations.append(operation)
        return {"CheckpointToken": request["CheckpointToken"] + "+", "NewExecutionState": {"Operations": operations}}


def order(event, context):
    total = context.step(lambda _: event["amount"], name="price")
    context.wait(Duration.from_seconds(60), name="cool-off")
    return {"total": total}


outside = lambda_lifecycle.instrument(durable_execution(boto3_client=Checkpoints())(order))
inside = durable_execution(boto3_client=Checkpoints())(lambda_lifecycle.instrument(order))
"""


def price_then_wait(event, context):
    # DURABLE_APP's order, operation for operation: the payloads' operation ids must be its.
    total = context.step(lambda _: event["amount"], name="price")
    context.wait(Duration.from_seconds(60), name="cool-off")
    return {"total": total}


def lambda_payloads():
    """What Lambda sends for each invocation of one execution of ``price_then_wait``: the local
    runner's inputs, serialised by the SDK's own ``to_json_dict``."""
    payloads = []

    def record(event, context):
        payloads.append(json.loads(json.dumps(event.to_json_dict())))
        return handler(event, context)

    handler = durable_execution(price_then_wait)
    with DurableFunctionTestRunner(handler=record) as runner:
        runner.run(input=json.dumps({"amount": 12}), execution_timeout=30)
    return payloads


@needs_sdk
@pytest.mark.parametrize("order", ["outside", "inside"])
def test_under_the_runtime_client_the_records_follow_lambdas_payloads(order, tmp_path):
    payloads = lambda_payloads()
    assert len(payloads) == 2
    (tmp_path / "durable_app.py").write_text(DURABLE_APP)
    with RuntimeAPI() as api:
        process = start_runtime(tmp_path, f"durable_app.{order}", lambda_environment(api))
        try:
            for payload in payloads:
                api.invoke(payload)
            api.wait_done(2)
        finally:
            process.kill()
            stdout, stderr = process.communicate(timeout=30)
    assert [(i.outcome, i.body) for i in api.invocations] == [
        ("response", {"Status": "PENDING"}),
        ("response", {"Status": "SUCCEEDED", "Result": '{"total": 12}'}),
    ], stderr
    found = [r for r in records(stdout) if r[KIND_KEY] == "invoke"]
    arn = payloads[0]["DurableExecutionArn"]
    assert [(r["durable_execution_id"], r["replayed"], r.get("error")) for r in found] == [
        (arn, False, None),
        (arn, True, None),
    ], stdout + stderr
    assert [r["request_id"] for r in found] == [i.request_id for i in api.invocations]
