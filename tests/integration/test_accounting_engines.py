"""Every invocation accounted for, through every engine: AWS's verbatim lines (text and JSON log
formats) beside the SDK's records, read by the fetch engine from a moto server, by the Logs Insights
engine through the stubbed API (rows computed from the fields Logs Insights discovers on Lambda's
lines), and from a file (--input); each gives the same counts, causes, billed totals and init
comparison."""

from __future__ import annotations

import json
import re
import time

import boto3
import moto_aws
import platform_samples as s
import pytest
from insights_fake import FakeLogs

from lambda_lifecycle.cli import accounting, aws, logs, main, prices, queries
from lambda_lifecycle.cli.aggregate import aggregate
from lambda_lifecycle.cli.log_events import records_of
from lambda_lifecycle.records import records_in

FUNCTION = "accounted"
LOG_GROUP = f"/aws/lambda/{FUNCTION}"


def check(accounted: dict, lost_stream: str = "C") -> None:
    """What the story (platform_samples.story) must come to, whichever engine read it."""
    assert (accounted["reported"], accounted["records"]) == (6, 2)
    assert accounted["without_record"] == {"timeout": 1, "out of memory": 1, "runtime exit": 1, "lost": 1}
    assert accounted["records_lost"] == 1
    assert [lost["log_stream"] for lost in accounted["lost_in"]] == [lost_stream]
    assert accounted["init_failures"] == [
        {"phase": "init", "status": "error", "error_type": "Runtime.ImportModuleError", "count": 1},
        {"phase": "invoke", "status": "error", "error_type": "Runtime.ExitError", "count": 1},
    ]
    assert accounted["suppressed_inits"] == 1
    assert accounted["environments"] == {"shut_down": 1, "killed": 2, "alive": 1}
    assert accounted["killed_by_cause"] == {"runtime exit": 1, "timeout": 1}
    billed = [(16, 128), (3000, 1024), (10936, 1024), (13, 128), (19, 2048), (1542, 128)]
    assert accounted["billed_ms"] == sum(ms for ms, _ in billed)
    gb_s = sum(prices.gb_seconds(ms, mb) for ms, mb in billed)
    assert accounted["gb_seconds"] == pytest.approx(gb_s, abs=1e-6)
    failed_init = prices.gb_seconds(229.04, 128)
    assert accounted["failed_init_gb_seconds"] == pytest.approx(failed_init, abs=1e-6)
    for arch in ("x86_64", "arm64"):
        cost = prices.cost(prices.LIST_PRICES[arch], gb_s=gb_s + failed_init, requests=6)
        assert accounted["estimated_cost"][arch]["usd"] == pytest.approx(cost, rel=1e-6)
    assert accounted["lambda_init_duration_ms"]["count"] == 2
    assert accounted["lambda_init_duration_ms"]["max"] == 293.05
    assert accounted["lambda_max_memory_used_mb"]["max"] == 1024


# The fetch engine, against a moto server ---------------------------------------------------------


@pytest.fixture(scope="module")
def moto_server():
    yield from moto_aws.server()


