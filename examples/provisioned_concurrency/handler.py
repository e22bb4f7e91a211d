"""Provisioned concurrency: init is paid before any request arrives, so nobody waits for it.

Heavy init (loading a model, warming caches) is exactly what provisioned concurrency hides. The
records never mark a cold start (``ColdStart`` 0, no ``cold_start``), not even on an
environment's first invocation, and still report ``InitDuration`` there: that is the figure to
size provisioned concurrency and its scaling with.
"""

import time

import lambda_lifecycle

# Init phase: expensive, done once per environment, ahead of traffic when provisioned.
started = time.perf_counter()
MODEL = {word: len(word) for word in ("lambda", "lifecycle", "provisioned", "concurrency")}
load_ms = (time.perf_counter() - started) * 1000


@lambda_lifecycle.instrument
def lambda_handler(event, context):
    env = lambda_lifecycle.environment()
    return {"score": MODEL.get(event.get("word", ""), 0), "init_type": env.init_type, "cold": env.cold_start}
