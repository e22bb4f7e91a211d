"""``lambda-lifecycle demo`` (``python -m lambda_lifecycle demo``, ``make demo``): one execution
environment's life, simulated locally with the SDK's public API and its testing helpers.

The function (``demo_function/orders_demo``) is loaded as Lambda loads one through the SDK's entry
point, so its ``init`` record says where its init went. The runtime's start and the gaps between
invocations are simulated (the clock jumps instead of sleeping); everything else, the imports, the
handler, the probes and the records, is real. A tool: no function imports it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

from .. import _entry_point, _init_anatomy, testing
from .._init_anatomy import VARIABLE
from ..contract import INIT, INVOKE, KIND_KEY, TIMEOUT_WARNING

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

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
_RUNTIME_START_S = 0.15  # the interpreter and the runtime client, before the SDK loads (simulated)
_PACKAGE = "orders_demo"
_HANDLER = f"{_PACKAGE}/app.lambda_handler"  # as the function's handler setting would name it
_TASK_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo_function")


@contextlib.contextmanager
def _function_loaded() -> Iterator[Callable[..., Any]]:
    """The demo function's handler, loaded as Lambda loads one through the entry point (its task
    root on ``sys.path``, the SDK loaded first, the imports timed), and unloaded after."""
    saved = os.environ.get(VARIABLE)
    os.environ[VARIABLE] = _HANDLER
    sys.path.insert(0, _TASK_ROOT)
    try:
        _init_anatomy.time_imports(_HANDLER, "entry_point")  # as importing the entry point does in Lambda
        yield _entry_point.load()
    finally:
        # Imported again by the next run in this process, so that its init is measured too.
        sys.path.remove(_TASK_ROOT)
        for name in [name for name in sys.modules if name.partition(".")[0] == _PACKAGE]:
            del sys.modules[name]
        if saved is None:
            os.environ.pop(VARIABLE, None)
        else:
            os.environ[VARIABLE] = saved


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


def _anatomy(init: dict[str, Any] | None) -> list[str]:
    if init is None:  # the timing could not start: its one warning said why
        return ["  no init record: its imports could not be timed"]
    # The three phases that add up to InitDuration go under it; the wait for the first invocation
    # comes after the handler was ready, so it is a line of its own, not a fourth share of the sum.
    phases = [
        ("the runtime", init.get("InitRuntime"), " (simulated: the interpreter and the runtime client)"),
        ("imports", init.get("InitImports"), ""),
        ("module code", init.get("InitCode"), " (its client and connection pool)"),
    ]
    lines = [f"  {init['InitDuration']:.0f} ms from the process's start until {init['handler']} was ready:"]
    lines += [f"    {name:<14}{float(ms or 0):6.0f} ms{why}" for name, ms, why in phases]
    lines.append(f"  then {float(init.get('InitWait') or 0):.0f} ms until its first invocation")
    listed = init.get("imports") or []
    lines.append(f"  the imports of {init.get('imports_threshold_ms')} ms or more, slowest first:")
    lines += [
        f"    {i['module']:<22}{i['ms']:7.1f} ms  {i['share']:4.1f} % of init"
        + (f"  (imported by {i['by']})" if i.get("by") else "")
        for i in listed
    ]
    if init.get("imports_left_out"):
        lines.append(f"    and {init['imports_left_out']} more over the threshold")
    return lines


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
    print("Records, one JSON line per invocation (plus the init record, a timeout warning and the")
    print("shutdown record), exactly as they reach CloudWatch Logs:\n")
    # As Lambda sets them, and as the contexts below say: records written without a context (the
    # shutdown) read these, and must name the same function and version as the invocations.
    os.environ["AWS_LAMBDA_FUNCTION_NAME"] = _FUNCTION_NAME
    os.environ["AWS_LAMBDA_FUNCTION_VERSION"] = _FUNCTION_VERSION
    with tempfile.TemporaryDirectory(prefix="lambda-lifecycle-demo-") as tmp_dir, testing.simulated_clock() as clock:
        os.environ["LAMBDA_LIFECYCLE_TMP_PATH"] = tmp_dir
        os.environ["LAMBDA_LIFECYCLE_TMP_SIZE_MB"] = str(_TMP_SIZE_MB)
        os.environ["LAMBDA_LIFECYCLE_SERVICE"] = "demo"
        testing.reset(init_duration_ms=0)  # the process starts now
        clock.advance(_RUNTIME_START_S)
        with _function_loaded() as handler, testing.capture(echo=True) as records:
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

    timeout_warnings = [r for r in records if r[KIND_KEY] == TIMEOUT_WARNING]
    init = next((r for r in records if r[KIND_KEY] == INIT), None)
    shutdown = records[-1]
    invokes = [r for r in records if r[KIND_KEY] == INVOKE]
    first = invokes[0]
    print("\nWhat this container lived through:\n")
    for record in invokes:
        print(_line(record))
    errors = [str(r.get("error")) for r in invokes if r.get("error")]
    tmp_peak = max(_number(r, "TmpUsed") for r in invokes)
    print(
        f"\n  container {first['container_id']} ({first['init_type']}): init {first['InitDuration']:.0f} ms,"
        f" {len(invokes)} invocations, {sum(1 for r in invokes if r['cold_start'])} cold start,"
        f" {len(errors)} error ({', '.join(errors)})"
    )
    print(
        f"  frozen {sum(_number(r, 'IdleTime') for r in invokes) / 1000:.0f} s in all;"
        f" peak RSS {_number(invokes[-1], 'MaxMemoryUsed'):.0f} MB of 128 MB;"
        f" /tmp {tmp_peak:.0f} MB of {_TMP_SIZE_MB} MB"
    )
    for warning in timeout_warnings:
        stack = warning["stack"]
        where = stack[0] if isinstance(stack, list) and stack else "an unknown line"
        print(f"  invocation {warning['invocation']} was {warning['remaining_ms']} ms from timing out, at {where}")
    print(
        f"  shut down ({shutdown['reason']}) after {shutdown['ContainerAge']} s:"
        f" {shutdown['hooks_run']} shutdown hook ran, {shutdown['hooks_failed']} failed"
    )
    print("\nWhere its init went (the init record):\n")
    for line in _anatomy(init):
        print(line)
    print(f"\n  {picture}")
    if record_format == "emf":
        print(
            "\n  In Lambda, CloudWatch reads the _aws block of each line and publishes the declared"
            " measurements as metrics in the LambdaLifecycle namespace; every field stays queryable"
            " in Logs Insights."
        )
    return 0
