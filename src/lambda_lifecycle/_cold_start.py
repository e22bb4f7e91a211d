"""What counts as a cold start: one pure function, the rules of the documented table.

A cold start is an invocation somebody waited on while an environment was initialized. Only the
first invocation of a process can be one; which first invocations are depends on how the
environment was initialized and on whether this process replaced a killed one.
"""

from __future__ import annotations

# A restart after a crash or timeout ("suppressed init") happens on an invocation's path, so the
# caller waits for it, for these init types alike.
_RESTARTS_ARE_COLD = frozenset({"on-demand", "provisioned-concurrency"})


def classify(
    *,
    init_type: str,
    invocation: int,
    process_restarts: int,
    restores_observed: bool,
    ready_to_invoke_ms: float,
    proactive_threshold_ms: float,
) -> tuple[bool, bool]:
    """``(cold_start, proactive_init)`` of one invocation.

    Args:
        init_type: ``AWS_LAMBDA_INITIALIZATION_TYPE`` (``on-demand`` when unset).
        invocation: this invocation's 1-based number in its process.
        process_restarts: how many processes the environment had before this one.
        restores_observed: SnapStart's after-restore hook is registered, so a restore is seen as
            one; without it (a local run) ``snap-start`` follows the on-demand rules.
        ready_to_invoke_ms: from the handler being ready to this invocation beginning.
        proactive_threshold_ms: a longer wait means Lambda initialized the environment ahead of
            demand, and nobody waited for it.

    Returns:
        Whether the invocation is a cold start, and whether it is the first one of a proactive init.
    """
    if invocation != 1:
        return False, False
    if process_restarts and init_type in _RESTARTS_ARE_COLD:
        return True, False
    if init_type == "on-demand" or (init_type == "snap-start" and not restores_observed):
        proactive = ready_to_invoke_ms > proactive_threshold_ms
        return not proactive, proactive
    return False, False
