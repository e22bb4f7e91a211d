"""A connection pool created during init, reused by every invocation, closed at shutdown.

SQLite stands in for a database server so the example runs anywhere; the pattern is the same
for PostgreSQL or MySQL. The ``FileDescriptors`` measurement in each record is how a leak would
show: it must stay flat across warm invocations. ``on_shutdown`` closes the pool when Lambda
ends the environment, which an ``atexit`` function would never do there.
"""

import contextlib
import os
import sqlite3
import tempfile

import lambda_lifecycle

DB_PATH = os.environ.get("DB_PATH") or os.path.join(tempfile.gettempdir(), "orders-example.sqlite")


class ConnectionPool:
    def __init__(self, size):
        self.connects = 0
        self._idle = [self._connect() for _ in range(size)]

    def _connect(self):
        self.connects += 1
        return sqlite3.connect(DB_PATH, check_same_thread=False)

    @contextlib.contextmanager
    def connection(self):
        conn = self._idle.pop() if self._idle else self._connect()
        try:
            yield conn
        finally:
            self._idle.append(conn)

    def close(self):
        while self._idle:
            self._idle.pop().close()
            self.connects -= 1


# Init phase: the pool outlives invocations, so connections are made once per environment.
pool = ConnectionPool(size=2)
lambda_lifecycle.on_shutdown(pool.close)
with pool.connection() as _conn:
    _conn.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, item TEXT)")


@lambda_lifecycle.instrument
def lambda_handler(event, context):
    with pool.connection() as conn:
        conn.execute("INSERT INTO orders (item) VALUES (?)", (event["item"],))
        conn.commit()
        (count,) = conn.execute("SELECT COUNT(*) FROM orders").fetchone()
    return {"statusCode": 200, "orders": count, "connects": pool.connects}
