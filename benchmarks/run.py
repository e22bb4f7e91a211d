"""lambda-lifecycle against AWS Lambda Powertools, side by side in one run, reported as ratios.

    python benchmarks/run.py            # full run (builds a side venv with wrapt 2 once)
    python benchmarks/run.py --quick    # a smoke run: few repetitions, no side venv

Wall-clock numbers on a shared machine are noisy: every figure is a median over interleaved
repetitions, and what matters is the ratio between tools measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"

# What each tool costs at import, on top of what the runtime client has already imported.
IMPORTS = {
    "lambda-lifecycle (import + decorate)": "import lambda_lifecycle\nlambda_lifecycle.instrument(lambda e, c: None)",
    "lambda-lifecycle (import)": "import lambda_lifecycle",
    "powertools (Metrics, Logger)": "from aws_lambda_powertools import Metrics, Logger",
    "wrapt": "import wrapt",
}
_IMPORT_PROBE = """
import sys, time
import awslambdaric.bootstrap
t = time.perf_counter()
exec(compile(sys.argv[1], "<bench>", "exec"))
print((time.perf_counter() - t) * 1000)  # first line: a shutdown record may follow at exit
"""


def _import_ms(python: str, statement: str) -> float:
    out = subprocess.run([python, "-c", _IMPORT_PROBE, statement], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[0])


def measure_imports(repeat: int, wrapt2_python: str | None) -> dict[str, float]:
    # pip writes .pyc files when it installs a package, so a deployed function imports compiled
    # code; a source checkout may have none (PYTHONDONTWRITEBYTECODE), and compiling would be
    # measured instead. Compile the SDK as pip would.
    import compileall

    import lambda_lifecycle

    compileall.compile_dir(str(Path(lambda_lifecycle.__file__).parent), quiet=1)
    samples: dict[str, list[float]] = {name: [] for name in IMPORTS}
    if wrapt2_python:
        samples["wrapt 2 (side venv)"] = []
    for _ in range(repeat):  # interleaved, so drift on the machine hits every tool alike
        for name, statement in IMPORTS.items():
            samples[name].append(_import_ms(sys.executable, statement))
        if wrapt2_python:
            samples["wrapt 2 (side venv)"].append(_import_ms(wrapt2_python, "import wrapt"))
    return {name: statistics.median(values) for name, values in samples.items()}


def wrapt2_venv() -> str:
    """A venv with wrapt 2 and the runtime client, to measure what wrapt 2 would cost users."""
    venv = CACHE / "wrapt2"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "wrapt>=2,<3", "awslambdaric"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return str(python)


def _handlers() -> dict[str, Any]:
    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    import lambda_lifecycle

    def bare(event: Any, context: Any) -> None:
        return None

    metrics = Metrics(namespace="Bench", service="bench")

    @metrics.log_metrics(capture_cold_start_metric=True)
    def powertools_metrics(event: Any, context: Any) -> None:
        metrics.add_metric(name="Orders", unit=MetricUnit.Count, value=1)

    logger = Logger(service="bench")
    floor = _floor_handler()

    @logger.inject_lambda_context
    def powertools_logger(event: Any, context: Any) -> None:
        return None

    return {
        "bare handler": bare,
        "lambda-lifecycle": lambda_lifecycle.instrument(bare),
        "powertools log_metrics (1 metric + cold start)": powertools_metrics,
        "powertools inject_lambda_context": powertools_logger,
        "floor: the same syscalls, one json.dumps, one write, no SDK": floor,
    }


def runtime_stdout(stream: Any) -> Any:
    """stdout as awslambdaric sets it up in Lambda: every write is flushed at once."""
    from awslambdaric.bootstrap import Unbuffered

    return Unbuffered(stream)


# Lambda sets a new trace header before every invocation, traced or not.
TRACE_HEADER = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=0"


def _floor_handler() -> Any:
    """What recording these measurements costs at the least: no structure, no safety, no config."""
    import resource

    stat_fd = os.open("/proc/self/stat", os.O_RDONLY)
    head = (
        '{"_aws":{"Timestamp":%d,"CloudWatchMetrics":[{"Namespace":"LambdaLifecycle","Dimensions":'
        '[["function_name"]],"Metrics":[{"Name":"ColdStart","Unit":"Count"},{"Name":"IdleTime","Unit":'
        '"Milliseconds"},{"Name":"MemoryUsedPercent","Unit":"Percent"},{"Name":"TmpUsedPercent","Unit":"Percent"}]}]},'
    )

    def floor(event: Any, context: Any) -> None:
        data = os.pread(stat_fd, 4096, 0)
        fields = data[data.rindex(b")") + 2 :].split(maxsplit=22)
        vfs = os.statvfs("/tmp")
        record = {
            "event": "invoke",
            "function_name": context.function_name,
            "function_version": context.function_version,
            "request_id": context.aws_request_id,
            "container_id": "0123456789ab",
            "invocation": 2,
            "init_type": "on-demand",
            "cold_start": False,
            "proactive_init": False,
            "error": None,
            "ColdStart": 0,
            "Duration": 0.002,
            "IdleTime": 1,
            "ContainerAge": 1,
            "MemoryUsed": int(fields[21]) // 256,
            "MaxMemoryUsed": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
            "FileDescriptors": os.stat("/proc/self/fd").st_size,
            "Threads": int(fields[17]),
            "MemoryUsedPercent": 4.1,
            "TmpUsed": (vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize // 2**20,
            "TmpUsedPercent": 8.5,
        }
        body = json.dumps(record, separators=(",", ":"))
        sys.stdout.write(head % (time.time() * 1000) + body[1:] + "\n")

    return floor


def measure_invocations(rounds: int, calls: int) -> dict[str, float]:
    """Median microseconds per call of each handler, with the runtime's stdout over /dev/null."""
    from lambda_lifecycle import testing

    handlers = _handlers()
    # A deadline far enough away that every call is watched for a timeout, as in Lambda.
    context = testing.LambdaContext(function_name="orders-api", memory_limit_in_mb=512, timeout_s=900)
    samples: dict[str, list[float]] = {name: [] for name in handlers}
    real_stdout = sys.stdout
    with open(os.devnull, "w") as devnull:
        sys.stdout = runtime_stdout(devnull)
        try:
            for handler in handlers.values():
                handler({}, context)  # cold calls are measured separately
            for _ in range(rounds):
                for name, handler in handlers.items():
                    start = time.perf_counter()
                    for _ in range(calls):
                        handler({}, context)
                    samples[name].append((time.perf_counter() - start) / calls * 1e6)
        finally:
            sys.stdout = real_stdout
    return {name: statistics.median(values) for name, values in samples.items()}


