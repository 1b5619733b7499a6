"""What reaches a terminal: control characters escaped, odd file names quoted, marks and colour
that suit the console (an ASCII fallback where its encoding lacks the marks, colour only in a TTY
without ``NO_COLOR``)."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from typing import IO, Any

__all__ = ["Console", "escape", "quote_path", "setup_streams"]

# C0 controls, DEL, C1 controls, and the bidirectional overrides and isolates that reorder what
# a terminal shows (U+202A-U+202E, U+2066-U+2069), plus the line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# What makes a file name need quoting: a control character, a quote, a backslash, or spaces at
# either end (a name with a newline would otherwise split a `check` line in two).
_ODD_NAME = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069'\"\\\\]|^\\s|\\s$")

_MARKS = {"error": "✘", "warning": "⚠", "info": "ℹ", "ok": "✔"}
# wasabi's fallback for consoles that cannot show the marks.
_ASCII_MARKS = {"error": "[x]", "warning": "[!]", "info": "[i]", "ok": "[+]"}
_COLOURS = {"error": "31", "warning": "33", "info": "34", "ok": "32"}


def _escape_char(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` with control characters and escape sequences shown as ``\\x1b`` (``\\u202e``
    for the bidirectional controls), so that corpus words cannot move the cursor, set the
    window title or split a line."""
    return _CONTROL.sub(_escape_char, text) if _CONTROL.search(text) else text


def quote_path(name: str) -> str:
    """A file name as a terminal line may show it: as it is when plain, else in single quotes
    with control characters escaped and quotes and backslashes preceded by a backslash."""
    if not _ODD_NAME.search(name):
        return name
    inner = name.replace("\\", "\\\\").replace("'", "\\'")
    return "'" + escape(inner) + "'"


@dataclass(frozen=True, slots=True)
class Console:
    """How to write for one output: the marks it can show and whether to colour them.

    ``Console()`` (Unicode marks, no colour) is what a file gets; :meth:`for_stream` fits a
    console.
    """

    ascii: bool = False
    colour: bool = False

    @classmethod
    def for_stream(cls, stream: IO[Any] | None = None) -> Console:
        """The console behind ``stream`` (stdout by default)."""
        stream = sys.stdout if stream is None else stream
        encoding = getattr(stream, "encoding", None) or "ascii"
        return cls(ascii=not can_encode("".join(_MARKS.values()), encoding), colour=use_colour(stream))

    def mark(self, kind: str) -> str:
        """The mark of ``kind`` (``error``, ``warning``, ``info``, ``ok``), coloured if wanted."""
        return self.paint((_ASCII_MARKS if self.ascii else _MARKS)[kind], kind)

    def paint(self, text: str, kind: str) -> str:
        """``text`` in the colour of ``kind`` when colour is on."""
        if not self.colour or not text:
            return text
        return f"\x1b[{_COLOURS[kind]}m{text}\x1b[0m"


def can_encode(text: str, encoding: str) -> bool:
    """Whether ``encoding`` holds every character of ``text`` (False for an unknown encoding)."""
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def use_colour(stream: IO[Any]) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):
        return False


def setup_streams() -> None:
    """Make stdout and stderr survive any console encoding: a character the console cannot
    show is written as ``\\u2714`` instead of raising ``UnicodeEncodeError``."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None or getattr(stream, "errors", None) not in (None, "strict", "surrogateescape"):
            continue
        try:
            reconfigure(errors="backslashreplace")
        except (OSError, ValueError):  # a closed or detached stream
            continue
