"""The public surface, and what importing the package costs and does."""

from __future__ import annotations

import lambda_lifecycle
from lambda_lifecycle import testing


def test_public_api_is_exactly_this():
    assert sorted(lambda_lifecycle.__all__) == [
        "Environment",
        "LifecycleWarning",
        "__version__",
        "bootstrap",
        "environment",
        "instrument",
        "on_shutdown",
    ]
    # "@py_builtins" and the like: pytest rewrites asserts in the package of a pytest11 plugin.
    public = {name for name in vars(lambda_lifecycle) if not name.startswith(("_", "@"))}
    # Submodules are reachable as attributes once imported; these are the public ones among them.
    submodules = {
        "testing",
        "powertools",
        "pytest_plugin",
        "cli",
        "contract",
        "local",
        "otel",
        "records",
        "platform_log",
    }
    assert public - submodules == set(lambda_lifecycle.__all__) - {"__version__"}
    assert lambda_lifecycle.__version__ == "0.2.0"
    assert sorted(testing.__all__) == [
        "Clock",
        "LambdaContext",
        "Lifecycle",
        "capture",
        "parse",
        "reset",
        "shutdown",
        "simulated_clock",
    ]
    from lambda_lifecycle import powertools

    assert sorted(powertools.__all__) == ["LOG_KEYS", "integrate"]
    from lambda_lifecycle import otel
    from lambda_lifecycle.otel import resource

    assert otel.__all__ == ["integrate"]
    assert resource.__all__ == ["LambdaResourceDetector"]


def test_public_objects_name_their_public_module():
    for name in set(lambda_lifecycle.__all__) - {"__version__"}:
        assert getattr(lambda_lifecycle, name).__module__ == "lambda_lifecycle", name
    for name in testing.__all__:
        assert getattr(testing, name).__module__ == "lambda_lifecycle.testing", name


def test_the_tools_reader_of_lambdas_lines_keeps_its_names():
    # platform_log re-exports them from its private modules; the CLI and the local runner import them.
    from lambda_lifecycle import platform_log

    assert sorted(platform_log.__all__) == [
        "Cause",
        "ERROR",
        "EXIT_ERROR",
        "FAILURE",
        "Format",
        "KILLED_CAUSES",
        "Kind",
        "OUT_OF_MEMORY",
        "PlatformLine",
        "SUCCESS",
        "TIMEOUT",
        "Unread",
        "billed_ms",
        "cause",
        "parse",
        "parse_object",
        "to_json",
        "to_text",
    ]
    assert [name for name in platform_log.__all__ if not hasattr(platform_log, name)] == []


def test_package_is_typed():
    from importlib.resources import files

    assert files("lambda_lifecycle").joinpath("py.typed").is_file()


def test_a_plain_function_stays_a_function_and_a_method_is_still_one():
    import functools
    import inspect

    def handler(event, context):
        """Handles."""
        return context

    instrumented = lambda_lifecycle.instrument(handler)
    assert inspect.isfunction(instrumented)
    assert (instrumented.__name__, instrumented.__doc__, instrumented.__wrapped__) == ("handler", "Handles.", handler)
    assert lambda_lifecycle.instrument(instrumented) is instrumented
    # Another decorator's functools.wraps copies the attributes, not the instrumentation: instrumenting
    # what it returns measures that function too (the outer call; the inner one is nested in it).
    outer = functools.wraps(instrumented)(lambda event, context: instrumented(event, context))
    assert lambda_lifecycle.instrument(outer) is not outer

    class Service:
        @lambda_lifecycle.instrument
        def handle(self, event, context):
            return (self, context)

    service = Service()
    with testing.capture() as records:
        assert service.handle({}, "ctx") == (service, "ctx")
    assert len(records) == 1


def test_wrapt_is_the_fast_major_version():
    import wrapt

    assert int(wrapt.__version__.split(".")[0]) == 1