_COLD_PROBE = """
import os, sys, time
from awslambdaric.bootstrap import Unbuffered
sys.stdout = Unbuffered(open(os.devnull, "w"))
setup, = sys.argv[1:]
ns = {}
exec(setup, ns)
handler, context = ns["handler"], ns["context"]
t = time.perf_counter()
handler({}, context)
print((time.perf_counter() - t) * 1e6, file=sys.stderr)
"""
_CONTEXT = "from lambda_lifecycle.testing import LambdaContext\ncontext = LambdaContext(memory_limit_in_mb=512)\n"
COLD = {
    "bare handler": "def handler(e, c): return None\n",
    "lambda-lifecycle": "import lambda_lifecycle\n@lambda_lifecycle.instrument\ndef handler(e, c): return None\n",
    "powertools log_metrics (1 metric + cold start)": (
        "from aws_lambda_powertools import Metrics\nmetrics = Metrics(namespace='Bench', service='bench')\n"
        "@metrics.log_metrics(capture_cold_start_metric=True)\n"
        "def handler(e, c): metrics.add_metric(name='Orders', unit='Count', value=1)\n"
    ),
}


def measure_cold_calls(repeat: int) -> dict[str, float]:
    """Median microseconds of the first call in a fresh process (imports done beforehand)."""
    samples: dict[str, list[float]] = {name: [] for name in COLD}
    for _ in range(repeat):
        for name, setup in COLD.items():
            out = subprocess.run(
                [sys.executable, "-c", _COLD_PROBE, _CONTEXT + setup], capture_output=True, text=True, check=True
            )
            samples[name].append(float(out.stderr.strip().splitlines()[-1]))
    return {name: statistics.median(values) for name, values in samples.items()}


def measure_bytes() -> dict[str, int]:
    """Bytes of one record line as written, for a realistic warm invocation."""
    import io

    from aws_lambda_powertools import Metrics

    import lambda_lifecycle
    from lambda_lifecycle import testing

    context = testing.LambdaContext(function_name="orders-api", memory_limit_in_mb=512)
    sizes: dict[str, int] = {}
    handler = lambda_lifecycle.instrument(lambda e, c: None)
    real_stdout = sys.stdout
    try:
        for label, env in (("lambda-lifecycle, warm", None), ("lambda-lifecycle, warm, with X-Ray id", TRACE_HEADER)):
            if env:
                os.environ["_X_AMZN_TRACE_ID"] = env
            else:
                os.environ.pop("_X_AMZN_TRACE_ID", None)
            sys.stdout = io.StringIO()
            handler({}, context)  # make sure the measured one is warm
            sys.stdout = io.StringIO()
            handler({}, context)
            sizes[label] = len(sys.stdout.getvalue().rstrip("\n").encode())
            sys.stdout = real_stdout
        metrics = Metrics(namespace="Bench", service="bench")

        @metrics.log_metrics
        def powertools(event: Any, ctx: Any) -> None:
            metrics.add_metric(name="Orders", unit="Count", value=1)

        sys.stdout = io.StringIO()
        powertools({}, context)
        sizes["powertools, one metric"] = len(sys.stdout.getvalue().rstrip("\n").encode())
    finally:
        sys.stdout = real_stdout
        os.environ["_X_AMZN_TRACE_ID"] = TRACE_HEADER
    return sizes


