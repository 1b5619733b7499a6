"""What the browser tests share: a loaded page's record and assertions on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Loaded:
    """A page opened from disk, with what it logged and requested."""

    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    load_ms: float = 0.0


def assert_clean(loaded: Loaded, path: Path) -> None:
    """No console error and no request beyond the page's own file."""
    assert loaded.errors == []
    assert loaded.requests == [path.resolve().as_uri()]


def visible_boxes(page: Any, selector: str) -> list[tuple[float, float]]:
    """Width and height of each element matching ``selector`` as laid out."""
    boxes: list[tuple[float, float]] = page.eval_on_selector_all(
        selector, "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })"
    )
    return [tuple(b) for b in boxes]  # type: ignore[misc]
