"""Rough edges of the CLI a user hit, each held: an HTML error page, write errors, alarms that
notify nobody, printing a dashboard without boto3."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading

import boto3
import pytest
from moto import mock_aws

from lambda_lifecycle import contract
from lambda_lifecycle.cli import main
from lambda_lifecycle.cli.commands.alarms import NOTIFIES_NOBODY

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGE = b"<!DOCTYPE html>\n<html>\n<head><title>403 Forbidden</title></head>\n<body><h1>Forbidden</h1></body>\n</html>"


@pytest.fixture
def html_endpoint():
    """A server that answers every request with an HTML error page, as a proxy does."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(403)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")


@pytest.mark.parametrize("command", [["report"], ["queries", "--apply"], ["timeline", "--output", "t.html"]])
def test_an_html_error_page_is_one_line(html_endpoint, credentials, capsys, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    assert main([*command, "--function", "orders", "--endpoint-url", html_endpoint]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line == (
        "lambda-lifecycle: the endpoint answered HTTP 403 with a page that is not an AWS API response:"
        " check --endpoint-url and --region"
    )


def test_a_file_that_cannot_be_written_is_worded_the_same_by_every_command(tmp_path, capsys):
    missing = tmp_path / "no-such-dir" / "out"
    records = tmp_path / "records.jsonl"
    records.write_text(
        json.dumps(
            {
                "_aws": {"Timestamp": 1_795_400_000_000},
                "lambda_lifecycle": "invoke",
                "container_id": "c",
                "environment_id": "e",
                "ColdStart": 1,
                "Duration": 1.0,
                "ContainerAge": 0,
            }
        )
        + "\n"
    )
    handler = os.path.join(ROOT, "examples", "global_init", "handler.lambda_handler")
    commands = [
        ["timeline", "--input", str(records), "--output", f"{missing}.html"],
        ["layer", "build", "--output", f"{missing}.zip"],
        ["run", handler, "--output", f"{missing}.jsonl"],
    ]
    lines = []
    for command in commands:
        if command[0] == "layer":
            # layer build makes missing directories: a file in the way stops it instead.
            (tmp_path / "no-such-dir").write_text("")
        assert main(command) == 1, command
        lines += capsys.readouterr().err.splitlines()
    assert [line.split(": ")[0] for line in lines] == ["lambda-lifecycle"] * 3
    assert lines[0] == f"lambda-lifecycle: cannot write {missing}.html: no such file or directory"
    assert lines[1].startswith(f"lambda-lifecycle: cannot write {missing}.zip: ")
    assert lines[2] == f"lambda-lifecycle: cannot write {missing}.jsonl: not a directory"


@pytest.fixture
def moto_env(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def test_alarms_that_notify_nobody_are_said_once(moto_env, capsys):
    # What the function publishes (--apply checks the flags against it).
    dims = [{"Name": "function_name", "Value": "orders"}]
    boto3.client("cloudwatch").put_metric_data(
        Namespace="LambdaLifecycle",
        MetricData=[{"MetricName": name, "Dimensions": dims, "Value": 1.0} for name in contract.DEFAULT_METRICS],
    )
    base = ["alarms", "--function", "orders", "--namespace", "LambdaLifecycle", "--apply"]
    assert main(base) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [NOTIFIES_NOBODY]
    assert len(captured.out.splitlines()) == 3  # put all the same: a state in the console is still news
    topic = "arn:aws:sns:us-east-1:123456789012:oncall"
    assert main([*base, "--action", topic]) == 0
    assert capsys.readouterr().err == ""
    alarms = boto3.client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert {tuple(a["AlarmActions"]) for a in alarms} == {(topic,)}


NO_BOTO3 = "import sys; sys.modules['boto3'] = sys.modules['botocore'] = None; from lambda_lifecycle.cli import main; "


@pytest.mark.parametrize("command", ["dashboard", "alarms"])
def test_printing_with_namespace_needs_no_boto3(command):
    env = {**os.environ, "AWS_REGION": "eu-west-1", "PYTHONPATH": os.pathsep.join(sys.path)}
    args = [command, "--function", "orders", "--namespace", "LambdaLifecycle"]
    code = NO_BOTO3 + f"sys.exit(main({args!r}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert (done.returncode, done.stderr) == (0, "")
    printed = json.loads(done.stdout)
    if command == "dashboard":
        assert printed["widgets"][0]["properties"]["region"] == "eu-west-1"
    else:
        assert len(printed) == 3


def test_commands_that_need_no_aws_work_without_boto3(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    records = tmp_path / "records.jsonl"
    line = {"_aws": {"Timestamp": 1_795_400_000_000}, "lambda_lifecycle": "invoke", "container_id": "c"}
    records.write_text(json.dumps({**line, "environment_id": "e", "ColdStart": 1, "Duration": 1.0, "ContainerAge": 0}))
    for args in (["queries"], ["timeline", "--input", str(records), "--output", str(tmp_path / "t.html")]):
        code = NO_BOTO3 + f"sys.exit(main({args!r}))"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
        assert (done.returncode, done.stderr) == (0, ""), args
    assert (tmp_path / "t.html").exists()


@pytest.mark.parametrize("command", ["dashboard", "alarms"])
def test_applying_without_boto3_says_what_to_install(command):
    env = {**os.environ, "AWS_REGION": "eu-west-1", "PYTHONPATH": os.pathsep.join(sys.path)}
    args = [command, "--function", "orders", "--namespace", "LambdaLifecycle", "--apply"]
    code = NO_BOTO3 + f"sys.exit(main({args!r}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "lambda-lifecycle: this command needs boto3: pip install 'lambda-lifecycle[cli]'"
        " (from a clone: pip install '.[cli]')"
    )
