"""The attributes an invocation's span gets: their names, and how they are made from what the SDK
knows. Pure: no OpenTelemetry here, values in and a dict out.

The FaaS semantic conventions' names where they have one; the SDK's own facts under
``lambda_lifecycle.``, documented in docs/otel.md (a test holds the page to ``SPAN_ATTRIBUTES``).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .._context import CallInfo
    from .._probes import Usage
    from .._state import Identity, Invocation

    Attributes = dict[str, "str | bool | int | float"]

MIB = 1_048_576
"""Bytes in a megabyte as Lambda counts memory: ``faas.max_memory`` is the memory size times this."""

COLDSTART = "faas.coldstart"
INVOCATION_ID = "faas.invocation_id"
TRIGGER = "faas.trigger"
RESOURCE_ID = "cloud.resource_id"
ACCOUNT_ID = "cloud.account.id"
INVOKED_ARN = "aws.lambda.invoked_arn"
INSTANCE = "faas.instance"
MAX_MEMORY = "faas.max_memory"

NAMESPACE = "lambda_lifecycle."
ENVIRONMENT_ID = NAMESPACE + "environment_id"
CONTAINER_ID = NAMESPACE + "container_id"
PROCESS_RESTARTS = NAMESPACE + "process_restarts"
WORKER = NAMESPACE + "worker"
INIT_TYPE = NAMESPACE + "init_type"
RESTORED = NAMESPACE + "restored"
INVOCATION = NAMESPACE + "invocation"
PROACTIVE_INIT = NAMESPACE + "proactive_init"
REINIT = NAMESPACE + "reinit"
INIT_DURATION_MS = NAMESPACE + "init_duration_ms"
RESTORE_TO_INVOKE_MS = NAMESPACE + "restore_to_invoke_ms"
IDLE_MS = NAMESPACE + "idle_ms"
MEMORY_USED_MB = NAMESPACE + "memory_used_mb"
MAX_MEMORY_USED_MB = NAMESPACE + "max_memory_used_mb"
MEMORY_USED_PERCENT = NAMESPACE + "memory_used_percent"
TMP_USED_MB = NAMESPACE + "tmp_used_mb"
TMP_USED_PERCENT = NAMESPACE + "tmp_used_percent"

SPAN_ATTRIBUTES = (
    COLDSTART,
    INVOCATION_ID,
    TRIGGER,
    RESOURCE_ID,
    ACCOUNT_ID,
    INVOKED_ARN,
    INSTANCE,
    MAX_MEMORY,
    ENVIRONMENT_ID,
    CONTAINER_ID,
    PROCESS_RESTARTS,
    WORKER,
    INIT_TYPE,
    RESTORED,
    INVOCATION,
    PROACTIVE_INIT,
    REINIT,
    INIT_DURATION_MS,
    RESTORE_TO_INVOKE_MS,
    IDLE_MS,
    MEMORY_USED_MB,
    MAX_MEMORY_USED_MB,
    MEMORY_USED_PERCENT,
    TMP_USED_MB,
    TMP_USED_PERCENT,
)
"""Every attribute the integration may set on a span, in the order docs/otel.md lists them."""


class Facts:
    """Makes the attributes of each invocation's span. What a process repeats (its identity, the
    function's ARN) is made once and reused while it stays the same."""

    __slots__ = ("_identity", "_process", "_arn", "_version", "_function")

    def __init__(self) -> None:
        self._identity: Identity | None = None
        self._process: Attributes = {}
        self._arn: object = None
        self._version: str | None = None
        self._function: Attributes = {}

    def begin(self, invocation: Invocation, call: CallInfo, context: object, trigger: str) -> Attributes:
        """What is known when the invocation begins."""
        identity = invocation.identity
        if identity is not self._identity:  # a new process, or a SnapStart restore renewed the ids
            self._process = _process_attributes(identity)
            self._identity = identity
        attributes = {**self._process, **self._function_of(context, call.function_version)}
        attributes[COLDSTART] = invocation.cold_start
        attributes[TRIGGER] = trigger
        attributes[INVOCATION] = invocation.number
        if call.request_id is not None:
            attributes[INVOCATION_ID] = call.request_id
        if invocation.number == 1:  # how the process began: said once, on its first invocation
            attributes[PROACTIVE_INIT] = invocation.proactive_init
            attributes[REINIT] = invocation.reinit
            if invocation.init_duration_ms is not None:
                attributes[INIT_DURATION_MS] = round(invocation.init_duration_ms)
            if invocation.restore_ms is not None:
                attributes[RESTORE_TO_INVOKE_MS] = round(invocation.restore_ms)
        elif invocation.idle_ms is not None:
            attributes[IDLE_MS] = round(invocation.idle_ms)
        return attributes

    def _function_of(self, context: object, version: str | None) -> Attributes:
        arn = _invoked_arn(context)
        if arn != self._arn or version != self._version:
            self._function = function_attributes(arn, version)
            self._arn, self._version = arn, version
        return self._function


