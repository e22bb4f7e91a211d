"""lambda-lifecycle with Powertools for AWS Lambda (``pip install "lambda-lifecycle[powertools]"``).

Log lines carry the lifecycle keys, the invoke record is published through the Powertools
``Metrics`` (one EMF document per invocation) and the trace gets ``ColdStart`` and ``init_type``.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

import lambda_lifecycle
from lambda_lifecycle import powertools

logger, metrics, tracer = Logger(), Metrics(), Tracer()
powertools.integrate(logger=logger, metrics=metrics, tracer=tracer)  # any of the three


@metrics.log_metrics(capture_cold_start_metric=True)  # outermost: one EMF document per invocation
@tracer.capture_lambda_handler  # above @instrument: the annotations land on its segment
@logger.inject_lambda_context
@lambda_lifecycle.instrument
def lambda_handler(event, context):
    logger.info("order received")  # carries container_id, environment_id, invocation, cold_start
    return {"statusCode": 200}
