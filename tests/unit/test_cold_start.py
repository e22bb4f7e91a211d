"""Which invocation is a cold start, for every kind of execution environment."""

from __future__ import annotations

import time

import pytest

import lambda_lifecycle
from lambda_lifecycle import testing


def handler(event, context):
    if event.get("fail"):
        raise RuntimeError("boom")
    return event


def new_environment(init_type: str | None, monkeypatch, init_duration_ms: float = 250.0):
    if init_type is not None:
        monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", init_type)
    testing.reset(init_duration_ms=init_duration_ms)
    return lambda_lifecycle.instrument(handler)


def test_first_on_demand_invocation_is_cold_and_the_rest_warm(monkeypatch, records, context):
    h = new_environment("on-demand", monkeypatch)
    for _ in range(3):
        h({}, context)
    assert [r["cold_start"] for r in records] == [True, False, False]
    assert [r["ColdStart"] for r in records] == [1, 0, 0]
    assert [r["invocation"] for r in records] == [1, 2, 3]
    assert not any(r.get("proactive_init", False) for r in records)


def test_unset_init_type_means_on_demand(monkeypatch, records, context):
    h = new_environment(None, monkeypatch)
    h({}, context)
    assert records[0]["init_type"] == "on-demand"
    assert records[0]["cold_start"] is True


def test_cold_start_is_marked_before_the_handler_runs(monkeypatch, records, context):
    h = new_environment("on-demand", monkeypatch)
    seen = []

    @lambda_lifecycle.instrument
    def peek(event, ctx):
        seen.append(lambda_lifecycle.environment().cold_start)
        raise RuntimeError("first invocation fails")

    with pytest.raises(RuntimeError):
        peek({}, context)
    h({}, context)
    assert seen == [True]
    assert [(r["cold_start"], r.get("error")) for r in records] == [(True, "RuntimeError"), (False, None)]


def test_long_gap_before_the_first_invocation_is_a_proactive_init(monkeypatch, records, clock, context):
    h = new_environment("on-demand", monkeypatch)
    clock.advance(10.5)
    h({}, context)
    h({}, context)
    first = records[0]
    assert (first["cold_start"], first.get("proactive_init", False), first["ColdStart"]) == (False, True, 0)
    assert first["InitDuration"] == pytest.approx(250, abs=1)
    assert not records[1].get("proactive_init", False)


def test_gap_at_the_threshold_is_still_a_cold_start(monkeypatch, records, clock, context):
    h = new_environment("on-demand", monkeypatch)
    clock.advance(9.9)
    h({}, context)
    assert records[0]["cold_start"] is True


@pytest.mark.parametrize("how", ["env", "bootstrap", "keyword"])
def test_proactive_init_threshold_is_configurable(how, monkeypatch, records, clock, context):
    if how == "env":
        monkeypatch.setenv("LAMBDA_LIFECYCLE_PROACTIVE_INIT_THRESHOLD_MS", "2000")
    testing.reset()
    if how == "bootstrap":
        lambda_lifecycle.bootstrap(proactive_init_threshold_ms=2000)
    options = {"proactive_init_threshold_ms": 2000} if how == "keyword" else {}
    h = lambda_lifecycle.instrument(**options)(handler)
    clock.advance(3)
    h({}, context)
    assert records[0].get("proactive_init", False) is True


@pytest.mark.parametrize("init_type", ["provisioned-concurrency", "snap-start", "lambda-managed-instances"])
def test_other_init_types_never_claim_a_cold_start_but_report_init(init_type, monkeypatch, records, context):
    h = new_environment(init_type, monkeypatch, init_duration_ms=800)
    h({}, context)
    h({}, context)
    assert [r["init_type"] for r in records] == [init_type, init_type]
    assert [r["cold_start"] for r in records] == [False, False]
    assert [r["ColdStart"] for r in records] == [0, 0]
    assert [r.get("proactive_init", False) for r in records] == [False, False]
    # 800 ms simulated, plus the real time decorating took (under SnapStart that includes
    # importing snapshot_restore_py, once, to register the after-restore hook).
    assert 800 <= records[0]["InitDuration"] < 850
    assert "InitDuration" not in records[1]


def test_provisioned_concurrency_ignores_the_proactive_rule(monkeypatch, records, clock, context):
    h = new_environment("provisioned-concurrency", monkeypatch)
    clock.advance(3600)
    h({}, context)
    assert (records[0]["cold_start"], records[0].get("proactive_init", False)) == (False, False)


def test_unknown_init_type_warns_and_claims_nothing(monkeypatch, records, context):
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "quantum")
    with pytest.warns(lambda_lifecycle.LifecycleWarning, match="quantum"):
        h = new_environment(None, monkeypatch)
        h({}, context)
    assert (records[0]["init_type"], records[0]["cold_start"]) == ("quantum", False)


def test_init_duration_runs_from_process_start_to_handler_ready(monkeypatch, records, clock, context):
    testing.reset()
    clock.advance(0.4)  # imports after the process started
    h = lambda_lifecycle.instrument(handler)  # ready now
    clock.advance(1)  # waiting for the first event is not init
    h({}, context)
    assert records[0]["InitDuration"] == pytest.approx(400, abs=2)
    assert records[0]["cold_start"] is True


