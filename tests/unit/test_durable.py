"""Durable functions: records name the execution and tell a replay from its first invocation."""

from __future__ import annotations

import json
import sys
from unittest import mock

import pytest
from durable_input import ARN, EXECUTION_OP, STEP_OP, lambda_input

import lambda_lifecycle
from lambda_lifecycle import _durable, contract, testing

# The durable SDK and its local runner require Python 3.11; on 3.11+ a missing one is an error.
SDK = sys.version_info >= (3, 11)
needs_sdk = pytest.mark.skipif(not SDK, reason="aws-durable-execution-sdk-python needs Python >= 3.11")
if SDK:
    from aws_durable_execution_sdk_python import DurableContext
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


# --- under the real runtime client, with Lambda's own JSON payloads ---------------------------
