"""Environment identity shared through /tmp by concurrent worker processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap


def test_concurrent_workers_get_distinct_numbers_and_one_environment(tmp_path):
    code = textwrap.dedent(
        """
        import json, lambda_lifecycle
        env = lambda_lifecycle.environment()
        print(json.dumps([env.environment_id, env.worker, env.process_restarts]))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_LIFECYCLE_"))}
    env.update(
        AWS_LAMBDA_RUNTIME_API="127.0.0.1:9",
        AWS_LAMBDA_INITIALIZATION_TYPE="lambda-managed-instances",
        LAMBDA_LIFECYCLE_HANDLE_SIGTERM="false",
        LAMBDA_LIFECYCLE_TMP_PATH=str(tmp_path),
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True) for _ in range(6)
    ]
    seen = [json.loads(worker.communicate(timeout=60)[0].splitlines()[0]) for worker in workers]
    assert len({environment_id for environment_id, _, _ in seen}) == 1
    assert sorted(worker for _, worker, _ in seen) == [1, 2, 3, 4, 5, 6]
    assert {restarts for _, _, restarts in seen} == {0}  # workers are not restarts
