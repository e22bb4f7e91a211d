"""report --input of a file whose lines carry no time of their own (the SDK's output as printed,
`lambda-lifecycle run`'s stdout): the EMF records' own timestamps place them in the window."""

from __future__ import annotations

import json

from lambda_lifecycle.cli import main
from lambda_lifecycle.contract import INVOKE, KIND_KEY, SHUTDOWN

T0 = 1_796_000_000_000


def invoke_line(n: int, at_ms: int) -> str:
    metrics = [{"Namespace": "LambdaLifecycle", "Dimensions": [["function_name"]], "Metrics": []}]
    record = {
        "_aws": {"Timestamp": at_ms, "CloudWatchMetrics": metrics},
        KIND_KEY: INVOKE,
        "function_name": "orders",
        "container_id": "c1",
        "environment_id": "e1",
        "request_id": f"r{n}",
        "invocation": n,
        "ColdStart": int(n == 1),
        "Duration": 2.0,
        "ContainerAge": n,
        **({"cold_start": True, "InitDuration": 300} if n == 1 else {"IdleTime": 1000}),
    }
    return json.dumps(record)


def test_bare_sdk_lines_are_read_by_their_emf_timestamps(tmp_path, capsys):
    saved = tmp_path / "stdout.log"
    shutdown = {KIND_KEY: SHUTDOWN, "function_name": "orders", "container_id": "c1", "environment_id": "e1"}
    lines = [
        "START RequestId: r1 Version: $LATEST",
        invoke_line(1, T0),
        invoke_line(2, T0 + 2_000),
        json.dumps({**shutdown, "reason": "SIGTERM", "invocations": 2}),
    ]
    saved.write_text("\n".join(lines) + "\n")
    assert main(["report", "--input", str(saved), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert (report["invocations"], report["cold_starts"]) == (2, 1)
    assert (report["start"], report["end"]) == ("2026-11-30T00:53:20Z", "2026-11-30T00:53:22Z")
    # The shutdown record has no time of its own: left out, and said so in one line.
    assert err.count("\n") == 1
    assert "left out 1 record(s) without a time" in err


def test_a_files_report_names_the_file_once(tmp_path, capsys):
    saved = tmp_path / "stdout.log"
    saved.write_text(invoke_line(1, T0) + "\n")
    assert main(["report", "--input", str(saved)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == f"{saved}, 2026-11-30T00:53:20Z to 2026-11-30T00:53:20Z"  # it read "{saved} ({saved}), ..."
