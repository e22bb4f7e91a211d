"""A function served twice under the real runtime client, as a deployed package or layer would be."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lambda_lifecycle.local.runtime_api import Invocation, RuntimeAPI, lambda_environment, start_runtime


class Served:
    """What the runtime printed, and the two invocations with their answers."""

    def __init__(self, stdout: str, stderr: str, invocations: list[Invocation]) -> None:
        self.stdout, self.stderr, self.invocations = stdout, stderr, invocations


def served_twice(task: Path, handler: str, exec_wrapper: Path | None = None, **variables: Any) -> Served:
    """``handler`` in ``task`` invoked twice; ``variables`` go into its environment."""
    with RuntimeAPI() as api:
        env = lambda_environment(api, **variables)
        process = start_runtime(task, handler, env, exec_wrapper=exec_wrapper)
        try:
            api.invoke({"n": 1})
            api.invoke({"n": 2})
            api.wait_done(2)
        finally:
            process.kill()
            stdout, stderr = process.communicate(timeout=30)
    return Served(stdout, stderr, api.invocations)
