"""AWS for the CLI: clients, the one retry layer every call goes through, and every AWS failure as
a :class:`~lambda_lifecycle.cli.errors.CliError` with one line that says what to do.

botocore retries nothing itself (one attempt per call): :meth:`Client.call` retries what
CloudWatch throttles or fails on its side, with backoff, for at most :data:`RETRY_BUDGET_S` in
all, saying on stderr what it waits for, instead of retries nested in retries and minutes of
silence before an error.
"""

from __future__ import annotations

import os
import time

from .errors import CliError, needs_boto3

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    from .progress import Progress

RETRY_BUDGET_S = 60.0
"""How long one call may wait in all (backoff included) before its failure is shown."""
_FIRST_DELAY_S, _MAX_DELAY_S = 1.0, 20.0
_THROTTLED = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "LimitExceededException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
    }
)


def _silent(message: str) -> None:
    pass


class Client:
    """One AWS service's boto3 client whose calls go through the retry layer.

    Args:
        client: a boto3 client (or anything with the same methods, in tests).
        progress: where waiting is said (stderr, through ``cli.progress``).
        sleep: how to wait (tests record the waits instead).
        clock: monotonic seconds, for the budget.
        budget_s: how long one call may take in all before its failure is shown.
    """

    def __init__(
        self,
        client: Any,
        progress: Progress = _silent,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        budget_s: float = RETRY_BUDGET_S,
    ) -> None:
        self.client = client
        self.progress = progress
        self.sleep = sleep
        self.clock = clock
        self.budget_s = budget_s

    @property
    def region(self) -> str:
        return str(self.client.meta.region_name)

    def call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        """One API call (``operation`` as boto3 names the method), retried while CloudWatch
        throttles it or fails on its side, within the budget; any failure raises ``CliError``."""
        method = getattr(self.client, operation)
        started = self.clock()
        delay = _FIRST_DELAY_S
        attempt = 1
        while True:
            try:
                result: dict[str, Any] = method(**kwargs)
                return result
            except Exception as exc:  # noqa: BLE001 - every failure becomes one line for the user
                code = _retryable(exc)
                waited = self.clock() - started
                if code is None or waited + delay > self.budget_s:
                    raise explain(exc) from None
                self.progress(
                    f"retrying {operation}: {code}, attempt {attempt + 1} in {delay:g} s"
                    f" (giving up after {self.budget_s:g} s)"
                )
                self.sleep(delay)
                attempt += 1
                delay = min(delay * 2, _MAX_DELAY_S)

    def pages(self, operation: str, token_key: str = "nextToken", **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every page of a paginated call, each call through :meth:`call`; ``token_key`` names
        the page token as the service spells it (Logs ``nextToken``, CloudWatch ``NextToken``)."""
        while True:
            page = self.call(operation, **kwargs)
            yield page
            token = page.get(token_key)
            if not token or token == kwargs.get(token_key):
                return
            kwargs[token_key] = token


def _retryable(exc: Exception) -> str | None:
    """The error code of a failure worth retrying (throttling, a 5xx), ``None`` for the others."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _THROTTLED:
        return code
    if isinstance(status, int) and status >= 500:
        return code or f"HTTP {status}"
    return None


def client(service: str, region: str | None, endpoint: str | None, progress: Progress = _silent) -> Client:
    """A client of ``service`` (``logs``, ``cloudwatch``) in ``region`` (default: ``AWS_REGION``,
    then boto3's own lookup), at ``endpoint`` when given."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise needs_boto3() from None
    try:
        # One attempt per call: Client.call is the retry layer.
        config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=60)
        region = region or os.environ.get("AWS_REGION")  # what Lambda and most tools set; boto3 reads another
        made = boto3.client(service, region_name=region, endpoint_url=endpoint, config=config)
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line for the user
        raise explain(exc) from None
    return Client(made, progress)


def explain(exc: Exception) -> CliError:
    """The one line to show for an exception raised by boto3."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        ParamValidationError,
    )

    if isinstance(exc, CliError):
        return exc
    if isinstance(exc, NoCredentialsError):
        return CliError("no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    if isinstance(exc, NoRegionError):
        return CliError("no AWS region: pass --region or set AWS_REGION")
    if isinstance(exc, EndpointConnectionError):
        return CliError(
            f"cannot reach {exc.kwargs.get('endpoint_url')}: check --endpoint-url, --region and the network"
        )
    if isinstance(exc, ParamValidationError):
        # The flags are checked before any call: this is a value the CLI did not foresee.
        return CliError(f"AWS refused a parameter before sending it: {' '.join(str(exc).split())}")
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        message = str(error.get("Message") or "")
        if "<html" in message.lower() or "<!doctype" in message.lower() or (not error.get("Code") and status):
            # Not CloudWatch's API answering: a proxy's or another server's error page.
            return CliError(
                f"the endpoint answered HTTP {status} with a page that is not an AWS API response:"
                " check --endpoint-url and --region"
            )
        return CliError(f"{error.get('Code', 'error')}: {message or exc}")
    return CliError(str(exc))
