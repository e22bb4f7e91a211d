"""``python -m lambda_lifecycle``: the ``lambda-lifecycle`` command (``make demo`` runs its demo).
A tool, like the command: no function imports it, and the layer leaves it out."""

import sys

from .cli import main

sys.exit(main())
