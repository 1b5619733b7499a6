"""Errors: one base class, subclasses that also inherit the built-in error they refine."""

from __future__ import annotations

from typing import Any

__all__ = ["ConfigError", "CorpusError", "DocBinError", "FormatError", "UsageError"]


class CorpusError(Exception):
    """Base class of every error corpuskit raises on purpose."""


class FormatError(CorpusError, ValueError):
    """Input that does not follow its format, located at ``path:line:column``.

    The message says what was wrong (the value, quoted), where, and what was expected.
    ``str(error)`` is one line that starts with the location. ``check`` is the id of the
    check (docs/checks.md) whose finding this error is, where one fits (``head-out-of-range``);
    ``debug-data`` and ``check`` report the error under it (None: ``corpus-unreadable``), so
    rewording a message never changes the check it belongs to.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        check: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.check = check  # the check id (docs/checks.md) where the raiser knows it
        self.reason = message
        self.check = check
        super().__init__(self._render())

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled with its location (a worker process's error reaches the parent whole)
        return (_rebuild, (type(self), self.reason, self.path, self.line, self.column, self.check))

    def _render(self) -> str:
        where = self.location
        return f"{where}: {self.reason}" if where else self.reason

    @property
    def location(self) -> str:
        """``file:line:col`` as far as it is known ('' when nothing is)."""
        parts: list[str] = []
        if self.path is not None:
            parts.append(str(self.path))
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


def _rebuild(
    cls: type[FormatError],
    message: str,
    path: str | None,
    line: int | None,
    column: int | None,
    check: str | None = None,
) -> FormatError:
    return cls(message, path=path, line=line, column=column, check=check)


class DocBinError(FormatError):
    """A file that is not a DocBin, a truncated one, or a spaCy v2 file."""


class ConfigError(CorpusError, ValueError):
    """A training config with a wrong key, type or value."""


class UsageError(CorpusError, ValueError):
    """A library call or command used wrongly (a missing path, an unknown converter)."""
