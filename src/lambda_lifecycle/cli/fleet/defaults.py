"""The fleet flags' choices and defaults, importable when the command line is parsed without
the modules that use them."""

from __future__ import annotations

COLUMNS = (
    "function",
    "log_group",
    "invocations",
    "cold_starts",
    "cold_start_rate",
    "init_p50_ms",
    "init_p99_ms",
    "peak_memory_percent",
    "peak_tmp_percent",
    "environments",
    "timeout_warnings",
    "killed_invocations",
    "init_gb_seconds",
    "init_cost_usd",
    "processes_shut_down",
    "lifetime_p50_s",
    "served_p50",
    "idle_before_shutdown_p50_ms",
)
"""The fleet report's columns, in the order CSV writes them."""

SORT_COLUMNS = tuple(column for column in COLUMNS if column != "log_group")
"""What ``--sort`` takes: numbers sort highest first (a function without the value last), names A to Z."""

DEFAULT_CONCURRENCY = 10
"""Logs Insights queries run at once by default: a third of the account's default limit of 30
concurrent queries, which dashboards and other users share."""

TOP = 10
"""How many functions each chart of the fleet dashboard shows, the worst first."""
