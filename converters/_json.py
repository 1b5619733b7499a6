"""Shared by the JSON-based converters: naming a JSON value in an error message, the depth limit."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["TOO_DEEP", "describe", "lone_surrogate"]

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE_ESCAPE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|[\ud800-\udfff]"
)

#: The error for JSON nested deeper than Python's decoder can follow (about 1,000 levels; a
#: training file nests fewer than 10): refused, never a RecursionError.
TOO_DEEP = (
    "JSON nested too deeply (past the reader's limit of about 1,000 levels); "
    "expected training data, which nests a few levels"
)


def describe(value: Any) -> str:
    """A short description of a decoded JSON value: "an object with keys 'a', 'b'", "null", ..."""
    if isinstance(value, dict):
        keys = ", ".join(repr(k) for k in list(value)[:6])
        return f"an object with keys {keys}" if value else "an empty object"
    if isinstance(value, list):
        return f"an array of {len(value)} items"
    if isinstance(value, str):
        return f"a string {value[:40]!r}"
    return "null" if value is None else f"{type(value).__name__} {value!r}"


def _may_hold_surrogate(raw: str) -> bool:
    """Whether JSON text has a surrogate escape or a surrogate character (fast paths first: text
    read from a file never holds a surrogate character, UTF-8 decoding refuses them)."""
    if not raw.isascii():
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:
            return True
    return ("\\ud" in raw or "\\uD" in raw) and _SURROGATE_ESCAPE.search(raw) is not None


def lone_surrogate(raw: str, value: Any) -> tuple[str, int] | None:
    """The error for a decoded JSON ``value`` holding half a surrogate pair (``"\\ud800"`` alone,
    valid JSON but not Unicode text, so not UTF-8 either) and its offset in ``raw`` (the JSON
    text), else None. Only text with a surrogate escape is looked at closely."""
    if not _may_hold_surrogate(raw):
        return None
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except RecursionError:
        return None
    except UnicodeEncodeError as e:
        bad = e.object[e.start : e.end]
        m = _LONE_ESCAPE.search(raw)
        message = (
            f"a string holds {bad!r}, half of a UTF-16 surrogate pair (a \\u escape without its pair): "
            "not Unicode text; expected text that UTF-8 can hold"
        )
        return message, m.start() if m else 0
    return None
