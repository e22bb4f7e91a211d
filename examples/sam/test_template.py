"""The SAM template deploys the aws_clients example with the SDK, and its CloudWatch pieces read
what the SDK writes: checked with cfn-lint and by parsing it, since nothing is deployed from here."""

import re
from pathlib import Path

import pytest
import yaml

from lambda_lifecycle import contract

HERE = Path(__file__).parent


class CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (!Ref, !Sub, ...) kept as {"!Ref": value}."""


def _short_form(loader, tag, node):
    if isinstance(node, yaml.ScalarNode):
        return {"!" + tag: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {"!" + tag: loader.construct_sequence(node)}
    return {"!" + tag: loader.construct_mapping(node)}


CloudFormationLoader.add_multi_constructor("!", _short_form)


@pytest.fixture(scope="module")
def template():
    return yaml.load((HERE / "template.yaml").read_text(), Loader=CloudFormationLoader)


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "!Ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_every_reference_resolves(template):
    known = set(template["Resources"]) | set(template["Parameters"])
    assert set(refs(template)) <= known


def test_the_function_runs_the_example_with_the_layer(template):
    function = template["Resources"]["OrdersFunction"]["Properties"]
    code = (HERE / function["CodeUri"]).resolve()
    module, name = function["Handler"].split(".")
    assert f"def {name}(" in (code / f"{module}.py").read_text()
    assert function["Layers"] == [{"!Ref": "LifecycleLayer"}]
    runtime = template["Globals"]["Function"]["Runtime"]
    assert runtime.startswith("python3.")
    assert int(runtime.split(".")[1]) >= 12  # where shutdown hooks run on SIGTERM
    layer = template["Resources"]["LifecycleLayer"]["Properties"]
    assert runtime in layer["CompatibleRuntimes"]
    assert layer["ContentUri"].endswith(".zip")
    variables = function["Environment"]["Variables"]
    assert {"ORDERS_TABLE", "RECEIPTS_BUCKET"} <= set(variables)
    service = variables["LAMBDA_LIFECYCLE_SERVICE"]
    assert re.fullmatch(r"[A-Za-z0-9_.:-]{1,250}", service)  # a plain dimension value


def test_the_alarms_watch_metrics_the_sdk_publishes(template):
    service = template["Resources"]["OrdersFunction"]["Properties"]["Environment"]["Variables"][
        "LAMBDA_LIFECYCLE_SERVICE"
    ]
    alarms = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert len(alarms) == 3
    for alarm in alarms:
        # A plain alarm names its metric; a metric-math one names each in its Metrics.
        metrics = [m["MetricStat"]["Metric"] for m in alarm.get("Metrics", []) if "MetricStat" in m] or [alarm]
        for metric in metrics:
            # What the deployed function publishes with its service set and default settings.
            assert metric["Namespace"] == contract.DEFAULT_NAMESPACE
            assert metric["MetricName"] in contract.DEFAULT_METRICS  # declared by default, so it exists
            assert [d["Name"] for d in metric["Dimensions"]] == list(contract.dimension_names(service))
            assert {"!Ref": "OrdersFunction"} in [d["Value"] for d in metric["Dimensions"]]
        assert alarm["Threshold"]["!Ref"] in template["Parameters"]


def test_the_cold_start_rate_alarm_needs_a_minimum_sample(template):
    alarm = template["Resources"]["ColdStartRateAlarm"]["Properties"]
    by_id = {m["Id"]: m for m in alarm["Metrics"]}
    assert by_id["invocations"]["MetricStat"]["Stat"] == "SampleCount"
    assert by_id["cold"]["MetricStat"]["Stat"] == "Average"
    assert by_id["rate"]["Expression"] == {"!Sub": "IF(invocations >= ${ColdStartMinInvocations}, cold, 0)"}
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (3, 2)


def test_cfn_lint_finds_no_errors():
    from cfnlint.api import lint_file

    errors = [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in lint_file(HERE / "template.yaml")]
    assert [e for e in errors if e.startswith("E")] == []


def test_the_saved_query_reads_record_fields(template):
    query = template["Resources"]["EnvironmentsQuery"]["Properties"]["QueryString"]
    for field in (contract.KIND_KEY, "ColdStart", "TmpUsed", "MaxMemoryUsed", "environment_id"):
        assert field in query
        assert field in contract.PROPERTIES or field in contract.MEASUREMENTS
