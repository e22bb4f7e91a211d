"""The layer's explicit list of SDK modules is what the SDK imports: a function exercising every
part of the SDK (bootstrap in Lambda with its shutdown extension, plain and async handlers, the
Powertools and OpenTelemetry integrations, the entry point) imports exactly these, and no tool module is listed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import lambda_lifecycle
from lambda_lifecycle.cli import layer
from lambda_lifecycle.local.runtime_api import RuntimeAPI, lambda_environment

PACKAGE = Path(lambda_lifecycle.__file__).parent
TOOLS = ("lambda_lifecycle.cli", "lambda_lifecycle.local", "lambda_lifecycle.testing", "lambda_lifecycle.pytest_plugin")
TOOLS += ("lambda_lifecycle.records", "lambda_lifecycle.platform_log", "lambda_lifecycle.__main__")

EXERCISE = """
import asyncio, json, os, sys, time
import lambda_lifecycle
from lambda_lifecycle import otel, powertools
from lambda_lifecycle.otel import resource

lambda_lifecycle.bootstrap()
otel.integrate()
lambda_lifecycle.instrument(lambda event, context: None)({}, None)


@lambda_lifecycle.instrument
async def async_handler(event, context):
    return None


class Service:
    @lambda_lifecycle.instrument
    def handle(self, event, context):
        return None


async_handler({}, None)
Service().handle({}, None)


class NearItsTimeout:  # a context with 300 ms left: the timeout warning fires, with the stack
    aws_request_id, function_name, memory_limit_in_mb = "r-1", "f", 128
    deadline = time.monotonic() + 0.3

    def get_remaining_time_in_millis(self):
        return int((self.deadline - time.monotonic()) * 1000)


lambda_lifecycle.instrument(lambda event, context: time.sleep(0.25))({}, NearItsTimeout())
os.environ["LAMBDA_LIFECYCLE_HANDLER"] = "json.dumps"  # any module.function: the entry point loads it
import lambda_lifecycle.handler
print(json.dumps(sorted(name for name in sys.modules if name.startswith("lambda_lifecycle"))), file=sys.stderr)
"""


def test_the_layer_ships_exactly_the_modules_the_sdk_imports():
    with RuntimeAPI() as api:
        # In Lambda on python3.12, with a runtime client naming the handler: every path taken.
        env = lambda_environment(api, AWS_EXECUTION_ENV="AWS_Lambda_python3.12", _HANDLER="app.handler")
        done = subprocess.run([sys.executable, "-c", EXERCISE], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert [name for name, _ in api.extensions] == ["lambda-lifecycle"]
    imported = json.loads(done.stderr.splitlines()[-1])
    assert sorted(layer.SDK_MODULES) == imported


def test_every_module_of_the_package_is_either_the_sdks_or_a_tool():
    modules = {
        ".".join(("lambda_lifecycle", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
        for path in PACKAGE.rglob("*.py")
    }
    tools = {name for name in modules if name.startswith(TOOLS)}
    assert sorted(modules - tools) == sorted(layer.SDK_MODULES)
    assert all((PACKAGE.parent / name).is_file() for name in layer.sdk_files())
