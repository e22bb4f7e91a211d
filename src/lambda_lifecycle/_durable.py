"""Lambda durable functions: which execution an invocation belongs to, and whether it replays.

A durable execution runs as several Lambda invocations: each one after the first re-runs the
handler from the start and replays the steps already checkpointed. ``@instrument`` may sit on
either side of the durable SDK's ``@durable_execution``, so both shapes are read here:

- outside it, the handler gets Lambda's durable invocation input, a dict with
  ``DurableExecutionArn``, ``CheckpointToken`` and ``InitialExecutionState`` (``Operations``,
  ``NextMarker``), and the Lambda context; the SDK's local test runner passes the same input as
  the SDK's own ``DurableExecutionInvocationInput`` object instead of a dict;
- inside it, the handler gets the execution's input payload and the SDK's ``DurableContext``,
  whose ``lambda_context`` is the invocation's Lambda context.

The SDK is never imported here: every invocation of every function passes through this module,
and a non-durable one costs two type checks and a dict lookup (about 0.2 us).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    # The context handed on: whatever the handler got, which the decorator reads by duck typing.
    Facts = tuple[str | None, bool | None, Any]

# The operation Lambda creates for the execution itself; any other kind was checkpointed by an
# earlier invocation of the same execution.
_EXECUTION = "EXECUTION"
_SDK = "aws_durable_execution_sdk_python"


def durable_facts(event: object, context: object) -> Facts:
    """The durable execution's ARN, whether this invocation replays, and the Lambda context.

    ``(None, None, context)`` for an ordinary invocation. ``replayed`` is None when the input does
    not say (its first page of operations is empty but more pages follow). The context returned
    is the Lambda context to read the request id, memory and deadline from: the durable SDK's
    ``DurableContext`` carries it inside.
    """
    if type(context).__name__ == "DurableContext":
        return _inside(context)
    if isinstance(event, dict):
        arn = event.get("DurableExecutionArn")
        if not isinstance(arn, str):
            return None, None, context
        state = event.get("InitialExecutionState")
        if not isinstance(state, dict):
            return arn, None, context
        return arn, _replays(state.get("Operations"), state.get("NextMarker"), _type_of_dict), context
    if event is None or isinstance(event, (str, list)):
        return None, None, context
    return _input_object(event, context)


def _inside(context: object) -> Facts:
    # Read before the handler's first operation, the context's replay status is the SDK's own
    # verdict for the whole invocation: it replays when operations other than the execution's
    # were checkpointed before (all pages of them, which the SDK has fetched by now).
    try:
        arn = context.execution_context.durable_execution_arn  # type: ignore[attr-defined]
        replaying = context.is_replaying()  # type: ignore[attr-defined]
        lambda_context = context.lambda_context  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - another class of that name: not the SDK's
        return None, None, context
    if not isinstance(arn, str):
        return None, None, context
    return arn, replaying if isinstance(replaying, bool) else None, lambda_context or context


def _input_object(event: object, context: object) -> Facts:
    # The local test runner's DurableExecutionInvocationInput(WithClient): attributes for keys.
    try:
        arn = getattr(event, "durable_execution_arn", None)
    except Exception:  # noqa: BLE001 - an event whose attributes raise is not durable input
        return None, None, context
    if not isinstance(arn, str):
        return None, None, context
    try:
        state = event.initial_execution_state  # type: ignore[attr-defined]
        return arn, _replays(state.operations, state.next_marker, _type_of_object), context
    except Exception:  # noqa: BLE001 - an input of another shape: its ARN is still the execution's
        return arn, None, context


def _type_of_dict(operation: object) -> object:
    return operation.get("Type") if isinstance(operation, dict) else None


def _type_of_object(operation: object) -> object:
    kind = getattr(operation, "operation_type", None)
    return getattr(kind, "value", kind)


def _replays(operations: object, next_marker: object, type_of: Callable[[object], object]) -> bool | None:
    # GetDurableExecutionState lists operations by start order, the execution's own first; the
    # SDK calls it a replay when any other operation exists (state.has_prior_operations).
    if not isinstance(operations, list):
        operations = []
    for operation in operations:
        if type_of(operation) != _EXECUTION:
            return True
    if not next_marker:
        return False
    # More pages follow: after the execution's operation they can only hold others; before it
    # (an empty first page, its input too large for one) nobody can tell without the API call.
    return True if operations else None


def error_name(exc_type: type[BaseException]) -> str | None:
    """The record's ``error`` for an exception the handler raised; None for the durable SDK's
    suspension (a wait, a callback, a retry later), which ends the invocation normally: Lambda
    gets a PENDING status from the SDK, not an error."""
    for cls in exc_type.__mro__:
        if cls.__name__ == "SuspendExecution" and cls.__module__.startswith(_SDK):
            return None
    return exc_type.__name__
