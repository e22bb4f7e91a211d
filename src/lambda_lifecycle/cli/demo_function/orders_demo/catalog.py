"""A slow first-party module: it reads its price table when imported, as many real ones do."""

from __future__ import annotations

import time
from decimal import Decimal

# Stands for parsing a large file shipped with the function: the import the demo's init record
# names as the slowest.
time.sleep(0.12)
PRICES = {"book": Decimal("12.50"), "pen": Decimal("1.20")}
