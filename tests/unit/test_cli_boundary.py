"""The CLI's shared parts: the one retry layer, result rows it did not check, one wording for files."""

from __future__ import annotations

import dataclasses

import pytest
from botocore.exceptions import ClientError

from lambda_lifecycle.cli import aws, report
from lambda_lifecycle.cli.errors import CliError, cannot_read, cannot_write, one_line
from lambda_lifecycle.cli.render import render


class Clock:
    """Monotonic time that moves only when the retry layer sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def throttled(code: str = "ThrottlingException", status: int = 400) -> ClientError:
    response = {"Error": {"Code": code, "Message": "Rate exceeded"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "DescribeLogGroups")


class Flaky:
    """A client whose describe_log_groups fails ``failures`` times, then answers."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    def describe_log_groups(self, **kwargs: object) -> dict[str, object]:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return {"logGroups": []}


def test_throttling_is_retried_with_backoff_and_said_on_stderr():
    clock, said = Clock(), []
    client = aws.Client(Flaky(3, throttled()), said.append, sleep=clock.sleep, clock=clock)
    assert client.call("describe_log_groups") == {"logGroups": []}
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert said[0] == "retrying describe_log_groups: ThrottlingException, attempt 2 in 1 s (giving up after 60 s)"
    assert len(said) == 3


def test_retrying_stops_within_its_budget_with_one_line():
    clock = Clock()
    flaky = Flaky(1000, throttled("ServiceUnavailableException", 503))
    client = aws.Client(flaky, sleep=clock.sleep, clock=clock, budget_s=60)
    with pytest.raises(CliError) as failed:
        client.call("describe_log_groups")
    assert sum(clock.sleeps) <= 60  # bounded in all, not per attempt
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 20.0]  # the next 20 s wait would pass the budget
    assert flaky.calls == 7
    assert str(failed.value) == "ServiceUnavailableException: Rate exceeded"


def test_a_failure_that_is_not_the_services_is_not_retried():
    clock = Clock()
    flaky = Flaky(1, throttled("AccessDeniedException"))
    with pytest.raises(CliError, match="AccessDeniedException"):
        aws.Client(flaky, sleep=clock.sleep, clock=clock).call("describe_log_groups")
    assert (flaky.calls, clock.sleeps) == (1, [])


def test_an_html_error_page_is_one_line_naming_the_status():
    page = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>\n"
    response = {"Error": {"Code": "502", "Message": page}, "ResponseMetadata": {"HTTPStatusCode": 502}}
    explained = aws.explain(ClientError(response, "StartQuery"))
    assert "\n" not in str(explained)
    assert str(explained).startswith("the endpoint answered HTTP 502 with a page that is not an AWS API response")


def test_every_message_shown_is_one_line():
    assert one_line("first\nsecond\n") == "first"
    assert one_line("\n\n  only this  \n") == "only this"
    assert len(one_line("x" * 1000)) == 300


def test_files_are_worded_the_same_by_every_command():
    assert str(cannot_write("out.html", PermissionError(13, "Permission denied"))) == (
        "cannot write out.html: permission denied"
    )
    assert str(cannot_read("in.log", FileNotFoundError(2, "No such file or directory"))) == (
        "cannot read in.log: no such file or directory"
    )


def test_result_rows_without_their_fields_are_counted_not_shown():
    # An endpoint that answers every query with rows of another shape.
    foreign = [{"something": "else"}] * 9
    rows = {
        "summary": [{"init_type": "on-demand", "invocations": "3", "cold_starts": "1"}],
        "init_duration": [],
        "idle_time": [],
        "environments": [{"environment_id": "e1", "invocations": "3"}, *foreign],
        "timeouts": foreign[:2],
    }
    built = report.build(function="f", log_group="/aws/lambda/f", start_ms=0, end_ms=1, rows=rows)
    assert built.environments.seen == 1
    assert built.timeout_warnings == []
    assert built.left_out_rows == {"environments": 9, "timeouts": 2}
    table = render(built, "table")
    assert "None" not in table
    assert "left out 11 result row(s) without the fields of their query: environments 9, timeouts 2" in table
    assert dataclasses.asdict(built)["left_out_rows"] == {"environments": 9, "timeouts": 2}


def test_a_timeout_warning_row_missing_values_shows_dashes():
    rows = {"summary": [], "environments": [], "timeouts": [{"request_id": "r1"}]}
    table = render(report.build(function="f", log_group="g", start_ms=0, end_ms=1, rows=rows), "table")
    assert "  - r1 - ms left in -" in table
