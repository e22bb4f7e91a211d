"""Memory, /tmp, descriptors and threads: right when readable, omitted with one warning when not."""

from __future__ import annotations

import gc
import os
import threading
import time

import pytest

import lambda_lifecycle
from lambda_lifecycle import _probes, _state
from lambda_lifecycle._runtime import RUNTIME


def run(handler_body=lambda: None, calls=1, **options):
    @lambda_lifecycle.instrument(**options)
    def handler(event, context):
        handler_body()
        return "ok"

    return [handler({}, {"memory_limit_in_mb": "512"}) for _ in range(calls)]


def test_memory_follows_what_the_handler_holds(records):
    held = []
    run(lambda: held.append(bytearray(64 * 1024 * 1024)))
    run(held.clear)
    grown, released = records
    assert grown["MemoryUsed"] >= 60  # the 64 MB buffer is resident
    assert grown["MaxMemoryUsed"] >= grown["MemoryUsed"]
    assert released["MemoryUsed"] < grown["MemoryUsed"] - 50
    assert released["MaxMemoryUsed"] >= grown["MemoryUsed"]  # the peak is remembered
    assert grown["MemoryUsedPercent"] == pytest.approx(100 * grown["MemoryUsed"] / 512, abs=0.15)


def test_open_descriptors_are_counted(records, tmp_path):
    files = []
    # Earlier tests' unclosed files and sockets are closed when the collector finds them: not
    # between the two readings, or the difference would count them.
    gc.collect()
    gc.disable()
    try:
        run()
        run(lambda: files.extend(open(tmp_path / f"f{i}", "w") for i in range(10)))  # noqa: SIM115
    finally:
        gc.enable()
    for f in files:
        f.close()
    assert records[1]["FileDescriptors"] - records[0]["FileDescriptors"] == 10


def test_descriptors_are_listed_on_kernels_without_a_count(records, monkeypatch):
    # Kernels before 6.2 (Lambda's among them) report size 0 for /proc/self/fd: the listing must
    # give the same number.
    real_fstat = os.fstat
    run()

    def fstat_without_size(fd):
        result = real_fstat(fd)
        return os.stat_result((*result[:6], 0, *result[7:]))

    monkeypatch.setattr(os, "fstat", fstat_without_size)
    run()
    assert records[1]["FileDescriptors"] == records[0]["FileDescriptors"]


def _decoy(kind, tmp_path):
    """A file of the user's that, read as the probe's own descriptor, would give wrong numbers."""
    if kind == "_statm":
        path = tmp_path / "statm"
        path.write_text("999999 999999 0 0 0 0 0\n")  # 3.8 GB resident
        return os.open(path, os.O_RDONLY)
    if kind == "_tmp":
        read_end, write_end = os.pipe()  # fstatvfs answers for a pipe too: an empty file system
        os.close(write_end)
        return read_end
    path = tmp_path / "dir"
    for i in range(20):  # 22 links: 20 threads; its size: thousands of descriptors
        (path / str(i)).mkdir(parents=True)
    return os.open(path, os.O_RDONLY)


def test_after_one_careful_reading_every_invocation_takes_the_fast_path(records, tmp_path, monkeypatch):
    # The careful path records what shows the kept descriptors are still ours, the fast path
    # compares its readings with it: built in two orders, they would never match, and every
    # invocation would pay for the careful path's checks without a word.
    RUNTIME.probes.close()
    run(tmp_path=str(tmp_path))
    careful = []
    sample_carefully = _probes.Probes._sample_carefully
    monkeypatch.setattr(
        _probes.Probes, "_sample_carefully", lambda *args: careful.append(args) or sample_carefully(*args)
    )
    run(calls=5, tmp_path=str(tmp_path))
    assert careful == []
    assert [r["FileDescriptors"] > 0 and r["Threads"] > 0 for r in records] == [True] * 6


