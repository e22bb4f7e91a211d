"""The sample records the docs and the README show, rendered by the SDK itself.

``python docs/gen_samples.py`` runs ``examples/quickstart/handler.py`` through one simulated
execution environment (a cold and a warm invocation, one that comes close to its timeout, the
shutdown) and rewrites ``docs/samples/*.json``. ``tests/unit/test_docs.py`` runs it again and fails
when a sample, or the README's first record, no longer matches what the SDK writes, apart from
ids, times and the machine's readings.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from lambda_lifecycle import testing
from lambda_lifecycle._runtime import RUNTIME
from lambda_lifecycle.contract import INVOKE, KIND_KEY, MEASUREMENTS, SHUTDOWN, TIMEOUT_WARNING

ROOT = Path(__file__).resolve().parents[1]
HANDLER = ROOT / "examples" / "quickstart" / "handler.py"
SAMPLES = Path(__file__).resolve().parent / "samples"
# The docs site's text column holds about 82 characters of code from 1220 px up (both sidebars
# shown); a sample's lines stay within it rather than run out of sight.
WIDTH = 80
_MB = 1024 * 1024
EPHEMERAL_STORAGE_MB = 512  # Lambda's default /tmp

# What differs between two runs of the same script: ids, clocks and what the probes read.
VOLATILE = frozenset(
    {"Timestamp", "request_id", "container_id", "environment_id", "xray_trace_id", "stack"}
    | {"elapsed_ms", "remaining_ms", "MaxTmpUsed", "IdleBeforeShutdown", "ShutdownDuration"}
    | (set(MEASUREMENTS) - {"ColdStart"})
)

# As Lambda sets them for a function with X-Ray tracing; everything else of the SDK's is unset.
_ENVIRONMENT = {
    "AWS_LAMBDA_FUNCTION_NAME": "orders-api",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
    "_X_AMZN_TRACE_ID": "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1",
}


@contextlib.contextmanager
def _lambda_like() -> Iterator[None]:
    """The environment variables and working directory (``/var/task`` in Lambda) of the samples."""
    saved = dict(os.environ)
    cwd = os.getcwd()
    for name in list(os.environ):
        if name.startswith(("AWS_LAMBDA_", "LAMBDA_LIFECYCLE_", "POWERTOOLS_", "_X_AMZN_TRACE_ID")):
            del os.environ[name]
    os.environ.update(_ENVIRONMENT)
    os.chdir(HANDLER.parent)  # so the timeout warning's stack names handler.py as Lambda would
    try:
        yield
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _lines_written() -> Iterator[list[str]]:
    """Each record line written inside the block, as it is on the wire: ``testing``'s records
    are completed (``contract.complete``), and the samples show what a line leaves out, in its
    order and with its number formats."""
    lines: list[str] = []
    write, collect = RUNTIME.write, RUNTIME.collect

    def tee(line: str) -> None:
        lines.append(line)
        if write is not None:
            write(line)

    RUNTIME.redirect(tee, collect)
    try:
        yield lines
    finally:
        RUNTIME.redirect(write, collect)


def samples() -> dict[str, str]:
    """One record line of each kind, by sample name, exactly as the quickstart handler writes it
    (the timeout warning's stack cut to the handler's own frames)."""

    def context(timeout_s: float = 3.0) -> testing.LambdaContext:
        return testing.LambdaContext(function_name="orders-api", memory_limit_in_mb=256, timeout_s=timeout_s)

    # The simulated /tmp is measured as Lambda's: a file system of its own of 512 MB, holding what
    # the function wrote (not the host's disk, with everything else on it).
    with (
        _lambda_like(),
        testing.Lifecycle(init_duration_ms=180, tmp_size_mb=EPHEMERAL_STORAGE_MB) as lifecycle,
        _lines_written() as written,
    ):
        handler = lifecycle.load(HANDLER).lambda_handler
        lifecycle.invoke(handler, {}, context())  # the cold start
        lifecycle.idle(2)
        lifecycle.write_tmp(24)  # what the first invocation left in /tmp
        lifecycle.invoke(handler, {}, context())
        lifecycle.idle(45)
        # 0.3 s to run, so the watchdog warns 200 ms before the deadline, while the handler sleeps.
        lifecycle.invoke(handler, {"work_s": 0.28}, context(timeout_s=0.3))
        lifecycle.idle(600)
        lifecycle.shutdown()
    invocations, warnings, shutdowns = (
        [line for line in written if f'"{KIND_KEY}":"{kind}"' in line] for kind in (INVOKE, TIMEOUT_WARNING, SHUTDOWN)
    )
    warning = json.loads(warnings[0])
    # The handler's own frames; the SDK's and the test runner's below them depend on the machine.
    frames = warning["stack"]
    if isinstance(frames, list):
        warning["stack"] = [line for line in frames if line.startswith("handler.py:")]
    return {
        "invoke-cold": invocations[0],
        "invoke-warm": invocations[1],
        "timeout-warning": json.dumps(warning, separators=(",", ":")),
        "shutdown": shutdowns[0],
    }


def records() -> dict[str, dict[str, object]]:
    """The samples as records, by sample name."""
    return {name: json.loads(line) for name, line in samples().items()}


def wrap(line: str, width: int = WIDTH) -> str:
    """A record's one JSON line, broken after commas into lines of at most ``width`` characters.

    The breaks fall between tokens, so the text is still the same JSON.
    """
    lines, start, last_break, in_string, escaped = [], 0, 0, False, False
    for i, char in enumerate(line):
        if escaped:
            escaped = False
        elif in_string:
            escaped = char == "\\"
            in_string = char != '"'
        elif char == '"':
            in_string = True
        elif char == ",":
            if i + 1 - start > width and last_break > start:
                lines.append(line[start:last_break])
                start = last_break
            last_break = i + 1
    if len(line) - start > width and last_break > start:
        lines.append(line[start:last_break])
        start = last_break
    lines.append(line[start:])
    return "\n ".join(lines)


def normalized(record: object) -> object:
    """``record`` with every volatile value replaced by its type: what two runs must agree on."""
    if isinstance(record, dict):
        return {key: type(value).__name__ if key in VOLATILE else normalized(value) for key, value in record.items()}
    if isinstance(record, list):
        return [normalized(item) for item in record]
    return record


def main() -> int:
    SAMPLES.mkdir(exist_ok=True)
    for name, line in samples().items():
        (SAMPLES / f"{name}.json").write_text(wrap(line) + "\n")
        print(f"wrote {(SAMPLES / name).relative_to(ROOT)}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
