"""A :class:`~lambda_lifecycle.cli.report_model.Report` shown as a table (for people), JSON, or CSV
(``field,value`` rows, nested fields named with dots). Pure."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

from . import accounting
from .report_model import Distribution, Durable, InitAnatomy, KeepWarm, Report

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

FORMATS = ("table", "json", "csv")


def render(report: Report, fmt: str) -> str:
    """The report in one of :data:`FORMATS`."""
    if fmt == "json":
        return json.dumps(dataclasses.asdict(report), indent=2)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["field", "value"])
        writer.writerows(_flat(dataclasses.asdict(report)))
        return buffer.getvalue().rstrip("\n")
    return table(report)


def _flat(fields: dict[str, Any], prefix: str = "") -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for key, found in fields.items():
        name = f"{prefix}{key}"
        if isinstance(found, dict):
            out += _flat(found, name + ".")
        elif isinstance(found, list):
            for i, item in enumerate(found):
                out += _flat(item, f"{name}.{i}.") if isinstance(item, dict) else [(f"{name}.{i}", item)]
        else:
            out.append((name, found))
    return out


def cell(found: object) -> str:
    """A value as a table shows it: ``-`` for none, a float without trailing zeros."""
    if found is None:
        return "-"
    if isinstance(found, float):
        return f"{found:g}"
    return str(found)


def _distributions(named: list[tuple[str, Distribution]], width: int = 26) -> list[str]:
    lines = [f"{'':<{width}}{'count':>8}{'p50':>10}{'p90':>10}{'p99':>10}{'max':>10}"]
    for label, d in named:
        lines.append(f"{label:<{width}}{d.count:>8}" + "".join(f"{cell(v):>10}" for v in (d.p50, d.p90, d.p99, d.max)))
    return lines


def _keep_warm_lines(k: KeepWarm) -> list[str]:
    lines = [f"keep-warm: {k.processes_shut_down} process(es) shut down in the window"]
    lines += _distributions(
        [
            ("lifetime s", k.lifetime_s),
            ("invocations served", k.invocations),
            ("idle before shutdown ms", k.idle_before_shutdown_ms),
        ]
    )
    lines.append("")
    if k.cold_start_rate_by_gap is None:
        lines.append("cold-start rate by gap since the previous invocation: only --engine fetch computes it")
        return lines
    lines.append("cold-start rate by gap since the function's previous invocation (any environment)")
    lines.append(f"{'gap':<26}{'invocations':>12}{'cold starts':>12}{'rate':>8}")
    for b in k.cold_start_rate_by_gap:
        lines.append(f"{b.gap:<26}{b.invocations:>12}{b.cold_starts:>12}{cell(b.cold_start_rate):>8}")
    return lines


def _durable_lines(d: Durable | None) -> list[str]:
    if d is None:
        return []
    return [
        "",
        f"durable executions {d.executions}: {d.invocations} invocations,"
        f" {d.replayed_invocations} of them replays of earlier steps",
    ]


_PHASE_LABELS = {
    "init": "InitDuration",
    "runtime": "  runtime (to SDK loaded)",
    "imports": "  imports",
    "code": "  module's own code",
    "wait": "then wait to 1st call",
}


def _init_lines(a: InitAnatomy | None) -> list[str]:
    if a is None:
        return []
    lines = [
        "",
        f"where init time goes: {a.processes} process start(s) with an init record",
        f"{'ms':<26}{'p50':>10}{'p90':>10}",
    ]
    for name, phase in a.phases_ms.items():
        lines.append(f"{_PHASE_LABELS.get(name, name):<26}{cell(phase.p50):>10}{cell(phase.p90):>10}")
    if a.top_imports:
        lines += ["", f"{'slowest imports':<26}{'cold starts':>12}{'p50 ms':>10}{'total ms':>12}"]
        for slow in a.top_imports:
            lines.append(f"{slow.module:<26}{slow.cold_starts:>12}{cell(slow.p50_ms):>10}{cell(slow.total_ms):>12}")
        if a.imports_read_from < a.processes:
            lines.append(f"(imports read from {a.imports_read_from} of the {a.processes} init records)")
    costs = ", ".join(f"{arch} ${usd:.6f}" for arch, usd in a.cost.usd_by_architecture.items())
    lines += ["", f"init {cell(a.cost.gb_seconds)} GB-s in the window, estimated {costs}"]
    return lines


def _left_out_lines(r: Report) -> list[str]:
    lines = []
    if r.malformed_lines:
        lines.append(f"skipped {r.malformed_lines} malformed record line(s)")
    if r.unrecognised_lines:
        lines.append(
            f"left out {r.unrecognised_lines} 0.2.x invoke line(s) without an _aws block: they cannot be told apart"
            " from the function's own logs (see the records page)"
        )
    if r.left_out_rows:
        by_query = ", ".join(f"{name} {n}" for name, n in r.left_out_rows.items())
        lines.append(
            f"left out {sum(r.left_out_rows.values())} result row(s) without the fields of their query: {by_query}"
        )
    return ["", *lines] if lines else []


def table(r: Report) -> str:
    envs = r.environments
    per, life, ended = envs.invocations_per_environment, envs.lifetime_s, envs.ended
    # A file read with --input is both: named once.
    source = r.function if r.function == r.log_group else f"{r.function} ({r.log_group})"
    lines = [
        f"{source}, {r.start} to {r.end}",
        "",
        f"invocations {r.invocations}, cold starts {r.cold_starts} (rate {cell(r.cold_start_rate)}),"
        f" proactive inits {r.proactive_inits}, re-inits {r.reinits}",
        "",
        f"{'init type':<26}{'invocations':>12}{'cold starts':>12}{'rate':>8}{'proactive':>10}{'re-inits':>9}",
    ]
    for init_type, t in r.by_init_type.items():
        lines.append(
            f"{init_type:<26}{t.invocations:>12}{t.cold_starts:>12}{cell(t.cold_start_rate):>8}"
            f"{t.proactive_inits:>10}{t.reinits:>9}"
        )
    lines.append("")
    lines += _distributions([("InitDuration ms", r.init_duration_ms), ("IdleTime ms", r.idle_time_ms)])
    lines += [
        "",
        f"environments {envs.seen}: invocations each p50 {cell(per.p50)} max {cell(per.max)};"
        f" lifetime s p50 {cell(life.p50)} p90 {cell(life.p90)} max {cell(life.max)}",
        f"ended: shutdown {ended.shutdown}, killed {ended.killed}, unknown {ended.unknown}",
        "",
        *_keep_warm_lines(r.keep_warm),
        *_durable_lines(r.durable_executions),
        *_init_lines(r.init_anatomy),
        "",
        f"{'top environments by /tmp':<26}{'tmp MB':>8}{'memory MB':>11}{'invocations':>13}{'lifetime s':>12}  ended",
    ]
    for e in r.top_environments_by_tmp:
        lines.append(
            f"{e.environment_id:<26}{cell(e.peak_tmp_mb):>8}{cell(e.peak_memory_mb):>11}"
            f"{e.invocations:>13}{cell(e.lifetime_s):>12}  {e.ended}"
        )
    lines += ["", f"timeout warnings {len(r.timeout_warnings)}"]
    for w in r.timeout_warnings:
        lines.append(
            f"  {cell(w.time)} {cell(w.request_id)} {cell(w.remaining_ms)} ms left in {cell(w.environment_id)}"
        )
        lines += [f"      {frame}" for frame in w.stack]
    lines += accounting.lines(r.accounted)
    lines += _left_out_lines(r)
    return "\n".join(lines)
