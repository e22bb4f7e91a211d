"""A handler whose work runs in child processes that import this module and call the handler."""

import multiprocessing
import os

import lambda_lifecycle


@lambda_lifecycle.instrument
def handler(event, context):
    if event.get("exit"):
        os._exit(1)  # a crash: the process ends, the environment and its /tmp stay
    method = event.get("children")
    if method:
        with multiprocessing.get_context(method).Pool(2) as pool:
            return {"n": event["n"], "children": pool.map(work, [10, 20])}
    return {"n": event["n"]}


def work(n):
    # In the child: spawn and forkserver import this module anew (decorating the handler again),
    # fork inherits it; each calls the instrumented handler.
    return handler({"n": n}, None)["n"]
