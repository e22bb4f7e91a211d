"""Durable functions: records name the execution and tell a replay from its first invocation."""

from __future__ import annotations

import json
import subprocess
import sys
from unittest import mock

import pytest

import lambda_lifecycle
from lambda_lifecycle import _durable, contract, testing
from lambda_lifecycle.local.runtime_api import RuntimeAPI, lambda_environment, records, start_runtime

# The durable SDK and its local runner require Python 3.11; on 3.11+ a missing one is an error.
SDK = sys.version_info >= (3, 11)
needs_sdk = pytest.mark.skipif(not SDK, reason="aws-durable-execution-sdk-python needs Python >= 3.11")
if SDK:
    from aws_durable_execution_sdk_python import DurableContext, durable_execution
    from aws_durable_execution_sdk_python.config import Duration
    from aws_durable_execution_sdk_python.exceptions import SuspendExecution, TimedSuspendExecution
    from aws_durable_execution_sdk_python.execution import DurableExecutionInvocationInput, InitialExecutionState
    from aws_durable_execution_sdk_python.lambda_service import (
        ExecutionDetails,
        Operation,
        OperationStatus,
        OperationType,
    )
    from aws_durable_execution_sdk_python.plugin import PluginExecutor
    from aws_durable_execution_sdk_python.state import ExecutionState, ReplayStatus
    from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner

# The shape Lambda documents: arn:...:function:<name>:<version>/durable-execution/<name>/<id>.
ARN = "arn:aws:lambda:eu-west-1:123456789012:function:orders:7/durable-execution/order-42/5f0c6a1e"
EXECUTION_OP = {"Id": "5f0c6a1e", "Type": "EXECUTION", "Status": "STARTED", "ExecutionDetails": {"InputPayload": "{}"}}
STEP_OP = {"Id": "c4ca4238", "Type": "STEP", "Status": "SUCCEEDED", "Name": "charge"}


def lambda_input(*operations, next_marker=""):
    """Lambda's durable invocation input, as the runtime client hands it to the handler."""
    state = {"Operations": list(operations), "NextMarker": next_marker}
    return {"DurableExecutionArn": ARN, "CheckpointToken": "token-1", "InitialExecutionState": state}


# --- the detection, on the documented shapes -------------------------------------------------


@pytest.mark.parametrize("event", [{}, {"body": "{}", "httpMethod": "POST"}, None, "text", [1, 2], 3, object()])
@pytest.mark.parametrize("context", [testing.LambdaContext(), None, {"aws_request_id": "r"}])
def test_an_ordinary_invocation_is_not_durable_and_keeps_its_context(event, context):
    execution_id, replayed, kept = _durable.durable_facts(event, context)
    assert (execution_id, replayed) == (None, None)
    assert kept is context


def test_the_first_invocation_of_an_execution_replays_nothing():
    assert _durable.durable_facts(lambda_input(EXECUTION_OP), None) == (ARN, False, None)


def test_an_invocation_with_checkpointed_operations_replays():
    context = testing.LambdaContext()
    assert _durable.durable_facts(lambda_input(EXECUTION_OP, STEP_OP), context) == (ARN, True, context)


@pytest.mark.parametrize(
    ("operations", "replayed"),
    [
        ((EXECUTION_OP,), True),  # more pages after the execution's own operation: others exist
        ((), None),  # an empty first page (a large input): only the state API could tell
    ],
)
def test_a_paged_state_is_read_as_far_as_it_tells(operations, replayed):
    assert _durable.durable_facts(lambda_input(*operations, next_marker="m-2"), None)[:2] == (ARN, replayed)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"DurableExecutionArn": 42}, (None, None)),
        ({"DurableExecutionArn": ARN}, (ARN, None)),
        ({"DurableExecutionArn": ARN, "InitialExecutionState": {"Operations": "x"}}, (ARN, False)),
        ({"DurableExecutionArn": ARN, "InitialExecutionState": {"Operations": [None, 7]}}, (ARN, True)),
    ],
)
def test_odd_inputs_give_what_they_say_and_never_raise(event, expected):
    assert _durable.durable_facts(event, None)[:2] == expected


def test_an_object_named_like_the_sdks_context_but_not_it_is_not_durable():
    impostor = type("DurableContext", (), {})()
    assert _durable.durable_facts({}, impostor) == (None, None, impostor)


def test_an_exception_is_named_in_the_record_even_if_it_borrows_the_sdks_class_name():
    lookalike = type("SuspendExecution", (Exception,), {"__module__": "myapp.errors"})
    assert _durable.error_name(ValueError) == "ValueError"
    assert _durable.error_name(lookalike) == "SuspendExecution"


