"""The init anatomy's cost, side by side in one run, as ratios (issue 22).

    python benchmarks/init_anatomy.py                 # 15 interleaved rounds
    python benchmarks/init_anatomy.py --rounds 5 --json out.json

Three comparisons, each in fresh processes, interleaved so that a shared machine's drift hits
both sides alike; medians of the CPU time each spent (``time.process_time``: on a shared machine,
wall time mostly measures the other processes; a function's init has its cores to itself):

1. Init of a handler module importing about 300 modules (boto3 and a generated package of 200
   small modules), with the anatomy on (the import timing and the attribution) and off
   (``LAMBDA_LIFECYCLE_INIT_BREAKDOWN=false``). Goal: on <= 1.03x off.
2. Loading the handler through the entry point ``lambda_lifecycle.handler`` against importing
   the module and decorating its handler. Goal: at most 2 ms more.
3. Warm invocations of a process whose init was timed against one whose was not: the timing is
   gone by then. Goal: 1.00x.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

GENERATED_MODULES = 200

# Each probe runs in a fresh interpreter that has imported the runtime client, as Lambda's has,
# with the Lambda variables that switch the timing on; it prints milliseconds (or microseconds).
_INIT_PROBE = """
import importlib, os, sys, time
import awslambdaric.bootstrap
t = time.process_time()
import lambda_lifecycle
module = importlib.import_module("app")
handler = lambda_lifecycle.instrument(module.handler)
took = time.process_time() - t
t = time.process_time()
handler({}, None)  # the first invocation writes the init record when the anatomy is on
first = time.process_time() - t
print("BENCH", took * 1000, first * 1e6, flush=True)
os._exit(0)
"""

_DECORATED_PROBE = """
import importlib, os, time
import awslambdaric.bootstrap
t = time.process_time()
import lambda_lifecycle
handler = lambda_lifecycle.instrument(importlib.import_module("small").handler)
print("BENCH", (time.process_time() - t) * 1000, flush=True)
os._exit(0)
"""

_ENTRY_POINT_PROBE = """
import importlib, os, time
import awslambdaric.bootstrap
t = time.process_time()
handler = awslambdaric.bootstrap._get_handler("lambda_lifecycle.handler.handler")
print("BENCH", (time.process_time() - t) * 1000, flush=True)
os._exit(0)
"""

_WARM_PROBE = """
import importlib, io, os, sys, time
import awslambdaric.bootstrap
import lambda_lifecycle
handler = lambda_lifecycle.instrument(importlib.import_module("small").handler)
handler({}, None)
sys.stdout = io.StringIO()  # the lines are not what is measured
calls = 3000
t = time.process_time()
for _ in range(calls):
    handler({}, None)
