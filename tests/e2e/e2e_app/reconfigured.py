"""A handler module configured twice (as two modules of a function might each do at import), with
a shutdown hook that takes 300 ms."""

import time

import lambda_lifecycle

lambda_lifecycle.bootstrap(service="orders")
lambda_lifecycle.bootstrap(service="billing")  # changes a value the first call set: one warning


@lambda_lifecycle.on_shutdown
def flush():
    time.sleep(0.3)


@lambda_lifecycle.instrument
def handler(event, context):
    return {"n": event["n"]}
