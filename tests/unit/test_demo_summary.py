"""What ``lambda-lifecycle demo`` prints of its init record, from the record alone."""

from __future__ import annotations

import re

from lambda_lifecycle.cli.demo import _anatomy

INIT = {
    "handler": "orders_demo/app.lambda_handler",
    "InitDuration": 352,
    "InitRuntime": 150,
    "InitImports": 160,
    "InitCode": 42,
    "InitWait": 9,
    "imports": [{"module": "orders_demo.catalog", "ms": 123.0, "share": 35.0, "by": "orders_demo.app"}],
    "imports_threshold_ms": 5.0,
}


def test_the_phases_under_the_init_duration_add_up_to_it_and_the_wait_is_said_apart():
    lines = _anatomy(INIT)
    assert lines[0] == "  352 ms from the process's start until orders_demo/app.lambda_handler was ready:"
    # The lines indented under that one are its parts: they add up to it, as the record's do.
    under = [int(re.search(r"(\d+) ms", line)[1]) for line in lines[1:] if line.startswith("    ") and "%" not in line]
    assert sum(under) == INIT["InitDuration"]
    assert "  then 9 ms until its first invocation" in lines


def test_the_imports_are_listed_slowest_first_with_what_imported_each():
    lines = _anatomy(INIT)
    assert "  the imports of 5.0 ms or more, slowest first:" in lines
    assert re.search(
        r"orders_demo\.catalog +123\.0 ms +35\.0 % of init +\(imported by orders_demo\.app\)", "\n".join(lines)
    )
