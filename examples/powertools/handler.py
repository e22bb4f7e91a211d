"""lambda-lifecycle with Powertools for AWS Lambda (the ``powertools`` extra).

Log lines carry the lifecycle keys, the invoke record is published through the Powertools
``Metrics`` (one EMF document per invocation) and the trace gets ``ColdStart`` and ``init_type``.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

import lambda_lifecycle
from lambda_lifecycle import powertools

# Service and namespace named here, so no POWERTOOLS_SERVICE_NAME or POWERTOOLS_METRICS_NAMESPACE is
# needed (Metrics cannot flush without a namespace).
logger, metrics, tracer = Logger(service="orders"), Metrics(namespace="Shop", service="orders"), Tracer()
powertools.integrate(logger=logger, metrics=metrics, tracer=tracer)  # any of the three


@metrics.log_metrics(capture_cold_start_metric=True)  # outermost: one EMF document per invocation
@tracer.capture_lambda_handler  # above @instrument: the annotations land on its segment
@logger.inject_lambda_context
@lambda_lifecycle.instrument
def lambda_handler(event, context):
    logger.info("order received")  # carries container_id, environment_id, invocation, cold_start
    return {"statusCode": 200}
