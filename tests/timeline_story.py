"""The timeline tests' known story: the records of five processes in three execution environments."""

from __future__ import annotations

from lambda_lifecycle.contract import KIND_KEY, SHUTDOWN, TIMEOUT_WARNING

# A known story of five processes in three execution environments, as the records the SDK writes
# (built here field by field, so every time and count is known).

T0 = 1_795_400_000_000  # ms


def invoke(container, env, end_s, *, n, duration_ms=40.0, cold=False, idle_ms=None, **extra):
    record = {
        KIND_KEY: "invoke",
        "function_name": "orders",
        "function_version": "$LATEST",
        "request_id": f"{container}-r{n}",
        "container_id": container,
        "environment_id": env,
        "process_restarts": extra.pop("process_restarts", 0),
        "invocation": n,
        "init_type": extra.pop("init_type", "on-demand"),
        "cold_start": cold,
        "proactive_init": False,
        "error": extra.pop("error", None),
        "ColdStart": 1 if cold else 0,
        "Duration": duration_ms,
        "ContainerAge": extra.pop("age_s"),
        "MemoryUsed": 60,
        **extra,
    }
    if cold:
        record["InitDuration"] = 300
    if idle_ms is not None:
        record["IdleTime"] = idle_ms
    return {"_aws": {"Timestamp": T0 + int(end_s * 1000)}, **record}


def shutdown(container, env, *, age_s, invocations, idle_ms, **extra):
    return {
        KIND_KEY: "shutdown",
        "function_name": "orders",
        "container_id": container,
        "environment_id": env,
        "process_restarts": extra.pop("process_restarts", 0),
        "init_type": extra.pop("init_type", "on-demand"),
        "reason": "SIGTERM",
        "invocations": invocations,
        "in_flight": 0,
        "ContainerAge": age_s,
        "IdleBeforeShutdown": idle_ms,
        **extra,
    }


def story():
    """Environment A: process a1 (born at 0 s) serves three invocations, the fourth nears its
    deadline and the process is killed; a2 re-initializes it (a restart) and shuts down at 900 s.
    Environment B: b1, a cold start and an error, shut down at 400 s. Environment C, a Managed
    Instances environment: workers 1 and 2 (processes c1, c2) side by side, shut down at 1000 s."""
    mi = {"init_type": "lambda-managed-instances"}
    return [
        invoke("a1", "envA", 1, n=1, cold=True, age_s=1, duration_ms=500),
        invoke("a1", "envA", 60, n=2, age_s=60, idle_ms=59_000),
        invoke("a1", "envA", 120, n=3, age_s=120, idle_ms=60_000),
        {
            KIND_KEY: "timeout_warning",
            "function_name": "orders",
            "request_id": "a1-r4",
            "container_id": "a1",
            "environment_id": "envA",
            "process_restarts": 0,
            "invocation": 4,
            "init_type": "on-demand",
            "elapsed_ms": 2800,
            "remaining_ms": 200,
            "stack": ["app.py:12 in lambda_handler: time.sleep(5)"],
        },
        invoke(
            "a2",
            "envA",
            200,
            n=1,
            cold=True,
            age_s=2,
            reinit=True,
            process_restarts=1,
            previous_container_id="a1",
            previous_invocations=4,
            previous_killed=True,
        ),
        invoke("a2", "envA", 500, n=2, age_s=302, idle_ms=300_000, process_restarts=1),
        shutdown("a2", "envA", age_s=702, invocations=2, idle_ms=400_000, process_restarts=1),
        invoke("b1", "envB", 100, n=1, cold=True, age_s=1),
        invoke("b1", "envB", 130, n=2, age_s=31, idle_ms=30_000, error="ValueError"),
        shutdown("b1", "envB", age_s=301, invocations=2, idle_ms=270_000),
        invoke("c1", "envC", 50, n=1, cold=True, age_s=10, worker=1, **mi),
        invoke("c2", "envC", 52, n=1, cold=True, age_s=12, worker=2, **mi),
        invoke("c1", "envC", 600, n=2, age_s=560, idle_ms=550_000, worker=1, **mi),
        shutdown("c1", "envC", age_s=960, invocations=2, idle_ms=400_000, worker=1, **mi),
        shutdown("c2", "envC", age_s=960, invocations=1, idle_ms=948_000, worker=2, **mi),
    ]


def timed_story():
    """The story as CloudWatch holds it: every line has its time, timeout warnings and shutdown
    records included (they carry none of their own)."""
    line_times = {("a1", TIMEOUT_WARNING): 183_000, ("a2", SHUTDOWN): 900_000, ("b1", SHUTDOWN): 400_000}
    line_times |= {("c1", SHUTDOWN): 1_000_000, ("c2", SHUTDOWN): 1_000_000}
    pairs = []
    for record in story():
        at = line_times.get((record["container_id"], record[KIND_KEY]))
        pairs.append((None if at is None else T0 + at, record))
    return pairs
