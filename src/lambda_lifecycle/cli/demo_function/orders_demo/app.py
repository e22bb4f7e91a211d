"""The demo's handler module: its imports and its module-level code are the init the demo measures."""

from __future__ import annotations

import http.client
import os
import time
from email.message import EmailMessage
from typing import Any

from lambda_lifecycle import on_shutdown

from . import catalog

# The module's own code at init, run once per environment and reused warm: a connection (its
# TLS context made now; it connects on first use) and a pool warmed up (the 40 ms stand for its
# handshakes).
connections = [http.client.HTTPSConnection("payments.example.com")]
time.sleep(0.04)
# The demo's /tmp is a directory of its own (Lambda's is /tmp).
TMP = os.environ.get("LAMBDA_LIFECYCLE_TMP_PATH", "/tmp")
_MB = 1024 * 1024


@on_shutdown
def close_connections() -> None:
    print(f"  (shutdown hook: closing {len(connections)} connection)")
    for connection in connections:
        connection.close()
    connections.clear()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(event["takes_s"])
    if event["write_mb"]:
        path = os.path.join(TMP, f"cache-{event['n']}.bin")
        with open(path, "wb") as f:
            for _ in range(event["write_mb"]):  # a MB at a time, as a real handler streams
                f.write(os.urandom(_MB))
            os.fsync(f.fileno())
    if event["fail"]:
        raise ValueError("payment provider said no")
    receipt = EmailMessage()
    receipt["Subject"] = f"Order {event['n']}: {catalog.PRICES['book'] * event['n']}"
    return {"statusCode": 200, "connections": len(connections), "receipt": receipt["Subject"]}