def measure_extension_registration(repeat: int) -> float:
    """Median ms the shutdown extension adds to init: register, then the first /event/next sent.

    Against the local Runtime API stand-in the tests use, so it is the SDK's own cost; in Lambda
    the Extensions API is a local endpoint as well.
    """
    from lambda_lifecycle import _extension
    from lambda_lifecycle.local.runtime_api import RuntimeAPI

    samples = []
    with RuntimeAPI() as api:
        for _ in range(repeat):
            start = time.perf_counter()
            if _extension.register(api.address) is None:
                raise RuntimeError("registration failed")
            samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few repetitions, no wrapt 2 venv (a smoke run)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    os.environ.pop("LAMBDA_LIFECYCLE_DISABLED", None)
    os.environ["_X_AMZN_TRACE_ID"] = TRACE_HEADER  # inherited by the fresh processes too
    # As inside Lambda: a Runtime API address (the SDK then installs its SIGTERM handler and keeps
    # its /tmp marker, and both are measured), though nothing listens there; the shutdown
    # extension is measured on its own, against a local stand-in.
    os.environ["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:9"
    os.environ["LAMBDA_LIFECYCLE_TMP_PATH"] = tempfile.mkdtemp(prefix="bench-tmp-")
    wrapt2 = None if args.quick else wrapt2_venv()
    imports = measure_imports(3 if args.quick else 21, wrapt2)
    invocations = measure_invocations(3 if args.quick else 15, 200 if args.quick else 4000)
    cold = measure_cold_calls(2 if args.quick else 11)
    sizes = measure_bytes()
    extension_ms = measure_extension_registration(5 if args.quick else 41)
    from lambda_lifecycle import testing

    testing.reset()  # this process is no execution environment: no shutdown record at its exit

    bare = invocations["bare handler"]
    overhead = {name: us - bare for name, us in invocations.items() if name != "bare handler"}
    cold_overhead = {name: us - cold["bare handler"] for name, us in cold.items() if name != "bare handler"}
    powertools_import = imports["powertools (Metrics, Logger)"]
    powertools_call = overhead["powertools log_metrics (1 metric + cold start)"]
    powertools_cold = cold_overhead["powertools log_metrics (1 metric + cold start)"]
    floor_name = "floor: the same syscalls, one json.dumps, one write, no SDK"
    results = {
        "python": sys.version.split()[0],
        "import_ms": imports,
        "import_ratio_vs_powertools": imports["lambda-lifecycle (import + decorate)"] / powertools_import,
        "invocation_overhead_us": overhead,
        "invocation_ratio_vs_powertools": overhead["lambda-lifecycle"] / powertools_call,
        "floor_ratio_vs_powertools": overhead[floor_name] / powertools_call,
        "cold_call_overhead_us": cold_overhead,
        "cold_call_ratio_vs_powertools": cold_overhead["lambda-lifecycle"] / powertools_cold,
        "record_bytes": sizes,
        "extension_registration_ms": extension_ms,
        "extension_ratio_vs_import": extension_ms / imports["lambda-lifecycle (import + decorate)"],
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"Python {results['python']}{' (quick run: numbers are rough)' if args.quick else ''}\n")
    print("| import, on top of awslambdaric.bootstrap | median ms | x powertools |\n|---|---:|---:|")
    for name, ms in imports.items():
        print(f"| {name} | {ms:.1f} | {ms / powertools_import:.2f} |")
    print("\n| per invocation, over a bare handler | median us | x powertools metrics |\n|---|---:|---:|")
    print(f"| bare handler (absolute) | {bare:.1f} | |")
    for name, us in overhead.items():
        print(f"| {name} | {us:.1f} | {us / powertools_call:.2f} |")
    print("\n| first call in a fresh process, over a bare one | median us | x powertools metrics |\n|---|---:|---:|")
    for name, us in cold_overhead.items():
        print(f"| {name} | {us:.0f} | {us / powertools_cold:.2f} |")
    print("\n| bytes per record line | bytes |\n|---|---:|")
    for name, size in sizes.items():
        print(f"| {name} | {size} |")
    print(
        f"\nShutdown extension, added to init (register + first /event/next): {extension_ms:.2f} ms,"
        f" {results['extension_ratio_vs_import']:.2f}x the SDK's import + decorate"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
