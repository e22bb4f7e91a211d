"""The price table: Lambda's list prices, GB-seconds, billed milliseconds and ``--price``."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from lambda_lifecycle.cli import prices
from lambda_lifecycle.platform_log import billed_ms


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp() * 1000)


def test_the_table_names_both_architectures_its_source_and_the_day_it_was_read():
    assert set(prices.LIST_PRICES) == set(prices.ARCHITECTURES) == {"x86_64", "arm64"}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", prices.READ_ON)
    for price in prices.LIST_PRICES.values():
        assert prices.SOURCE in price.source
        assert prices.READ_ON in price.source
        assert price.per_million_requests == pytest.approx(0.20)
    # arm64 is 20 % cheaper per GB-second than x86_64
    assert prices.LIST_PRICES["arm64"].per_gb_second / prices.LIST_PRICES["x86_64"].per_gb_second == pytest.approx(
        0.8, rel=1e-4
    )


def test_a_gb_second_is_a_second_at_1024_mb():
    assert prices.gb_seconds(1000, 1024) == 1.0
    assert prices.gb_seconds(300, 512) == pytest.approx(0.15)  # AWS's own example
    assert prices.gb_seconds(16, 128) == pytest.approx(0.002)


def test_durations_are_billed_up_to_the_next_millisecond():
    assert billed_ms(15.74) == 16
    assert billed_ms(693.92) == 694
    assert billed_ms(16.0) == 16
    assert billed_ms(15.7 + 0.3) == 16  # a float sum a hair above 16
    assert billed_ms(1233.96 + 463.512) == 1698  # Duration + Init Duration of a cold start, as AWS billed it
    assert billed_ms(0.2) == 1


def test_cost_of_a_million_invocations():
    # 1M invocations of 50 ms at 128 MB on x86_64: 6250 GB-s and 1M requests
    gb_s = prices.gb_seconds(50, 128) * 1_000_000
    x86 = prices.cost(prices.LIST_PRICES["x86_64"], gb_s=gb_s, requests=1_000_000)
    arm = prices.cost(prices.LIST_PRICES["arm64"], gb_s=gb_s, requests=1_000_000)
    assert gb_s == pytest.approx(6250)
    assert x86 == pytest.approx(6250 * 0.0000166667 + 0.20)
    assert arm == pytest.approx(6250 * 0.0000133334 + 0.20)


def test_on_demand_init_is_billed_from_august_2025_only():
    assert not prices.init_billed("on-demand", _ms("2025-07-31T23:59:59.999"))
    assert prices.init_billed("on-demand", _ms("2025-08-01T00:00:00"))
    assert prices.init_billed("on-demand", _ms("2026-12-07T12:00:00"))
    # billed under prices of their own, not the GB-second price of this table
    assert not prices.init_billed("provisioned-concurrency", _ms("2026-12-07T12:00:00"))
    assert not prices.init_billed("snap-start", _ms("2026-12-07T12:00:00"))


@pytest.mark.parametrize(
    ("text", "architecture", "per_gb_second", "per_million"),
    [
        ("arm64=0.0000120001", "arm64", 0.0000120001, 0.20),  # requests keep the list price
        ("x86_64=0.0000166667,0.20", "x86_64", 0.0000166667, 0.20),
        (" x86_64 = $0.000015 , $0.25 ", "x86_64", 0.000015, 0.25),
        ("arm64=1.6e-5,0", "arm64", 1.6e-5, 0.0),
    ],
)
def test_price_override(text, architecture, per_gb_second, per_million):
    price = prices.parse_price(text)
    assert (price.architecture, price.source) == (architecture, "--price")
    assert price.per_gb_second == pytest.approx(per_gb_second)
    assert price.per_million_requests == pytest.approx(per_million)
    table = prices.price_table([price])
    assert table[architecture] is price
    other = next(a for a in prices.ARCHITECTURES if a != architecture)
    assert table[other] is prices.LIST_PRICES[other]


@pytest.mark.parametrize("text", ["", "arm64", "arm64=", "arm64=cheap", "arm64=-1", "arm64=1,2,3", "arm64=nan"])
def test_a_malformed_price_is_one_line_naming_the_format(text):
    with pytest.raises(ValueError, match=r"expected ARCH=USD_PER_GB_SECOND") as raised:
        prices.parse_price(text)
    assert "\n" not in str(raised.value)


def test_an_unknown_architecture_is_named():
    with pytest.raises(ValueError, match=r"unknown architecture 'ppc64le'.*x86_64, arm64"):
        prices.parse_price("ppc64le=0.00001")


def test_the_last_override_of_an_architecture_wins():
    table = prices.price_table([prices.parse_price("arm64=1"), prices.parse_price("arm64=2")])
    assert table["arm64"].per_gb_second == 2
