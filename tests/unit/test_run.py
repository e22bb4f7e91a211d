"""``lambda-lifecycle run`` without running anything: its memory range and its install hint."""

from __future__ import annotations

import importlib.util

import pytest

from lambda_lifecycle import cli

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
