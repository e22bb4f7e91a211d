"""Lambda's durable invocation input, in the shapes its documentation gives."""

from __future__ import annotations

# The shape Lambda documents: arn:...:function:<name>:<version>/durable-execution/<name>/<id>.
ARN = "arn:aws:lambda:eu-west-1:123456789012:function:orders:7/durable-execution/order-42/5f0c6a1e"
EXECUTION_OP = {"Id": "5f0c6a1e", "Type": "EXECUTION", "Status": "STARTED", "ExecutionDetails": {"InputPayload": "{}"}}
STEP_OP = {"Id": "c4ca4238", "Type": "STEP", "Status": "SUCCEEDED", "Name": "charge"}


def lambda_input(*operations, next_marker=""):
    """Lambda's durable invocation input, as the runtime client hands it to the handler."""
    state = {"Operations": list(operations), "NextMarker": next_marker}
    return {"DurableExecutionArn": ARN, "CheckpointToken": "token-1", "InitialExecutionState": state}
