"""Where init's import time is attributed: to what a user can act on (``_init_anatomy.attribute``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambda_lifecycle._import_timing import Import, ImportTimer
from lambda_lifecycle._init_anatomy import (
    ENTRY_POINT,
    SDK,
    VARIABLE,
    InitTiming,
    attribute,
    handler_name,
    record_fields,
    through_entry_point,
)
from lambda_lifecycle._runtime import RUNTIME
from lambda_lifecycle.contract import INIT_FIELDS, INIT_IMPORT_FIELDS

HANDLER = frozenset({"app", "app.main"})


def imports_of(*tree, start=0.0):
    """Imports as ImportTimer keeps them, from nested (name, own seconds, [inside]) tuples."""
    made: list[Import] = []

    def add(node, parent, at):
        name, own, inside = node[0], node[1], node[2] if len(node) > 2 else []
        index = len(made)
        imp = Import(name, parent, at)
        # Everything imported while the SDK sets itself up is the SDK's, nested imports included.
        imp.by_sdk = (len(node) > 3 and node[3]) or (parent >= 0 and made[parent].by_sdk)
        made.append(imp)
        clock = at + own
        for child in inside:
            clock = add(child, index, clock)
        imp.took = clock - at
        imp.nested = imp.took - own
        return clock

    clock = start
    for node in tree:
        clock = add(node, -1, clock)
    return made


def table(attribution):
    return {e.module: (round(e.took, 6), round(e.own, 6), e.by) for e in attribution.entries}


def test_a_package_takes_what_it_pulled_in_and_first_party_modules_stand_alone():
    imports = imports_of(
        (
            "app.main",
            0.01,
            [
                ("app", 0.001),
                ("boto3", 0.02, [("boto3.session", 0.03, [("botocore", 0.4, [("urllib3", 0.1)])])]),
                ("app.models", 0.05, [("pandas", 0.15, [("numpy", 0.1)])]),
                ("json", 0.001),
            ],
        )
    )
    found = attribute(imports, until=10.0, handler_modules=HANDLER, threshold_s=0.0)
    assert table(found) == {
        # boto3's own modules took 50 ms; botocore and urllib3 are the rest of its 550 ms
        "boto3": (0.55, 0.05, "app.main"),
        "app.models": (0.3, 0.05, "app.main"),
        "pandas": (0.25, 0.15, "app.models"),
        "json": (0.001, 0.001, "app.main"),
    }
    assert [e.module for e in found.entries] == ["boto3", "app.models", "pandas", "json"]  # slowest first
    # The handler's own modules are code, not imports: what they imported is.
    assert found.imports_s == pytest.approx(0.55 + 0.3 + 0.001)


def test_imports_outside_the_handlers_import_are_made_by_the_handler_module_when_it_loaded_the_sdk_first():
    imports = imports_of(("boto3", 0.1), ("app.slow", 0.3))
    found = attribute(imports, 10.0, HANDLER, 0.0, outermost_by="app.main")
    assert table(found) == {"app.slow": (0.3, 0.3, "app.main"), "boto3": (0.1, 0.1, "app.main")}


def test_the_entry_points_import_is_seen_through_when_a_wrapper_made_it_after_the_sdk_loaded():
    # OpenTelemetry's layer: its wrapper imports the entry point, which imports the handler module.
    imports = imports_of(
        ("lambda_lifecycle.handler", 0.001, [("app.main", 0.01, [("boto3", 0.2), ("app.models", 0.05)])])
    )
    found = attribute(imports, 10.0, HANDLER, 0.0, loaders=frozenset({"lambda_lifecycle.handler"}))
    assert table(found) == {"boto3": (0.2, 0.2, "app.main"), "app.models": (0.05, 0.05, "app.main")}
    assert found.imports_s == pytest.approx(0.25)
    # Not seen through, the SDK's entry would hold all of it, boto3 included.
    assert table(attribute(imports, 10.0, HANDLER, 0.0))[SDK][0] == pytest.approx(0.261)


@pytest.mark.parametrize(
    ("handler", "wrapped", "named"),
    [
        ("app/main.handler", None, ("app/main.handler", "import")),
        (ENTRY_POINT, None, ("app/main.handler", "entry_point")),
        ("otel_wrapper.lambda_handler", ENTRY_POINT, ("app/main.handler", "entry_point")),
        ("otel_wrapper.lambda_handler", "app/main.handler", ("otel_wrapper.lambda_handler", "import")),
    ],
)
def test_the_users_handler_behind_the_entry_point_and_a_wrapper(monkeypatch, handler, wrapped, named):
    monkeypatch.setenv("_HANDLER", handler)
    monkeypatch.setenv(VARIABLE, "app/main.handler")
    if wrapped is None:
        monkeypatch.delenv("ORIG_HANDLER", raising=False)
    else:
        monkeypatch.setenv("ORIG_HANDLER", wrapped)
    assert (handler_name(), "entry_point" if through_entry_point() else "import") == named


def test_what_the_sdk_imports_while_it_sets_itself_up_is_the_sdks():
    imports = imports_of(("app.main", 0.01, [("mmap", 0.004, [], True), ("wrapt", 0.01, [("inspect", 0.005)], True)]))
    found = attribute(imports, 10.0, HANDLER, 0.0)
    assert table(found) == {SDK: (0.019, 0.019, "app.main")}


def test_only_the_outermost_import_of_a_package_counts_toward_its_time():
    # botocore imports urllib3, which imports botocore.compat: not a second botocore.
    imports = imports_of(
        ("app.main", 0.0, [("botocore", 0.1, [("botocore.x", 0.05, [("urllib3", 0.02, [("botocore.compat", 0.01)])])])])
    )
    found = attribute(imports, 10.0, HANDLER, 0.0)
    assert table(found) == {"botocore": (0.18, 0.16, "app.main")}


def test_the_threshold_and_the_cut_at_the_end_of_init():
    imports = imports_of(("app.main", 0.0, [("small", 0.002), ("big", 0.2), ("late", 0.3)]))
    found = attribute(imports, until=imports[3].start, handler_modules=HANDLER, threshold_s=0.005)
    assert table(found) == {"big": (0.2, 0.2, "app.main")}  # "small" under the threshold, "late" after init
    assert found.imports_s == pytest.approx(0.202)


def test_an_import_still_running_counts_up_to_the_end_of_init():
    imports = imports_of(("app.main", 0.0, [("stuck", 0.1)]))
    imports[1].took = -1.0
    found = attribute(imports, until=0.05, handler_modules=HANDLER, threshold_s=0.0)
    assert table(found) == {"stuck": (0.05, 0.05, "app.main")}


names = st.sampled_from(["app.a", "app.b", "boto3", "botocore", "botocore.x", "pandas", "json", "app.main"])
trees = st.recursive(
    st.tuples(names, st.floats(0, 0.1)),
    lambda inner: st.tuples(names, st.floats(0, 0.1), st.lists(inner, max_size=4)),
    max_leaves=30,
)


@given(st.lists(trees, max_size=5), st.floats(0, 0.05))
def test_attribution_invariants(tree, threshold):
    imports = imports_of(*tree)
    found = attribute(imports, 100.0, HANDLER, threshold)
    roots = [i for i in imports if i.parent < 0 and i.name not in HANDLER]
    inside_handler = [
        i for i in imports if i.parent >= 0 and imports[i.parent].name in HANDLER and imports[i.parent].parent < 0
    ]
    if all(i.name not in HANDLER for i in imports if i.parent >= 0):
        assert found.imports_s == pytest.approx(sum(i.took for i in roots + inside_handler))
    tooks = [e.took for e in found.entries]
    assert tooks == sorted(tooks, reverse=True)
    for entry in found.entries:
        assert entry.took >= threshold
        assert -1e-9 <= entry.own <= entry.took + 1e-9
        assert entry.took <= found.imports_s + 1e-9
    # A higher threshold only leaves entries out; it changes none.
    everything = {e.module: (e.took, e.own, e.by) for e in attribute(imports, 100.0, HANDLER, 0.0).entries}
    assert {e.module: (e.took, e.own, e.by) for e in found.entries}.items() <= everything.items()


def test_the_init_records_fields_phases_and_list(monkeypatch):
    monkeypatch.setenv("LAMBDA_LIFECYCLE_INIT_IMPORTS_MAX", "1")
    timer = ImportTimer()
    timer.started_at = 50.0
    timer.imports = imports_of(("app.main", 0.01, [("boto3", 0.2), ("slow", 0.1), ("tiny", 0.001)]), start=50.0)
    RUNTIME.init.timing = InitTiming(timer, "app/main.handler", 1000.0, "entry_point")
    fields = record_fields(
        process_start=999.9, ready=1000.35, first_invocation=1000.36, restored_at=None, memory_mb=1024
    )
    assert RUNTIME.init.timing is None  # once per process
    assert fields == {
        "handler": "app/main.handler",
        "loaded_by": "entry_point",
        "memory_mb": 1024,
        "InitDuration": 450,
        "InitRuntime": 100,
        "InitImports": 301,
        "InitCode": 49,
        "InitWait": 10,
        # boto3's import began 110 ms after the process started: 100 ms before the SDK was loaded
        # (the timer's start), then 10 ms of app.main's own code.
        "imports": [{"module": "boto3", "ms": 200.0, "own_ms": 200.0, "share": 44.4, "at_ms": 110.0, "by": "app.main"}],
        "imports_threshold_ms": 5.0,
        "imports_left_out": 1,  # "slow"; "tiny" is under the threshold
    }
    order = [name for name in INIT_FIELDS if name in fields]
    assert list(fields) == order
    assert {name for entry in fields["imports"] for name in entry} <= set(INIT_IMPORT_FIELDS)
    assert record_fields(999.9, 1000.35, 1000.36, None, 1024) is None
