"""Every invocation accounted for: Lambda's own lines (REPORT, INIT_REPORT) beside the SDK's
records, per log stream (one stream is one execution environment).

An invocation Lambda reported either has its invoke record, or its REPORT says why not: a timeout,
an out-of-memory kill or a runtime that exited end the process before the SDK can write; an init
that failed leaves nothing to record. What Lambda reported as a success (or the handler's own
error) without a record is a record lost. Lambda's numbers are put beside the SDK's: billed
duration, GB-seconds and the cost they come to (``prices``), Init Duration, Max Memory Used.

Like ``report``, pure and fed with rows: what the Logs Insights queries return (every value
text), or the same rows computed from log events by ``rows_from_events`` (the fetch engine and
``--input``), so both engines share ``build``.

The queries and how a split window's rows merge are ``platform_queries``; the same rows from log
events ``event_rows``; the accounting and its build ``model``; its text ``table``.
"""

from __future__ import annotations

from .event_rows import rows_from_events as rows_from_events
from .model import LIKELY_LOST as LIKELY_LOST
from .model import Accounting as Accounting
from .model import Cost as Cost
from .model import Environment as Environment
from .model import Lost as Lost
from .model import build as build
from .platform_queries import PLATFORM_MERGES as PLATFORM_MERGES
from .platform_queries import PLATFORM_QUERIES as PLATFORM_QUERIES
from .platform_queries import STREAM as STREAM
from .table import lines as lines
