"""Logs Insights as the API documents it, for tests: queries run for a while, then complete with
rows in GetQueryResults' shape."""

from __future__ import annotations

from botocore.exceptions import ClientError


def as_insights_results(rows):
    """Rows in the documented GetQueryResults shape: a list of field/value lists, with @ptr."""
    return [[{"field": k, "value": v} for k, v in row.items()] + [{"field": "@ptr", "value": "x"}] for row in rows]


class FakeLogs:
    """Logs Insights as the API documents it: queries run for a while, then complete."""

    def __init__(self, rows_by_window=None, throttle=0, fail=False, rows_by_query=None):
        self.rows_by_window = rows_by_window or (lambda start, end: [])
        self.rows_by_query = rows_by_query  # query string -> rows, instead of rows_by_window
        self.throttle = throttle
        self.fail = fail
        self.started = []
        self.polls = {}

    def start_query(self, **kwargs):
        if self.throttle:
            self.throttle -= 1
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "StartQuery")
        self.started.append(kwargs)
        query_id = str(len(self.started))
        self.polls[query_id] = 0
        return {"queryId": query_id}

    def get_query_results(self, queryId):
        self.polls[queryId] += 1
        if self.polls[queryId] < 3:
            return {"status": "Running", "results": []}
        if self.fail:
            return {"status": "Failed", "results": []}
        q = self.started[int(queryId) - 1]
        if self.rows_by_query is not None:
            rows = self.rows_by_query[q["queryString"]]
        else:
            rows = self.rows_by_window(q["startTime"], q["endTime"])
        return {"status": "Complete", "results": as_insights_results(rows)}
