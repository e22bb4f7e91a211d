"""Lambda's own log lines as AWS's documentation and real logs show them (tabs included), for the
contract tests of the platform-line reader, both report engines and the timeline."""

from __future__ import annotations

import json

from lambda_lifecycle.contract import KIND_KEY

# Text log format ---------------------------------------------------------------------------------

INIT_START = (
    "INIT_START Runtime Version: python:3.12.v38\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:"
    "7b620fc2e66107a1046b140b9d320295811af3ad5d4c6a011fad1fa65127e9e6"
)
START = "START RequestId: 8f507cfc-xmpl-4697-b07a-ac58fc914c95 Version: $LATEST"
END = "END RequestId: 8f507cfc-xmpl-4697-b07a-ac58fc914c95"
REPORT_COLD = (
    "REPORT RequestId: 8f507cfc-xmpl-4697-b07a-ac58fc914c95\tDuration: 15.74 ms\tBilled Duration: 16 ms"
    "\tMemory Size: 128 MB\tMax Memory Used: 56 MB\tInit Duration: 130.49 ms"
)
# A traced function's REPORT: the XRAY line rides in the same log event, after a newline.
REPORT_TRACED = (
    "REPORT RequestId: 3604209a-e9a3-11e6-939a-754dd98c7be3\tDuration: 12.34 ms\tBilled Duration: 13 ms"
    "\tMemory Size: 128 MB\tMax Memory Used: 18 MB\t\n"
    "XRAY TraceId: 1-5e34a614-10bdxmplf1fb44f07bc535a1\tSegmentId: 07f5xmpl2d1f6f85\tSampled: true\t\n"
)
REPORT_TIMEOUT = (
    "REPORT RequestId: 13222b1e-f16b-4550-89df-869ab0a9806d\tDuration: 3000.00 ms\tBilled Duration: 3000 ms"
    "\tMemory Size: 1024 MB\tMax Memory Used: 64 MB\tStatus: timeout"
)
# A cold start that timed out: since 2025-08-01 its billed duration holds the init (600000 + 476.75).
REPORT_COLD_TIMEOUT = (
    "REPORT RequestId: d602a1ed-503f-4ff7-9639-650e773dbbee\tDuration: 600000.00 ms\tBilled Duration: 600477 ms"
    "\tMemory Size: 1536 MB\tMax Memory Used: 1035 MB\tInit Duration: 476.75 ms\tStatus: timeout"
)
REPORT_OOM = (
    "REPORT RequestId: 276ff3b9-1609-4ee7-a288-db3752630767\tDuration: 10935.70 ms\tBilled Duration: 10936 ms"
    "\tMemory Size: 1024 MB\tMax Memory Used: 1024 MB\tStatus: error\tError Type: Runtime.OutOfMemory"
)
# The runtime exited during the first invocation (its billed duration holds the init: 1248.31 + 293.05).
REPORT_EXIT = (
    "REPORT RequestId: 5b3aa800-5ff2-4756-89f4-8b01418f8b79\tDuration: 1248.31 ms\tBilled Duration: 1542 ms"
    "\tMemory Size: 128 MB\tMax Memory Used: 94 MB\tInit Duration: 293.05 ms\tStatus: error"
    "\tError Type: Runtime.ExitError\n"
)
# What Lambda writes between START and END when the runtime exited: not a line to read.
EXIT_MESSAGE = "RequestId: dde1acb5-7158-4518-9547-a5beae8996d2 Error: Runtime exited with error: exit status 106"
# SnapStart: Restore Duration and Billed Restore Duration instead of Init Duration; a trailing tab.
REPORT_SNAPSTART = (
    "REPORT RequestId: b771fecc-1b53-4faf-922d-1d74357b1676\tDuration: 306.34 ms\tBilled Duration: 610 ms"
    "\tMemory Size: 3009 MB\tMax Memory Used: 155 MB\tRestore Duration: 511.25 ms\tBilled Restore Duration: 303 ms\t"
)
RESTORE_START = (
    "RESTORE_START Runtime Version: java:11.v21\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:"
    "156ab0dc268a6b4a8dedcbcf0974795cafba2ee8760fe386062fffdbb887b971"
)
RESTORE_REPORT = "RESTORE_REPORT Restore Duration: 511.25 ms"
INIT_REPORT_TIMEOUT = "INIT_REPORT Init Duration: 10009.13 ms\tPhase: init\tStatus: timeout"
INIT_REPORT_SUPPRESSED = (
    "INIT_REPORT Init Duration: 8431.38 ms\tPhase: invoke\tStatus: error\tError Type: Runtime.ExitError"
)
INIT_REPORT_IMPORT_ERROR = (
    "INIT_REPORT Init Duration: 229.04 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError"
)
XRAY = "XRAY TraceId: 1-5e34a614-10bdxmplf1fb44f07bc535a1\tSegmentId: 07f5xmpl2d1f6f85\tSampled: true"
EXTENSION = "EXTENSION\tName: AWSParametersAndSecretsLambdaExtension\tState: Ready\tEvents: [SHUTDOWN, INVOKE]"
TELEMETRY = "TELEMETRY\tName: datadog-agent\tState: Subscribed\tTypes: [Platform, Function, Extension]"

# JSON log format (Telemetry API shapes) -----------------------------------------------------------

