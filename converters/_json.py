"""Shared by the JSON-based converters: naming a JSON value in an error message."""

from __future__ import annotations

from typing import Any

__all__ = ["describe"]


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
