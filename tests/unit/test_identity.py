"""Environment identity across processes, kept in /tmp; SnapStart without its hooks; tenant ids."""

from __future__ import annotations

import json
import stat
import sys

import pytest

import lambda_lifecycle
from lambda_lifecycle import testing
from lambda_lifecycle._runtime import RUNTIME


@pytest.fixture
def in_lambda(monkeypatch, tmp_path):
    """Look like a real execution environment whose /tmp is ``tmp_path`` (no signal handler here)."""
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
    monkeypatch.setenv("LAMBDA_LIFECYCLE_HANDLE_SIGTERM", "false")
    monkeypatch.setenv("LAMBDA_LIFECYCLE_TMP_PATH", str(tmp_path))

    def new_process():
        RUNTIME.reset()  # a real process this time, not a simulation
        return lambda_lifecycle.environment()

    return new_process


STREAM = "2026/11/29/[$LATEST]"


def test_a_marker_left_by_another_environment_is_not_a_restart(in_lambda, records, context, monkeypatch):
    # Two local runs on one host share its /tmp; Lambda gives each environment a log stream.
    monkeypatch.setenv("AWS_LAMBDA_LOG_STREAM_NAME", STREAM + "a" * 32)
    first = in_lambda()
    handler = lambda_lifecycle.instrument(lambda event, context: None)
    handler({}, context)
    restarted = in_lambda()  # killed and restarted in the same environment: the same stream
    assert (restarted.environment_id, restarted.process_restarts) == (first.environment_id, 1)
    monkeypatch.setenv("AWS_LAMBDA_LOG_STREAM_NAME", STREAM + "b" * 32)
    other = in_lambda()
    assert other.environment_id != first.environment_id
    assert other.process_restarts == 0
    handler({}, context)
    assert records[-1]["cold_start"] is True
    assert records[-1]["reinit"] is False
    assert "previous_container_id" not in records[-1]


def test_a_marker_without_a_stream_is_not_this_streams_environment(in_lambda, tmp_path, monkeypatch):
    # Left by a process that had no stream (an earlier local run by other means): not ours.
    first = in_lambda()
    monkeypatch.setenv("AWS_LAMBDA_LOG_STREAM_NAME", STREAM + "c" * 32)
    second = in_lambda()
    assert second.environment_id != first.environment_id
    assert second.process_restarts == 0


def test_without_a_log_stream_the_marker_is_trusted(in_lambda, monkeypatch):
    # SnapStart sets no stream: nothing tells environments apart, so the marker says what it says.
    monkeypatch.setenv("AWS_LAMBDA_LOG_STREAM_NAME", STREAM + "a" * 32)
    first = in_lambda()
    monkeypatch.delenv("AWS_LAMBDA_LOG_STREAM_NAME")
    second = in_lambda()
    assert (second.environment_id, second.process_restarts) == (first.environment_id, 1)


def test_the_marker_is_private(in_lambda, tmp_path):
    env = in_lambda()
    directory = tmp_path / ".lambda-lifecycle"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir()}
    assert files == {"environment.json": 0o600, env.container_id: 0o600}


def test_a_new_process_in_the_same_tmp_is_a_restart_of_the_same_environment(in_lambda, records, context):
    first = in_lambda()
    handler = lambda_lifecycle.instrument(lambda event, context: None)
    handler({}, context)
    handler({}, context)
    second = in_lambda()  # the first was killed: no shutdown
    assert second.environment_id == first.environment_id
    assert second.container_id != first.container_id
    assert (first.process_restarts, second.process_restarts) == (0, 1)
    handler({}, context)
    record = records[-1]
    assert record["reinit"] is True
    assert record["cold_start"] is True
    assert (record["previous_container_id"], record["previous_invocations"], record["previous_killed"]) == (
        first.container_id,
        2,
        True,
    )


