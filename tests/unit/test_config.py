"""Where settings come from: keyword > bootstrap() > environment > default, and bad values."""

from __future__ import annotations

import json

import pytest

import lambda_lifecycle
from lambda_lifecycle import testing

# setting -> (environment variable, a value for it, how it shows in the record)
SETTINGS = {
    "namespace": (
        "LAMBDA_LIFECYCLE_NAMESPACE",
        "FromEnv",
        lambda doc: doc["_aws"]["CloudWatchMetrics"][0]["Namespace"],
    ),
    "service": ("LAMBDA_LIFECYCLE_SERVICE", "from-env", lambda doc: doc.get("service")),
    "metrics": (
        "LAMBDA_LIFECYCLE_METRICS",
        "Threads",
        lambda doc: [m["Name"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]],
    ),
    "dimensions": ("LAMBDA_LIFECYCLE_DIMENSIONS", "stage=env", lambda doc: doc.get("stage")),
}
VALUES = {
    "namespace": ("FromBootstrap", "FromKeyword"),
    "service": ("from-bootstrap", "from-keyword"),
    "metrics": (["Duration"], ["FileDescriptors"]),
    "dimensions": ({"stage": "bootstrap"}, {"stage": "keyword"}),
}


def record(capsys, **options):
    lambda_lifecycle.instrument(**options)(lambda e, c: None)({}, testing.LambdaContext())
    return json.loads(capsys.readouterr().out.splitlines()[-1])


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_precedence(name, capsys, monkeypatch):
    variable, env_value, shown = SETTINGS[name]
    from_bootstrap, from_keyword = VALUES[name]
    default = shown(record(capsys))
    monkeypatch.setenv(variable, env_value)
    from_env = shown(record(capsys))
    lambda_lifecycle.bootstrap(**{name: from_bootstrap})
    after_bootstrap = shown(record(capsys))
    with_keyword = shown(record(capsys, **{name: from_keyword}))
    assert len({repr(v) for v in (default, from_env, after_bootstrap, with_keyword)}) == 4
    assert from_env in ("FromEnv", "from-env", ["Threads"], "env")
    assert with_keyword in ("FromKeyword", "from-keyword", ["FileDescriptors"], "keyword")


def test_format_precedence(capsys, monkeypatch):
    monkeypatch.setenv("LAMBDA_LIFECYCLE_FORMAT", "json")
    handler = lambda_lifecycle.instrument(lambda e, c: None)
    handler({}, None)
    lambda_lifecycle.bootstrap(format="prefixed")
    handler({}, None)
    lambda_lifecycle.instrument(format="emf")(lambda e, c: None)({}, None)
    env_line, bootstrap_line, keyword_line = capsys.readouterr().out.splitlines()
    assert env_line.startswith("{")
    assert "_aws" not in env_line
    assert bootstrap_line.startswith("METRICS: ")
    assert keyword_line.startswith('{"_aws"')


def test_powertools_service_is_the_fallback_but_not_its_namespace(capsys, monkeypatch):
    # Powertools' own ColdStart lives in POWERTOOLS_METRICS_NAMESPACE; ours must not merge with it.
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "PtNamespace")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "pt-service")
    doc = record(capsys)
    assert doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "LambdaLifecycle"
    assert doc["service"] == "pt-service"
    monkeypatch.setenv("LAMBDA_LIFECYCLE_NAMESPACE", "Ours")
    monkeypatch.setenv("LAMBDA_LIFECYCLE_SERVICE", "ours")
    testing.reset()
    doc = record(capsys)
    assert (doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], doc["service"]) == ("Ours", "ours")


