"""Memory, /tmp, descriptors and threads: right when readable, omitted with one warning when not."""

from __future__ import annotations

import os
import threading

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
    run()
    run(lambda: files.extend(open(tmp_path / f"f{i}", "w") for i in range(10)))  # noqa: SIM115
    for f in files:
        f.close()
    assert records[1]["FileDescriptors"] - records[0]["FileDescriptors"] == 10


def test_descriptors_are_listed_on_kernels_without_a_count(records, monkeypatch):
    # Lambda's kernel reports size 0 for /proc/self/fd; the listing must give the same number.
    real_stat = os.stat
    run()

    def stat_without_size(path, *args, **kwargs):
        result = real_stat(path, *args, **kwargs)
        if str(path).endswith("/fd"):
            return os.stat_result((*result[:6], 0, *result[7:]))
        return result

    monkeypatch.setattr(os, "stat", stat_without_size)
    run()
    assert records[1]["FileDescriptors"] == records[0]["FileDescriptors"]


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
    # One warning per broken probe, not one per invocation.
    assert len(warned) == len({str(w.message) for w in warned}) <= 2
    if "TmpUsed" in missing:
        # EMF: a metric that is absent must not be declared either.
        declared = [m["Name"] for m in records[0]["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
        assert "TmpUsedPercent" not in declared


def test_unreadable_process_start_falls_back_to_import_time(monkeypatch):
    monkeypatch.setattr(_probes, "PROC_SELF", "/nonexistent/proc/self")
    RUNTIME.reset()  # a real process, not a simulated one: its start is read from /proc
    with pytest.warns(lambda_lifecycle.LifecycleWarning, match="process start"):
        assert lambda_lifecycle.environment().process_start == _state._IMPORTED_AT


def test_process_start_is_read_from_proc():
    RUNTIME.reset()
    started = lambda_lifecycle.environment().process_start
    # This test process started before the package was imported, within the test session.
    assert started <= _state._IMPORTED_AT
    assert _state._IMPORTED_AT - started < 600
