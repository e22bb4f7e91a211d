"""lambda-lifecycle against Powertools Metrics, side by side in one run, as ratios, with floors.

    python benchmarks/run.py                                   # this interpreter
    python benchmarks/run.py --python .venv/bin/python --python .venv-3.12/bin/python
    python benchmarks/run.py --quick --json out.json           # a smoke run, results as JSON
    python benchmarks/run.py --steps                           # also: each fact timed alone

Every figure is measured in fresh worker processes under conditions like Lambda's (see
benchmarks/README.md) and reported as a median of interleaved rounds; what matters is the ratio
to Powertools measured in the same run, since a shared machine moves absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
POWERTOOLS = "powertools"
WRAPT = "wrapt (for methods and callable objects)"
IMPORT_FLOOR = "floor (resource, mmap, _contextvars)"
_FD_LISTING = "BENCH_FD_LISTING"
SDK = "lambda-lifecycle"
FLOOR = "floor"
EVERY = "lambda-lifecycle, warm, every reading (first, then once a second), with X-Ray id"

# Init: what each costs to import (and decorate) on top of the runtime client's own imports.
IMPORTS = {
    "lambda-lifecycle (import + decorate)": "import lambda_lifecycle\nlambda_lifecycle.instrument(lambda e, c: None)",
    "lambda-lifecycle (import)": "import lambda_lifecycle",
    "powertools (Metrics, Logger)": "from aws_lambda_powertools import Metrics, Logger",
    # The floor: the standard library the SDK's facts need that the runtime client has not
    # loaded (getrusage, the marker's mapped slot, the re-entrancy guard), and nothing of the SDK.
    IMPORT_FLOOR: "import resource, mmap, _contextvars",
    # What the SDK imports only for handlers that are not plain functions (with inspect).
    WRAPT: "import wrapt",
}
_IMPORT_PROBE = """
import sys, time
import awslambdaric.bootstrap
code = compile(sys.argv[1], "<bench>", "exec")  # a process's first compile() costs 1-9 ms
t = time.perf_counter()
exec(code)
print((time.perf_counter() - t) * 1000, flush=True)  # first line: a shutdown record may follow
"""


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --- workers: each runs in a fresh process under Lambda's conditions --------------------------


def worker_invoke(out: Path, rounds: int, calls: int) -> None:
    """Per-invocation time of each handler (us), interleaved rounds; and the lines they write."""
    import lambda_like as ll

    sdk = ll.lambda_lifecycle_handler()
    powertools = ll.powertools_handler()
    contexts, traces = ll.invocations(0, 3)
    for handler in (sdk, powertools):
        handler({}, contexts[0])  # the cold calls are measured apart
    lines = {
        # Within a second of the first invocation: without descriptors, threads and /tmp.
        "lambda-lifecycle, warm": ll.captured_line(sdk, contexts[1], None),
        "lambda-lifecycle, warm, with X-Ray id": ll.captured_line(sdk, contexts[2], traces[2]),
        "powertools, one metric": ll.captured_line(powertools, contexts[2], None),
    }
    # A second later (the SDK's EVERY_READING_S, not imported: an A/B run may measure code before
    # it), a warm line with every reading.
    time.sleep(1.0)
    lines[EVERY] = ll.captured_line(sdk, contexts[2], traces[2])
    floor = ll.floor_handler(
        lines[EVERY], lines["lambda-lifecycle, warm, with X-Ray id"], os.environ["LAMBDA_LIFECYCLE_TMP_PATH"]
    )
    floor({}, contexts[0])
    floor_line = ll.captured_line(floor, contexts[2], traces[2])
    handlers = {"bare": ll.bare, SDK: sdk, POWERTOOLS: powertools, FLOOR: floor}
    samples: dict[str, list[float]] = {name: [] for name in handlers}
    names = list(handlers)
    environ = os.environ
    sys.stdout = ll.runtime_stdout()
    event: dict[str, Any] = {}
    for r in range(rounds):
        contexts, traces = ll.invocations(10 + r * calls, calls)
        for name in names[r % len(names) :] + names[: r % len(names)]:  # rotated: no handler always first
            handler = handlers[name]
            start = time.perf_counter()
            for context, trace in zip(contexts, traces, strict=True):
                environ["_X_AMZN_TRACE_ID"] = trace  # as the runtime client does before every call
                handler(event, context)
            samples[name].append((time.perf_counter() - start) / calls * 1e6)
    result = {
        "samples_us": samples,
        "bytes": {label: len(line.rstrip("\n").encode()) for label, line in lines.items()},
        "lines": lines,
        "floor_line": floor_line,
        "floor_same_line": ll.same_shape(floor_line, lines["lambda-lifecycle, warm, with X-Ray id"])
        and abs(len(floor_line) - len(lines["lambda-lifecycle, warm, with X-Ray id"])) <= 8,
    }
    out.write_text(json.dumps(result))


def worker_otel(out: Path, rounds: int, calls: int) -> None:
    """(e): per-invocation time with OpenTelemetry (us), interleaved rounds, each variant with the
    SDK integrated or not as it needs (the integration is the process's, so it is switched)."""
    import lambda_like as ll
    import otel_handlers

    from lambda_lifecycle import otel

    variants = otel_handlers.handlers()
    undo: Any = None
    flushing: bool | None = None

    def integrated(flush: bool | None) -> None:
        nonlocal undo, flushing
        if flush == flushing:
            return
        if undo is not None:
            undo()
        # None: the default, flushing only where no tracing wrapper is outside; False: never.
        undo = None if flush is None else otel.integrate(flush=None if flush else False)
        flushing = flush

    contexts, _ = ll.invocations(0, 1)
    sys.stdout = ll.runtime_stdout()
    for handler, event, wanted in variants.values():
        integrated(wanted)
        handler(dict(event), contexts[0])  # the cold calls are not measured here
    samples: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    environ = os.environ
    for r in range(rounds):
        contexts, traces = ll.invocations(10 + r * calls, calls)
        for name in names[r % len(names) :] + names[: r % len(names)]:
            handler, event, wanted = variants[name]
            integrated(wanted)
            start = time.perf_counter()
            for context, trace in zip(contexts, traces, strict=True):
                environ["_X_AMZN_TRACE_ID"] = trace
                handler(event, context)
            samples[name].append((time.perf_counter() - start) / calls * 1e6)
    out.write_text(json.dumps({"samples_us": samples}))


COLD = {
    "bare": "handler = ll.bare",
    SDK: "handler = ll.lambda_lifecycle_handler()",
    POWERTOOLS: "handler = ll.powertools_handler()",
    FLOOR: "handler = ll.floor_handler(*json.load(open(template)), os.environ['LAMBDA_LIFECYCLE_TMP_PATH'])",
}


def worker_cold(out: Path, target: str, template: Path) -> None:
    """The first call of one handler in this fresh process, its init (imports, decoration) done."""
    import lambda_like as ll

    namespace: dict[str, Any] = {"ll": ll, "os": os, "json": json, "template": template}
    exec(COLD[target], namespace)
    handler = namespace["handler"]
    contexts, traces = ll.invocations(1, 1)
    sys.stdout = ll.runtime_stdout()
    os.environ["_X_AMZN_TRACE_ID"] = traces[0]
    start = time.perf_counter()
    handler({}, contexts[0])
    elapsed = (time.perf_counter() - start) * 1e6
    out.write_text(json.dumps(elapsed))


def worker_extension(out: Path, repeat: int) -> None:
    """Init time the shutdown extension adds (register, first /event/next), against a local stand-in."""
    from lambda_lifecycle import _extension
    from lambda_lifecycle.local.runtime_api import RuntimeAPI

    samples = []
    with RuntimeAPI() as api:
        for _ in range(repeat):
            start = time.perf_counter()
            if _extension.register(api.address) is None:
                raise RuntimeError("registration failed")
            samples.append((time.perf_counter() - start) * 1000)
    out.write_text(json.dumps(_median(samples)))


# --- the orchestrator -------------------------------------------------------------------------


class Python:
    """One interpreter the figures are measured on."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        version = subprocess.run(
            [executable, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True, text=True, check=True
        )
        self.version = version.stdout.strip()
        self.minor = self.version.split(".")[1]
        self.label = self.version  # what its column is headed with; the executable too if not unique
        # pip compiles a package's bytecode when it installs it, so a deployed function imports
        # compiled code; a source checkout may have none. Compile the SDK as pip would.
        subprocess.run(
            [executable, "-c", "import compileall, lambda_lifecycle, os;"
             "compileall.compile_dir(os.path.dirname(lambda_lifecycle.__file__), quiet=1)"],
            check=True,
        )  # fmt: skip
        # (e) needs the SDK's otel integration and the OpenTelemetry SDK: an older release of the
        # SDK measured beside this one has no integration, and its column says so.
        otel_modules = "lambda_lifecycle.otel, opentelemetry.sdk, opentelemetry.instrumentation.aws_lambda"
        has_otel = subprocess.run([executable, "-c", f"import {otel_modules}"], capture_output=True)
        self.otel = has_otel.returncode == 0

    def run(self, args: list[str], timeout: float = 900) -> str:
        """Run ``args`` on this interpreter in a fresh Lambda-like process with a tmp dir of its own."""
        tmp = tempfile.mkdtemp(prefix="bench-tmp-")
        try:
            result = subprocess.run(
                [self.executable, *args],
                env=_lambda_environment(self.minor, tmp),
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            if result.returncode:
                raise RuntimeError(f"{self.executable} {args[:3]} failed:\n{result.stderr[-3000:]}")
            return result.stdout
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def worker(self, name: str, *args: str) -> Any:
        with tempfile.TemporaryDirectory() as scratch:
            out = Path(scratch) / "out.json"
            self.run([str(HERE / "run.py"), "--worker", name, "--out", str(out), *args])
            return json.loads(out.read_text())


def _lambda_environment(minor: str, tmp: str) -> dict[str, str]:
    sys.path.insert(0, str(HERE))
    import lambda_like

    return lambda_like.environment(minor, tmp)


def measure(pythons: list[Python], quick: bool, processes: int, steps: bool) -> dict[str, Any]:
    rounds, calls = (3, 100) if quick else (15, 2000)
    import_repeat, cold_repeat = (2, 2) if quick else (21, 15)
    results: dict[str, dict[str, Any]] = {p.label: {"python": p.executable} for p in pythons}

    # (a) and (d): per-invocation time, processes of every interpreter interleaved.
    invoke: dict[str, list[dict[str, Any]]] = {p.label: [] for p in pythons}
    for _ in range(processes):
        for p in pythons:
            invoke[p.label].append(p.worker("invoke", "--rounds", str(rounds), "--calls", str(calls)))
            _progress(f"invocations, python {p.label}: {len(invoke[p.label])}/{processes} processes")
    # (e) per-invocation time with OpenTelemetry, in processes of its own (the integration and
    # the instrumentation are process-wide).
    otel_runs: dict[str, list[dict[str, Any]]] = {p.label: [] for p in pythons}
    for _ in range(processes):
        for p in (p for p in pythons if p.otel):
            otel_runs[p.label].append(p.worker("otel", "--rounds", str(rounds), "--calls", str(calls // 4)))
            _progress(f"OpenTelemetry, python {p.label}: {len(otel_runs[p.label])}/{processes} processes")
    # (b) init, every sample a fresh process, the statements interleaved.
    imports: dict[str, dict[str, list[float]]] = {p.label: {name: [] for name in IMPORTS} for p in pythons}
    for i in range(import_repeat):
        for p in pythons:
            for name, statement in IMPORTS.items():
                imports[p.label][name].append(float(p.run(["-c", _IMPORT_PROBE, statement]).splitlines()[0]))
        _progress(f"imports: {i + 1}/{import_repeat}")
    # (c) the first call in a fresh process.
    cold: dict[str, dict[str, list[float]]] = {p.label: {name: [] for name in COLD} for p in pythons}
    with tempfile.TemporaryDirectory() as scratch:
        templates = {}
        for i, p in enumerate(pythons):
            templates[p.label] = Path(scratch) / f"line-{i}"
            lines = invoke[p.label][0]["lines"]
            templates[p.label].write_text(json.dumps([lines[EVERY], lines["lambda-lifecycle, warm, with X-Ray id"]]))
        for i in range(cold_repeat):
            for p in pythons:
                for name in COLD:
                    us = p.worker("cold", "--target", name, "--template", str(templates[p.label]))
                    cold[p.label][name].append(us)
            _progress(f"first calls: {i + 1}/{cold_repeat}")
    for p in pythons:
        results[p.label].update(
            _summarise(invoke[p.label], imports[p.label], cold[p.label]),
            extension_ms=p.worker("extension", "--rounds", "5" if quick else "41"),
            otel=_summarise_otel(otel_runs[p.label]) if p.otel else None,
        )
        if steps:
            results[p.label]["steps"] = p.worker("steps", "--rounds", "3" if quick else "15")
    return results


def _if_otel(figure: Callable[[dict[str, Any]], str]) -> Callable[[dict[str, Any]], str]:
    """An (e) cell, or why there is none for that column."""
    return lambda r: figure(r) if r["otel"] is not None else "not measured: no lambda_lifecycle.otel there"


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _summarise(
    invoke: list[dict[str, Any]], imports: dict[str, list[float]], cold: dict[str, list[float]]
) -> dict[str, Any]:
    # Over a bare handler, paired round by round (the same machine state), then the median.
    overhead: dict[str, list[float]] = {SDK: [], POWERTOOLS: [], FLOOR: []}
    per_process: list[float] = []
    for process in invoke:
        samples = process["samples_us"]
        for name in overhead:
            overhead[name] += [us - bare for us, bare in zip(samples[name], samples["bare"], strict=True)]
        per_process.append(
            _median([s - b for s, b in zip(samples[SDK], samples["bare"], strict=True)])
            / _median([s - b for s, b in zip(samples[POWERTOOLS], samples["bare"], strict=True)])
        )
    invocation_us = {name: _median(values) for name, values in overhead.items()}
    import_ms = {name: _median(values) for name, values in imports.items()}
    cold_us = {
        name: _median([us - bare for us, bare in zip(cold[name], cold["bare"], strict=True)])
        for name in COLD
        if name != "bare"
    }
    powertools_import = import_ms["powertools (Metrics, Logger)"]
    return {
        "bare_us": _median([us for process in invoke for us in process["samples_us"]["bare"]]),
        "invocation_overhead_us": invocation_us,
        "invocation_ratio": invocation_us[SDK] / invocation_us[POWERTOOLS],
        "invocation_floor_ratio": invocation_us[FLOOR] / invocation_us[POWERTOOLS],
        "invocation_ratio_per_process": sorted(per_process),
        "import_ms": import_ms,
        "import_ratio": import_ms["lambda-lifecycle (import + decorate)"] / powertools_import,
        "import_floor_ratio": import_ms[IMPORT_FLOOR] / powertools_import,
        "import_wrapt_ratio": import_ms[WRAPT] / powertools_import,
        "first_call_overhead_us": cold_us,
        "first_call_ratio": cold_us[SDK] / cold_us[POWERTOOLS],
        "first_call_floor_ratio": cold_us[FLOOR] / cold_us[POWERTOOLS],
        "bytes": invoke[0]["bytes"],
        "floor_same_line": all(process["floor_same_line"] for process in invoke),
    }


def _summarise_otel(runs: list[dict[str, Any]]) -> dict[str, Any]:
    # Over a bare handler, paired round by round, then the median; ratios of those medians.
    overhead: dict[str, float] = {}
    for name in runs[0]["samples_us"]:
        if name != "bare":
            overhead[name] = _median(
                [
                    us - bare
                    for run in runs
                    for us, bare in zip(run["samples_us"][name], run["samples_us"]["bare"], strict=True)
                ]
            )
    return {
        "overhead_us": overhead,
        "sdk_ratio": overhead["lambda-lifecycle + otel"] / overhead["lambda-lifecycle"],
        "sdk_ratio_no_flush": overhead["lambda-lifecycle + otel, no flush"] / overhead["lambda-lifecycle"],
        "instrumentation_ratio": overhead["instrumentation + lambda-lifecycle otel"] / overhead["instrumentation"],
    }


def report(results: dict[str, Any], quick: bool, fd_listing: bool) -> str:
    versions = list(results)
    rows = [
        "| figure | " + " | ".join(f"python {v}" for v in versions) + " |",
        "|---|" + "---:|" * len(versions),
    ]

    def row(label: str, cell: Any) -> None:
        rows.append(f"| {label} | " + " | ".join(cell(results[v]) for v in versions) + " |")

    row("(a) per invocation over a bare handler: lambda-lifecycle", lambda r: _ratio(r, "invocation", "us"))
    row("(a) floor: the same facts and line, no SDK", lambda r: _floor(r, "invocation", "us"))
    row("(a) powertools log_metrics, one metric", lambda r: f"{r['invocation_overhead_us'][POWERTOOLS]:.1f} us")
    row("(a) ratio in each process", lambda r: " ".join(f"{x:.2f}" for x in r["invocation_ratio_per_process"]))
    row("(a) bare handler, absolute", lambda r: f"{r['bare_us']:.2f} us")
    row("(b) import + decorate: lambda-lifecycle", lambda r: _ratio(r, "import", "ms"))
    row("(b) import alone: lambda-lifecycle", lambda r: f"{r['import_ms']['lambda-lifecycle (import)']:.1f} ms")
    row("(b) floor: the standard library modules the facts need", lambda r: _floor(r, "import", "ms"))
    row(
        "(b) import wrapt (only for handlers that are not plain functions)",
        lambda r: f"{r['import_ms'][WRAPT]:.1f} ms, {r['import_wrapt_ratio']:.2f}x",
    )
    row("(b) powertools (Metrics, Logger)", lambda r: f"{r['import_ms']['powertools (Metrics, Logger)']:.1f} ms")
    row("(c) first call in a fresh process: lambda-lifecycle", lambda r: _ratio(r, "first_call", "us"))
    row("(c) floor: the same first call, no SDK", lambda r: _floor(r, "first_call", "us"))
    row("(c) powertools (2 lines: cold start, metric)", lambda r: f"{r['first_call_overhead_us'][POWERTOOLS]:.0f} us")
    for label in results[versions[0]]["bytes"]:
        row(f"(d) bytes: {label}", lambda r, label=label: str(r["bytes"][label]))
    row("floor writes the SDK's line (same keys, same length)", lambda r: "yes" if r["floor_same_line"] else "NO")
    row("shutdown extension at init (register + first next)", lambda r: f"{r['extension_ms']:.2f} ms")
    row("(e) lambda-lifecycle, plain", _if_otel(lambda r: f"{r['otel']['overhead_us']['lambda-lifecycle']:.1f} us"))
    row(
        "(e) lambda-lifecycle integrated with OpenTelemetry (flushing), vs plain",
        _if_otel(
            lambda r: f"{r['otel']['overhead_us']['lambda-lifecycle + otel']:.1f} us, **{r['otel']['sdk_ratio']:.2f}x**"
        ),
    )
    row(
        "(e) the same without its flush: recording alone, vs plain",
        _if_otel(
            lambda r: (
                f"{r['otel']['overhead_us']['lambda-lifecycle + otel, no flush']:.1f} us, "
                f"{r['otel']['sdk_ratio_no_flush']:.2f}x"
            )
        ),
    )
    row(
        "(e) opentelemetry-instrumentation-aws-lambda alone",
        _if_otel(lambda r: f"{r['otel']['overhead_us']['instrumentation']:.1f} us"),
    )
    row(
        "(e) the instrumentation + lambda-lifecycle integrated, vs the instrumentation alone",
        _if_otel(
            lambda r: (
                f"{r['otel']['overhead_us']['instrumentation + lambda-lifecycle otel']:.1f} us, "
                f"**{r['otel']['instrumentation_ratio']:.2f}x**"
            )
        ),
    )
    notes = ["quick run: numbers are rough"] if quick else []
    if fd_listing:
        notes.append("as before Linux 6.2: open descriptors counted by a listing of /proc/self/fd")
    text = "".join(note + "\n\n" for note in notes) + "\n".join(rows)
    for version in versions:
        steps = results[version].get("steps")
        if steps:
            text += f"\n\nEach step alone, python {version} (median us, loop overhead removed):\n\n"
            text += "| step | us |\n|---|---:|\n" + "\n".join(f"| {k} | {v:.2f} |" for k, v in steps["us"].items())
            text += "\n\n| import, on top of awslambdaric.bootstrap | ms |\n|---|---:|\n"
            text += "\n".join(f"| {k} | {v:.2f} |" for k, v in steps["import_ms"].items())
            text += "\n\nwrapt imports: " + ", ".join(steps["wrapt_imports"])
    return text


def _ratio(r: dict[str, Any], figure: str, unit: str) -> str:
    value = r[f"{figure}_ms"]["lambda-lifecycle (import + decorate)"] if figure == "import" else r[_key(figure)][SDK]
    return f"{value:.1f} {unit}, **{r[f'{figure}_ratio']:.2f}x**"


def _floor(r: dict[str, Any], figure: str, unit: str) -> str:
    value = r["import_ms"][IMPORT_FLOOR] if figure == "import" else r[_key(figure)][FLOOR]
    return f"{value:.1f} {unit}, {r[f'{figure}_floor_ratio']:.2f}x"


def _key(figure: str) -> str:
    return "invocation_overhead_us" if figure == "invocation" else "first_call_overhead_us"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few repetitions: a smoke run, numbers rough")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    parser.add_argument("--python", action="append", metavar="EXE", help="interpreter to measure (repeatable)")
    parser.add_argument("--processes", type=int, help="worker processes per interpreter (default 5, quick 1)")
    parser.add_argument("--steps", action="store_true", help="also time each fact alone, and import costs")
    parser.add_argument(
        "--fd-listing", action="store_true", help="as on kernels before 6.2: descriptors counted by a listing"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--calls", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--template", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        sys.path.insert(0, str(HERE))
        if os.environ.get(_FD_LISTING):
            import lambda_like

            lambda_like.as_before_linux_6_2()
        if args.worker == "invoke":
            worker_invoke(args.out, args.rounds, args.calls)
        elif args.worker == "cold":
            worker_cold(args.out, args.target, args.template)
        elif args.worker == "otel":
            worker_otel(args.out, args.rounds, args.calls)
        elif args.worker == "extension":
            worker_extension(args.out, args.rounds)
        else:
            import steps

            args.out.write_text(json.dumps(steps.measure(args.rounds)))
        return 0
    if args.fd_listing:
        os.environ[_FD_LISTING] = "1"  # the workers inherit it
    pythons = [Python(exe) for exe in (args.python or [sys.executable])]
    versions = [p.version for p in pythons]
    for p in pythons:  # A/B: two checkouts' environments of one interpreter, side by side
        if versions.count(p.version) > 1:
            p.label = f"{p.version} {p.executable}"
    processes = args.processes or (1 if args.quick else 5)
    results = measure(pythons, args.quick, processes, args.steps)
    print(report(results, args.quick, args.fd_listing))
    if args.json:
        document = {"quick": args.quick, "fd_listing": args.fd_listing, "processes": processes, "results": results}
        Path(args.json).write_text(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
