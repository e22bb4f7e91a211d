"""A resource detector with the FaaS resource attributes right: ``faas.instance`` (the log
stream) and ``faas.max_memory`` in bytes (``opentelemetry-sdk-extension-aws``'s Lambda detector
writes megabytes).

A resource is fixed when its provider is made: give the providers this detector's resource when
you make them:

```python
from opentelemetry.sdk.resources import get_aggregated_resources
from lambda_lifecycle.otel.resource import LambdaResourceDetector

resource = get_aggregated_resources([LambdaResourceDetector()])
TracerProvider(resource=resource); MeterProvider(resource=resource, metric_readers=[...])
```

or name it where the SDK makes the resource itself (``Resource.create()``, auto-instrumentation,
the OpenTelemetry layer): ``OTEL_EXPERIMENTAL_RESOURCE_DETECTORS=lambda_lifecycle``, after
``aws_lambda`` if you use that one too, so that the bytes win. Needs ``opentelemetry-sdk``.
"""

from __future__ import annotations

import os

from opentelemetry.sdk.resources import Resource, ResourceDetector

from ._attributes import INSTANCE, MAX_MEMORY, MIB

__all__ = ["LambdaResourceDetector"]


class LambdaResourceDetector(ResourceDetector):
    """The function and its execution environment, from the variables Lambda sets: ``cloud.*``,
    ``faas.name``, ``faas.version``, ``faas.instance`` and ``faas.max_memory`` (bytes).

    Outside Lambda (no ``AWS_LAMBDA_FUNCTION_NAME``) it detects nothing. SnapStart functions have
    no log stream variable, so no ``faas.instance``; and a resource made during a SnapStart init
    is every restored copy's.
    """

    def detect(self) -> Resource:
        environ = os.environ
        name = environ.get("AWS_LAMBDA_FUNCTION_NAME")
        if not name:
            return Resource.get_empty()
        attributes: dict[str, str | int] = {"cloud.provider": "aws", "cloud.platform": "aws_lambda", "faas.name": name}
        for key, variable in (
            ("cloud.region", "AWS_REGION"),
            ("faas.version", "AWS_LAMBDA_FUNCTION_VERSION"),
            (INSTANCE, "AWS_LAMBDA_LOG_STREAM_NAME"),
        ):
            value = environ.get(variable)
            if value:
                attributes[key] = value
        memory = environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        if memory.isdigit():
            attributes[MAX_MEMORY] = int(memory) * MIB
        return Resource(attributes)
