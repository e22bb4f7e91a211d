"""AWS for the integration tests: moto in the process (``mocked``), or moto's server as a real
process (``server``) with the CLI run as a subprocess against it (``cli``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from moto import mock_aws

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    import pytest


def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in this process, with credentials and a region, for a fixture to yield from."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def server() -> Iterator[str]:
    """moto's server on a free port, for a fixture to yield its URL from (one per test module)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.kill()
    process.wait()


def cli(url: str, *args: str, credentials: bool = True) -> subprocess.CompletedProcess[str]:
    """``lambda-lifecycle <args> --endpoint-url <url>`` as a subprocess, with nothing of this
    machine's AWS configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    if credentials:
        env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    return subprocess.run(
        [sys.executable, "-m", "lambda_lifecycle.cli", *args, "--endpoint-url", url],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
