"""The accounting as the report's table shows it."""

from __future__ import annotations

from collections.abc import Mapping

from .. import prices

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .model import Accounting


def _g(found: float | int | None) -> str:
    return "-" if found is None else f"{found:g}"


def _spread_text(found: Mapping[str, float | int | None]) -> str:
    return f"p50 {_g(found['p50'])} max {_g(found['max'])}"


def lines(acc: Accounting | None) -> list[str]:
    """The accounting as the report's table shows it (after a blank line); a line saying why not
    when the window held none of Lambda's REPORT lines."""
    if acc is None:
        return ["", "every invocation accounted for: no REPORT lines of Lambda's in the window to account against"]
    without = ", ".join(f"{why} {n}" for why, n in acc.without_record.items()) or "none"
    out = [
        "",
        f"every invocation accounted for: Lambda reported {acc.reported}, invoke records {acc.records};"
        f" without a record: {without}",
    ]
    if acc.records_lost:
        out.append(
            f"  records lost although Lambda reported success: {acc.records_lost} (likely: {acc.likely_causes_of_lost})"
        )
        out += [f"    {lost.log_stream}: reported {lost.reported}, records {lost.records}" for lost in acc.lost_in]
    for failure in acc.init_failures:
        out.append(
            f"  init {failure['status']} in phase {failure['phase']}: {failure['count']}"
            f" ({failure['error_type'] or '-'})"
        )
    if acc.suppressed_inits:
        out.append(f"  inits run again within an invocation (phase invoke): {acc.suppressed_inits}")
    envs = acc.environments
    killed = ", ".join(f"{why} {n}" for why, n in acc.killed_by_cause.items())
    out.append(
        f"  environments: shut down {envs['shut_down']}, killed {envs['killed']}"
        + (f" ({killed})" if killed else "")
        + f", alive or ended without SIGTERM {envs['alive']}"
    )
    out += [
        f"  billed {_g(acc.billed_ms)} ms, {_g(acc.gb_seconds)} GB-s"
        + (f" + {_g(acc.failed_init_gb_seconds)} GB-s of failed inits" if acc.failed_init_gb_seconds else "")
        + f", {acc.requests} requests; estimated "
        + ", ".join(f"{arch} ${prices.usd(cost.usd)}" for arch, cost in acc.estimated_cost.items()),
        "  prices: "
        + ", ".join(
            f"{arch} ${prices.usd(c.per_gb_second)}/GB-s + ${prices.usd(c.per_million_requests)}/1M requests"
            for arch, c in acc.estimated_cost.items()
        )
        + "; "
        + "; ".join(dict.fromkeys(f"{c.source}" for c in acc.estimated_cost.values())),
        f"  Init Duration ms (Lambda) {_spread_text(acc.lambda_init_duration_ms)};"
        f" InitDuration ms (SDK) {_spread_text(acc.sdk_init_duration_ms)};"
        f" Lambda's minus the SDK's, p50 {_g(acc.init_before_python_ms_p50)}",
        f"  Max Memory Used MB (Lambda) {_spread_text(acc.lambda_max_memory_used_mb)};"
        f" MaxMemoryUsed MB (SDK) {_spread_text(acc.sdk_max_memory_used_mb)}",
    ]
    if acc.lines_unknown or acc.lines_malformed:
        out.append(f"  Lambda's lines not read: unknown {acc.lines_unknown}, malformed {acc.lines_malformed}")
    out += [f"  note: {note}" for note in acc.notes]
    return out
