"""Global initialisation, paid once per execution environment and reused while it stays warm.

Code at module level runs during init; the handler runs on every invocation. The records show
which invocation paid for init (``cold_start``, ``InitDuration``) and which reused it.
"""

import json
import time

import lambda_lifecycle

lambda_lifecycle.bootstrap(service="greeter")

# Init phase: runs once per environment.
INITIALISED_AT = time.time()
GREETING = "Hello from Lambda"
init_runs = 1  # a new environment always starts from here


@lambda_lifecycle.instrument
def lambda_handler(event, context):
    env = lambda_lifecycle.environment()
    return {
        "statusCode": 200,
        "body": json.dumps(
            {
                "message": GREETING,
                "init_runs": init_runs,
                "invocation": env.invocations,
                "cold_start": env.cold_start,
                "seconds_since_init": round(time.time() - INITIALISED_AT, 3),
            }
        ),
    }
