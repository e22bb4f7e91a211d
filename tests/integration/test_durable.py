"""Durable functions under the durable SDK's local test runner: one record per invocation of an
execution, replays told apart, outcomes unchanged."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from durable_input import EXECUTION_OP, lambda_input

import lambda_lifecycle
from lambda_lifecycle import testing

# The durable SDK and its local runner require Python 3.11; on 3.11+ a missing one is an error.
SDK = sys.version_info >= (3, 11)
needs_sdk = pytest.mark.skipif(not SDK, reason="aws-durable-execution-sdk-python needs Python >= 3.11")
if SDK:
    from aws_durable_execution_sdk_python import durable_execution
    from aws_durable_execution_sdk_python.config import Duration
    from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner


def counted(handler, invocations):
    """What the runner invokes, as Lambda would: count the invocations, pass everything through."""

    def invoke(event, context):
        invocations.append(event.durable_execution_arn)
        return handler(event, context)

    return invoke


def stack(order, func):
    if order == "instrument outside":
        return lambda_lifecycle.instrument(durable_execution(func))
    if order == "instrument inside":
        return durable_execution(lambda_lifecycle.instrument(func))
    if order == "instrument on both sides":
        return lambda_lifecycle.instrument(durable_execution(lambda_lifecycle.instrument(func)))
    return durable_execution(func)


def run(handler, payload):
    invocations = []
    with testing.capture() as records, DurableFunctionTestRunner(handler=counted(handler, invocations)) as runner:
        arn = runner.run_async(input=json.dumps(payload), execution_timeout=30)
        result = runner.wait_for_result(arn, timeout=30)
    return arn, result, invocations, records


def workflow(seen):
    def order(event, context):
        seen.append(context.is_replaying())  # the SDK's own verdict, before any operation
        total = context.step(lambda _: event["amount"], name="price")
        context.wait(Duration.from_seconds(60), name="cool-off")
        total += context.step(lambda _: 5, name="shipping")
        context.wait(Duration.from_seconds(60), name="dispatch")
        if event.get("fail"):
            raise ValueError("out of stock")
        return {"total": total}

    return order


ORDERS = ["instrument outside", "instrument inside", "instrument on both sides"]


@needs_sdk
@pytest.mark.parametrize("order", ORDERS)
def test_each_invocation_of_an_execution_is_one_record_with_the_execution_and_replay(order):
    seen = []
    arn, result, invocations, records = run(stack(order, workflow(seen)), {"amount": 10})
    assert json.loads(result.result) == {"total": 15}
    assert len(invocations) == 3  # the first, then one after each wait
    assert len(records) == len(invocations)
    assert [r["durable_execution_id"] for r in records] == [arn] * 3
    assert [r["replayed"] for r in records] == [False, True, True] == seen
    assert [r["invocation"] for r in records] == [1, 2, 3]
    assert [r.get("error") for r in records] == [None] * 3  # a suspension for a wait is not an error
    # Inside, the Lambda context is read out of the SDK's DurableContext.
    assert {r["request_id"] for r in records} == {"test-invoke-12345"}


@needs_sdk
@pytest.mark.parametrize("order", ORDERS)
def test_the_outcome_and_the_error_are_the_same_as_without_instrument(order):
    _, bare, bare_invocations, _ = run(stack("bare", workflow([])), {"amount": 1, "fail": True})
    _, result, invocations, records = run(stack(order, workflow([])), {"amount": 1, "fail": True})
    assert (result.status, result.result) == (bare.status, bare.result)
    assert (
        (result.error.type, result.error.message)
        == (bare.error.type, bare.error.message)
        == (
            "ValueError",
            "out of stock",
        )
    )
    assert len(records) == len(invocations) == len(bare_invocations) == 3
    # What raised: the function inside; the handler Lambda calls returns a FAILED status instead.
    last_error = "ValueError" if order == "instrument inside" else None  # both sides: the outer one records
    assert [r.get("error") for r in records] == [None, None, last_error]


def test_the_handler_side_never_imports_the_durable_sdk():
    code = (
        "import sys, lambda_lifecycle\n"
        "handler = lambda_lifecycle.instrument(lambda event, context: None)\n"
        f"handler({lambda_input(EXECUTION_OP)!r}, None)\n"
        "print(sorted(name for name in sys.modules if name.startswith('aws_durable')), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip() == "[]"
