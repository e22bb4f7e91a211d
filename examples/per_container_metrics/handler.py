"""Per-container metrics without hand-written bookkeeping.

Instead of a module-level container id, start time and invocation counter maintained by hand,
``lambda_lifecycle.environment()`` gives them, computed by the SDK from the process itself, and
every invocation's record carries them to CloudWatch as EMF metrics and Logs Insights fields.
"""

import lambda_lifecycle


@lambda_lifecycle.instrument
def lambda_handler(event, context):
    env = lambda_lifecycle.environment()
    return {
        "container_id": env.container_id,
        "invocation": env.invocations,
        "container_age_s": round(env.age_s, 1),
        "cold_start": env.cold_start,
        "init_duration_ms": env.init_duration_ms,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
