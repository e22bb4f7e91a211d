"""The documentation site: ``mkdocs build --strict`` builds it, and its pages read right in a real
headless Chromium at a laptop's width."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from browser import open_in_chromium

ROOT = Path(__file__).parents[2]

# Run in the built page once it has loaded: the identifiers a table broke across lines, and the
# code blocks whose text runs past their right edge.
MEASURE = """<script>
window.addEventListener("load", () => {
  const identifier = /^[A-Za-z_][A-Za-z0-9_.]*$/;
  const broken = [...document.querySelectorAll(".md-typeset table code")]
    .filter((code) => identifier.test(code.textContent) && code.getClientRects().length > 1)
    .map((code) => code.textContent);
  const cut = [...document.querySelectorAll(".md-typeset pre > code")]  // the element that scrolls
    .filter((code) => code.scrollWidth > code.clientWidth + 1)
    .map((code) => code.textContent.slice(0, 60));
  document.body.dataset.measured = JSON.stringify({broken, cut});
});
</script>"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, built once for the module's tests, which only read it."""
    pytest.importorskip("mkdocs", reason="the docs extra is not installed (pip install -e '.[docs]')")
    pytest.importorskip("mkdocstrings_handlers.python")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return out


def test_mkdocs_builds_strict(site):
    assert (site / "records" / "index.html").is_file()


def test_the_api_reference_shows_the_public_api_only(site):
    page = (site / "api" / "index.html").read_text()
    assert 'id="lambda_lifecycle.instrument"' in page
    assert "TYPE_CHECKING" not in page
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert re.findall(r"\w::\s|:(?:func|meth|class):", text) == []  # reST, shown as written


@pytest.mark.parametrize("page", ["records", "configuration", "cloudwatch"])
def test_at_1300_px_no_identifier_is_broken_and_no_code_is_cut(site, page, chromium, tmp_path):
    built = site / page / "index.html"
    measured = built.with_name("measured.html")
    measured.write_text(built.read_text().replace("</body>", MEASURE + "</body>"))
    dom, _ = open_in_chromium(measured, tmp_path / "profile", window="1300,900")
    (found,) = re.findall(r'data-measured="([^"]*)"', dom)
    assert json.loads(html.unescape(found)) == {"broken": [], "cut": []}


def test_the_internals_diagram_is_a_block_the_theme_draws_with_mermaid(site):
    # The theme turns <pre class="mermaid"> into a picture in the browser (its mermaid script).
    page = (site / "internals" / "index.html").read_text()
    assert '<pre class="mermaid"><code>flowchart TB' in page
