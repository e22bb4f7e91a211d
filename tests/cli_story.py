"""The CLI tests' known story: the records the SDK writes for two environments, and the report
they must give."""

from __future__ import annotations

import dataclasses
import time

import lambda_lifecycle
from lambda_lifecycle import testing

FUNCTION = "orders"
LOG_GROUP = "/aws/lambda/orders"
T0 = 1_795_400_000_000  # ms, a fixed start for the pure tests


def scenario_records():
    """Records the SDK writes for a known story, as (timestamp ms, record).

    Environment A: a cold start after a 300 ms init, then idle gaps of 60 s and 600 s while /tmp
    grows; the third invocation nears its deadline (a timeout warning); a shutdown 300 s later.
    Environment B: initialized ahead of demand (a proactive init), one invocation, then nothing.
    """
    handler = lambda_lifecycle.instrument(lambda event, context: None)

    @lambda_lifecycle.instrument(timeout_warning_ms=300)
    def slow(event, context):
        # Stuck until the watchdog has warned (a handshake, not a sleep that races it), 3 s at most.
        given_up = time.monotonic() + 3
        while not lifecycle.timeout_warnings and time.monotonic() < given_up:
            time.sleep(0.01)  # stuck

    stamped = []
    with testing.Lifecycle(init_duration_ms=300) as lifecycle:
        now = T0

        def stamp_new():
            stamped.extend((now, record) for record in lifecycle.records[len(stamped) :])

        lifecycle.invoke(handler)
        stamp_new()
        lifecycle.idle(60)
        now += 60_000
        lifecycle.invoke(handler)
        stamp_new()
        lifecycle.idle(600)
        now += 600_000
        lifecycle.write_tmp(3)
        # Warned 300 ms before a 1 s timeout: 700 ms for the call to start, as a loaded machine may need.
        lifecycle.invoke(slow, {}, testing.LambdaContext(timeout_s=1.0))
        stamp_new()
        lifecycle.idle(300)
        now += 300_000
        lifecycle.shutdown()
        stamp_new()
        lifecycle.new_environment()
        lifecycle.idle(120)  # nobody came for two minutes: a proactive init
        now = T0 + 200_000
        lifecycle.invoke(handler)
        stamp_new()
    return stamped


def expected(found):
    a, b = found[0][1], found[-1][1]
    return {
        "invocations": 4,
        "cold_starts": 1,
        "cold_start_rate": 0.25,
        "proactive_inits": 1,
        "reinits": 0,
        "by_init_type": {
            "on-demand": {
                "invocations": 4,
                "cold_starts": 1,
                "cold_start_rate": 0.25,
                "proactive_inits": 1,
                "reinits": 0,
            }
        },
        "init_duration_count": 2,
        "environments": {"seen": 2, "ended": {"shutdown": 1, "killed": 0, "unknown": 1}},
        "env_ids": [a["environment_id"], b["environment_id"]],
    }


def check(built, found):
    built = built if isinstance(built, dict) else dataclasses.asdict(built)
    want = expected(found)
    for key in ("invocations", "cold_starts", "cold_start_rate", "proactive_inits", "reinits", "by_init_type"):
        assert built[key] == want[key], key
    assert built["init_duration_ms"]["count"] == want["init_duration_count"]
    assert built["init_duration_ms"]["max"] >= 300
    idle = built["idle_time_ms"]
    # Simulated gaps, plus the real milliseconds the story took (writing to /tmp).
    assert (idle["count"], round(idle["p50"] / 1000), round(idle["max"] / 1000)) == (2, 60, 600)
    envs = built["environments"]
    assert envs["seen"] == 2
    assert envs["ended"] == want["environments"]["ended"]
    assert envs["invocations_per_environment"] == {"p50": 1.0, "max": 3.0}
    top = {e["environment_id"]: e for e in built["top_environments_by_tmp"]}
    # /tmp here is a disk other processes share, so the order of the peaks is not asserted.
    assert sorted(top) == sorted(want["env_ids"])
    a, b = (top[env_id] for env_id in want["env_ids"])
    assert (a["lifetime_s"], a["invocations"], a["ended"]) == (960.0, 3, "shutdown")  # first record to shutdown
    assert (b["lifetime_s"], b["invocations"], b["ended"]) == (0.0, 1, "unknown")
    [warning] = built["timeout_warnings"]
    assert warning["stack"][0].endswith("in slow: time.sleep(0.01)  # stuck")
    assert warning["remaining_ms"] <= 300