@pytest.mark.parametrize("kind", ["_statm", "_task", "_fd_dir", "_tmp"])
def test_a_kept_descriptor_closed_and_reused_by_the_user_is_left_alone(kind, records, tmp_path):
    RUNTIME.probes.close()  # as in a new process: the first tmp path sampled is the one kept
    run(tmp_path=str(tmp_path))
    number = getattr(RUNTIME.probes, kind).fd
    assert number >= 0
    decoy = _decoy(kind, tmp_path)
    os.dup2(decoy, number)  # ours closed behind the probe's back, its number now the user's file
    os.close(decoy)
    users = os.fstat(number)
    try:
        run(tmp_path=str(tmp_path))
        still = os.fstat(number)  # neither closed nor replaced by the probe
        assert (still.st_dev, still.st_ino) == (users.st_dev, users.st_ino)
    finally:
        os.close(number)
    first, second = records
    assert abs(second["MemoryUsed"] - first["MemoryUsed"]) < 50
    assert second["Threads"] == first["Threads"]
    assert second["FileDescriptors"] == first["FileDescriptors"] + 1  # the user's file, and ours reopened
    assert second["TmpUsed"] == pytest.approx(first["TmpUsed"], abs=50)


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_reads_its_own_process(records, tmp_path):
    threads_before = len(os.listdir("/proc/self/task"))
    stop = threading.Event()
    workers = [threading.Thread(target=stop.wait) for _ in range(3)]
    for w in workers:
        w.start()
    try:
        run(tmp_path=str(tmp_path))
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            # An at-fork hook of an earlier test's library (OpenTelemetry's exporters) may have
            # started a thread here: the child's own count, read as the probe should read it.
            seen = _probes.sample(str(tmp_path)).threads
            os.write(write_end, f"{seen} {len(os.listdir('/proc/self/task'))}".encode())
            os._exit(0)
        os.close(write_end)
        os.waitpid(pid, 0)
        child_threads, child_real = map(int, os.read(read_end, 64).split())
        os.close(read_end)
    finally:
        stop.set()
        for w in workers:
            w.join()
        # join() returns before the OS thread is gone: let them go, so the next test counts right.
        deadline = time.monotonic() + 5
        while len(os.listdir("/proc/self/task")) > threads_before and time.monotonic() < deadline:
            time.sleep(0.001)
    assert records[0]["Threads"] >= 4
    # A forked child has the thread that forked (and what at-fork hooks started), not the parent's.
    assert child_threads == child_real < records[0]["Threads"]


def test_threads_are_counted(records):
    stop = threading.Event()
    workers = [threading.Thread(target=stop.wait) for _ in range(3)]
    run()
    for w in workers:
        w.start()
    try:
        run()
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert records[1]["Threads"] - records[0]["Threads"] == 3


def test_tmp_usage_comes_from_the_configured_path(records, tmp_path):
    run(tmp_path=str(tmp_path))
    st = os.statvfs(tmp_path)
    size_mb = st.f_blocks * st.f_frsize / 2**20
    assert 0 < records[0]["TmpUsed"] <= size_mb
    assert records[0]["TmpUsedPercent"] == pytest.approx(100 * records[0]["TmpUsed"] / size_mb, abs=0.2)
    assert isinstance(records[0]["TmpUsed"], int)


def test_tmp_growth_shows(records, monkeypatch):
    # A 512 MB /tmp, as Lambda gives by default, filling from 10 MB to 100 MB. Scripted, because a
    # real disk shared with other processes can shrink while a test writes to it.
    free_blocks = iter([131072 - 2560, 131072 - 25600])
    free = [131072]

    def statvfs(path):
        assert path == "/mnt/lambda-tmp"
        return os.statvfs_result((4096, 4096, 131072, free[0], 0, 0, 0, 0, 0, 255))

    def write_files():  # each invocation's handler fills /tmp further
        free[0] = next(free_blocks)

    monkeypatch.setattr(os, "statvfs", statvfs)
    run(write_files, calls=2, tmp_path="/mnt/lambda-tmp")
    assert [(r["TmpUsed"], r["TmpUsedPercent"]) for r in records] == [(10, 2.0), (100, 19.5)]


def _fails(*args, **kwargs):
    raise OSError(13, "Permission denied")


