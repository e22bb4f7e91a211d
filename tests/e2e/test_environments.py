"""What counts as a cold start, and which ids records carry, on every kind of execution environment.

One scenario per row of the table "What counts as a cold start" (docs/cold-starts.md), each run under the real
awslambdaric against the local Runtime API.
"""

from __future__ import annotations

import functools
import tempfile
import time
from pathlib import Path

import pytest

from lambda_lifecycle.contract import KIND_KEY
from lambda_lifecycle.local.runtime_api import RuntimeAPI, kill_environment, lambda_environment, records, start_runtime

APP = Path(__file__).parent / "e2e_app"


def run_runtime(events, *, before_first=None, at_once=False, **env):
    """One runtime process: send ``events`` (each after the last is done, or ``at_once``), kill it;
    returns (api, stdout)."""
    with RuntimeAPI() as api:
        process = start_runtime(APP, "app.handler", lambda_environment(api, **env))
        try:
            if before_first:
                before_first(api)
            for n, event in enumerate(events, start=1):
                api.invoke(event)
                if event.get("exit"):
                    process.wait(30)
                elif not at_once:
                    api.wait_done(n)
            if at_once:
                api.wait_done(len(events))
        finally:
            kill_environment(process)
            stdout, stderr = process.communicate(timeout=30)
    assert "Traceback" not in stderr, stderr
    return api, stdout


def wait_for_init_then(seconds):
    def wait(api):
        deadline = time.monotonic() + 60
        while not api.next_calls and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(seconds)  # nobody invokes: Lambda initialized this environment ahead of demand

    return wait


def on_demand_cold_and_warm():
    return records(run_runtime([{"n": 1}, {"n": 2}, {"n": 3}])[1]), {}


def proactive_init():
    _, stdout = run_runtime(
        [{"n": 1}, {"n": 2}],
        before_first=wait_for_init_then(0.6),
        LAMBDA_LIFECYCLE_PROACTIVE_INIT_THRESHOLD_MS="300",
    )
    return records(stdout), {}


def provisioned_concurrency():
    _, stdout = run_runtime([{"n": 1}, {"n": 2}], AWS_LAMBDA_INITIALIZATION_TYPE="provisioned-concurrency")
    return records(stdout), {}


def snap_start():
    api, stdout = run_runtime([{"n": 1}, {"n": 2}], AWS_LAMBDA_INITIALIZATION_TYPE="snap-start")
    assert len(api.restore_next_calls) == 1
    [line] = [line for line in stdout.splitlines() if line.startswith("snapshot ids: ")]
    return records(stdout), {"snapshot_ids": line.split()[2:]}


def restart_after_a_crash():
    with tempfile.TemporaryDirectory(prefix="lambda-tmp-") as tmp:  # the environment's /tmp, both processes'
        _, first = run_runtime([{"n": 1}, {"n": 2}, {"n": 3, "exit": True}], LAMBDA_LIFECYCLE_TMP_PATH=tmp)
        _, second = run_runtime([{"n": 4}, {"n": 5}], LAMBDA_LIFECYCLE_TMP_PATH=tmp)
    return records(first) + records(second), {}


def both_workers_waiting(api):
    deadline = time.monotonic() + 60
    while len(api.next_calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)


def managed_instances():
    _, stdout = run_runtime(
        [{"n": n, "sleep": 0.3} for n in range(1, 5)],
        before_first=both_workers_waiting,
        at_once=True,  # while one worker sleeps in an invocation, the other takes the next
        AWS_LAMBDA_INITIALIZATION_TYPE="lambda-managed-instances",
        AWS_LAMBDA_MAX_CONCURRENCY="2",
    )
    return records(stdout), {}


def invokes(found):
    return [r for r in found if r[KIND_KEY] == "invoke"]


def inits(found):
    return [r for r in found if r[KIND_KEY] == "init"]


def assert_one_init_record_per_process(found):
    """Every process wrote one init record, whose phases add up to its first invocation's
    InitDuration (each phase rounded to a whole ms on its own)."""
    firsts = [r for r in invokes(found) if r["invocation"] == 1]
    init = inits(found)
    assert sorted(r["container_id"] for r in init) == sorted(r["container_id"] for r in firsts)
    by_process = {r["container_id"]: r for r in firsts}
    for record in init:
        assert record["InitDuration"] == by_process[record["container_id"]]["InitDuration"]
        phases = record["InitRuntime"] + record["InitImports"] + record["InitCode"]
        assert abs(phases - record["InitDuration"]) <= 2, record
        assert record["loaded_by"] == "import"
    return init


# scenario -> the (cold_start, proactive_init, reinit) of each invocation, in order
MATRIX = {
    on_demand_cold_and_warm: [(True, False, False), (False, False, False), (False, False, False)],
    proactive_init: [(False, True, False), (False, False, False)],
    provisioned_concurrency: [(False, False, False), (False, False, False)],
    snap_start: [(False, False, False), (False, False, False)],
    restart_after_a_crash: [(True, False, False), (False, False, False), (True, False, True), (False, False, False)],
}


