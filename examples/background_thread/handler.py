"""A background thread started in init, and what the freeze between invocations does to it.

The thread flushes buffered events every ``FLUSH_EVERY_S`` seconds. Between invocations Lambda
freezes the whole environment, thread included: after ten idle minutes nothing has been flushed,
however short the interval. ``IdleTime`` in the record says how long that was; the handler uses
the same fact (from ``lambda_lifecycle.environment()``) to flush inline after a long freeze
rather than trust the thread.
"""

import threading
import time

import lambda_lifecycle

FLUSH_EVERY_S = 5.0

buffer = []
flushed = []
lock = threading.Lock()


def flush(reason):
    with lock:
        if buffer:
            flushed.append((reason, list(buffer)))
            buffer.clear()


def flush_periodically():
    while True:
        time.sleep(FLUSH_EVERY_S)
        flush("background")


# Init phase: the thread starts once and lives as long as the environment.
threading.Thread(target=flush_periodically, name="flusher", daemon=True).start()
lambda_lifecycle.on_shutdown(flush, "shutdown")


@lambda_lifecycle.instrument
def lambda_handler(event, context):
    env = lambda_lifecycle.environment()
    frozen_s = 0.0
    if env.last_invocation_end is not None and env.last_invocation_start is not None:
        frozen_s = env.last_invocation_start - env.last_invocation_end
    if frozen_s > FLUSH_EVERY_S:
        flush("after a freeze")  # the thread was frozen too: what it should have sent is still here
    with lock:
        buffer.append(event["event"])
    return {"frozen_s": round(frozen_s, 1), "buffered": len(buffer)}
