"""Each fact of an invoke record timed alone, and what the SDK's candidate imports cost.

Run by ``run.py --steps`` in a Lambda-like worker process. Every step is a small function timed
in a loop; the loop's own cost (calling a function that does nothing) is subtracted, and the
figure is the median over interleaved rounds.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import lambda_like as ll

_IMPORT_PROBE = """
import sys, time
import awslambdaric.bootstrap
before = set(sys.modules)
code = compile(sys.argv[1], "<bench>", "exec")  # a process's first compile() costs 1-9 ms
t = time.perf_counter()
exec(code)
print((time.perf_counter() - t) * 1000, flush=True)
print(" ".join(sorted(set(sys.modules) - before)), flush=True)
"""
IMPORTS = {
    "mmap": "import mmap",
    "inspect": "import inspect",
    "signal": "import signal",
    "_signal (built in)": "import _signal",
    "wrapt": "import wrapt",
    "lambda_lifecycle": "import lambda_lifecycle",
}


def _steps(tmp_dir: str) -> dict[str, Callable[[], object]]:
    from lambda_lifecycle import _probes

    stat = os.open("/proc/self/stat", os.O_RDONLY)
    statm = os.open("/proc/self/statm", os.O_RDONLY)
    statm_ino = os.fstat(statm).st_ino
    task = os.open("/proc/self/task", os.O_RDONLY)
    fd_dir = os.open("/proc/self/fd", os.O_RDONLY)
    tmp = os.open(tmp_dir, os.O_RDONLY)
    slot = os.open(os.path.join(tmp_dir, "slot"), os.O_RDWR | os.O_CREAT, 0o600)
    os.pwrite(slot, b"0" * 16, 0)
    import mmap

    slot_map = mmap.mmap(slot, 16)
    context = ll.invocations(0, 1)[0][0]
    os.environ["_X_AMZN_TRACE_ID"] = "Root=1-6749e0c1-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=0"
    warm = ll.captured_line(ll.lambda_lifecycle_handler(), context, os.environ["_X_AMZN_TRACE_ID"])
    record = json.loads(warm)
    del record["_aws"]
    template = ll.line_template(warm)
    values = {key: record.get(key) for key in ll.DYNAMIC}
    values["Timestamp"] = 1795975348669
    encoder = getattr(json.encoder, "c_make_encoder", None)
    encode = encoder(None, repr, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True)
    stdout = ll.runtime_stdout()
    line = warm.rstrip("\n") + "\n"
    environ = os.environ
    count = [0]

    def stat_parse() -> object:
        data = os.pread(stat, 4096, 0)
        fields = data[data.rindex(b")") + 2 :].split(maxsplit=22)
        return int(fields[21]), int(fields[17])

    def stat_open_parse() -> object:
        fd = os.open("/proc/self/stat", os.O_RDONLY)
        try:
            data = os.read(fd, 4096)
        finally:
            os.close(fd)
        return int(data[data.rindex(b")") + 2 :].split(maxsplit=22)[21])

    def statm_checked() -> object:
        if os.fstat(statm).st_ino != statm_ino:
            raise OSError
        return int(os.pread(statm, 64, 0).split(None, 2)[1])

    def mark_pwrite() -> object:
        count[0] += 1
        return os.pwrite(slot, b"%012dR" % count[0], 0)

    def mark_mmap() -> object:
        count[0] += 1
        slot_map[0:13] = b"%012dR" % count[0]
        return None

    def trace_root() -> object:
        header = environ.get("_X_AMZN_TRACE_ID") or ""
        start = header.find("Root=")
        end = header.find(";", start)
        return header[start + 5 : None if end < 0 else end]

    def clocks() -> object:
        return time.time(), time.perf_counter(), time.perf_counter(), time.time()

    def build() -> object:
        return dict(record)

    def encoded() -> object:
        return "".join(encode(record, 0))

    def write_flush() -> object:
        stdout.write(line)
        stdout.flush()
        return None

    return {
        "/proc/self/stat: pread (kept fd) + parse rss, threads": stat_parse,
        "/proc/self/stat: open + read + close + parse (no kept fd)": stat_open_parse,
        "/proc/self/statm: pread (kept fd) + parse rss": lambda: int(os.pread(statm, 64, 0).split(None, 2)[1]),
        "/proc/self/statm: fstat check + pread + parse rss": statm_checked,
        "threads: fstat(kept /proc/self/task).st_nlink": lambda: os.fstat(task).st_nlink,
        "fds: fstat(kept /proc/self/fd).st_size": lambda: os.fstat(fd_dir).st_size,
        "fds: os.stat('/proc/self/fd').st_size": lambda: os.stat("/proc/self/fd").st_size,
        "fds: listing of the kept fd (pre-6.2 kernels), ~10 open": lambda: len(os.listdir(fd_dir)),
        "tmp: fstatvfs(kept fd)": lambda: os.fstatvfs(tmp),
        "tmp: os.statvfs(path)": lambda: os.statvfs(tmp_dir),
        "getrusage (MaxMemoryUsed)": lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "marker: pwrite of the count": mark_pwrite,
        "marker: the count into an mmap'd slot": mark_mmap,
        "clocks: time.time x2, perf_counter x2": clocks,
        "context.get_remaining_time_in_millis()": context.get_remaining_time_in_millis,
        "trace header: environ.get + Root=": trace_root,
        "record: build the dict (copy of a warm one)": build,
        "record: encode the dict (C encoder)": encoded,
        "line: cached parts + one % format": lambda: template % values,
        "write + flush (Unbuffered, /dev/null)": write_flush,
        "write alone (Unbuffered flushes itself)": lambda: stdout.write(line),
        "a second flush": stdout.flush,
        "lambda-lifecycle: _probes.sample(tmp)": lambda: _probes.sample(tmp_dir),
    }


def _time(step: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        step()
    return (time.perf_counter() - start) / calls * 1e6


def _many_fds_listing(calls: int) -> float:
    # ~1000 open descriptors, as many as Lambda allows (1024), listed as on a pre-6.2 kernel.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 1100), hard))
    fd_dir = os.open("/proc/self/fd", os.O_RDONLY)
    extra = [os.open(os.devnull, os.O_RDONLY) for _ in range(1000 - os.fstat(fd_dir).st_size)]
    try:
        return min(_time(lambda: len(os.listdir(fd_dir)), calls) for _ in range(5))
    finally:
        for fd in [*extra, fd_dir]:
            os.close(fd)


def _imports(rounds: int) -> tuple[dict[str, float], list[str]]:
    samples: dict[str, list[float]] = {name: [] for name in IMPORTS}
    wrapt_imports: list[str] = []
    for _ in range(rounds):
        for name, statement in IMPORTS.items():
            out = subprocess.run(
                [sys.executable, "-c", _IMPORT_PROBE, statement], capture_output=True, text=True, check=True
            ).stdout.splitlines()
            samples[name].append(float(out[0]))
            if name == "wrapt":
                wrapt_imports = out[1].split()
    return {name: sorted(values)[len(values) // 2] for name, values in samples.items()}, wrapt_imports


def measure(rounds: int) -> dict[str, Any]:
    steps = _steps(os.environ["LAMBDA_LIFECYCLE_TMP_PATH"])
    calls = 2000

    def nothing() -> object:
        return None

    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        loop = _time(nothing, calls)
        for name, step in steps.items():
            samples[name].append(_time(step, calls) - loop)
    us = {name: sorted(values)[len(values) // 2] for name, values in samples.items()}
    us["fds: listing of the kept fd (pre-6.2 kernels), ~1000 open"] = _many_fds_listing(50)
    import_ms, wrapt_imports = _imports(max(3, rounds // 2))
    return {"us": us, "import_ms": import_ms, "wrapt_imports": wrapt_imports}
