"""``faas.trigger``: what kind of source an invocation's event came from, read from its shape.

Pure and cheap (a few dict lookups): it runs on every invocation of an integrated handler.
"""

from __future__ import annotations

HTTP, PUBSUB, DATASOURCE, TIMER, OTHER = "http", "pubsub", "datasource", "timer", "other"
TRIGGERS = (HTTP, PUBSUB, DATASOURCE, TIMER, OTHER)
"""The conventions' well-known values, the only ones ``trigger`` gives."""

# The event source of a record in a batch ("Records"): SQS, Kinesis, DynamoDB and S3 spell it
# eventSource, SNS EventSource.
_RECORD_SOURCES = {
    "aws:sqs": PUBSUB,
    "aws:sns": PUBSUB,
    "aws:kinesis": PUBSUB,
    "aws:dynamodb": DATASOURCE,
    "aws:s3": DATASOURCE,
}
# Batches of other shapes: Amazon MQ and Kafka (Amazon MSK, self-managed) are message brokers.
_BATCH_SOURCES = {"aws:mq": PUBSUB, "aws:rmq": PUBSUB, "aws:kafka": PUBSUB, "SelfManagedKafka": PUBSUB}


def trigger(event: object) -> str:
    """The ``faas.trigger`` of an invocation with this event; ``other`` when its shape says nothing.

    ``http``: API Gateway REST (v1) and HTTP (v2) APIs, function URLs, Application Load Balancers.
    ``pubsub``: SQS, SNS, Kinesis, EventBridge events, Amazon MQ, Kafka. ``datasource``: DynamoDB
    streams, S3 notifications. ``timer``: EventBridge scheduled rules (``Scheduled Event``).
    """
    if type(event) is not dict:
        return OTHER
    records = event.get("Records")
    if type(records) is list and records and type(records[0]) is dict:
        first = records[0]
        source = first.get("eventSource") or first.get("EventSource")
        return _RECORD_SOURCES.get(source, OTHER) if type(source) is str else OTHER
    request_context = event.get("requestContext")
    if type(request_context) is dict:
        # REST APIs give httpMethod; HTTP APIs and function URLs requestContext.http; ALB .elb.
        if "http" in request_context or "elb" in request_context or "httpMethod" in event:
            return HTTP
        return OTHER
    detail_type = event.get("detail-type")
    if detail_type is not None and "source" in event:
        return TIMER if detail_type == "Scheduled Event" else PUBSUB
    source = event.get("eventSource")
    return _BATCH_SOURCES.get(source, OTHER) if type(source) is str else OTHER
