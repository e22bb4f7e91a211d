"""The user's handler of the OpenTelemetry end-to-end tests, plain and decorated."""

import time

import lambda_lifecycle


def plain(event, context):
    time.sleep(event.get("sleep", 0))
    if event.get("fail"):
        raise ValueError(f"invocation {event['n']} was asked to fail")
    return {"n": event["n"]}


decorated = lambda_lifecycle.instrument(plain)