@pytest.fixture(scope="module")
def once():
    """Each scenario runs once for the module: the tests only read what it wrote."""
    return functools.cache(lambda scenario: scenario())


@pytest.mark.parametrize("scenario", list(MATRIX), ids=lambda f: f.__name__)
def test_cold_start_matrix(scenario, once):
    every, extra = once(scenario)
    init = assert_one_init_record_per_process(every)
    found = invokes(every)
    got = [(r["cold_start"], r.get("proactive_init", False), r.get("reinit", False)) for r in found]
    assert got == MATRIX[scenario]
    assert all("InitDuration" in r for r in found if r["invocation"] == 1)
    assert all("InitDuration" not in r for r in found if r["invocation"] > 1)
    if scenario is snap_start:
        # Ids made during init were in the snapshot, shared by every clone: renewed at restore.
        assert {r["container_id"] for r in found} & set(extra["snapshot_ids"]) == set()
        assert {r["environment_id"] for r in found} & set(extra["snapshot_ids"]) == set()
        assert all(r["restored"] for r in found)
        assert found[0]["RestoreToInvoke"] >= 0
        assert "RestoreToInvoke" not in found[1]
        # The anatomy of the snapshot's init, then the restore as a phase of its own.
        assert [(r["restored"], "InitWait" in r, r["RestoreToInvoke"]) for r in init] == [
            (True, False, found[0]["RestoreToInvoke"])
        ]
    else:
        assert not any(r["restored"] for r in found)
        assert all("RestoreToInvoke" not in r for r in init)
    if scenario is proactive_init:
        assert init[0]["InitWait"] >= 600  # the environment waited, initialized, for its first invocation


def test_a_restarted_process_knows_its_environment_and_what_came_before(once):
    found = invokes(once(restart_after_a_crash)[0])
    first, second = found[:2], found[2:]
    # The crashed invocation (3) began but wrote no record.
    assert [r["invocation"] for r in found] == [1, 2, 1, 2]
    assert len({r["environment_id"] for r in found}) == 1
    assert len({r["container_id"] for r in found}) == 2
    assert [r["process_restarts"] for r in found] == [0, 0, 1, 1]
    reinit = second[0]
    assert reinit["previous_container_id"] == first[0]["container_id"]
    assert reinit["previous_invocations"] == 3
    assert reinit["previous_killed"] is True
    assert all("previous_container_id" not in r for r in found if r is not reinit)


def test_managed_instances_workers_share_one_environment():
    every = managed_instances()[0]
    assert len(assert_one_init_record_per_process(every)) == 2  # one anatomy per worker
    found = invokes(every)
    assert len(found) == 4
    assert len({r["environment_id"] for r in found}) == 1
    by_worker = {}
    for r in found:
        by_worker.setdefault(r["worker"], []).append(r)
    assert set(by_worker) == {1, 2}  # numbered through the /tmp marker, under a lock
    for worker_records in by_worker.values():
        assert len({r["container_id"] for r in worker_records}) == 1
        assert [r["invocation"] for r in worker_records] == list(range(1, len(worker_records) + 1))
    assert not any(r["cold_start"] or r.get("proactive_init", False) for r in found)
    assert {r["process_restarts"] for r in found} == {0}


def test_init_duration_is_close_to_the_time_from_spawn_to_the_first_next(record_property):
    """InitDuration runs from the process start (/proc, 10 ms ticks) to the handler being ready;
    the truth here is from spawning the runtime to its first /next request."""
    differences = []
    # The first run is not measured: in a new virtualenv, with cold caches, its runtime client once
    # took 142 ms more between the handler being ready and its first request (Python 3.10, CI),
    # which is after what InitDuration measures and not what this test is about.
    for run in range(4):
        with RuntimeAPI() as api:
            spawned = time.time()
            process = start_runtime(APP, "app.handler", lambda_environment(api))
            try:
                api.invoke({"n": 1})
                api.wait_done(1)
            finally:
                process.kill()
                stdout, _ = process.communicate(timeout=30)
        if run == 0:
            continue
        truth_ms = (api.next_calls[0] - spawned) * 1000
        measured = invokes(records(stdout))[0]["InitDuration"]
        differences.append(truth_ms - measured)
        print(f"spawn to first /next {truth_ms:.0f} ms, InitDuration {measured} ms")
    record_property("init_duration_shortfall_ms", differences)
    # InitDuration leaves out only what comes after the handler is ready (the runtime client's
    # first request) and what comes before exec (fork in the parent): a few ms, plus up to 10 ms
    # of tick rounding either way.
    assert all(-15 <= d <= 60 for d in differences), differences
