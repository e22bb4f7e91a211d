"""An internal Lambda extension whose only job is to make Lambda send SIGTERM before shutdown.

Lambda ends a runtime with SIGKILL unless an extension is registered; with one, the runtime gets
SIGTERM and about 500 ms first. Registering takes one request to the Extensions API during init;
Lambda then waits for the extension's first ``/event/next`` before init can end, so a daemon
thread keeps that one request open for the life of the process. No events are asked for, so the
extension takes no part in invocations and adds nothing to them.

Plain sockets, not ``http.client``: this runs on every cold start, and the requests are two
fixed HTTP/1.1 exchanges with a local endpoint.
"""

from __future__ import annotations

import json
import threading
import time

from ._warnings import warn_once

TYPE_CHECKING = False
if TYPE_CHECKING:
    import socket

NAME = "lambda-lifecycle"
_API = "/2020-01-01/extension"


def _connect(address: str, timeout_s: float | None) -> socket.socket:
    import socket  # only inside Lambda, once

    host, _, port = address.rpartition(":")
    return socket.create_connection((host, int(port)), timeout=timeout_s)


def _request(address: str, head: str, body: bytes, timeout_s: float) -> tuple[int, dict[str, str]]:
    with _connect(address, timeout_s) as sock:
        sock.sendall(f"{head}\r\nHost: {address}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                raise ConnectionError("the Extensions API closed the connection")
            data += chunk
    lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return status, headers


def register(address: str, timeout_s: float = 1.0) -> str | None:
    """Register with the Extensions API at ``address`` and hold ``/event/next`` open.

    Returns the extension id, or ``None`` (after one warning) when it could not be done within
    ``timeout_s``: then Lambda ends the process with SIGKILL, as it would without the SDK.
    """
    started = time.monotonic()
    try:
        status, headers = _request(
            address,
            f"POST {_API}/register HTTP/1.1\r\nLambda-Extension-Name: {NAME}\r\nContent-Type: application/json",
            json.dumps({"events": []}).encode(),
            timeout_s,
        )
        ident = headers.get("lambda-extension-identifier")
        if status != 200 or not ident:
            raise ConnectionError(f"register answered {status}")
    except Exception as exc:  # noqa: BLE001 - init must go on without the extension
        warn_once("extension", f"cannot register the shutdown extension ({exc!r}); shutdown hooks will not run")
        return None
    sent = threading.Event()
    thread = threading.Thread(target=_hold_next, args=(address, ident, sent), name=f"{NAME}-extension", daemon=True)
    thread.start()
    # Init ends only after this request reaches Lambda; wait for it, but never past the time box.
    if not sent.wait(max(0.0, timeout_s - (time.monotonic() - started))):
        warn_once("extension.next", "the shutdown extension's first /event/next is slow; init may wait for it")
    return ident


def _hold_next(address: str, ident: str, sent: threading.Event) -> None:
    try:
        sock = _connect(address, None)
        request = f"GET {_API}/event/next HTTP/1.1\r\nHost: {address}\r\nLambda-Extension-Identifier: {ident}\r\n\r\n"
        sock.sendall(request.encode())
    except Exception as exc:  # noqa: BLE001
        warn_once("extension.next", f"the shutdown extension cannot wait for events ({exc!r})")
        return
    finally:
        sent.set()
    # With no events asked for, Lambda answers only at shutdown, after SIGTERM has been sent.
    # The socket is never closed: the process ends first.
    try:
        while sock.recv(4096):
            pass
    except OSError:
        pass
