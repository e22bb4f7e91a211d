"""The user's handler of the OpenTelemetry end-to-end tests, plain and decorated."""

import os
import time

import otel_slow_import  # noqa: F401 - its 300 ms are the slowest import of init

import lambda_lifecycle


def plain(event, context):
    if event.get("exit"):
        os._exit(1)  # a crash: the process ends, the environment and its /tmp stay
    time.sleep(event.get("sleep", 0))
    if event.get("fail"):
        raise ValueError(f"invocation {event['n']} was asked to fail")
    return {"n": event["n"]}


decorated = lambda_lifecycle.instrument(plain)
