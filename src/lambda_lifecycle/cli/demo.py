"""``lambda-lifecycle demo`` (``python -m lambda_lifecycle demo``, ``make demo``): one execution
environment's life, simulated locally with the SDK's public API and its testing helpers.

Gaps between invocations are simulated (the clock jumps instead of sleeping); everything else,
the handler, the probes and the records, is real. A tool: no function imports it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time

from .. import instrument, on_shutdown, testing
from ..contract import INVOKE, KIND_KEY, TIMEOUT_WARNING

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_MB = 1024 * 1024

# (seconds frozen before the invocation, MB the handler writes to /tmp, whether it raises,
#  seconds it takes: really slept, so the last one nears its 0.6 s timeout and is warned about)
_SCRIPT = [
    (0, 0, False, 0),
    (2, 0, False, 0),
    (45, 8, False, 0),
    (300, 16, False, 0),
    (1, 0, True, 0),
    (20, 0, False, 0.45),
]
_TIMEOUT_S = 0.6  # the slow invocation's; the others have Lambda's default, 3 s
_DEFAULT_TIMEOUT_S = 3.0
_FUNCTION_NAME, _FUNCTION_VERSION = "orders-demo", "$LATEST"
# Lambda's default ephemeral storage: the demo's /tmp is a directory of its own, so its use is
# what the handler wrote there, not the host disk the directory happens to live on.
_TMP_SIZE_MB = 512


def _make_handler(tmp_dir: str) -> Any:
    # Module-level init of a real function: runs once per environment and is reused warm, and
    # its cleanup runs when the environment shuts down.
    connections: list[str] = []

    @on_shutdown
    def close_connections() -> None:
        print(f"  (shutdown hook: closing {len(connections)} connection)")
        connections.clear()

    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if not connections:
            connections.append("db-connection")
        time.sleep(event["takes_s"])
        if event["write_mb"]:
            path = os.path.join(tmp_dir, f"cache-{event['n']}.bin")
            with open(path, "wb") as f:
                for _ in range(event["write_mb"]):  # a MB at a time, as a real handler streams
                    f.write(os.urandom(_MB))
                os.fsync(f.fileno())
        if event["fail"]:
            raise ValueError("payment provider said no")
        return {"statusCode": 200, "connections": len(connections)}

    return lambda_handler


def _number(record: dict[str, Any], name: str) -> float:
    return float(record.get(name) or 0)


def _line(record: dict[str, Any]) -> str:
    idle = record.get("IdleTime")
    return (
        f"  #{record['invocation']:<3} {'cold' if record['cold_start'] else 'warm':<5}"
        f" idle {'-' if idle is None else f'{idle / 1000:.0f} s':>6}"
        f"  took {record['Duration']:7.2f} ms  RSS {_number(record, 'MemoryUsed'):4.0f} MB"
        f"  /tmp {_number(record, 'TmpUsed'):3.0f} of {_TMP_SIZE_MB} MB  {record.get('error') or ''}"
    )


def _timeline(records: list[tuple[int | None, dict[str, object]]]) -> str:
    """Draw the environment's timeline into a file of this run's own in the temp directory (an
    earlier run's picture stays); the line that says where, or how to get the picture when the
    plotting extra is not installed."""
    from . import timeline, timeline_plot
    from .errors import MissingExtra, install_hint

    try:
        timeline_plot.require()
    except MissingExtra:
        return f"timeline picture: {install_hint('timeline')} draws this environment's life"
    drawn = timeline.build(records, title="lambda-lifecycle demo: one simulated execution environment")
    fd, path = tempfile.mkstemp(prefix="lambda-lifecycle-demo-", suffix=".html")
    with open(fd, "w", encoding="utf-8") as f:
        f.write(timeline_plot.to_html(drawn))
    return f"timeline picture: {path} (open it in a browser)"


def run(record_format: str = "emf") -> int:
    """Run the simulation, print every record as Lambda would, then a summary."""
    print("lambda-lifecycle demo: one simulated Lambda execution environment\n")
    print("Records, one JSON line per invocation (plus a timeout warning and the shutdown record),")
    print("exactly as they reach CloudWatch Logs:\n")
    # As Lambda sets them, and as the contexts below say: records written without a context (the
    # shutdown) read these, and must name the same function and version as the invocations.
    os.environ["AWS_LAMBDA_FUNCTION_NAME"] = _FUNCTION_NAME
    os.environ["AWS_LAMBDA_FUNCTION_VERSION"] = _FUNCTION_VERSION
    with tempfile.TemporaryDirectory(prefix="lambda-lifecycle-demo-") as tmp_dir, testing.simulated_clock() as clock:
        os.environ["LAMBDA_LIFECYCLE_TMP_PATH"] = tmp_dir
        os.environ["LAMBDA_LIFECYCLE_TMP_SIZE_MB"] = str(_TMP_SIZE_MB)
        testing.reset(init_duration_ms=0)
        clock.advance(0.35)  # the runtime and the function's imports (simulated: 350 ms)
        handler = instrument(tmp_path=tmp_dir, service="demo")(_make_handler(tmp_dir))
        with testing.capture(echo=True) as records:
            stamps: list[int | None] = []  # when each record was written, on the simulated clock

            def stamp_new() -> None:
                # A timeout warning is written mid-invocation: the timeline places it from its
                # invocation's start, so it gets no stamp of its own here.
                stamps.extend(
                    None if r[KIND_KEY] == TIMEOUT_WARNING else int(clock() * 1000) for r in records[len(stamps) :]
                )

            for n, (frozen_s, write_mb, fail, takes_s) in enumerate(_SCRIPT, start=1):
                clock.advance(frozen_s)
                event = {"n": n, "write_mb": write_mb, "fail": fail, "takes_s": takes_s}
                context = testing.LambdaContext(
                    function_name=_FUNCTION_NAME,
                    function_version=_FUNCTION_VERSION,
                    memory_limit_in_mb=128,
                    # Only the slow one comes near its timeout: writing /tmp on a busy disk must not.
                    timeout_s=_TIMEOUT_S if takes_s else _DEFAULT_TIMEOUT_S,
                )
                # Lambda reports a raised error as a function error; the record names it too.
                with contextlib.suppress(ValueError):
                    handler(event, context)
                stamp_new()
            clock.advance(600)
            testing.shutdown()  # Lambda's SIGTERM, after ten idle minutes
            stamp_new()

    picture = _timeline(list(zip(stamps, records, strict=True)))

    warnings = [r for r in records if r[KIND_KEY] == TIMEOUT_WARNING]
    shutdown = records[-1]
    records = [r for r in records if r[KIND_KEY] == INVOKE]
    first = records[0]
    print("\nWhat this container lived through:\n")
    for record in records:
        print(_line(record))
    errors = [str(r.get("error")) for r in records if r.get("error")]
    tmp_peak = max(_number(r, "TmpUsed") for r in records)
    print(
        f"\n  container {first['container_id']} ({first['init_type']}): init {first['InitDuration']:.0f} ms,"
        f" {len(records)} invocations, {sum(1 for r in records if r['cold_start'])} cold start,"
        f" {len(errors)} error ({', '.join(errors)})"
    )
    print(
        f"  frozen {sum(_number(r, 'IdleTime') for r in records) / 1000:.0f} s in all;"
        f" peak RSS {_number(records[-1], 'MaxMemoryUsed'):.0f} MB of 128 MB;"
        f" /tmp {tmp_peak:.0f} MB of {_TMP_SIZE_MB} MB"
    )
    for warning in warnings:
        stack = warning["stack"]
        where = stack[0] if isinstance(stack, list) and stack else "an unknown line"
        print(f"  invocation {warning['invocation']} was {warning['remaining_ms']} ms from timing out, at {where}")
    print(
        f"  shut down ({shutdown['reason']}) after {shutdown['ContainerAge']} s:"
        f" {shutdown['hooks_run']} shutdown hook ran, {shutdown['hooks_failed']} failed"
    )
    print(f"\n  {picture}")
    if record_format == "emf":
        print(
            "\n  In Lambda, CloudWatch reads the _aws block of each line and publishes the declared"
            " measurements as metrics in the LambdaLifecycle namespace; every field stays queryable"
            " in Logs Insights."
        )
    return 0
