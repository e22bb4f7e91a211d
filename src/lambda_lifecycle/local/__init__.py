"""Running a handler on this machine under the real runtime client (``lambda-lifecycle run``).

Nothing here runs inside a function: the handler-side SDK never imports this package.
"""