class _StandingClock(testing.Clock):
    """Wall time that moves only by advance(): the test's own running time, which a loaded machine
    stretches past any tolerance, stays out of IdleTime."""

    def __init__(self) -> None:
        super().__init__()
        self.base = time.time()

    def __call__(self) -> float:
        return self.base + self.offset


def test_idle_time_is_the_gap_since_the_previous_invocation_ended(monkeypatch, records, context):
    h = new_environment("on-demand", monkeypatch)
    clock = _StandingClock()
    with testing.simulated_clock(clock):
        h({}, context)
        clock.advance(42)
        h({}, context)
        clock.advance(0.5)
        h({}, context)
    assert "IdleTime" not in records[0]
    assert records[1]["IdleTime"] == pytest.approx(42_000, abs=1)  # float wall times, not the test's pace
    assert records[2]["IdleTime"] == pytest.approx(500, abs=1)


def test_container_age_grows_with_the_environment(monkeypatch, records, clock, context):
    h = new_environment("on-demand", monkeypatch, init_duration_ms=1000)
    h({}, context)
    clock.advance(120)
    h({}, context)
    assert records[0]["ContainerAge"] == 1
    assert records[1]["ContainerAge"] == 121


def test_an_invocation_that_raises_still_counts(monkeypatch, records, context):
    h = new_environment("on-demand", monkeypatch)
    with pytest.raises(RuntimeError):
        h({"fail": True}, context)
    h({}, context)
    assert [(r["invocation"], r["cold_start"], r.get("error")) for r in records] == [
        (1, True, "RuntimeError"),
        (2, False, None),
    ]


def test_environment_snapshot_follows_the_lifecycle_and_is_read_only(monkeypatch, clock, context):
    h = new_environment("on-demand", monkeypatch, init_duration_ms=300)
    before = lambda_lifecycle.environment()
    assert (before.invocations, before.last_invocation_end, before.cold_start) == (0, None, False)
    h({}, context)
    clock.advance(5)
    after = lambda_lifecycle.environment()
    assert after.container_id == before.container_id
    assert (after.invocations, after.cold_start) == (1, True)
    assert after.init_duration_ms == pytest.approx(300, abs=1)
    assert after.age_s == pytest.approx(5.3, abs=0.1)
    assert after.last_invocation_end is not None
    assert after.as_dict()["container_id"] == after.container_id
    with pytest.raises(AttributeError, match="read-only"):
        after.invocations = 7  # type: ignore[misc]


def test_a_new_environment_gets_a_new_container_id(monkeypatch, records, context):
    h = new_environment("on-demand", monkeypatch)
    h({}, context)
    h = new_environment("on-demand", monkeypatch)
    h({}, context)
    assert records[0]["container_id"] != records[1]["container_id"]
    assert len(records[0]["container_id"]) == 12
    assert [r["cold_start"] for r in records] == [True, True]


# The table "What counts as a cold start" of the docs, row by row, as the pure rule sees it:
# (init type, invocation, process restarts, restore hook registered, ms from ready to invoke)
# -> (cold_start, proactive_init).
THRESHOLD_MS = 10_000.0
COLD_START_TABLE = [
    # on-demand, first invocation within the threshold of the handler being ready
    ("on-demand", 1, 0, False, 50.0, (True, False)),
    ("on-demand", 1, 0, False, THRESHOLD_MS, (True, False)),
    ("on-demand", 2, 0, False, 50.0, (False, False)),
    # on-demand, initialized ahead of demand: nobody waited
    ("on-demand", 1, 0, False, THRESHOLD_MS + 1, (False, True)),
    ("on-demand", 2, 0, False, THRESHOLD_MS + 1, (False, False)),
    # provisioned concurrency: never, however long it waited
    ("provisioned-concurrency", 1, 0, False, 50.0, (False, False)),
    ("provisioned-concurrency", 1, 0, False, 1e9, (False, False)),
    # SnapStart restored through its hooks: never; without them (a local run): as on-demand
    ("snap-start", 1, 0, True, 50.0, (False, False)),
    ("snap-start", 1, 0, False, 50.0, (True, False)),
    ("snap-start", 1, 0, False, THRESHOLD_MS + 1, (False, True)),
    # Managed Instances: never
    ("lambda-managed-instances", 1, 0, False, 50.0, (False, False)),
    ("lambda-managed-instances", 1, 3, False, 50.0, (False, False)),
    # a process killed, then the next invocation in the same environment: cold, even if late
    ("on-demand", 1, 1, False, 50.0, (True, False)),
    ("on-demand", 1, 1, False, 1e9, (True, False)),
    ("on-demand", 2, 1, False, 50.0, (False, False)),
    ("provisioned-concurrency", 1, 2, False, 50.0, (True, False)),
    # any other init type: never
    ("something-new", 1, 0, False, 50.0, (False, False)),
    ("something-new", 1, 1, False, 50.0, (False, False)),
]


@pytest.mark.parametrize(("init_type", "invocation", "restarts", "restores", "waited_ms", "expected"), COLD_START_TABLE)
def test_the_cold_start_rule_is_the_documented_table(init_type, invocation, restarts, restores, waited_ms, expected):
    from lambda_lifecycle._cold_start import classify

    assert (
        classify(
            init_type=init_type,
            invocation=invocation,
            process_restarts=restarts,
            restores_observed=restores,
            ready_to_invoke_ms=waited_ms,
            proactive_threshold_ms=THRESHOLD_MS,
        )
        == expected
    )
