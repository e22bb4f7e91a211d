"""A function that does not import lambda-lifecycle: deployed with the layer and
``AWS_LAMBDA_EXEC_WRAPPER=/opt/lambda-lifecycle`` (or the handler ``lambda_lifecycle.handler.handler``
and ``LAMBDA_LIFECYCLE_HANDLER=handler.lambda_handler``), it is instrumented all the same, and its
``init`` record says where its init time went: boto3's import, the pricing rules module's, the
client made at module level.
"""

import json
import os

import boto3
import pricing

# Init: one client for the life of the environment.
s3 = boto3.client("s3", region_name=os.environ.get("AWS_REGION", "us-east-1"))


def lambda_handler(event, context):
    return {"total": pricing.total(event.get("items", [])), "body": json.dumps(event)}
