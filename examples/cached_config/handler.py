"""Configuration loaded on first use and cached for the life of the execution environment.

Loading it costs once per environment (on the cold start); warm invocations reuse it. The
records tell the two apart, so the cost shows where it belongs.
"""

import functools
import json
import os

import lambda_lifecycle

loads = 0


@functools.lru_cache(maxsize=1)
def get_config():
    """Stand-in for a slow fetch from SSM Parameter Store or AppConfig."""
    global loads
    loads += 1
    return {"currency": os.environ.get("CURRENCY", "EUR"), "tax_rate": 0.21}


@lambda_lifecycle.instrument
def lambda_handler(event, context):
    config = get_config()
    total = round(event["amount"] * (1 + config["tax_rate"]), 2)
    return {"statusCode": 200, "body": json.dumps({"total": total, "currency": config["currency"]})}