JSON_REPORT = (
    '{"time":"2024-06-17T17:23:55.826Z","type":"platform.report","record":{"requestId":'
    '"40f6c622-67a3-4159-97f2-ce364a0cb7a8","metrics":{"durationMs":18.593,"billedDurationMs":19,'
    '"memorySizeMB":2048,"maxMemoryUsedMB":246},"status":"success"}}'
)
JSON_REPORT_COLD = (
    '{"time":"2026-10-08T07:30:29.470Z","type":"platform.report","record":{"requestId":'
    '"79b5e81f-9cdd-4145-b1f6-7c50ef8a2a36","metrics":{"durationMs":1233.96,"billedDurationMs":1698,'
    '"memorySizeMB":256,"maxMemoryUsedMB":123,"initDurationMs":463.512},"status":"success"}}'
)
JSON_REPORT_TIMEOUT = (
    '{"time":"2026-07-09T06:05:50.581Z","type":"platform.report","record":{"requestId":'
    '"aec7a529-47f9-4090-be01-c9ed91bf83cf","metrics":{"durationMs":5000.0,"billedDurationMs":5000,'
    '"memorySizeMB":128,"maxMemoryUsedMB":94},"status":"timeout"}}'
)
JSON_RUNTIME_DONE_TIMEOUT = (
    '{"time":"2026-07-09T06:05:50.562Z","type":"platform.runtimeDone","record":{"requestId":'
    '"aec7a529-47f9-4090-be01-c9ed91bf83cf","status":"timeout","metrics":{"durationMs":5001.182,"producedBytes":0}}}'
)
JSON_REPORT_OOM = (
    '{"time":"2022-10-12T00:05:50.000Z","type":"platform.report","record":{"requestId":"c2","status":"error",'
    '"errorType":"Runtime.OutOfMemory","metrics":{"durationMs":800.1,"billedDurationMs":801,"memorySizeMB":128,'
    '"maxMemoryUsedMB":128}}}'
)
JSON_INIT_START = (
    '{"time":"2022-10-12T00:00:15.064Z","type":"platform.initStart","record":{"initializationType":"on-demand",'
    '"phase":"init","runtimeVersion":"nodejs-14.v3","runtimeVersionArn":"arn"}}'
)
JSON_INIT_REPORT_TIMEOUT = (
    '{"time":"2024-06-17T17:48:06.348Z","type":"platform.initReport","record":{"initializationType":"on-demand",'
    '"phase":"init","status":"timeout","metrics":{"durationMs":10000.487}}}'
)
JSON_INIT_RUNTIME_DONE = (
    '{"time":"2025-11-30T22:35:51.565857Z","type":"platform.initRuntimeDone","record":{"initializationType":'
    '"on-demand","phase":"init","status":"success"}}'
)
JSON_START = (
    '{"time":"2024-02-09T08:42:44.078Z","type":"platform.start","record":{"requestId":'
    '"d661f7cf-9208-46b9-85b0-213b04a91065","version":"8"}}'
)
JSON_RESTORE_REPORT_FAILED = (
    '{"time":"2022-10-19T13:52:16.136Z","type":"platform.restoreReport","record":{"status":"failure",'
    '"errorType":"RestoreError"}}'
)
JSON_TELEMETRY_SUBSCRIPTION = (
    '{"time":"2022-10-12T00:02:35.000Z","type":"platform.telemetrySubscription","record":{"name":'
    '"my-telemetry-extension","state":"Subscribed","types":["platform","function"]}}'
)


# A story: records among Lambda's lines, in four log streams ------------------------------------


def record_line(kind: str, stream: str = "A", **fields: object) -> str:
    return json.dumps(
        {KIND_KEY: kind, "container_id": f"c-{stream}", "environment_id": f"e-{stream}", "function_name": "f", **fields}
    )


T = 1_796_000_000_000  # 2026-12, after INIT billing began


def story(t0: int) -> list[tuple[int, str, str]]:
    """Four environments' (log streams') lines, Lambda's verbatim ones among the SDK's records:
    6 invocations reported, 2 invoke records, a timeout, an out-of-memory kill, a runtime exit,
    a record lost, an init that failed twice, one unknown and one malformed line of Lambda's."""
    return [
        # A: a cold start with its record, then a timeout (its warning written, no invoke record): killed
        (t0 + 0, "A", INIT_START),
        (t0 + 10, "A", START),
        (t0 + 20, "A", record_line("invoke", request_id="8f507cfc-xmpl-4697-b07a-ac58fc914c95", InitDuration=110.2)),
        (t0 + 21, "A", END),
        (t0 + 22, "A", REPORT_COLD),
        (t0 + 100, "A", record_line("timeout_warning")),
        (t0 + 200, "A", REPORT_TIMEOUT),
        # B: an out-of-memory kill, then a traced success with its record: still alive
        (t0 + 0, "B", REPORT_OOM),
        (t0 + 50, "B", record_line("invoke", "B")),
        (t0 + 51, "B", REPORT_TRACED),
        # C: JSON format; a success without its record (lost), then a shutdown record
        (t0 + 0, "C", JSON_START),
        (t0 + 5, "C", JSON_REPORT),
        (t0 + 9, "C", record_line("shutdown", "C")),
        # D: an init that failed, failed again within the invocation, whose runtime exited
        (t0 + 0, "D", INIT_REPORT_IMPORT_ERROR),
        (t0 + 300, "D", INIT_REPORT_SUPPRESSED),
        (t0 + 301, "D", REPORT_EXIT),
        # lines of Lambda's that cannot be read are counted
        (t0 + 400, "D", "REPORT RequestId: x\tDuration: soon"),
        (t0 + 401, "D", "INIT_RUNTIME_DONE Status: success"),
    ]