@pytest.fixture(scope="module")
def moto_group(moto_server):
    client = boto3.client(
        "logs", endpoint_url=moto_server, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    client.create_log_group(logGroupName=LOG_GROUP)
    t0 = int(time.time() * 1000) - 3_000_000  # the story happened in the last hour
    by_stream: dict[str, list[dict]] = {}
    for ms, stream, message in s.story(t0):
        by_stream.setdefault(stream, []).append({"timestamp": ms, "message": message})
    for stream, events in by_stream.items():
        client.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
        client.put_log_events(logGroupName=LOG_GROUP, logStreamName=stream, logEvents=events)
    return LOG_GROUP


def test_the_fetch_engine_accounts_for_every_invocation(moto_server, moto_group):
    result = moto_aws.cli(
        moto_server, "report", "--function", FUNCTION, "--since", "2h", "--engine", "fetch", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    built = json.loads(result.stdout)
    check(built["accounted"])
    assert (built["accounted"]["lines_unknown"], built["accounted"]["lines_malformed"]) == (1, 1)
    # the SDK's InitDuration of the same cold start, matched by request id
    assert built["accounted"]["init_before_python_ms_p50"] == pytest.approx(130.49 - 110.2)


def test_the_table_says_it_in_words(moto_server, moto_group):
    result = moto_aws.cli(moto_server, "report", "--function", FUNCTION, "--since", "2h", "--engine", "fetch")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert (
        "every invocation accounted for: Lambda reported 6, invoke records 2; without a record: timeout 1,"
        " out of memory 1, runtime exit 1, lost 1"
    ) in out
    assert "records lost although Lambda reported success: 1" in out
    assert "init error in phase init: 1 (Runtime.ImportModuleError)" in out
    assert "environments: shut down 1, killed 2 (runtime exit 1, timeout 1)" in out
    assert f"read {prices.READ_ON} from {prices.SOURCE}" in out


# The Logs Insights engine, through the stubbed API ----------------------------------------------


def discovered(ms: int, stream: str, message: str) -> dict[str, object]:
    """The fields Logs Insights discovers on a log event: on Lambda's text REPORT lines @type and the
    @duration family (memory in bytes, decimal), on JSON lines their own fields, flattened."""
    fields: dict[str, object] = {"@timestamp": ms, "@logStream": stream, "@message": message}
    if message.startswith("REPORT "):
        fields["@type"] = "REPORT"
        for name, field, scale in (
            ("Duration", "@duration", 1),
            ("Billed Duration", "@billedDuration", 1),
            ("Memory Size", "@memorySize", 1_000_000),
            ("Max Memory Used", "@maxMemoryUsed", 1_000_000),
            ("Init Duration", "@initDuration", 1),
        ):
            found = re.search(rf"(?:^|\t){name}: ([\d.]+)", message)
            if found:
                fields[field] = float(found.group(1)) * scale
    elif message.startswith("{"):

        def flat(obj: object, prefix: str) -> None:
            if isinstance(obj, dict):
                for key, value in obj.items():
                    flat(value, f"{prefix}{key}.")
            else:
                fields[prefix[:-1]] = obj

        flat(json.loads(message), "")
    return fields


def _first(fields: dict[str, object], *names: str, default: object = None) -> object:
    return next((fields[name] for name in names if fields.get(name) is not None), default)


def insights(events: list[tuple[int, str, str]]) -> dict[str, list[dict[str, str]]]:
    """What the queries of ``accounting.PLATFORM_QUERIES`` return for these events, computed from
    the discovered fields as the queries read them."""
    reports: dict[tuple, dict] = {}
    inits: dict[tuple, dict] = {}
    inits_ms: list[float] = []
    streams: dict[str, dict] = {}
    for ms, stream, message in sorted(events):
        f = discovered(ms, stream, message)
        record = records_in(message, ms).records
        if record:
            kind = record[0].record["lambda_lifecycle"]
            r = streams.setdefault(stream, {"records": 0, "shutdowns": 0, "last_record_ms": 0, "last_is_shutdown": 0})
            r["records"] += kind == "invoke"
            r["shutdowns"] += kind == "shutdown"
            r["last_record_ms"], r["last_is_shutdown"] = ms, int(kind == "shutdown")
        text_status = re.search(r"Status: (\w+)", message)
        text_error = re.search(r"Error Type: (\S+)", message)
        status = _first(f, "record.status", default=text_status.group(1) if text_status else "success")
        error = _first(f, "record.errorType", default=text_error.group(1) if text_error else "-")
        if f.get("@type") == "REPORT" or f.get("type") == "platform.report":
            billed = _first(f, "@billedDuration", "record.metrics.billedDurationMs")
            if billed is None:  # the query's "filter ispresent(billed)"
                continue
            memory = f["@memorySize"] / 1_000_000 if "@memorySize" in f else f["record.metrics.memorySizeMB"]
            used = f["@maxMemoryUsed"] / 1_000_000 if "@maxMemoryUsed" in f else f["record.metrics.maxMemoryUsedMB"]
            g = reports.setdefault((stream, status, error), {"reports": 0, "billed_ms": 0, "mb_ms": 0, "m": 0, "u": 0})
            g["reports"] += 1
            g["billed_ms"] += billed
            g["mb_ms"] += billed * memory
            g["m"], g["u"], g["last_ms"] = max(g["m"], memory), max(g["u"], used), ms
            init = _first(f, "@initDuration", "record.metrics.initDurationMs")
            if init is not None:
                inits_ms.append(init)
        if message.startswith("INIT_REPORT") or f.get("type") == "platform.initReport":
            phase = _first(f, "record.phase", default=re.search(r"Phase: (\w+)", message).group(1))
            duration = float(
                _first(f, "record.metrics.durationMs", default=re.search(r"Init Duration: ([\d.]+)", message).group(1))
            )
            g = inits.setdefault((stream, phase, status, error), {"n": 0, "duration_ms": 0.0})
            g["n"] += 1
            g["duration_ms"] += duration
            g["last_ms"] = ms
    text = lambda v: str(int(v)) if float(v).is_integer() else str(v)  # noqa: E731
    ordered = sorted(inits_ms)
    return {
        "platform_reports": [
            {
                "@logStream": k[0],
                "status": k[1],
                "error_type": k[2],
                "reports": str(g["reports"]),
                "billed_ms": text(g["billed_ms"]),
                "mb_ms": text(g["mb_ms"]),
                "memory_mb": text(g["m"]),
                "max_memory_mb": text(g["u"]),
                "last_ms": str(g["last_ms"]),
            }
            for k, g in reports.items()
        ],
        "platform_inits": [
            {
                "@logStream": k[0],
                "phase": k[1],
                "status": k[2],
                "error_type": k[3],
                "n": str(g["n"]),
                "duration_ms": text(g["duration_ms"]),
                "last_ms": str(g["last_ms"]),
            }
            for k, g in inits.items()
        ],
        "lambda_init": [{"n": str(len(ordered)), "p50": text(ordered[0]), "max": text(ordered[-1])}],
        "record_streams": [{"@logStream": k, **{n: str(v) for n, v in r.items()}} for k, r in streams.items()],
    }


def test_the_platform_queries_read_the_fields_logs_insights_discovers():
    joined = "\n".join(accounting.PLATFORM_QUERIES.values())
    for field in (
        "@type",
        "@billedDuration",
        "@memorySize",
        "@maxMemoryUsed",
        "@initDuration",
        "@logStream",
        "@message",
    ):
        assert field in joined
    for field in (
        "record.status",
        "record.errorType",
        "record.metrics.billedDurationMs",
        "record.metrics.initDurationMs",
    ):
        assert field in joined
    assert "by @logStream, status, error_type" in accounting.PLATFORM_QUERIES["platform_reports"]


def test_the_insights_engine_accounts_for_every_invocation(monkeypatch, capsys):
    events = s.story(s.T)
    report_rows = aggregate(records_of(events).records)
    fake = FakeLogs(
        rows_by_query={
            **{query: report_rows.get(name, []) for name, query in queries.QUERIES.items()},
            **{query: insights(events)[name] for name, query in accounting.PLATFORM_QUERIES.items()},
        }
    )
    monkeypatch.setattr(aws, "client", lambda *args: aws.Client(fake, sleep=lambda _: None))
    monkeypatch.setattr(logs, "check_log_group", lambda client, log_group: None)
    assert main(["report", "--function", FUNCTION, "--format", "json"]) == 0
    accounted = json.loads(capsys.readouterr().out)["accounted"]
    check(accounted)
    # Logs Insights compares the medians (it cannot match request ids across lines)
    assert accounted["init_before_python_ms_p50"] == pytest.approx(130.49 - 110.2)


# A file ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["log events", "export", "tail"])
def test_report_input_reads_a_saved_log(tmp_path, capsys, shape):
    events = s.story(s.T)
    if shape == "log events":
        text = "\n".join(json.dumps({"timestamp": ms, "logStreamName": st, "message": m}) for ms, st, m in events)
    elif shape == "export":
        text = json.dumps(
            {"events": [{"timestamp": ms, "logStreamName": st, "message": m} for ms, st, m in events]}, indent=1
        )
    else:  # aws logs tail: the stream, a time, the message (a REPORT's XRAY line on a line of its own)

        def tailed(ms, st, m):
            moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}000"
            return f"{stream_of(st)} {moment} {m}"

        text = "\n".join(tailed(*event) for event in events)
    saved = tmp_path / "saved.log"
    saved.write_text(text)
    assert main(["report", "--input", str(saved), "--format", "json"]) == 0
    built = json.loads(capsys.readouterr().out)
    check(built["accounted"], stream_of("C") if shape == "tail" else "C")
    assert built["function"] == str(saved)


def stream_of(name: str) -> str:
    return f"2026/12/07/[$LATEST]{ord(name):032x}"
