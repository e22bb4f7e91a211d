"""The handler the end-to-end tests run under the real awslambdaric runtime client."""

import lambda_lifecycle

lambda_lifecycle.bootstrap(service="e2e")


@lambda_lifecycle.instrument
def handler(event, context):
    if event.get("fail"):
        raise ValueError(f"invocation {event['n']} was asked to fail")
    return {"n": event["n"], "remaining_ms_positive": context.get_remaining_time_in_millis() > 0}
