import json

from lambda_lifecycle import testing
from lambda_lifecycle.contract import KIND_KEY


def test_temp_files_pile_up_while_warm_and_go_at_shutdown(load_handler, monkeypatch, tmp_path):
    monkeypatch.setenv("TMP_DIR", str(tmp_path))
    testing.reset()
    handler = load_handler()
    with testing.capture() as records:
        results = [handler.lambda_handler({"size": 4096}, testing.LambdaContext()) for _ in range(3)]
        created = {json.loads(r["body"])["created"] for r in results}
        assert {p.name for p in tmp_path.iterdir()} == created  # warm invocations share /tmp
        testing.shutdown()  # what Lambda's SIGTERM does
    assert list(tmp_path.iterdir()) == []
    shutdown = records[-1]
    assert (shutdown[KIND_KEY], shutdown["hooks_run"], shutdown["hooks_failed"]) == ("shutdown", 1, 0)
    assert shutdown["invocations"] == 3
