"""Where optional integrations (``lambda_lifecycle.powertools``) plug into the invocation path.

The core never imports an integration; an integration registers itself here when the user asks
for it, and until then both hooks are empty and cost one truth test per invocation.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from ._config import Settings
    from ._state import Invocation

begin_listeners: list[Callable[[Invocation], None]] = []
"""Called when an invocation begins, before the handler runs."""

record_sinks: list[Callable[[Settings, dict[str, object]], bool]] = []
"""Offered each invoke record before it is written; one that returns True has published it."""
