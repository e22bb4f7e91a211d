"""The handler the end-to-end tests run under the real awslambdaric runtime client."""

import atexit
import os
import signal
import time

import lambda_lifecycle

lambda_lifecycle.bootstrap(service="e2e")

if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":
    from snapshot_restore_py import register_before_snapshot

    @register_before_snapshot
    def show_ids_in_snapshot():
        env = lambda_lifecycle.environment()
        print(f"snapshot ids: {env.container_id} {env.environment_id}", flush=True)


@lambda_lifecycle.on_shutdown
def close_pool():
    print("hook: pool closed", flush=True)


@lambda_lifecycle.on_shutdown
def flush_buffers():
    print("hook: buffers flushed", flush=True)


@lambda_lifecycle.instrument
def handler(event, context):
    if event.get("exit"):
        os._exit(1)  # a crash: the process ends, the environment and its /tmp stay
    if event.get("allocate_mb"):
        # Resident memory past the function's limit (pages written, not just reserved): an out-of-memory kill.
        kept = [b"x" * (8 << 20) for _ in range(event["allocate_mb"] // 8)]
        time.sleep(0.5)  # held, so a limit enforced by watching sees it
        return {"n": event["n"], "allocated_mb": 8 * len(kept)}
    if event.get("fail"):
        raise ValueError(f"invocation {event['n']} was asked to fail")
    if event.get("sleep"):
        if event.get("started_file"):
            open(event["started_file"], "w").close()  # tells the test the handler is running
        time.sleep(event["sleep"])  # the line a timeout warning must name
    if event.get("fork"):
        child = os.fork()
        if child == 0:
            # The child ends the way a process can run our code on its way out: through atexit,
            # then SIGTERM (the parent's handler is inherited).
            atexit._run_exitfuncs()
            os.kill(os.getpid(), signal.SIGTERM)
            os._exit(3)  # not reached: SIGTERM's default action ends the child
        _, status = os.waitpid(child, 0)
        return {"n": event["n"], "child_signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None}
    return {"n": event["n"], "remaining_ms_positive": context.get_remaining_time_in_millis() > 0}
