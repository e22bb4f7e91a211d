"""The main job: ``python -m lambda_lifecycle demo``, as ``make demo`` runs it for a new user."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from emf import problems

from lambda_lifecycle.contract import KIND_KEY, complete


def demo(*args: str, temp: Path) -> subprocess.CompletedProcess[str]:
    """``python -m lambda_lifecycle demo`` as ``make demo`` runs it, with ``temp`` as its temp directory."""
    return python("-m", "lambda_lifecycle", "demo", *args, temp=temp)


def python(*args: str, temp: Path) -> subprocess.CompletedProcess[str]:
    """A new Python process with ``args``, with ``temp`` as its temp directory."""
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TMPDIR": str(temp)},
    )


@pytest.fixture(scope="module")
def temp(tmp_path_factory):
    return tmp_path_factory.mktemp("temp")


@pytest.fixture(scope="module")
def shown(temp):
    """One run of the demo as a new user starts it, shared by the tests that read what it printed."""
    return demo(temp=temp)


def pictures_in(stdout: str) -> list[Path]:
    return [Path(path) for path in re.findall(r"^  timeline picture: (\S+) \(open it in a browser\)$", stdout, re.M)]


def test_demo_tells_a_whole_lifecycle(shown):
    result = shown
    assert result.returncode == 0, result.stderr
    everything = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r[KIND_KEY] for r in everything] == ["init"] + ["invoke"] * 5 + ["timeout_warning", "invoke", "shutdown"]
    warning, shutdown = everything[6], everything[8]
    records = [r for r in everything if r[KIND_KEY] == "invoke"]
    assert [r["invocation"] for r in records] == [1, 2, 3, 4, 5, 6]
    # On the wire, cold_start is there only when true; the ColdStart metric is on every line.
    assert [r.get("cold_start") for r in records] == [True] + [None] * 5
    assert [r["ColdStart"] for r in records] == [1] + [0] * 5
    assert [r.get("error") for r in records].count("ValueError") == 1
    assert [round(r.get("IdleTime", 0) / 1000) for r in records] == [0, 2, 45, 300, 1, 20]
    assert records[0]["InitDuration"] == everything[0]["InitDuration"]
    assert all(isinstance(r["TmpUsed"], int) for r in records)
    assert all(problems(r) == [] for r in records)
    assert "1 cold start" in result.stdout
    assert "6 invocations" in result.stdout
    assert warning["invocation"] == 6
    assert "in lambda_handler: time.sleep" in warning["stack"][0]
    assert (shutdown["invocations"], shutdown["hooks_run"], shutdown["hooks_failed"]) == (6, 1, 0)
    assert shutdown["container_id"] == records[0]["container_id"]
    assert shutdown["function_name"] == records[0]["function_name"]
    assert "(shutdown hook: closing 1 connection)" in result.stdout
    assert result.stderr == ""


def test_demo_records_agree_and_tmp_is_the_demos_own(shown):
    result = shown
    assert result.returncode == 0, result.stderr
    everything = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    # The shutdown record, written without a context, names the same function and version.
    read = [complete(dict(r)) for r in everything]  # the usual $LATEST is left out of the line
    assert {(r["function_name"], r["function_version"]) for r in read} == {("orders-demo", "$LATEST")}
    summary = [line for line in result.stdout.splitlines() if line.startswith("  #")]
    # What the handler wrote to the demo's own /tmp (8 MB, then 16 MB more), of Lambda's 512 MB.
    assert [line.split("/tmp")[1].split("MB")[0].split() for line in summary] == [
        [n, "of", "512"] for n in ("0", "0", "8", "24", "24", "24")
    ]
    assert "/tmp 24 MB of 512 MB" in result.stdout
    assert "/tmp used" not in result.stdout


def test_demo_shows_the_anatomy_of_its_init(shown):
    # The demo's function is loaded through the entry point: its imports are really timed, the
    # runtime's start is simulated (150 ms), its module code sleeps 40 ms, one first-party module 120 ms.
    assert shown.returncode == 0, shown.stderr
    [init] = [
        r
        for r in (json.loads(line) for line in shown.stdout.splitlines() if line.startswith("{"))
        if r[KIND_KEY] == "init"
    ]
    assert (init["handler"], init["loaded_by"]) == ("orders_demo/app.lambda_handler", "entry_point")
    phases = init["InitRuntime"] + init["InitImports"] + init["InitCode"]
    assert init["InitDuration"] == pytest.approx(phases, abs=2)  # each phase rounded on its own
    assert init["InitRuntime"] == pytest.approx(150, abs=5)
    assert init["InitCode"] >= 40
    # Found by name: on a loaded machine the real import of http can take longer than its 120 ms.
    catalog = next(i for i in init["imports"] if i["module"] == "orders_demo.catalog")
    assert catalog["by"] == "orders_demo.app"
    assert 120 <= catalog["ms"] <= init["InitImports"]
    assert all(i["ms"] >= init["imports_threshold_ms"] for i in init["imports"])
    assert [i["ms"] for i in init["imports"]] == sorted((i["ms"] for i in init["imports"]), reverse=True)
    # What it printed says the same, phase by phase and import by import.
    printed = shown.stdout.split("Where its init went (the init record):")[1]
    assert (
        f"{init['InitDuration']} ms from the process's start until orders_demo/app.lambda_handler was ready" in printed
    )
    assert re.search(rf"imports +{init['InitImports']} ms\n", printed)
    assert re.search(rf"orders_demo\.catalog +{catalog['ms']} ms +{catalog['share']} % of init", printed)


def test_each_run_of_the_demo_in_one_process_measures_its_own_init(tmp_path):
    # The function is unloaded after a run, so that the next one's init imports it again.
    script = "from lambda_lifecycle.cli import main; main(['demo']); main(['demo'])"
    result = python("-c", script, temp=tmp_path)
    assert result.returncode == 0, result.stderr
    inits = [
        r
        for r in (json.loads(line) for line in result.stdout.splitlines() if line.startswith("{"))
        if r[KIND_KEY] == "init"
    ]
    assert [[i["module"] for i in init["imports"]].count("orders_demo.catalog") for init in inits] == [1, 1]
    assert result.stderr == ""


@pytest.mark.parametrize(("fmt", "prefix"), [("prefixed", "METRICS: "), ("json", "")])
def test_demo_formats(temp, fmt, prefix):
    result = demo("--format", fmt, temp=temp)
    assert result.returncode == 0, result.stderr
    # Six invocations, the timeout warning and the shutdown record: every record in the format.
    lines = [line.removeprefix(prefix) for line in result.stdout.splitlines() if line.startswith(prefix + "{")]
    records = [json.loads(line) for line in lines]
    assert [r[KIND_KEY] for r in records] == ["init"] + ["invoke"] * 5 + ["timeout_warning", "invoke", "shutdown"]
    assert not any("_aws" in r for r in records)  # the metric declarations are emf's alone


def test_unknown_command_is_a_clear_error():
    result = subprocess.run([sys.executable, "-m", "lambda_lifecycle", "dmeo"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_demo_draws_its_timeline_into_a_file_of_its_own_and_says_where(shown, temp):
    assert shown.returncode == 0, shown.stderr
    [picture] = pictures_in(shown.stdout)
    assert picture.parent == temp
    page = picture.read_text(encoding="utf-8")
    assert 'data-lanes="1"' in page
    # Its marks: the init's phases, the cold start, the error, the timeout warning and the shutdown,
    # among warm ones.
    for kind in (
        "init: runtime",
        "init: imports",
        "init: module code",
        "cold start",
        "error",
        "timeout warning",
        "shutdown",
    ):
        assert f'"kind":"{kind}"' in page
    assert shown.stderr == ""
    # Another run draws beside it, leaving this one's picture as it was.
    again = demo(temp=temp)
    [other] = pictures_in(again.stdout)
    assert other != picture
    assert picture.read_text(encoding="utf-8") == page


def test_demo_without_the_plotting_extra_says_how_to_get_the_picture(tmp_path):
    # The base install has no plotting library: the demo runs and says, in one line, what to install.
    script = "import sys; sys.modules['altair'] = None; from lambda_lifecycle.cli import main; sys.exit(main(['demo']))"
    result = python("-c", script, temp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "timeline picture: pip install 'lambda-lifecycle[timeline]' (from a clone: pip install '.[timeline]')" in (
        result.stdout
    )
    assert list(tmp_path.iterdir()) == []  # no picture, and the demo's own /tmp is gone too
    assert "6 invocations" in result.stdout
    assert result.stderr == ""


def test_a_reader_that_leaves_early_ends_the_demo_quietly(tmp_path):
    # `lambda-lifecycle demo | head -1`: no warning that records are dropped, the exit code of a closed pipe.
    demo = subprocess.Popen(
        [sys.executable, "-m", "lambda_lifecycle", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert demo.stdout.readline().startswith("lambda-lifecycle demo")
    demo.stdout.close()
    assert demo.stderr.read() == ""
    assert demo.wait(timeout=120) == 141
