"""The events of a local run: JSON files or stdin, each a JSON document or JSON lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from . import RunError


def load_events(sources: list[str], stdin: IO[str]) -> list[Any]:
    """The events of every source in order: a JSON document each, or JSON lines; ``[{}]`` for none."""
    events: list[Any] = []
    for source in sources:
        if source == "-":
            name, text = "stdin", stdin.read()
        else:
            name = source
            try:
                text = Path(source).read_text()
            except (OSError, UnicodeDecodeError) as exc:
                raise RunError(
                    f"cannot read the event file {source}: {getattr(exc, 'strerror', None) or exc}"
                ) from None
        events.extend(_parse_events(name, text))
    return events or [{}]


def _parse_events(name: str, text: str) -> list[Any]:
    try:
        return [json.loads(text)]
    except ValueError as whole:
        document_error = f"{name} is not JSON ({whole})"
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise RunError(f"{name} holds no event: expected JSON, or one JSON document per line")
    events = []
    for n, line in lines:
        try:
            events.append(json.loads(line))
        except ValueError as exc:
            # A first line that is no JSON: the file was meant as one document.
            raise RunError(document_error if n == lines[0][0] else f"{name} line {n} is not JSON ({exc})") from None
    return events
