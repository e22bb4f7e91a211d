"""Drive instrumented handlers locally: a realistic context, captured records, simulated time.

Plain Python, no pytest needed:

    from lambda_lifecycle import testing

    testing.reset()                       # as if in a new execution environment
    with testing.capture() as records, testing.simulated_clock() as clock:
        handler({}, testing.LambdaContext())
        clock.advance(60)                 # the environment sits frozen for a minute
        handler({}, testing.LambdaContext())
    assert records[0]["cold_start"] and records[1]["IdleTime"] >= 60_000
"""

from ._capture import capture, parse
from ._clock import Clock, simulated_clock
from ._environment import reset, shutdown
from ._lambda_context import LambdaContext
from ._lifecycle import Lifecycle

__all__ = ["Clock", "LambdaContext", "Lifecycle", "capture", "parse", "reset", "shutdown", "simulated_clock"]

# Tracebacks, reprs, pickles and the API reference name the public module, not a private one.
for _public in (Clock, LambdaContext, Lifecycle, capture, parse, reset, shutdown, simulated_clock):
    _public.__module__ = __name__
del _public
