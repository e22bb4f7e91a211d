"""faas.trigger from the event's shape, and the function's ARN as cloud.resource_id: pure functions."""

from __future__ import annotations

import pytest

from lambda_lifecycle.otel._attributes import function_attributes
from lambda_lifecycle.otel._trigger import trigger

# Trimmed from the shapes AWS documents for each source: only what tells them apart, and some noise.
API_GATEWAY_REST = {"resource": "/pets", "httpMethod": "GET", "requestContext": {"stage": "prod", "requestId": "r"}}
API_GATEWAY_HTTP = {"version": "2.0", "routeKey": "GET /pets", "requestContext": {"http": {"method": "GET"}}}
FUNCTION_URL = {"version": "2.0", "requestContext": {"domainName": "abc.lambda-url.eu-west-1.on.aws", "http": {}}}
ALB = {"httpMethod": "GET", "path": "/", "requestContext": {"elb": {"targetGroupArn": "arn:aws:..."}}}
SQS = {"Records": [{"messageId": "m", "eventSource": "aws:sqs", "body": "{}"}]}
SNS = {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": "hi"}}]}
KINESIS = {"Records": [{"eventSource": "aws:kinesis", "kinesis": {"data": "aGk="}}]}
DYNAMODB = {"Records": [{"eventSource": "aws:dynamodb", "eventName": "INSERT"}]}
S3 = {"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {"name": "b"}}}]}
EVENTBRIDGE = {"version": "0", "detail-type": "Order Placed", "source": "shop.orders", "detail": {}}
SCHEDULED = {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}
KAFKA = {"eventSource": "aws:kafka", "records": {"topic-0": []}}
MQ = {"eventSource": "aws:mq", "messages": []}
WEBSOCKET = {"requestContext": {"eventType": "MESSAGE", "connectionId": "c"}, "body": "hi"}


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (API_GATEWAY_REST, "http"),
        (API_GATEWAY_HTTP, "http"),
        (FUNCTION_URL, "http"),
        (ALB, "http"),
        (SQS, "pubsub"),
        (SNS, "pubsub"),
        (KINESIS, "pubsub"),
        (EVENTBRIDGE, "pubsub"),
        (KAFKA, "pubsub"),
        (MQ, "pubsub"),
        (DYNAMODB, "datasource"),
        (S3, "datasource"),
        (SCHEDULED, "timer"),
        (WEBSOCKET, "other"),
        ({"order": 1}, "other"),
        ({}, "other"),
        ([1, 2], "other"),
        ("text", "other"),
        (None, "other"),
        # Shapes that only look alike: never an exception, never a guess.
        ({"Records": []}, "other"),
        ({"Records": [{"eventSource": ["aws:sqs"]}]}, "other"),
        ({"Records": [{"eventSource": "aws:somethingnew"}]}, "other"),
        ({"Records": "aws:sqs"}, "other"),
        ({"eventSource": {"aws": "kafka"}}, "other"),
        ({"detail-type": "Scheduled Event"}, "other"),
    ],
)
def test_trigger_of_each_source(event, expected):
    assert trigger(event) == expected


@pytest.mark.parametrize(
    ("invoked", "version", "resource_id"),
    [
        (
            "arn:aws:lambda:eu-west-1:111122223333:function:orders",
            "$LATEST",
            "arn:aws:lambda:eu-west-1:111122223333:function:orders:$LATEST",
        ),
        (
            "arn:aws:lambda:eu-west-1:111122223333:function:orders:live",
            "12",
            "arn:aws:lambda:eu-west-1:111122223333:function:orders:12",
        ),  # the alias gives way to the version it ran
        (
            "arn:aws:lambda:eu-west-1:111122223333:function:orders:12",
            "12",
            "arn:aws:lambda:eu-west-1:111122223333:function:orders:12",
        ),
        (
            "arn:aws-cn:lambda:cn-north-1:111122223333:function:orders",
            None,
            "arn:aws-cn:lambda:cn-north-1:111122223333:function:orders",
        ),
    ],
)
def test_resource_id_is_the_arn_with_the_version_that_ran(invoked, version, resource_id):
    attributes = function_attributes(invoked, version)
    assert attributes.pop("cloud.resource_id") == resource_id
    assert attributes.pop("cloud.account.id") == "111122223333"
    # The ARN as invoked, only where it differs from the function's own: an alias or a version.
    assert attributes == ({"aws.lambda.invoked_arn": invoked} if invoked.count(":") == 7 else {})


@pytest.mark.parametrize("invoked", [None, "", 42, "not-an-arn", "arn:aws:s3:::bucket", "arn:aws:lambda:x"])
def test_an_arn_of_another_shape_gives_no_resource_id(invoked):
    attributes = function_attributes(invoked, "1")
    assert "cloud.resource_id" not in attributes
    assert "cloud.account.id" not in attributes
