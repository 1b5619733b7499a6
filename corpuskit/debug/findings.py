"""Findings, their examples, and the report that collects them (no printing here)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

__all__ = [
    "SEVERITIES",
    "Collector",
    "Example",
    "Finding",
    "Hit",
    "Report",
    "Severity",
]

Severity = Literal["error", "warning", "info"]
#: Severities from the most to the least severe.
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(slots=True, frozen=True)
class Example:
    """Where one occurrence of a finding is: ``file:line`` (and column), doc and token index.

    ``file`` is the file checked; ``doc`` is the doc's index in it (0-based), ``token`` the
    token's index in the doc, ``text`` the words around it with the token in brackets,
    ``message`` what is wrong there. For a doc read from a ``.spacy`` file, ``line`` is None and
    ``source``/``source_line`` say where the doc came from when it was converted (that file may
    not exist from here).
    """

    file: str | None
    line: int | None = None
    doc: int | None = None
    token: int | None = None
    text: str = ""
    message: str = ""
    column: int | None = None
    source: str | None = None
    source_line: int | None = None

    def saying(self, message: str) -> Example:
        """The same place, with ``message``."""
        return replace(self, message=message)

    @property
    def location(self) -> str:
        """``file:line:col`` as far as it is known."""
        parts = [self.file or "<unknown>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    @property
    def source_location(self) -> str | None:
        """``source:line`` of a doc read from a ``.spacy`` file, when its provenance was kept."""
        if self.source is None:
            return None
        return self.source if self.source_line is None else f"{self.source}:{self.source_line}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of an example (``corpuskit/data/report.schema.json``)."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "doc": self.doc,
            "token": self.token,
            "text": self.text,
            "message": self.message,
            "source_file": self.source,
            "source_line": self.source_line,
        }


@dataclass(slots=True, frozen=True)
class Hit:
    """One occurrence a check found: ``n`` counts it (a doc with 3 bad tokens may count 3)."""

    example: Example
    split: str = ""
    n: int = 1


@dataclass(slots=True)
class Finding:
    """What one check found: id, severity, a one-line message, a count, and some examples."""

    id: str
    severity: Severity
    message: str
    count: int
    examples: list[Example] = field(default_factory=list)
    section: str = "corpus"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "message": self.message,
            "count": self.count,
            "examples": [e.to_dict() for e in self.examples],
        }


@dataclass(slots=True)
class _Tally:
    count: int = 0
    by_split: dict[str, int] = field(default_factory=dict)
    examples: list[Example] = field(default_factory=list)


class Collector:
    """Counts hits per check id and keeps the first ``max_examples`` examples of each.

    Memory is bounded by the number of check ids times ``max_examples`` (``None`` keeps every
    example, which ``corpuskit check`` wants: one line per occurrence).
    """

    __slots__ = ("_tallies", "max_examples")

    def __init__(self, *, max_examples: int | None = 10) -> None:
        self.max_examples = max_examples
        self._tallies: dict[str, _Tally] = {}

    def add(self, check_id: str, hit: Hit) -> None:
        tally = self._tallies.get(check_id)
        if tally is None:
            tally = self._tallies[check_id] = _Tally()
        tally.count += hit.n
        tally.by_split[hit.split] = tally.by_split.get(hit.split, 0) + hit.n
        ex = hit.example
        if ex.file is None and ex.doc is None:
            return  # a counted occurrence without a place (beyond the examples kept)
        if self.max_examples is None or len(tally.examples) < self.max_examples:
            tally.examples.append(ex)

    def add_all(self, check_id: str, hits: Iterable[Hit]) -> None:
        for hit in hits:
            self.add(check_id, hit)

    def ids(self) -> list[str]:
        return list(self._tallies)

    def count(self, check_id: str) -> int:
        tally = self._tallies.get(check_id)
        return tally.count if tally else 0

    def by_split(self, check_id: str) -> dict[str, int]:
        tally = self._tallies.get(check_id)
        return dict(tally.by_split) if tally else {}

    def examples(self, check_id: str) -> list[Example]:
        tally = self._tallies.get(check_id)
        return list(tally.examples) if tally else []


@dataclass(slots=True)
class Report:
    """Everything ``debug_corpus`` found: findings (most severe first) and the statistics.

    ``checks_run`` names every check that ran (ignored ones excluded), so ``passed`` counts
    the checks that found nothing. ``files`` lists the files checked, per split (``""`` for
    ``corpuskit check``), in the order they were read.
    """

    findings: list[Finding]
    stats: dict[str, Any]
    checks_run: list[str]
    ignored: list[str] = field(default_factory=list)
    files: dict[str, list[str]] = field(default_factory=dict)

    def _n(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> int:
        """Number of findings with severity error."""
        return self._n("error")

    @property
    def warnings(self) -> int:
        return self._n("warning")

    @property
    def infos(self) -> int:
        return self._n("info")

    @property
    def passed(self) -> int:
        """Checks that ran and found nothing."""
        found = {f.id for f in self.findings}
        return sum(1 for c in self.checks_run if c not in found)

    def get(self, check_id: str) -> Finding | None:
        """The finding of ``check_id``, or None when that check found nothing."""
        return next((f for f in self.findings if f.id == check_id), None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (its schema: ``corpuskit/data/report.schema.json``)."""
        return {
            "version": 1,
            "summary": {
                "errors": self.errors,
                "warnings": self.warnings,
                "infos": self.infos,
                "passed": self.passed,
            },
            "stats": self.stats,
            "findings": [f.to_dict() for f in self.findings],
        }
