"""``lambda-lifecycle run`` without running anything: its memory range, its install hint and its exec wrapper."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from lambda_lifecycle import cli
from lambda_lifecycle.local import run as local_run

GLOBAL_INIT = "examples/global_init/handler.lambda_handler"


@pytest.mark.parametrize("memory", [128, 10240])
def test_lambdas_whole_memory_range_is_accepted(memory):
    assert cli._parser().parse_args(["run", GLOBAL_INIT, "--memory", str(memory)]).memory == memory


def test_without_the_runtime_client_it_says_what_to_install(monkeypatch, capsys):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *rest: None if name == "awslambdaric" else find_spec(name, *rest)
    )
    assert cli.main(["run", GLOBAL_INIT]) == 1
    assert capsys.readouterr().err == (
        "lambda-lifecycle: this command needs the runtime client: pip install 'lambda-lifecycle[local]'"
        " (from a clone: pip install '.[local]')\n"
    )


@pytest.mark.parametrize(
    ("wrapper", "said"),
    [
        ("missing.sh", "lambda-lifecycle: --exec-wrapper missing.sh: no such file\n"),
        (
            "plain.sh",
            "lambda-lifecycle: --exec-wrapper plain.sh: not executable, and Lambda runs a wrapper as a"
            " program: chmod +x plain.sh\n",
        ),
        (".", "lambda-lifecycle: --exec-wrapper .: a directory, not a script\n"),
    ],
)
def test_an_exec_wrapper_that_cannot_run_is_one_line_before_anything_starts(
    wrapper, said, tmp_path, monkeypatch, capsys
):
    # Found after Lambda's first line, it was the OS's bare "[Errno 2] No such file or directory".
    (tmp_path / "plain.sh").write_text('#!/bin/sh\nexec "$@"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(local_run, "RuntimeAPI", lambda *args: pytest.fail("the run started"))
    handler = f"{Path(__file__).parents[2] / GLOBAL_INIT}"
    assert cli.main(["run", handler, "--exec-wrapper", wrapper]) == 1
    assert capsys.readouterr().err == said


def test_a_relative_exec_wrapper_is_the_one_in_the_shells_directory_not_the_code_roots(tmp_path, monkeypatch):
    # The runtime starts in the code root: the path it is given must not be relative.
    (tmp_path / "wrapper.sh").write_text('#!/bin/sh\nexec "$@"\n')
    (tmp_path / "wrapper.sh").chmod(0o755)
    monkeypatch.chdir(tmp_path)
    assert local_run.exec_wrapper_at("wrapper.sh") == str(tmp_path / "wrapper.sh")
    assert local_run.exec_wrapper_at(None) is None
