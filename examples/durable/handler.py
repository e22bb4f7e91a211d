"""A durable order workflow: reserve, wait out a cool-off period, then charge.

One execution is several Lambda invocations: the first runs until the wait and returns; Lambda
invokes the function again when the wait is over, and the second replays the reservation from
its checkpoint instead of reserving again. Each invocation is one record, carrying the
execution's ``durable_execution_id`` and ``replayed`` (false for the first, true after), so the
replay is not counted as a new order.
"""

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration

import lambda_lifecycle

reservations = 0  # how often the reservation really ran, not replayed


def reserve(order_id):
    """Stand-in for a call to the inventory service."""
    global reservations
    reservations += 1
    return {"order_id": order_id, "reservation": f"r-{order_id}"}


def place_order(event, context: DurableContext):
    reservation = context.step(lambda _: reserve(event["order_id"]), name="reserve")
    context.wait(Duration.from_minutes(10), name="cool-off")
    return context.step(lambda _: {**reservation, "charged": event["amount"]}, name="charge")


@lambda_lifecycle.instrument
@durable_execution
def lambda_handler(event, context: DurableContext):
    return place_order(event, context)


# The other order works as well: instrument then sees your input and the SDK's DurableContext.
@durable_execution
@lambda_lifecycle.instrument
def lambda_handler_inside(event, context: DurableContext):
    return place_order(event, context)