took = time.process_time() - t
sys.stdout = sys.__stdout__
print("BENCH", took / calls * 1e6, flush=True)
os._exit(0)
"""


def make_function(root: Path) -> None:
    """``app.py`` importing boto3 and a generated package; ``small.py``, a plain handler."""
    package = root / "generated"
    package.mkdir()
    names = [f"m{n:03d}" for n in range(GENERATED_MODULES)]
    (package / "__init__.py").write_text("".join(f"from . import {name}\n" for name in names))
    for n, name in enumerate(names):
        body = "import json\n" if n % 10 else "import decimal, fractions\n"
        body += "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(5))
        body += "TABLE = {" + ", ".join(f"'{name}_{i}': {i}" for i in range(20)) + "}\n"
        (package / f"{name}.py").write_text(body)
    (root / "app.py").write_text("import boto3\nimport generated\n\ndef handler(event, context):\n    return 1\n")
    (root / "small.py").write_text("def handler(event, context):\n    return 1\n")


def _environment(root: Path, tmp: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_LAMBDA_", "LAMBDA_LIFECYCLE_", "_HANDLER"))}
    env.update(
        AWS_LAMBDA_RUNTIME_API="127.0.0.1:9",  # inside Lambda: the timing is on; nothing is called
        AWS_LAMBDA_FUNCTION_NAME="bench",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="1024",
        LAMBDA_LIFECYCLE_TMP_PATH=tmp,
        LAMBDA_LIFECYCLE_TIMEOUT_WARNING_MS="0",
        LAMBDA_LIFECYCLE_SHUTDOWN_EXTENSION="false",
        PYTHONPATH=str(root),
        PYTHONDONTWRITEBYTECODE="",
    )
    env.update(extra)
    return env


def _run(python: str, probe: str, root: Path, env: dict[str, str]) -> list[float]:
    done = subprocess.run([python, "-c", probe], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"probe failed: {done.stderr[-2000:]}")
    # The SDK's records share stdout: the figures are on the line marked BENCH.
    [line] = [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    return [float(part) for part in line.split()[1:]]


def measure(python: str, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-init-") as work:
        root = Path(work) / "function"
        root.mkdir()
        make_function(root)
        tmp = tempfile.mkdtemp(dir=work)
        on = _environment(root, tmp, _HANDLER="app.handler")
        off = _environment(root, tmp, _HANDLER="app.handler", LAMBDA_LIFECYCLE_INIT_BREAKDOWN="false")
        # The entry point against the decorated handler with the anatomy off in both: with it on,
        # the entry point attributes the imports as init ends, the decorated handler at its first call.
        decorated = _environment(root, tmp, _HANDLER="small.handler", LAMBDA_LIFECYCLE_INIT_BREAKDOWN="false")
        entry = _environment(
            root,
            tmp,
            _HANDLER="lambda_lifecycle.handler.handler",
            LAMBDA_LIFECYCLE_HANDLER="small.handler",
            LAMBDA_LIFECYCLE_INIT_BREAKDOWN="false",
        )
        warm_on = _environment(root, tmp, _HANDLER="small.handler")
        warm_off = _environment(root, tmp, _HANDLER="small.handler", LAMBDA_LIFECYCLE_INIT_BREAKDOWN="false")
        for probe, env in ((_INIT_PROBE, on), (_INIT_PROBE, off), (_ENTRY_POINT_PROBE, entry)):
            _run(python, probe, root, env)  # compile the bytecode once, as a deployment package holds it
        samples: dict[str, list[float]] = {}
        for _ in range(rounds):
            for name, probe, env in (
                ("init on", _INIT_PROBE, on),
                ("init off", _INIT_PROBE, off),
                ("decorated", _DECORATED_PROBE, decorated),
                ("entry point", _ENTRY_POINT_PROBE, entry),
                ("warm, init timed", _WARM_PROBE, warm_on),
                ("warm, init not timed", _WARM_PROBE, warm_off),
            ):
                values = _run(python, probe, root, env)
                samples.setdefault(name, []).append(values[0])
                if name == "init on":
                    samples.setdefault("first invocation, init record written (us)", []).append(values[1])
                if name == "init off":
                    samples.setdefault("first invocation, anatomy off (us)", []).append(values[1])
    medians = {name: statistics.median(values) for name, values in samples.items()}
    medians["init: on / off"] = medians["init on"] / medians["init off"]
    medians["entry point - decorated (ms)"] = medians["entry point"] - medians["decorated"]
    medians["warm: timed / not timed"] = medians["warm, init timed"] / medians["warm, init not timed"]
    for name in ("warm, init timed", "warm, init not timed"):
        medians[f"{name} (us per call)"] = medians.pop(name)
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=sys.executable, help="the interpreter to measure (default: this one)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--json", metavar="FILE", help="also write the medians there")
    args = parser.parse_args()
    medians = measure(args.python, args.rounds)
    for name, value in medians.items():
        unit = "" if ":" in name else (" us" if "(us)" in name else " ms")
        print(f"{name:48} {value:10.3f}{'' if '(' in name else unit}")
    if args.json:
        Path(args.json).write_text(json.dumps(medians, indent=2))


if __name__ == "__main__":
    main()
