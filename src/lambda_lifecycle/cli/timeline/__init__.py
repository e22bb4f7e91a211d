"""The timeline's pure part: records (or Logs Insights rows) made into lanes, one per process, with
a mark per invocation. Reading records is ``lambda_lifecycle.records``' job, drawing ``timeline_plot``'s.

What a timeline holds is ``model``; ``processes`` makes it of records, placing Lambda's own lines
(``platform_lines``) and putting the lanes in order (``order``); ``insights_rows`` makes it of the
Logs Insights ``processes`` rows.
"""

from __future__ import annotations

from .insights_rows import from_rows as from_rows
from .insights_rows import merge_processes as merge_processes
from .insights_rows import newest as newest
from .model import COLD as COLD
from .model import ERROR as ERROR
from .model import INIT_CODE as INIT_CODE
from .model import INIT_FAILED as INIT_FAILED
from .model import INIT_IMPORTS as INIT_IMPORTS
from .model import INIT_PHASES as INIT_PHASES
from .model import INIT_RUNTIME as INIT_RUNTIME
from .model import KILLED as KILLED
from .model import KINDS as KINDS
from .model import MAX_LANES as MAX_LANES
from .model import MAX_MARKS as MAX_MARKS
from .model import REINIT as REINIT
from .model import SHUT as SHUT
from .model import TIMEOUT as TIMEOUT
from .model import WARM as WARM
from .model import Lane as Lane
from .model import Mark as Mark
from .model import Timeline as Timeline
from .model import init_segments as init_segments
from .processes import build as build
