"""The smallest instrumented function: the getting-started page and the README's first record.

``bootstrap()`` and the pool run once per execution environment (init); the handler runs on every
invocation; ``close_pool`` runs when Lambda shuts the environment down.
"""

import time

import lambda_lifecycle

lambda_lifecycle.bootstrap(service="orders")  # optional, module level, once

pool = {"connections": 1}  # stands in for a connection pool made during init


@lambda_lifecycle.instrument  # or @lambda_lifecycle.instrument(namespace="Shop", ...)
def lambda_handler(event, context):
    # The function's own work.
    time.sleep(event.get("work_s", 0))
    return {"statusCode": 200, "warm": lambda_lifecycle.environment().invocations > 1}


@lambda_lifecycle.on_shutdown  # runs on Lambda's SIGTERM; atexit never does there
def close_pool():
    pool.clear()