@pytest.mark.parametrize(
    ("log_format", "log_level", "kept_as"),
    [
        ("JSON", "WARN", "WARN"),
        ("json", "error", "ERROR"),
        ("JSON", "FATAL", "FATAL"),
        ("JSON", "INFO", None),
        ("JSON", "DEBUG", None),
        ("Text", "ERROR", None),  # level filtering needs the JSON format
        (None, None, None),
    ],
)
def test_records_survive_lambda_log_level_filtering(capsys, monkeypatch, log_format, log_level, kept_as):
    for name, value in (("AWS_LAMBDA_LOG_FORMAT", log_format), ("AWS_LAMBDA_LOG_LEVEL", log_level)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    testing.reset()
    doc = record(capsys)
    assert doc.get("level") == kept_as
    assert doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]  # still EMF


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LAMBDA_LIFECYCLE_NAMESPACE", "AWS/Lambda"),
        ("LAMBDA_LIFECYCLE_FORMAT", "xml"),
        ("LAMBDA_LIFECYCLE_METRICS", "ColdStart,NoSuchMetric"),
        ("LAMBDA_LIFECYCLE_DIMENSIONS", "container_id=abc"),
        ("LAMBDA_LIFECYCLE_DIMENSIONS", "no-equals-sign"),
        ("LAMBDA_LIFECYCLE_DISABLED", "maybe"),
        ("LAMBDA_LIFECYCLE_PROACTIVE_INIT_THRESHOLD_MS", "soon"),
        ("LAMBDA_LIFECYCLE_PROACTIVE_INIT_THRESHOLD_MS", "-5"),
        ("LAMBDA_LIFECYCLE_TMP_SIZE_MB", "huge"),
        ("LAMBDA_LIFECYCLE_TMP_SIZE_MB", "20000"),
        ("LAMBDA_LIFECYCLE_SERVICE", "s" * 2000),
        # What CloudWatch refuses (and with it every metric of the record) is malformed too.
        ("LAMBDA_LIFECYCLE_DIMENSIONS", "_aws=x"),
        ("LAMBDA_LIFECYCLE_DIMENSIONS", "level=x"),
        ("LAMBDA_LIFECYCLE_DIMENSIONS", ":stage=x"),
        ("LAMBDA_LIFECYCLE_DIMENSIONS", "stage=prød"),
        ("LAMBDA_LIFECYCLE_DIMENSIONS", "stage=\x01"),
        ("LAMBDA_LIFECYCLE_DIMENSIONS", "stage="),
        ("LAMBDA_LIFECYCLE_NAMESPACE", ":Ns"),
        ("LAMBDA_LIFECYCLE_NAMESPACE", "Nämespace"),
        ("LAMBDA_LIFECYCLE_NAMESPACE", "Ns\x07"),
        ("LAMBDA_LIFECYCLE_SERVICE", "svc\x01"),
        ("LAMBDA_LIFECYCLE_SERVICE", "sérvice"),
        ("POWERTOOLS_SERVICE_NAME", "svc\x1b"),
    ],
)
def test_malformed_environment_warns_once_and_falls_back(variable, value, capsys, monkeypatch):
    monkeypatch.setenv(variable, value)
    with pytest.warns(lambda_lifecycle.LifecycleWarning, match=variable) as warned:
        handler = lambda_lifecycle.instrument(lambda e, c: "ok")
        assert [handler({}, None) for _ in range(2)] == ["ok", "ok"]
    assert len(warned) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2  # records still written, with the default for the bad setting
    doc = json.loads(lines[0])
    assert doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "LambdaLifecycle"
    assert doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["function_name"]]


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "on"])
def test_disabled_spellings(value, monkeypatch):
    monkeypatch.setenv("LAMBDA_LIFECYCLE_DISABLED", value)

    def handler(e, c):
        return None

    assert lambda_lifecycle.instrument(handler) is handler


@pytest.mark.parametrize(
    "options",
    [
        {"namespace": ""},
        {"namespace": "AWS/Lambda"},
        {"format": "xml"},
        {"metrics": ["NoSuchMetric"]},
        {"metrics": 5},
        {"dimensions": {"stage": 1}},
        {"dimensions": "stage"},
        {"proactive_init_threshold_ms": -1},
        {"proactive_init_threshold_ms": float("nan")},
        {"disabled": "perhaps"},
        {"tmp_path": ""},
    ],
)
def test_bad_values_in_code_raise_when_decorating(options):
    with pytest.raises(ValueError, match=f"lambda-lifecycle {next(iter(options))}"):
        lambda_lifecycle.instrument(**options)
    with pytest.raises(ValueError, match="lambda-lifecycle"):
        lambda_lifecycle.bootstrap(**options)


def test_bootstrap_again_with_the_same_values_is_silent_and_later_calls_win(capsys):
    first = lambda_lifecycle.bootstrap(service="a")
    again = lambda_lifecycle.bootstrap(service="a", namespace="Shop")  # a new setting is no change
    assert first.container_id == again.container_id
    handler = lambda_lifecycle.instrument(lambda e, c: None)
    handler({}, None)
    with pytest.warns(lambda_lifecycle.LifecycleWarning, match="bootstrap"):
        lambda_lifecycle.bootstrap(service="b")
    handler({}, None)
    services = [json.loads(line)["service"] for line in capsys.readouterr().out.splitlines()]
    assert services == ["a", "b"]


def test_a_later_bootstrap_changing_values_already_set_says_so_once():
    lambda_lifecycle.bootstrap(service="orders", dimensions={"stage": "prod"}, timeout_warning_ms=300)
    with pytest.warns(lambda_lifecycle.LifecycleWarning) as warned:
        lambda_lifecycle.bootstrap(service="billing", dimensions={"stage": "dev"}, timeout_warning_ms=300)
        lambda_lifecycle.bootstrap(service="cart")
    [warning] = warned
    assert str(warning.message) == (
        "lambda-lifecycle: bootstrap() called again changes service 'orders' -> 'billing',"
        " dimensions (('stage', 'prod'),) -> (('stage', 'dev'),); the later values apply, also to handlers"
        " decorated already"
    )
    assert warning.filename == __file__  # it points at the second call, not into the SDK