def _process_attributes(identity: Identity) -> Attributes:
    # As in the record, the rare facts only when they say something: every attribute set costs
    # the handler a few microseconds in the OpenTelemetry SDK.
    attributes: Attributes = {
        ENVIRONMENT_ID: identity.environment_id,
        CONTAINER_ID: identity.container_id,
        INIT_TYPE: identity.init_type,
    }
    if identity.process_restarts:
        attributes[PROCESS_RESTARTS] = identity.process_restarts
    if identity.worker is not None:
        attributes[WORKER] = identity.worker
    if identity.restored:
        attributes[RESTORED] = True
    return attributes


def _invoked_arn(context: object) -> object:
    try:
        if isinstance(context, dict):
            return context.get("invoked_function_arn")
        return getattr(context, "invoked_function_arn", None)
    except Exception:  # noqa: BLE001 - a context whose properties raise: no ARN, as with none
        return None


def function_attributes(invoked_arn: object, version: str | None) -> Attributes:
    """``cloud.resource_id`` (the ARN qualified by the version that ran, never an alias),
    ``cloud.account.id``, and ``aws.lambda.invoked_arn`` when an alias or a version was invoked,
    from the ARN the function was invoked by.

    Lambda invokes ``arn:<partition>:lambda:<region>:<account>:function:<name>[:<alias or version>]``;
    an alias may point at any version, and one environment serves only one, so the resource is
    the function's ARN with the version it runs.
    """
    if not isinstance(invoked_arn, str) or not invoked_arn:
        return {}
    parts = invoked_arn.split(":")
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "lambda" or parts[5] != "function":
        return {INVOKED_ARN: invoked_arn}
    function_arn = ":".join(parts[:7])
    attributes: Attributes = {
        RESOURCE_ID: f"{function_arn}:{version}" if version else function_arn,
        ACCOUNT_ID: parts[4],
    }
    if len(parts) > 7:
        attributes[INVOKED_ARN] = invoked_arn
    return attributes


def resource_facts(call: CallInfo) -> Attributes:
    """``faas.instance`` (the log stream) and ``faas.max_memory`` (bytes), where known: what a
    resource made without :class:`lambda_lifecycle.otel.resource.LambdaResourceDetector` lacks."""
    facts: Attributes = {}
    stream = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")  # SnapStart functions have none
    if stream:
        facts[INSTANCE] = stream
    if call.memory_limit_mb:
        facts[MAX_MEMORY] = call.memory_limit_mb * MIB
    return facts


def usage_attributes(usage: Usage | None, memory_limit_mb: int | None) -> Attributes:
    """Memory and ``/tmp`` when the invocation ended, as its record says them; a failed reading is
    left out."""
    if usage is None:
        return {}
    attributes: Attributes = {}
    rss = usage.rss_mb
    if rss is not None:
        attributes[MEMORY_USED_MB] = round(rss)
        if memory_limit_mb:
            attributes[MEMORY_USED_PERCENT] = _tenths(100 * rss / memory_limit_mb)
    if usage.max_rss_mb is not None:
        attributes[MAX_MEMORY_USED_MB] = round(usage.max_rss_mb)
    tmp = usage.tmp_used_mb
    if tmp is not None:
        attributes[TMP_USED_MB] = round(tmp)
        if usage.tmp_size_mb:
            attributes[TMP_USED_PERCENT] = _tenths(100 * tmp / usage.tmp_size_mb)
    return attributes


def _tenths(percent: float) -> float:
    # Rounded as the record rounds its percentages (whole thousandths), so the two agree.
    return round(10 * percent) / 10
