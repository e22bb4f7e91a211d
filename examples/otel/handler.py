"""lambda-lifecycle with OpenTelemetry (the ``otel`` extra).

The span current when the handler runs (the OpenTelemetry Lambda layer's, the Lambda
instrumentation's, or your own) gets faas.coldstart by the SDK's rules and the lifecycle under
lambda_lifecycle.*; the configured MeterProvider gets the FaaS metrics.
"""

import lambda_lifecycle
from lambda_lifecycle import otel

otel.integrate()  # or no code at all: LAMBDA_LIFECYCLE_OTEL=true


@lambda_lifecycle.instrument
def lambda_handler(event, context):
    return {"statusCode": 200}
