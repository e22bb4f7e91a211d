import pytest

from lambda_lifecycle import testing


def test_handler_and_records_agree(load_handler):
    testing.reset(init_duration_ms=420)
    handler = load_handler()
    with testing.capture() as records, testing.simulated_clock() as clock:
        results = []
        for gap_s in (0, 30, 600):  # the environment sits frozen between invocations
            clock.advance(gap_s)
            results.append(handler.lambda_handler({}, testing.LambdaContext(timeout_s=10)))
    assert [r["invocation"] for r in results] == [r["invocation"] for r in records] == [1, 2, 3]
    assert {r["container_id"] for r in results} == {r["container_id"] for r in records}
    assert [r["cold_start"] for r in results] == [True, False, False]
    # 420 ms simulated, plus the real time the handler module took to import.
    assert 420 <= results[0]["init_duration_ms"] < 520
    assert [r.get("IdleTime", 0) // 1000 for r in records] == [0, 30, 600]
    assert results[2]["container_age_s"] == pytest.approx(630.4, abs=0.5)
    assert all(0 < r["remaining_ms"] <= 10_000 for r in results)
