"""Property tests: whatever context or environment a handler gets, its record is one valid EMF line."""

from __future__ import annotations

import json
import os
import types
import warnings
from unittest import mock

from emf import problems
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lambda_lifecycle
from lambda_lifecycle import contract, testing
from lambda_lifecycle._runtime import RUNTIME

# Environment variables cannot hold NUL or lone surrogates; everything else is fair game.
_env_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=300)
_odd = st.one_of(
    st.none(),
    st.text(max_size=300),
    st.integers(),
    st.sampled_from([10**5000, -(10**5000)]),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=257, max_value=300_000).map(lambda n: "x" * n),
)
_fields = st.fixed_dictionaries(
    {},
    optional={
        "function_name": _odd,
        "function_version": _odd,
        "aws_request_id": _odd,
        "memory_limit_in_mb": _odd,
        "tenant_id": _odd,
    },
)
_environment = st.fixed_dictionaries(
    {},
    optional={
        name: _env_text
        for name in (
            "AWS_LAMBDA_FUNCTION_NAME",
            "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            "_X_AMZN_TRACE_ID",
            "LAMBDA_LIFECYCLE_NAMESPACE",
            "LAMBDA_LIFECYCLE_SERVICE",
            "LAMBDA_LIFECYCLE_DIMENSIONS",
            "POWERTOOLS_SERVICE_NAME",
        )
    },
)
_SETTINGS_VARIABLES = [name for name in os.environ if name.startswith(("LAMBDA_LIFECYCLE_", "POWERTOOLS_"))]


def _cloudwatch_text(value: object) -> bool:
    return isinstance(value, str) and value.isascii() and value.isprintable() and not value.isspace()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=_fields, as_dict=st.booleans(), environment=_environment)
def test_any_context_and_environment_give_one_valid_record_line(fields, as_dict, environment):
    context = fields if as_dict else types.SimpleNamespace(**fields)
    result = object()
    lines: list[str] = []
    with mock.patch.dict(os.environ, environment), warnings.catch_warnings():
        for name in _SETTINGS_VARIABLES:
            if name not in environment:
                os.environ.pop(name, None)
        warnings.simplefilter("ignore")
        testing.reset()
        with testing.capture() as records:
            collect, kept = RUNTIME.write, RUNTIME.collect
            assert collect is not None
            RUNTIME.redirect(lambda line: (lines.append(line), collect(line))[-1], kept)
            try:
                assert lambda_lifecycle.instrument(lambda event, context: result)({}, context) is result
            finally:
                RUNTIME.redirect(collect, kept)
        testing.reset()
    assert len(lines) == 1
    assert len(records) == 1
    line = lines[0]
    assert "\n" not in line
    assert len(line.encode()) < contract.MAX_RECORD_BYTES
    doc = json.loads(line)
    assert problems(doc) == []
    directive = doc["_aws"]["CloudWatchMetrics"][0]
    for metric in directive["Metrics"]:
        value = doc[metric["Name"]]
        assert isinstance(value, (int, float))
        assert not isinstance(value, bool)
    assert _cloudwatch_text(directive["Namespace"])
    for dimension_set in directive["Dimensions"]:
        for name in dimension_set:
            assert _cloudwatch_text(name)
            assert _cloudwatch_text(doc[name])
