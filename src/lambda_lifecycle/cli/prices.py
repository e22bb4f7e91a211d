"""Lambda's list prices, for estimating what invocations and inits cost.

Source: the AWS Lambda pricing page, https://aws.amazon.com/lambda/pricing/ (read on ``READ_ON``):
US East (N. Virginia), on-demand duration in the first monthly tier (the first 6 billion GB-seconds
on x86_64, the first 7.5 billion on arm64) and requests. Other regions, the cheaper tiers above
those volumes, Savings Plans and the free tier (1 million requests and 400,000 GB-seconds a month)
are not in the table: ``--price`` replaces a price (see ``parse_price``). Provisioned concurrency,
SnapStart caching and restores, and ephemeral storage above 512 MB have prices of their own and
are not estimated here.

Lambda bills duration in GB-seconds: the configured memory in GB (MB / 1024) times the billed
duration in seconds (rounded up to the millisecond; ``Billed Duration`` on a REPORT line). Since
2025-08-01 the INIT phase of on-demand functions packaged as zip on managed runtimes is billed
like the invoke phase (container images and custom runtimes always were): the first REPORT of
such an environment bills Init Duration + Duration.

Pure and small: the CLI's report and the init-anatomy cost both read it; nothing here runs in a
function.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timezone

# Lambda's rounding of a duration to its Billed Duration: here too, beside what it is billed at.
from ..platform_log import billed_ms as billed_ms

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

SOURCE = "https://aws.amazon.com/lambda/pricing/"
READ_ON = "2026-12-07"  # the day the prices below were read from SOURCE
REGION = "us-east-1"
ARCHITECTURES = ("x86_64", "arm64")
INIT_BILLED_SINCE_MS = int(datetime(2025, 8, 1, tzinfo=timezone.utc).timestamp() * 1000)
MB_PER_GB = 1024  # Lambda's GB-second: 512 MB for one second is 0.5 GB-s


@dataclass(frozen=True)
class Price:
    """One architecture's prices in USD: a GB-second of duration and one request."""

    architecture: str
    per_gb_second: float
    per_request: float
    source: str = f"list price, {REGION}, first tier, read {READ_ON} from {SOURCE}"

    @property
    def per_million_requests(self) -> float:
        return self.per_request * 1_000_000


LIST_PRICES: Mapping[str, Price] = {
    "x86_64": Price("x86_64", per_gb_second=0.0000166667, per_request=0.20 / 1_000_000),
    "arm64": Price("arm64", per_gb_second=0.0000133334, per_request=0.20 / 1_000_000),
}


def gb_seconds(billed_ms: float, memory_mb: float) -> float:
    """The GB-seconds of ``billed_ms`` milliseconds at ``memory_mb`` MB of configured memory."""
    return billed_ms / 1000 * memory_mb / MB_PER_GB


def cost(price: Price, *, gb_s: float, requests: int = 0) -> float:
    """What ``gb_s`` GB-seconds and ``requests`` requests cost in USD at ``price``."""
    return gb_s * price.per_gb_second + requests * price.per_request


def usd(amount: float) -> str:
    """Dollars as people read them, without an exponent, to ten decimals at most: 0.0000166667."""
    return f"{amount:.10f}".rstrip("0").rstrip(".") or "0"


def init_billed(init_type: str, at_ms: int) -> bool:
    """Whether an init's duration is billed at the GB-second price, for an init of ``init_type``
    (``on-demand``, ``provisioned-concurrency``, ``snap-start``, ...) at epoch milliseconds ``at_ms``.

    On-demand inits are, from 2025-08-01 (for zip packages on managed runtimes: Python's case).
    Provisioned concurrency and SnapStart inits are billed under prices of their own, not this
    table's, so False for them.
    """
    return init_type == "on-demand" and at_ms >= INIT_BILLED_SINCE_MS


_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_PRICE = re.compile(rf"\s*([A-Za-z0-9_]+)\s*=\s*\$?({_NUMBER})\s*(?:,\s*\$?({_NUMBER})\s*)?")

PRICE_FORMAT = "ARCH=USD_PER_GB_SECOND[,USD_PER_MILLION_REQUESTS], e.g. arm64=0.0000133334,0.20"


def parse_price(text: str) -> Price:
    """A ``--price`` value: an architecture, its price per GB-second and optionally per million
    requests (kept from the list price when left out), e.g. ``x86_64=0.0000166667,0.20``.

    Raises ValueError with a one-line message for anything else.
    """
    match = _PRICE.fullmatch(text)
    if not match:
        raise ValueError(f"expected {PRICE_FORMAT}, got {text!r}")
    architecture, per_gb_second, per_million = match.groups()
    if architecture not in LIST_PRICES:
        raise ValueError(f"unknown architecture {architecture!r} in {text!r}: one of {', '.join(ARCHITECTURES)}")
    listed = LIST_PRICES[architecture]
    return replace(
        listed,
        per_gb_second=float(per_gb_second),
        per_request=listed.per_request if per_million is None else float(per_million) / 1_000_000,
        source="--price",
    )


def price_table(overrides: Iterable[Price] = ()) -> dict[str, Price]:
    """The list prices with ``overrides`` (from ``parse_price``; the last one per architecture wins)."""
    table = dict(LIST_PRICES)
    for price in overrides:
        table[price.architecture] = price
    return table
