"""The local Runtime API server of ``lambda-lifecycle run``: each environment's own /tmp and log stream."""

from __future__ import annotations

import re
import tempfile

from lambda_lifecycle.local.runtime_api import Function, RuntimeAPI, lambda_environment


def test_each_environment_has_its_own_tmp_and_log_stream_and_a_restart_keeps_them():
    with RuntimeAPI(Function(version="7")) as api:
        first, second = lambda_environment(api), lambda_environment(api)
        restarted = lambda_environment(api, LAMBDA_LIFECYCLE_TMP_PATH=first["LAMBDA_LIFECYCLE_TMP_PATH"])
    assert first["LAMBDA_LIFECYCLE_TMP_PATH"] != second["LAMBDA_LIFECYCLE_TMP_PATH"]
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[7\][0-9a-f]{32}", first["AWS_LAMBDA_LOG_STREAM_NAME"])
    assert first["AWS_LAMBDA_LOG_STREAM_NAME"] != second["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert restarted["AWS_LAMBDA_LOG_STREAM_NAME"] == first["AWS_LAMBDA_LOG_STREAM_NAME"]


def test_the_tmp_directories_an_api_made_are_removed_with_it_and_only_those(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    given = tmp_path / "given"
    given.mkdir()
    with RuntimeAPI() as api:
        made = [lambda_environment(api)["LAMBDA_LIFECYCLE_TMP_PATH"] for _ in range(2)]
        lambda_environment(api, LAMBDA_LIFECYCLE_TMP_PATH=str(given))
        assert sorted(tmp_path.iterdir()) == sorted([given, *map(type(given), made)])
    assert list(tmp_path.iterdir()) == [given]  # the caller's own directory is the caller's to remove
