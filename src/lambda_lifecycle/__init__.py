"""lambda-lifecycle: what every AWS Lambda execution environment lived through, in CloudWatch.

Decorate the handler and each invocation writes one Embedded Metric Format line: cold start or
not, init duration, invocation count, idle (frozen) time, memory, ``/tmp`` and more:

    import lambda_lifecycle

    lambda_lifecycle.bootstrap(service="orders")  # optional

    @lambda_lifecycle.instrument
    def lambda_handler(event, context):
        ...

Cleanup code registered with ``@lambda_lifecycle.on_shutdown`` runs when Lambda shuts the
environment down, which ``atexit`` functions never do there.

Importing the package outside Lambda has no side effects: nothing is read, written or installed
until ``bootstrap()``, the first decoration or the first ``on_shutdown()``. Inside Lambda, during
init, it starts timing the imports that follow, for the ``init`` record; make it the handler
module's first import so that the record can say where the module's init time went.
"""

from . import _init_anatomy
from ._bootstrap import bootstrap
from ._decorators import instrument
from ._shutdown import on_shutdown
from ._state import Environment, environment
from ._version import __version__
from ._warnings import LifecycleWarning

__all__ = ["Environment", "LifecycleWarning", "__version__", "bootstrap", "environment", "instrument", "on_shutdown"]

# Tracebacks, reprs, pickles and the API reference name the public module, not a private one.
for _public in (Environment, LifecycleWarning, bootstrap, environment, instrument, on_shutdown):
    _public.__module__ = __name__
del _public

_init_anatomy.begin()
