"""Conditions like Lambda's, and the handlers the benchmark compares, including the floor.

Everything here runs inside a worker process that ``run.py`` starts with the environment of
``environment()``: a Runtime API address (the SDK keeps its ``/tmp`` marker), a private tmp
directory, the variables awslambdaric's ``LambdaContext`` reads, and one ``AWS_EXECUTION_ENV``
matching the worker's Python.
"""

from __future__ import annotations

import io
import json
import mmap
import os
import re
import resource
import sys
import time
from typing import Any

FUNCTION = "orders-api"
ARN = f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION}"
# The keys of an invoke record whose values change between warm invocations; the floor fills
# these and copies every other byte of the SDK's own line.
DYNAMIC = (
    "request_id",
    "invocation",
    "xray_trace_id",
    "Duration",
    "IdleTime",
    "ContainerAge",
    "MemoryUsed",
    "MaxMemoryUsed",
    "FileDescriptors",
    "Threads",
    "MemoryUsedPercent",
    "TmpUsed",
    "TmpUsedPercent",
)


def environment(python_minor: str, tmp_dir: str) -> dict[str, str]:
    """The variables Lambda sets (and the SDK reads) for a worker on python3.<minor>."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "LAMBDA_LIFECYCLE_", "POWERTOOLS_", "_X_AMZN_TRACE_ID"))
    }
    env.update(
        AWS_LAMBDA_RUNTIME_API="127.0.0.1:9",  # nothing listens: the extension is measured apart
        LAMBDA_LIFECYCLE_SHUTDOWN_EXTENSION="false",
        LAMBDA_LIFECYCLE_TMP_PATH=tmp_dir,
        AWS_EXECUTION_ENV=f"AWS_Lambda_python3.{python_minor}",
        AWS_LAMBDA_FUNCTION_NAME=FUNCTION,
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="512",
        AWS_LAMBDA_LOG_GROUP_NAME=f"/aws/lambda/{FUNCTION}",
        AWS_LAMBDA_LOG_STREAM_NAME="2026/11/29/[$LATEST]0123456789abcdef0123456789abcdef",
        AWS_LAMBDA_INITIALIZATION_TYPE="on-demand",
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a deployed function imports compiled code
    return env


def as_before_linux_6_2() -> None:
    """Make ``/proc/self/fd`` report no size, as kernels before 6.2 (Lambda's) do, so the open
    descriptors are counted by a listing. Every ``fstat`` of a directory then pays for a Python
    wrapper (a fraction of a microsecond), the SDK's and the floor's alike."""
    import stat

    real = os.fstat

    def fstat(fd: int) -> os.stat_result:
        st = real(fd)
        return os.stat_result((*st[:6], 0, *st[7:])) if stat.S_ISDIR(st.st_mode) else st

    os.fstat = fstat


def runtime_stdout() -> Any:
    """stdout as awslambdaric sets it up, over /dev/null: every write is flushed at once."""
    from awslambdaric.bootstrap import Unbuffered

    return Unbuffered(open(os.devnull, "w"))  # lives as long as the worker


def invocations(first: int, count: int) -> tuple[list[Any], list[str]]:
    """``count`` real runtime contexts (a deadline 15 minutes away) and trace headers, as Lambda
    gives one of each to every invocation."""
    from awslambdaric.lambda_context import LambdaContext

    deadline = int(time.time() * 1000) + 900_000
    numbers = range(first, first + count)
    contexts = [LambdaContext(f"6f0f7d3e-1c1e-4a53-9b8e-{n:012x}", None, None, deadline, ARN) for n in numbers]
    traces = [f"Root=1-6749e0c1-{n:024x};Parent={n:016x};Sampled=0" for n in numbers]
    return contexts, traces


def bare(event: Any, context: Any) -> None:
    return None


def lambda_lifecycle_handler() -> Any:
    import lambda_lifecycle

    return lambda_lifecycle.instrument(bare)


def powertools_handler() -> Any:
    from aws_lambda_powertools import Metrics

    metrics = Metrics(namespace="Bench", service="bench")

    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: Any, context: Any) -> None:
        metrics.add_metric(name="Orders", unit="Count", value=1)

    return handler


def captured_line(handler: Any, context: Any, trace: str | None) -> str:
    """The line ``handler`` writes for one call, with or without a trace header."""
    real = sys.stdout
    sys.stdout = io.StringIO()
    try:
        if trace:
            os.environ["_X_AMZN_TRACE_ID"] = trace
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        handler({}, context)
        return sys.stdout.getvalue()
    finally:
        sys.stdout = real


def line_template(line: str) -> str:
    """The SDK's own warm line, its changing values replaced by ``%(key)s`` placeholders."""
    text = line.strip().replace("%", "%%")
    text = re.sub(r'"Timestamp":\d+', '"Timestamp":%(Timestamp)d', text, count=1)

    def placeholder(match: re.Match[str]) -> str:
        key = match.group(1)
        return f'"{key}":"%({key})s"' if match.group(2).startswith('"') else f'"{key}":%({key})s'

    pattern = r'"(' + "|".join(DYNAMIC) + r')":("(?:[^"\\]|\\.)*"|[^,}]+)'
    return re.sub(pattern, placeholder, text)


def _kept(path: str) -> tuple[int, int]:
    fd = os.open(path, os.O_RDONLY)
    return fd, os.fstat(fd).st_ino


def floor_handler(every_line: str, sampled_line: str, tmp_dir: str) -> Any:
    """The same facts and the same lines as the SDK, gathered with no structure at all.

    The same reads as ``_probes`` (kept descriptors, each checked to be still ours: statm by its
    content, the others by identity), the count written into a mapped marker slot, the trace
    header, the clocks, one getrusage; then the SDK's line with its changing values filled in by
    one ``%`` format and one write, decimals made as the SDK makes them. As the SDK, it reads the
    descriptors, threads and /tmp on its first call and then at most once a second, and writes
    the SDK's line without them in between (``sampled_line``; ``every_line`` has them). No
    settings, no fault isolation, no re-entrancy guard, no watchdog, no plugins: what recording
    this costs at the least.
    """
    every_template, sampled_template = line_template(every_line), line_template(sampled_line)
    # An SDK that reads everything every time (before issue 21, or usage_every_invocation) has
    # them in its warm line too: then so does the floor.
    interval_s = 1.0 if "%(Threads)s" not in sampled_template else 0.0
    statm = os.open("/proc/self/statm", os.O_RDONLY)
    text = os.pread(statm, 128, 0).split()[3]
    task, task_ino = _kept("/proc/self/task")
    fd_dir, fd_dir_ino = _kept("/proc/self/fd")
    tmp = os.open(tmp_dir, os.O_RDONLY)
    vfs = os.fstatvfs(tmp)
    tmp_key = (vfs.f_fsid, vfs.f_blocks)
    slot_fd = os.open(os.path.join(tmp_dir, "floor-slot"), os.O_RDWR | os.O_CREAT, 0o600)
    os.pwrite(slot_fd, b"%016d" % 0, 0)
    slot = mmap.mmap(slot_fd, 16)
    os.close(slot_fd)
    thousandths = tuple(f"{i:03d}".rstrip("0") or "0" for i in range(1000))
    with open("/proc/self/stat", "rb") as stat:
        data = stat.read()
    ticks = int(data[data.rindex(b")") + 2 :].split()[19])
    started = time.time() - (time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK"))
    page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20
    environ = os.environ
    fstat, pread, fstatvfs, getrusage, self_ = os.fstat, os.pread, os.fstatvfs, resource.getrusage, resource.RUSAGE_SELF
    listdir = os.listdir
    clock, perf_counter = time.time, time.perf_counter
    state = {"count": 0, "last_end": clock(), "every_at": float("-inf")}

    def floor(event: Any, context: Any) -> None:
        now = clock()
        t0 = perf_counter()
        count = state["count"] = state["count"] + 1
        slot[:13] = b"%012dR" % count
        bare(event, context)
        ms, us = divmod(round((perf_counter() - t0) * 1e6), 1000)
        fields = pread(statm, 128, 0).split()
        if len(fields) != 7 or fields[3] != text or fields[4] != b"0" or fields[6] != b"0":
            raise OSError("statm descriptor is not ours")
        rss = int(fields[1]) * page_mb
        max_rss = getrusage(self_).ru_maxrss / 1024
        end = clock()
        header = environ.get("_X_AMZN_TRACE_ID") or ""
        root = header.find("Root=")
        stop = header.find(";", root)
        memory = round(1000 * rss / int(context.memory_limit_in_mb))
        values = {
            "Timestamp": end * 1000,
            "request_id": context.aws_request_id,
            "invocation": count,
            "xray_trace_id": header[root + 5 : None if stop < 0 else stop],
            "Duration": f"{ms}.{thousandths[us]}",
            "IdleTime": round((now - state["last_end"]) * 1000),
            "ContainerAge": round(end - started),
            "MemoryUsed": round(rss),
            "MaxMemoryUsed": round(max_rss),
            "MemoryUsedPercent": f"{memory // 10}.{memory % 10}",
        }
        template = sampled_template
        if not 0.0 <= end - state["every_at"] < interval_s:
            state["every_at"] = end
            st = fstat(task)
            if st.st_ino != task_ino:
                raise OSError("task descriptor is not ours")
            values["Threads"] = st.st_nlink - 2
            st = fstat(fd_dir)
            if st.st_ino != fd_dir_ino:
                raise OSError("fd descriptor is not ours")
            values["FileDescriptors"] = st.st_size or len(listdir(fd_dir)) - 1
            vfs = fstatvfs(tmp)
            if (vfs.f_fsid, vfs.f_blocks) != tmp_key:
                raise OSError("tmp descriptor is not ours")
            used = (vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize / 2**20
            tmp_tenths = round(1000 * used / (vfs.f_blocks * vfs.f_frsize / 2**20))
            values["TmpUsed"] = round(used)
            values["TmpUsedPercent"] = f"{tmp_tenths // 10}.{tmp_tenths % 10}"
            template = every_template
        line = template % values
        state["last_end"] = end
        sys.stdout.write(line + "\n")

    return floor


def same_shape(a: str, b: str) -> bool:
    """Whether two record lines carry the same keys in the same order."""

    def keys(line: str) -> list[str]:
        record = json.loads(line)
        return [*record["_aws"], *record]

    return keys(a) == keys(b)