_REFUSED_BY_CLOUDWATCH = [
    {"dimensions": {"_aws": "x"}},
    {"dimensions": {"level": "x"}},
    {"dimensions": {":stage": "x"}},
    {"dimensions": {" ": "x"}},
    {"dimensions": {"st\x00age": "x"}},
    {"dimensions": {"stäge": "x"}},
    {"dimensions": {"stage": " "}},
    {"dimensions": {"stage": "\t"}},
    {"dimensions": {"stage": "pr\nod"}},
    {"dimensions": {"stage": "prød"}},
    {"dimensions": {"stage": "x" * 1025}},
    {"namespace": ":Ns"},
    {"namespace": " "},
    {"namespace": "Ns\x7f"},
    {"namespace": "Ns\n"},
    {"namespace": "Nämespace"},
    {"namespace": "Ns{with}braces"},
    {"namespace": "N" * 256},
    {"service": " "},
    {"service": "svc\x1b[31m"},
    {"service": "sérvice"},
]


@pytest.mark.parametrize("options", _REFUSED_BY_CLOUDWATCH)
def test_names_and_values_cloudwatch_refuses_raise_in_code(options):
    with pytest.raises(ValueError, match=f"lambda-lifecycle {next(iter(options))}"):
        lambda_lifecycle.instrument(**options)
    with pytest.raises(ValueError, match="lambda-lifecycle"):
        lambda_lifecycle.bootstrap(**options)


@pytest.mark.parametrize(
    ("options", "dimension", "namespace"),
    [
        ({"namespace": "My App/prod-1.2_x#3:a"}, None, "My App/prod-1.2_x#3:a"),
        ({"dimensions": {"stage name": "prod #1 (eu-west-1)"}}, ("stage name", "prod #1 (eu-west-1)"), None),
        ({"service": "payments-api v2"}, ("service", "payments-api v2"), None),
    ],
)
@pytest.mark.parametrize("how", ["instrument", "bootstrap"])
def test_names_and_values_cloudwatch_accepts_are_kept(options, dimension, namespace, how, records):
    if how == "bootstrap":
        lambda_lifecycle.bootstrap(**options)
        options = {}
    lambda_lifecycle.instrument(**options)(lambda event, context: None)({}, testing.LambdaContext())
    [record] = records
    [directive] = record["_aws"]["CloudWatchMetrics"]
    # Written as given, not cleaned up: the record, its metrics' namespace and dimension sets.
    if namespace is not None:
        assert directive["Namespace"] == namespace
    if dimension is not None:
        name, value = dimension
        assert record[name] == value
        assert all(name in names for names in directive["Dimensions"])


@pytest.mark.parametrize(
    ("variable", "value", "shown"),
    [
        ("LAMBDA_LIFECYCLE_TIMEOUT_WARNING_MS", "soon", "LAMBDA_LIFECYCLE_TIMEOUT_WARNING_MS=auto, the default"),
        ("LAMBDA_LIFECYCLE_DIMENSIONS", "no-equals-sign", "LAMBDA_LIFECYCLE_DIMENSIONS=none, the default"),
        ("LAMBDA_LIFECYCLE_PROACTIVE_INIT_THRESHOLD_MS", "soon", "THRESHOLD_MS=10000, the default"),
    ],
)
def test_environment_warnings_speak_the_documented_default_and_point_at_user_code(variable, value, shown, monkeypatch):
    import os
    import warnings

    monkeypatch.setenv(variable, value)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lambda_lifecycle.instrument(lambda e, c: "ok")({}, testing.LambdaContext())
    [warning] = [w for w in caught if issubclass(w.category, lambda_lifecycle.LifecycleWarning)]
    message = str(warning.message)
    assert variable in message
    assert shown in message
    assert "None" not in message
    assert "()" not in message
    package = os.path.dirname(os.path.abspath(lambda_lifecycle.__file__))
    assert not os.path.abspath(warning.filename).startswith(package + os.sep)
    assert os.path.abspath(warning.filename) == os.path.abspath(__file__)


def test_instrument_takes_the_handler_settings_and_bootstrap_both_scopes():
    import inspect

    from lambda_lifecycle import _config

    def keywords(func):
        return {p.name for p in inspect.signature(func).parameters.values() if p.kind is p.KEYWORD_ONLY}

    assert not set(_config.HANDLER_SETTINGS) & set(_config.PROCESS_SETTINGS)
    assert keywords(lambda_lifecycle.instrument) == set(_config.HANDLER_SETTINGS)
    assert keywords(lambda_lifecycle.bootstrap) == set(_config.HANDLER_SETTINGS) | set(_config.PROCESS_SETTINGS)
    assert set(_config.Settings.__slots__) >= set(_config.HANDLER_SETTINGS) | set(_config.PROCESS_SETTINGS)
