"""Shared by the JSON-based converters: naming a JSON value in an error message, the depth
limit, and a buffer that reads lines on demand and knows the physical line of any position."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from itertools import islice
from typing import Any

from corpuskit.errors import FormatError

__all__ = ["TOO_DEEP", "WS", "Buffer", "describe", "lone_surrogate"]

#: JSON's whitespace.
WS = " \t\n\r"

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


_DECODER = json.JSONDecoder()
_CHUNK_LINES = 4096


class Buffer:
    """Text of consecutive lines, read on demand, with the physical line of any position."""

    def __init__(self, lines: Iterable[str], source: str | None) -> None:
        self._lines = iter(lines)
        self.source = source
        self.text = ""
        self.eof = False
        self._keep_ends: bool | None = None
        # line numbers: position ``_mark`` of ``text`` is on line ``_mark_line``
        self._mark = 0
        self._mark_line = 1

    def fill(self, pos: int, want: int = 0) -> int:
        """Read more lines (at least ``want`` characters where there are); return the new ``pos``.

        The text before the line holding ``pos`` is dropped first.
        """
        # keep the line before ``pos`` too, so an error at the end can point at the last line
        cut = self.text.rfind("\n", 0, max(pos - 1, 0)) + 1
        if cut:
            self.line_of(cut)
            self._mark -= cut
            self.text = self.text[cut:]
            pos -= cut
        parts = [self.text]
        got = 0
        while not self.eof and (got == 0 or got < want):
            chunk = list(islice(self._lines, _CHUNK_LINES))
            if not chunk:
                self.eof = True
                break
            if self._keep_ends is None:
                self._keep_ends = chunk[0].endswith("\n")
            block = "".join(chunk) if self._keep_ends else "\n".join(chunk) + "\n"
            parts.append(block)
            got += len(block)
        self.text = "".join(parts)
        return pos

    def line_of(self, pos: int) -> int:
        """The physical line of ``text[pos]`` (positions asked for must not decrease much)."""
        if pos >= self._mark:
            self._mark_line += self.text.count("\n", self._mark, pos)
        else:
            self._mark_line -= self.text.count("\n", pos, self._mark)
        self._mark = pos
        return self._mark_line

    def column_of(self, pos: int) -> int:
        return pos - self.text.rfind("\n", 0, pos)

    def error(self, message: str, pos: int) -> FormatError:
        return FormatError(message, path=self.source, line=self.line_of(pos), column=self.column_of(pos))

    def skip_ws(self, pos: int) -> int:
        """The position of the next non-blank character (reading on), or ``len(text)`` at EOF."""
        while True:
            text = self.text
            n = len(text)
            while pos < n and text[pos] in WS:
                pos += 1
            if pos < n or self.eof:
                return pos
            pos = self.fill(pos)

    def decode(self, pos: int) -> tuple[Any, int, int]:
        """Decode the JSON value at ``pos``; return it, its start and its end (reading on)."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, pos)
                return value, pos, end
            except json.JSONDecodeError as e:
                truncated = e.pos >= len(self.text.rstrip())
                if truncated and not self.eof:
                    pos = self.fill(pos, want=max(len(self.text) - pos, 1 << 16))
                    continue
                if truncated:
                    raise self.error(
                        "the file ends in the middle of a JSON value: it is truncated",
                        len(self.text.rstrip()),
                    ) from None
                raise self.error(f"invalid JSON: {e.msg}", e.pos) from None
            except RecursionError:
                raise self.error(TOO_DEEP, pos) from None
