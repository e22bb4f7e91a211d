"""lambda_lifecycle.powertools in fresh interpreters: the core never imports Powertools, the README's
snippet runs."""

from __future__ import annotations

import subprocess
import sys

import lambda_lifecycle


def test_the_core_never_imports_powertools():
    code = (
        "import sys, lambda_lifecycle\n"
        "lambda_lifecycle.instrument(lambda e, c: None)({}, None)\n"
        "print(any(m.startswith('aws_lambda_powertools') for m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.splitlines()[-1] == "False"  # after the invoke record; a plain script has no shutdown record


def test_readme_snippet_runs_with_what_the_extra_installs(tmp_path):
    import pathlib
    import re

    root = pathlib.Path(__file__).parents[2]
    # The docs' Powertools page includes this example.
    snippet = (root / "examples" / "powertools" / "handler.py").read_text()
    assert "Tracer()" in snippet
    # Tracer() imports aws_xray_sdk: the extra that the docs tell users to install must bring it.
    extra = re.search(r"^powertools = \[(.*)\]$", (root / "pyproject.toml").read_text(), re.M).group(1)
    assert re.search(r"aws-lambda-powertools\[[^]]*\b(tracer|all)\b", extra), extra
    script = tmp_path / "app.py"
    script.write_text(snippet + "\nprint('ran', callable(lambda_handler))\n")
    src = str(pathlib.Path(lambda_lifecycle.__file__).parent.parent)
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": src, "POWERTOOLS_METRICS_NAMESPACE": "Shop"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "ran True" in result.stdout
