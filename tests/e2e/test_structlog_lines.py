"""Issue 21 item 1 end to end: a handler that logs with structlog (whose message key is ``event``)
logs ``invoke``, ``shutdown`` and ``timeout_warning`` on every call. Under the real runtime client
(``lambda-lifecycle run``), then read back from CloudWatch (moto's server, ``report --engine
fetch``) and by the saved Logs Insights queries' own filter, only the SDK's records count."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import boto3
import pytest
from moto_aws import cli, server

from lambda_lifecycle.cli import queries
from lambda_lifecycle.contract import KIND_KEY
from lambda_lifecycle.records import read_text

pytest.importorskip("structlog")

HANDLER = textwrap.dedent(
    """
    import structlog

    import lambda_lifecycle

    structlog.configure(processors=[structlog.processors.JSONRenderer()])
    log = structlog.get_logger()


    @lambda_lifecycle.instrument
    def lambda_handler(event, context):
        log.info("invoke", order=event.get("n"))
        log.info("timeout_warning")
        log.info("shutdown")
        return {"ok": True}
    """
)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Two invocations of the structlog handler, then Lambda's shutdown (SIGTERM, python3.12)."""
    root = tmp_path_factory.mktemp("structlog_app")
    (root / "handler.py").write_text(HANDLER)
    (root / "events.jsonl").write_text('{"n": 1}\n{"n": 2}\n')
    saved = root / "stream.jsonl"
    flags = ["--cwd", str(root), "--event", str(root / "events.jsonl"), "--runtime", "python3.12"]
    done = subprocess.run(
        [sys.executable, "-m", "lambda_lifecycle.cli", "run", "handler.lambda_handler", *flags, "--output", str(saved)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done, [json.loads(line) for line in saved.read_text().splitlines()]


def test_the_runs_summary_counts_only_the_sdks_records(run):
    done, _ = run
    user_lines = [line for line in done.stdout.splitlines() if line.startswith('{"order"') or '"event": "' in line]
    assert len(user_lines) == 6  # structlog wrote its three lines per call
    summary = [line for line in done.stderr.splitlines() if line.startswith("[summary]")]
    assert summary[0].startswith(
        "[summary] 2 invocations: 2 responses, 0 errors, 0 timeouts, 0 crashes; 2 invoke records, 1 cold start;"
    )
    assert "shutdown record: SIGTERM" in summary[1]
    assert not any("could not be read" in line for line in summary)
    kinds = [r[KIND_KEY] for _, r in read_text(done.stdout).records]
    assert kinds == ["init", "invoke", "invoke", "shutdown"]  # the init record too: it is the SDK's


@pytest.fixture(scope="module")
def moto_url():
    yield from server()


def test_report_from_cloudwatch_counts_only_the_sdks_records(run, moto_url):
    _, stream = run
    logs = boto3.client(
        "logs", endpoint_url=moto_url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    group = "/aws/lambda/structlog_app"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    events = [{"timestamp": e["timestamp"], "message": e["message"]} for e in stream]
    assert sum('"event": "shutdown"' in e["message"] for e in events) == 2  # the function's own lines are there
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=events)
    done = cli(
        moto_url, "report", "--function", "structlog_app", "--since", "1h", "--engine", "fetch", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    built = json.loads(done.stdout)
    assert (built["invocations"], built["cold_starts"], built["cold_start_rate"]) == (2, 1, 0.5)
    assert built["environments"]["seen"] == 1
    assert built["environments"]["ended"] == {"shutdown": 1, "killed": 0, "unknown": 0}
    assert built["keep_warm"]["processes_shut_down"] == 1
    assert built["timeout_warnings"] == []
    assert (built["malformed_lines"], built["unrecognised_lines"]) == (0, 0)


def insights_filter(query: str):
    """A query's first ``filter`` as a Python predicate over a parsed line, as Logs Insights
    evaluates it: ``ispresent``, ``=``, ``!=``, ``in [...]``, ``and``, ``or``, ``not``; nested JSON
    fields by their dotted names."""
    clause = query.splitlines()[0].removeprefix("filter ")
    expression = re.sub(r"ispresent\(`?([\w.]+)`?\)", r'present("\1")', clause)
    expression = re.sub(r'(?<![\w"])(\w+) in \[', r'value("\1") in [', expression)
    expression = re.sub(r'(?<![\w"])(\w+) = "', r'value("\1") == "', expression)
    expression = re.sub(r'(?<![\w"])(\w+) != "', r'value("\1") != "', expression)

    def predicate(record: dict) -> bool:
        def value(name: str):
            found = record
            for part in name.split("."):
                found = found.get(part) if isinstance(found, dict) else None
            return found

        return bool(eval(expression, {"value": value, "present": lambda name: value(name) is not None}))

    return predicate


def test_the_saved_queries_filter_only_the_sdks_records(run):
    _, stream = run
    parsed = []
    for event in stream:
        try:
            line = json.loads(event["message"])
        except ValueError:
            continue  # Lambda's START/END/REPORT lines
        if isinstance(line, dict):
            parsed.append(line)
    user = [line for line in parsed if "event" in line]
    assert len(user) == 6
    chosen = {
        name: [line[KIND_KEY] for line in parsed if insights_filter(queries.QUERIES[name])(line)]
        for name in ("summary", "keep_warm", "timeouts")
    }
    assert chosen == {"summary": ["invoke", "invoke"], "keep_warm": ["shutdown"], "timeouts": []}
    everything = [line for line in parsed if insights_filter(queries.QUERIES["environments"])(line)]
    assert [line[KIND_KEY] for line in everything] == ["init", "invoke", "invoke", "shutdown"]
    # A 0.2.x record is still chosen: the same line with its kind under "event".
    first = next(line for line in everything if line[KIND_KEY] == "invoke")
    old = {("event" if key == KIND_KEY else key): value for key, value in first.items()}
    assert insights_filter(queries.QUERIES["summary"])(old)
