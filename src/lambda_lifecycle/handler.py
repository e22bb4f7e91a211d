"""The handler entry point: lambda-lifecycle on a function with no change to its code.

Set the function's handler to ``lambda_lifecycle.handler.handler`` and the variable
``LAMBDA_LIFECYCLE_HANDLER`` to the function's own handler, as Lambda names one
(``dir/module.function``); or let the layer's exec wrapper (``AWS_LAMBDA_EXEC_WRAPPER=/opt/lambda-lifecycle``)
do both. Importing this module imports the function's module as the runtime client would (a
missing module or function, or a syntax error, is reported by Lambda as it would be without it)
and instruments its handler with the settings of the environment; a handler that is already
instrumented is used as it is. The SDK is loaded first, so the ``init`` record can say where the
module's init time went.
"""

from ._entry_point import load

handler = load()
"""The function's handler, instrumented."""

__all__ = ["handler"]