def test_a_clean_shutdown_is_told_apart_from_a_kill(in_lambda, records, context):
    in_lambda()
    lambda_lifecycle.instrument(lambda event, context: None)({}, context)
    testing.shutdown()
    in_lambda()
    lambda_lifecycle.instrument(lambda event, context: None)({}, context)
    assert records[-1]["previous_killed"] is False
    assert records[-1]["previous_invocations"] == 1


def test_the_previous_process_file_is_removed_once_read(in_lambda, tmp_path):
    first = in_lambda()
    second = in_lambda()
    names = {p.name for p in (tmp_path / ".lambda-lifecycle").iterdir()}
    assert names == {"environment.json", second.container_id}
    assert first.container_id not in names


@pytest.mark.parametrize("make", ["symlink", "world-writable", "file", "missing-parent"])
def test_a_marker_that_is_not_ours_is_refused_with_one_warning(in_lambda, tmp_path, monkeypatch, make):
    target = tmp_path / ".lambda-lifecycle"
    if make == "symlink":
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir(mode=0o700)
        target.symlink_to(elsewhere)
    elif make == "world-writable":
        target.mkdir()
        target.chmod(0o777)
    elif make == "file":
        target.write_text("not a directory")
    else:
        monkeypatch.setenv("LAMBDA_LIFECYCLE_TMP_PATH", str(tmp_path / "no" / "such" / "dir"))
    with pytest.warns(lambda_lifecycle.LifecycleWarning, match="environment marker") as warned:
        first = in_lambda()
    assert len(warned) == 1
    with pytest.warns(lambda_lifecycle.LifecycleWarning, match="environment marker"):
        second = in_lambda()  # a new process warns once of its own
    # Without the marker each process is an environment of its own; nothing was written through it.
    assert first.environment_id != second.environment_id
    assert second.process_restarts == 0
    if make == "symlink":
        assert list((tmp_path / "elsewhere").iterdir()) == []


def test_a_symlinked_marker_file_is_not_followed(in_lambda, tmp_path):
    directory = tmp_path / ".lambda-lifecycle"
    directory.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (directory / "environment.json").symlink_to(victim)
    with pytest.warns(lambda_lifecycle.LifecycleWarning, match="environment marker"):
        in_lambda()
    assert victim.read_text() == "precious"


def test_outside_lambda_no_marker_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("LAMBDA_LIFECYCLE_TMP_PATH", str(tmp_path))
    RUNTIME.reset()
    env = lambda_lifecycle.environment()
    assert list(tmp_path.iterdir()) == []
    assert env.process_restarts == 0
    assert env.environment_id != env.container_id


def test_snap_start_without_its_hooks_behaves_as_on_demand(monkeypatch, records, context):
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # not importable: a local run
    monkeypatch.setattr(RUNTIME, "restore_hook_registered", False)
    testing.reset()
    lambda_lifecycle.instrument(lambda event, context: None)({}, context)
    assert records[0]["init_type"] == "snap-start"
    assert records[0]["cold_start"] is True


def test_a_restore_renews_the_ids_and_times_from_the_restore(monkeypatch, records, context, clock):
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    testing.reset()
    handler = lambda_lifecycle.instrument(lambda event, context: None)
    before = lambda_lifecycle.environment()
    clock.advance(3600)  # the snapshot sits for an hour before this clone is restored
    from awslambdaric import lambda_runtime_hooks_runner

    lambda_runtime_hooks_runner.run_after_restore()  # as the runtime client does
    clock.advance(2)
    handler({}, context)
    after = lambda_lifecycle.environment()
    assert after.container_id != before.container_id
    assert after.environment_id != before.environment_id
    assert after.restored_at is not None
    assert records[0]["restored"] is True
    assert records[0]["RestoreToInvoke"] == pytest.approx(2000, abs=50)
    assert records[0]["ContainerAge"] == 2  # since the restore, not since the snapshot's init
    assert records[0]["cold_start"] is False