# --- the records ------------------------------------------------------------------------------


def test_ordinary_records_carry_no_durable_fields(records):
    handler = lambda_lifecycle.instrument(lambda event, context: "ok")
    assert handler({"DurableExecution": ARN}, testing.LambdaContext()) == "ok"
    assert not {"durable_execution_id", "replayed"} & set(records[0])


def test_a_durable_invocation_is_recorded_with_its_execution_and_replay(records):
    handler = lambda_lifecycle.instrument(lambda event, context: {"Status": "PENDING"})
    assert handler(lambda_input(EXECUTION_OP), testing.LambdaContext()) == {"Status": "PENDING"}
    assert handler(lambda_input(EXECUTION_OP, STEP_OP), testing.LambdaContext()) == {"Status": "PENDING"}
    assert [(r["durable_execution_id"], r["replayed"]) for r in records] == [(ARN, False), (ARN, True)]


def test_the_execution_id_is_bounded_like_other_copied_fields(records):
    long_arn = ARN + "x" * 1000
    lambda_lifecycle.instrument(lambda event, context: None)(
        {"DurableExecutionArn": long_arn, "InitialExecutionState": {"Operations": []}}, testing.LambdaContext()
    )
    assert records[0]["durable_execution_id"] == long_arn[:256]


def test_an_unknown_replay_is_left_out_rather_than_guessed(records):
    lambda_lifecycle.instrument(lambda event, context: None)(lambda_input(next_marker="m-2"), testing.LambdaContext())
    assert records[0]["durable_execution_id"] == ARN
    assert "replayed" not in records[0]


def test_the_contract_names_both_fields():
    assert {"durable_execution_id", "replayed"} <= set(contract.PROPERTIES)
    with pytest.raises(ValueError, match="replayed"):
        lambda_lifecycle.instrument(dimensions={"replayed": "x"})


# --- the SDK's own types ----------------------------------------------------------------------


def sdk_operations(replay):
    execution = Operation(
        operation_id="5f0c6a1e",
        operation_type=OperationType.EXECUTION,
        status=OperationStatus.STARTED,
        execution_details=ExecutionDetails(input_payload="{}"),
    )
    step = Operation(operation_id="c4ca4238", operation_type=OperationType.STEP, status=OperationStatus.SUCCEEDED)
    return [execution, step] if replay else [execution]


def sdk_input(replay):
    state = InitialExecutionState(operations=sdk_operations(replay), next_marker="")
    return DurableExecutionInvocationInput(ARN, "t", state)


@needs_sdk
@pytest.mark.parametrize("replay", [False, True])
def test_the_payload_lambda_sends_as_the_sdk_serialises_it(replay):
    wire = json.loads(json.dumps(sdk_input(replay).to_json_dict()))
    assert _durable.durable_facts(wire, None) == (ARN, replay, None)


@needs_sdk
@pytest.mark.parametrize("replay", [False, True])
def test_the_input_object_the_local_runner_passes(replay):
    assert _durable.durable_facts(sdk_input(replay), None) == (ARN, replay, None)


@needs_sdk
@pytest.mark.parametrize("replay", [False, True])
def test_inside_durable_execution_the_lambda_context_is_taken_from_the_durable_context(replay):
    lambda_context = testing.LambdaContext(aws_request_id="req-1")
    state = ExecutionState(ARN, "t", {}, mock.Mock(), PluginExecutor(None))
    status = ReplayStatus.REPLAY if replay else ReplayStatus.NEW
    durable_context = DurableContext.from_lambda_context(state, lambda_context, replay_status=status)
    assert _durable.durable_facts({"order": 42}, durable_context) == (ARN, replay, lambda_context)


@needs_sdk
@pytest.mark.parametrize("exc_type", [SuspendExecution, TimedSuspendExecution] if SDK else [])
def test_the_sdks_suspension_is_not_an_error(exc_type):
    assert _durable.error_name(exc_type) is None


# --- under the SDK's local runner -------------------------------------------------------------


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


# --- under the real runtime client, with Lambda's own JSON payloads ---------------------------

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
    found = [r for r in records(stdout) if r["event"] == "invoke"]
    arn = payloads[0]["DurableExecutionArn"]
    assert [(r["durable_execution_id"], r["replayed"], r.get("error")) for r in found] == [
        (arn, False, None),
        (arn, True, None),
    ], stdout + stderr
    assert [r["request_id"] for r in found] == [i.request_id for i in api.invocations]
