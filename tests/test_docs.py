"""The docs cannot drift: settings, record fields, sample records and code are checked against the SDK.

- every setting of ``_config`` is in the configuration page with its variables, default and scope;
- every field of ``lambda_lifecycle.contract`` is in the record reference, measurements with their unit;
- the sample records the docs and the README show are what the SDK writes (``docs/gen_samples.py``);
- Python code in the README and the docs is included from, or found verbatim in, tested ``examples/``;
- ``mkdocs build --strict`` passes.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lambda_lifecycle import _config, contract

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"


def _gen_samples():
    spec = importlib.util.spec_from_file_location("gen_samples", DOCS / "gen_samples.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table_rows(text: str) -> dict[str, list[str]]:
    """Each table row of ``text`` by the names in backticks of its first cell: its cells."""
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            for name in re.findall(r"`([^`]+)`", cells[0]):
                rows.setdefault(name, cells)
    return rows


def section(page: Path, heading: str) -> str:
    """The text of ``page`` from ``heading`` to the next heading of its level or above."""
    text = page.read_text()
    start = text.index(heading + "\n")
    level = heading.split(" ")[0]
    ends = [text.find("\n" + "#" * n + " ", start + len(heading)) for n in range(1, len(level) + 1)]
    return text[start : min([end for end in ends if end >= 0], default=len(text))]


@pytest.mark.parametrize("name", list(_config._TABLE))
def test_every_setting_is_documented_with_its_variables_default_and_scope(name):
    rows = table_rows((DOCS / "configuration.md").read_text())
    assert name in rows, f"setting {name!r} is not in docs/configuration.md"
    _, variables, default = _config._TABLE[name]
    _, documented_variables, documented_default, scope, _meaning = rows[name]
    for variable in variables:
        assert f"`{variable}`" in documented_variables, f"{name}: {variable} is not in its row"
    assert documented_default == f"`{_config._documented(name, default)}`", name
    expected = "handler" if name in _config.HANDLER_SETTINGS else "process"
    assert name in _config.HANDLER_SETTINGS + _config.PROCESS_SETTINGS
    assert scope == expected, name


@pytest.mark.parametrize("name", list(contract.MEASUREMENTS))
def test_every_measurement_is_in_the_record_reference_with_its_unit(name):
    rows = table_rows(section(DOCS / "records.md", "### Measurements"))
    assert name in rows, f"measurement {name!r} is not in the measurements table of docs/records.md"
    assert rows[name][1] == contract.MEASUREMENTS[name], f"{name}: unit {rows[name][1]!r}"


@pytest.mark.parametrize(
    ("heading", "fields"),
    [
        ("### Properties", contract.PROPERTIES),
        ("## The timeout warning", contract.TIMEOUT_WARNING_FIELDS),
        ("## The shutdown record", contract.SHUTDOWN_FIELDS),
    ],
    ids=["invoke", "timeout_warning", "shutdown"],
)
def test_every_field_of_each_record_kind_is_in_its_table(heading, fields):
    rows = table_rows(section(DOCS / "records.md", heading))
    missing = [field for field in fields if field not in rows]
    assert not missing, f"not in the table under {heading!r} of docs/records.md: {missing}"


def test_every_record_kind_has_a_section():
    text = (DOCS / "records.md").read_text()
    for kind in contract.RECORD_KINDS:
        assert f'`"{kind}"`' in text


@pytest.fixture(scope="module")
def fresh_samples():
    gen = _gen_samples()
    return gen, gen.records()


def test_the_docs_samples_are_what_the_sdk_writes(fresh_samples):
    gen, records = fresh_samples
    for name, record in records.items():
        path = DOCS / "samples" / f"{name}.json"
        shown = json.loads(path.read_text())
        assert gen.normalized(shown) == gen.normalized(record), (
            f"{path.relative_to(ROOT)} is stale: run python docs/gen_samples.py"
        )
        assert f'--8<-- "docs/samples/{name}.json"' in (DOCS / "records.md").read_text()


def test_the_readme_record_is_what_the_sdk_writes(fresh_samples):
    gen, records = fresh_samples
    (block,) = re.findall(r"```json\n(.*?)```", README.read_text(), re.DOTALL)
    assert gen.normalized(json.loads(block)) == gen.normalized(records["invoke-cold"]), (
        "the README's record is stale: paste docs/samples/invoke-cold.json"
    )


def test_python_in_the_readme_and_docs_comes_from_tested_examples():
    examples = [path.read_text() for path in (ROOT / "examples").rglob("*.py")]
    pages = [README, *DOCS.rglob("*.md")]
    for page in pages:
        for block in re.findall(r"```python\n(.*?)```", page.read_text(), re.DOTALL):
            if block.startswith("--8<--"):
                continue
            assert any(block in example for example in examples), f"{page.name}: not from examples/:\n{block}"


def test_snippets_are_included_from_files_that_exist():
    # mkdocs' check_paths says the same, but only where mkdocs is installed.
    for page in DOCS.rglob("*.md"):
        for included in re.findall(r'--8<-- "([^"]+)"', page.read_text()):
            assert (ROOT / included).is_file(), f"{page.name} includes {included}, which is missing"


def test_mkdocs_builds_strict(tmp_path):
    pytest.importorskip("mkdocs", reason="the docs extra is not installed (pip install -e '.[docs]')")
    pytest.importorskip("mkdocstrings_handlers.python")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert (tmp_path / "site" / "records" / "index.html").is_file()


def test_readme_links_work_on_pypi_too():
    # PyPI renders the README without the repository around it: a relative link there is dead.
    links = re.findall(r"\]\(([^)]+)\)|^\[[^\]]+\]: (\S+)", README.read_text(), re.MULTILINE)
    targets = [inline or reference for inline, reference in links]
    assert targets
    relative = [target for target in targets if not target.startswith(("https://", "#"))]
    assert not relative, relative
    for target in targets:
        prefix = "https://github.com/lambda-lifecycle/lambda-lifecycle/blob/main/"
        if target.startswith(prefix):
            assert (ROOT / target[len(prefix) :]).exists() or target.endswith("benchmarks/README.md"), target
