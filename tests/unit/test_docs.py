"""The docs cannot drift: settings, record fields, sample records and code are checked against the SDK.

- every setting of ``_config`` is in the configuration page with its variables, default and scope;
- every field of ``lambda_lifecycle.contract`` is in the record reference, measurements with their unit;
- the sample records the docs and the README show are what the SDK writes (``docs/gen_samples.py``);
- Python code in the README and the docs is included from, or found verbatim in, tested ``examples/``;
- ``mkdocs build --strict`` passes (tests/e2e/test_docs.py).
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from lambda_lifecycle import _config, contract

ROOT = Path(__file__).parents[2]
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


@pytest.mark.parametrize("name", list(contract.ABSENT))
def test_what_a_left_out_property_means_is_documented(name):
    rows = table_rows(section(DOCS / "records.md", "### What a left-out property means"))
    assert name in rows, f"{name!r} is not in the table of left-out properties in docs/records.md"
    usual = json.dumps(contract.ABSENT[name])
    assert rows[name][1] == f"`{usual}`", name
    in_insights = {"false": "0", "true": "1"}.get(usual, usual)  # Logs Insights reads a flag as 0 or 1
    assert rows[name][2].startswith(f"`coalesce({name}, {in_insights})`"), name


def test_every_record_kind_has_a_section():
    # A "## " section of its own, whose field table gives the kind as the value of the kind field.
    sections = re.split(r"^## ", (DOCS / "records.md").read_text(), flags=re.MULTILINE)[1:]
    for kind in contract.RECORD_KINDS:
        holding = [s.splitlines()[0] for s in sections if re.search(rf'^\| `\w+` \|(.*\|)? `"{kind}"` \|$', s, re.M)]
        assert len(holding) == 1, (kind, holding)


@pytest.fixture(scope="module")
def fresh_samples():
    gen = _gen_samples()
    return gen, gen.records()


def test_the_docs_samples_are_what_the_sdk_writes(fresh_samples):
    gen, records = fresh_samples
    for name, record in records.items():
        path = DOCS / "samples" / f"{name}.json"
        shown = json.loads(path.read_text())
        # The same fields, in the same order: a sample shows the line as it is written.
        assert list(gen.normalized(shown).items()) == list(gen.normalized(record).items()), (
            f"{path.relative_to(ROOT)} is stale: run python docs/gen_samples.py"
        )
        assert f'--8<-- "docs/samples/{name}.json"' in (DOCS / "records.md").read_text()


def test_the_readme_record_is_what_the_sdk_writes(fresh_samples):
    gen, records = fresh_samples
    (block,) = re.findall(r"```json\n(.*?)```", README.read_text(), re.DOTALL)
    assert list(gen.normalized(json.loads(block)).items()) == list(gen.normalized(records["invoke-cold"]).items()), (
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


def test_the_metrics_a_page_says_a_sample_declares_are_the_samples():
    # "declares five metrics" under a cold-start sample that declares four misleads the first read.
    numbers = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
    checked = 0
    for page in [README, *DOCS.rglob("*.md")]:
        text = page.read_text()
        for sample, rest in re.findall(r'--8<-- "docs/samples/(invoke-[a-z]+)\.json"\n```\n(.*?)\n\n', text, re.DOTALL):
            declared = json.loads((DOCS / "samples" / f"{sample}.json").read_text())["_aws"]["CloudWatchMetrics"][0]
            names = [metric["Name"] for metric in declared["Metrics"]]
            for count in re.findall(r"declares (\w+) metrics", " ".join(rest.split())):
                checked += 1
                assert numbers[count] == len(names), f"{page.name}: {sample}.json declares {len(names)}: {names}"
    assert checked


def fields_never_shown_as(value: str) -> list[str]:
    """Invoke properties whose records.md type rules ``value`` out: ``false`` for the fields written
    only when true, ``null`` for those whose type is not nullable (absent instead)."""
    rows = table_rows(section(DOCS / "records.md", "### Properties"))
    if value == "false":
        return [name for name in contract.PROPERTIES if rows[name][1] == "`true`"]
    return [name for name in contract.PROPERTIES if "null" not in rows[name][1]]


@pytest.mark.parametrize("value", ["false", "null"])
def test_absent_fields_are_never_shown_false_or_null(value):
    fields = "|".join(fields_never_shown_as(value))
    said = re.compile(
        rf'"({fields})"\s*:\s*{value}\b|`({fields})`\s*(?:is|:|=)\s*(?:not\s+)?`?{value}\b|`({fields}): {value}`'
    )
    for page in [README, *DOCS.rglob("*.md")]:
        text = page.read_text()
        assert not said.search(" ".join(text.split())), f"{page.name}: {said.search(' '.join(text.split()))}"
        # A table with a column per field: an absent field is not a value of it.
        for table in re.findall(r"(?:^\|.*\|\n)+", text, re.MULTILINE):
            lines = table.splitlines()
            header = [cell.strip() for cell in lines[0].strip("|").split("|")]
            for column, name in enumerate(header):
                if re.fullmatch(rf"`({fields})`", name):
                    cells = [line.strip("|").split("|")[column] for line in lines[2:]]
                    assert not [cell for cell in cells if re.search(rf"\b{value}\b", cell)], f"{page.name}: {name}"


def test_install_instructions_work_before_the_release():
    # Until lambda-lifecycle is on PyPI, `pip install 'lambda-lifecycle[x]'` cannot work: every page
    # that shows it also shows the install from a clone, `pip install '.[x]'`.
    extras = ("cli", "local", "timeline", "powertools")
    install = section(README, "## Install")
    for extra in extras:
        assert f"[{extra}]" in install, f"the README's Install section does not mention the {extra} extra"
    for page in [README, *DOCS.rglob("*.md")]:
        text = page.read_text()
        for wanted in re.findall(r"pip install ['\"]lambda-lifecycle\[([a-z,]+)\]", text):
            assert re.search(rf"pip install ['\"](\.|dist/[^'\"]*\.whl)\[{wanted}\]", text), (
                f"{page.name}: pip install 'lambda-lifecycle[{wanted}]' without the install from a clone"
            )
    for page, extra in (("local-runs.md", "local"), ("timeline.md", "timeline")):
        assert re.search(rf"pip install '\.\[[a-z,]*{extra}", (DOCS / page).read_text()), f"{page}: no {extra} extra"


def test_the_readme_lists_every_page_of_the_site():
    # mkdocs.yml's nav is the site's page list; the README's is the one GitHub and PyPI show.
    nav = re.findall(r"^  - [^:]+: (\S+\.md)$", (ROOT / "mkdocs.yml").read_text(), re.MULTILINE)
    assert "records.md" in nav
    linked = set(re.findall(r"^\[[\w-]+\]: \S+/blob/main/docs/(\S+\.md)$", README.read_text(), re.MULTILINE))
    assert sorted(set(nav) - {"index.md"} - linked) == []


def test_sample_records_fit_the_text_column(fresh_samples):
    gen, _ = fresh_samples
    for path in (DOCS / "samples").glob("*.json"):
        for line in path.read_text().splitlines():
            # One JSON string longer than the column (a stack line) wraps at its spaces on the site.
            assert len(line) <= gen.WIDTH + 1 or " " in line, f"{path.name}: {line}"


# The API reference renders these modules' docstrings as Markdown: reST's literal-block "::" and
# roles such as :func: would show as written.
API_MODULES = ["__init__", "_bootstrap", "_state", "_decorators", "_shutdown", "contract", "powertools"]
API_MODULES += ["otel/__init__", "otel/resource"]
# testing's docstrings live in its private modules, which its __init__ re-exports.
API_MODULES += [f"testing/{path.stem}" for path in sorted((ROOT / "src" / "lambda_lifecycle" / "testing").glob("*.py"))]


@pytest.mark.parametrize("module", API_MODULES)
def test_the_api_reference_docstrings_are_markdown_not_rest(module):
    source = (ROOT / "src" / "lambda_lifecycle" / f"{module}.py").read_text()
    assert re.findall(r":(?:func|meth|class|attr|data|mod|exc):`", source) == []
    assert re.findall(r"^.*\S::$|^\s*::$", source, re.MULTILINE) == []


def _internals_diagram() -> str:
    (block,) = re.findall(r"```mermaid\n(.*?)```", (DOCS / "internals.md").read_text(), re.DOTALL)
    return block


def _top_level_modules() -> set[str]:
    package = ROOT / "src" / "lambda_lifecycle"
    files = {path.stem for path in package.glob("*.py") if not path.stem.startswith("__")}
    return files | {path.name for path in package.iterdir() if (path / "__init__.py").is_file()}


def test_the_internals_diagram_shows_every_module_and_names_only_modules_that_exist():
    # A module added to the package is drawn in its layer; a name drawn is a module of the code.
    named = set(re.findall(r"(?<![\w.])(_?[a-z][a-z_]*)(?:/|\b)", _internals_diagram()))
    modules = _top_level_modules()
    assert sorted(modules - named) == []
    drawn = {name for name in named if name.startswith("_")}
    assert sorted(drawn - modules) == []


def test_the_module_map_has_a_row_for_every_module():
    text = section(DOCS / "internals.md", "## Module map")
    rows = " ".join(line.split("|")[1] for line in text.splitlines() if line.startswith("| `"))
    shown = set(re.findall(r"`([\w/]+?)(?:\.py|/)?`", rows))
    assert sorted(_top_level_modules() - shown) == []
