"""A module that takes 300 ms to import: the slowest import of the OpenTelemetry app's init."""

import time

time.sleep(0.3)