def test_tenant_id_is_a_property_never_a_dimension(records):
    handler = lambda_lifecycle.instrument(lambda event, context: None)
    handler({}, testing.LambdaContext(tenant_id="tenant-42"))
    handler({}, testing.LambdaContext(tenant_id=""))
    handler({}, {"tenant_id": "from-a-dict"})
    assert [r.get("tenant_id") for r in records] == ["tenant-42", None, "from-a-dict"]
    assert all("tenant_id" not in r["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0] for r in records)


def test_a_simulated_environment_leaves_the_real_process_marker_alone(in_lambda, tmp_path, context, monkeypatch):
    real = in_lambda()
    handler = lambda_lifecycle.instrument(lambda event, context: None)
    handler({}, context)
    slot = tmp_path / ".lambda-lifecycle" / real.container_id
    before = slot.read_bytes()
    monkeypatch.delenv("AWS_LAMBDA_RUNTIME_API")
    testing.reset()  # a simulated environment from here on: the real process's slot is not its own
    for _ in range(3):
        handler({}, context)
    assert slot.read_bytes() == before


@pytest.mark.parametrize("last", ["../victim", "VICTIM_ABSOLUTE", "0123456789ab/../../victim", "0123456789AB", ""])
def test_a_previous_id_that_is_not_one_of_ours_is_ignored(in_lambda, tmp_path, records, context, last):
    # environment.json is a file in a shared /tmp: its "last" is a file name, never a path to follow.
    victim = tmp_path / "victim"
    victim.write_text("precious")
    directory = tmp_path / ".lambda-lifecycle"
    directory.mkdir(mode=0o700)
    last = str(victim) if last == "VICTIM_ABSOLUTE" else last
    marker = {"environment_id": "0123456789ab", "processes": 1, "workers": 0, "last": last}
    (directory / "environment.json").write_text(json.dumps(marker))
    (directory / "0123456789AB").write_text("000000000007S")
    env = in_lambda()
    lambda_lifecycle.instrument(lambda event, context: None)({}, context)
    assert victim.read_text() == "precious"
    assert (directory / "0123456789AB").exists()
    assert env.environment_id == "0123456789ab"
    assert not any(key.startswith("previous_") and records[-1][key] is not None for key in records[-1])


@pytest.mark.parametrize("environment_id", ["../victim", "0123456789AB", "0123456789abc", 12, None])
def test_an_environment_id_that_is_not_one_of_ours_starts_a_fresh_marker(in_lambda, tmp_path, environment_id):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    directory = tmp_path / ".lambda-lifecycle"
    directory.mkdir(mode=0o700)
    marker = {"environment_id": environment_id, "processes": 5, "workers": 0, "last": "../victim"}
    (directory / "environment.json").write_text(json.dumps(marker))
    env = in_lambda()
    assert env.environment_id != environment_id
    assert len(env.environment_id) == 12
    assert set(env.environment_id) <= set("0123456789abcdef")
    assert env.process_restarts == 0
    assert victim.read_text() == "precious"


def test_bootstrap_tmp_path_before_decorating_moves_the_marker(in_lambda, tmp_path, records, context):
    # instrument(tmp_path=...) moves only the /tmp measurement; the marker is process-wide.
    RUNTIME.reset()
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    (tmp_path / "elsewhere").mkdir()
    env = lambda_lifecycle.bootstrap(tmp_path=str(chosen))
    handler = lambda_lifecycle.instrument(tmp_path=str(tmp_path / "elsewhere"))(lambda event, context: None)
    handler({}, context)
    assert {p.name for p in (chosen / ".lambda-lifecycle").iterdir()} == {"environment.json", env.container_id}
    assert not (tmp_path / ".lambda-lifecycle").exists()
    assert not (tmp_path / "elsewhere" / ".lambda-lifecycle").exists()


def test_bootstrap_tmp_path_moves_the_marker_of_a_started_lifecycle_until_a_handler_is_decorated(
    in_lambda, tmp_path, records, context
):
    first = in_lambda()  # started (as by an earlier bootstrap() or environment()) in tmp_path
    chosen, later = tmp_path / "chosen", tmp_path / "later"
    chosen.mkdir()
    later.mkdir()
    env = lambda_lifecycle.bootstrap(tmp_path=str(chosen))
    assert env.container_id == first.container_id
    assert {p.name for p in (chosen / ".lambda-lifecycle").iterdir()} == {"environment.json", env.container_id}
    assert env.container_id not in {p.name for p in (tmp_path / ".lambda-lifecycle").iterdir()}
    lambda_lifecycle.instrument(lambda event, context: None)({}, context)
    with pytest.warns(lambda_lifecycle.LifecycleWarning, match="changes tmp_path"):
        lambda_lifecycle.bootstrap(tmp_path=str(later))  # too late for the marker: it stays
    assert not (later / ".lambda-lifecycle").exists()
    testing.shutdown()
    assert (chosen / ".lambda-lifecycle" / env.container_id).read_bytes()[:13] == b"000000000001S"


def test_a_full_tmp_loses_only_the_count_not_the_environment(in_lambda, monkeypatch):
    import mmap

    first = in_lambda()

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mmap, "mmap", full)  # the process's slot cannot be kept
    with pytest.warns(lambda_lifecycle.LifecycleWarning, match="count"):
        second = in_lambda()
    assert second.environment_id == first.environment_id
    assert second.process_restarts == 1
    assert RUNTIME.marker.slot is None


def test_calls_before_the_first_invocation_are_counted_on_it_not_recorded(in_lambda, records, clock, context):
    in_lambda()
    handler = lambda_lifecycle.instrument(lambda event, context: "ran")
    # Warm-up code and a thread started at import: no request id, no invocation yet.
    assert [handler({"warm_up": True}, None) for _ in range(3)] == ["ran"] * 3
    assert records == []
    clock.advance(2)
    handler({}, context)
    clock.advance(5)
    handler({}, context)
    first, second = records
    assert (first["invocation"], first["cold_start"], first["init_calls"]) == (1, True, 3)
    assert "IdleTime" not in first
    assert (second["invocation"], second["IdleTime"]) == (2, pytest.approx(5000, abs=50))
    assert "init_calls" not in second
    assert lambda_lifecycle.environment().invocations == 2


def test_outside_a_runtime_api_a_call_without_a_request_id_is_an_invocation(records):
    lambda_lifecycle.instrument(lambda event, context: None)({}, None)  # a script's or a test's call
    assert [(r["invocation"], r["cold_start"]) for r in records] == [(1, True)]


def _started_under(modules, start):
    # Runs ``start`` as code of ``modules`` would, outermost first (so the stack shows them).
    if not modules:
        return start()
    namespace = {"__name__": modules[0], "inner": lambda: _started_under(modules[1:], start)}
    exec("def call():\n    return inner()\n", namespace)
    return namespace["call"]()


@pytest.mark.parametrize(
    ("starters", "serves"),
    [
        (["multiprocessing.spawn"], False),  # a spawn or forkserver child importing the handler
        (["multiprocessing.pool"], False),  # a pool's worker unpickling a task of the handler's module
        (["concurrent.futures.process"], False),
        # The runtime client loading the handler, in a worker it started with multiprocessing itself
        # (Managed Instances): the environment's process.
        (["multiprocessing.process", "awslambdaric.bootstrap"], True),
    ],
)
def test_a_child_process_is_not_the_environments_and_records_nothing(in_lambda, tmp_path, records, starters, serves):
    import multiprocessing  # noqa: F401 - what a child of it has imported

    RUNTIME.reset()

    def handler(event, context):
        return "ran"

    instrumented = _started_under(starters, lambda: lambda_lifecycle.instrument(handler))
    assert (instrumented is not handler) is serves  # a child gets its function back, undecorated
    assert (tmp_path / ".lambda-lifecycle").exists() is serves  # no place taken in the marker
    assert instrumented({}, testing.LambdaContext()) == "ran"
    assert len(records) == serves
