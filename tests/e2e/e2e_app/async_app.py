"""An ``async def`` handler named directly as the Lambda handler (``async_app.handler``)."""

import asyncio

import lambda_lifecycle


@lambda_lifecycle.instrument
async def handler(event, context):
    if event.get("await_s"):
        await asyncio.sleep(event["await_s"])  # the await a timeout warning must name
    return {"n": event["n"], "loop": id(asyncio.get_running_loop())}
