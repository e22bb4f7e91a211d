"""Running a handler on this machine under the real runtime client (``lambda-lifecycle run``).

Nothing here runs inside a function: the handler-side SDK never imports this package.
"""


class RunError(Exception):
    """The run could not happen, or could not go on; the message is one line for the user."""