@pytest.mark.parametrize(
    ("breakage", "missing", "kept"),
    [
        ("statvfs", ["TmpUsed", "TmpUsedPercent"], ["MemoryUsed", "Threads", "FileDescriptors"]),
        ("proc", ["MemoryUsed", "MemoryUsedPercent", "Threads", "FileDescriptors"], ["TmpUsed", "MaxMemoryUsed"]),
        ("getrusage", ["MaxMemoryUsed"], ["MemoryUsed", "TmpUsed"]),
    ],
)
def test_a_failing_probe_omits_its_fields_and_warns_once(breakage, missing, kept, monkeypatch, records):
    if breakage == "statvfs":
        monkeypatch.setattr(os, "statvfs", _fails)
        monkeypatch.setattr(os, "fstatvfs", _fails)
    elif breakage == "proc":
        monkeypatch.setattr(_probes, "PROC_SELF", "/nonexistent/proc/self")
    else:
        monkeypatch.setattr(_probes.resource, "getrusage", _fails)
    with pytest.warns(lambda_lifecycle.LifecycleWarning) as warned:
        results = run(calls=3)
    assert results == ["ok", "ok", "ok"]
    assert len(records) == 3
    for name in missing:
        assert all(name not in r for r in records), name
    for name in kept:
        assert all(name in r for r in records), name
    # One warning for the one fault, not one per reader or per invocation.
    assert len(warned) == 1
    if "TmpUsed" in missing:
        # EMF: a metric that is absent must not be declared either.
        declared = [m["Name"] for m in records[0]["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
        assert "TmpUsedPercent" not in declared


def test_unreadable_process_start_falls_back_to_import_time(monkeypatch):
    monkeypatch.setattr(_probes, "PROC_SELF", "/nonexistent/proc/self")
    RUNTIME.reset()  # a real process, not a simulated one: its start is read from /proc
    with pytest.warns(lambda_lifecycle.LifecycleWarning, match="process start"):
        assert lambda_lifecycle.environment().process_start == _state._IMPORTED_AT


def test_an_unreadable_proc_is_one_fault_and_one_warning(monkeypatch, records):
    monkeypatch.setattr(_probes, "PROC_SELF", "/nonexistent/proc/self")
    RUNTIME.reset()  # a real process: its start is read from /proc too, besides statm, task and fd
    with pytest.warns(lambda_lifecycle.LifecycleWarning) as warned:
        assert run(calls=2) == ["ok", "ok"]
    [warning] = warned
    assert "/nonexistent/proc/self/" in str(warning.message)
    for left_out in ("MemoryUsed", "Threads", "FileDescriptors", "process start"):
        assert left_out in str(warning.message)
    assert [("MemoryUsed" in r, "Threads" in r) for r in records] == [(False, False)] * 2
    assert "TmpUsed" in records[0]


def test_process_start_is_read_from_proc():
    RUNTIME.reset()
    started = lambda_lifecycle.environment().process_start
    # This test process started before the package was imported, within the test session.
    assert started <= _state._IMPORTED_AT
    assert _state._IMPORTED_AT - started < 600


def test_a_simulated_tmp_counts_what_its_files_take(tmp_path, records):
    # As in a local run or a test: the directory lives on the host's disk, but reads as a /tmp
    # of its own of the given size, holding only what was written under it.
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "data.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    run(tmp_path=str(tmp_path), tmp_size_mb=512)
    assert records[0]["TmpUsed"] == 3
    assert records[0]["TmpUsedPercent"] == pytest.approx(100 * 3 / 512, abs=0.1)


def test_a_simulated_tmp_with_too_many_files_is_counted_so_far_with_one_warning(tmp_path, records, monkeypatch):
    monkeypatch.setattr(_probes, "_MAX_FILES", 3)
    for n in range(5):
        (tmp_path / f"f{n}").write_bytes(b"x")
    with pytest.warns(lambda_lifecycle.LifecycleWarning, match="over 3 files"):
        run(tmp_path=str(tmp_path), tmp_size_mb=512, calls=2)
    assert [r["TmpUsedPercent"] for r in records] == [0.0, 0.0]
