"""A handler called before the first invocation: by a thread started at import, and by warm-up code."""

import threading

import lambda_lifecycle


@lambda_lifecycle.instrument
def handler(event, context):
    return {"n": event.get("n")}


def warm_up():
    for _ in range(3):
        handler({"warm_up": True}, None)


thread = threading.Thread(target=warm_up)
thread.start()
handler({"warm_up": True}, None)  # warm-up code in the module itself
thread.join()
