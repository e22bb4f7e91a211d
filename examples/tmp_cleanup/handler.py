"""Temporary files in /tmp, removed when the environment shuts down.

/tmp outlives invocations (and even a crashed process), so files a handler leaves there pile up
until the environment ends. A cleanup registered with ``atexit`` never runs on Lambda; one
registered with ``lambda_lifecycle.on_shutdown`` runs on the SIGTERM Lambda sends before ending
the environment. Meanwhile ``TmpUsed`` and ``TmpUsedPercent`` in each record show the growth.
"""

import json
import os
import tempfile

import lambda_lifecycle

# /tmp in Lambda; under `lambda-lifecycle run` (which sets TMPDIR) the run's own /tmp.
TMP_DIR = os.environ.get("TMP_DIR") or tempfile.gettempdir()
PREFIX = "lambda_temp"

lambda_lifecycle.bootstrap(service="reports", tmp_path=TMP_DIR)


@lambda_lifecycle.on_shutdown
def remove_temp_files():
    for name in os.listdir(TMP_DIR):
        if name.startswith(PREFIX):
            os.remove(os.path.join(TMP_DIR, name))
            print(f"cleaned up {name}")


@lambda_lifecycle.instrument
def lambda_handler(event, context):
    with tempfile.NamedTemporaryFile(prefix=PREFIX, dir=TMP_DIR, delete=False) as temp_file:
        temp_file.write(os.urandom(event.get("size", 1024)))
    return {"statusCode": 200, "body": json.dumps({"created": os.path.basename(temp_file.name)})}
