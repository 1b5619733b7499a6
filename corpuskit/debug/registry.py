"""The check registry: every check id with its severity, section and function."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from .findings import Severity

__all__ = ["CHECKS", "SECTIONS", "Check", "Scope", "get_check", "register", "register_reader_check"]

#: Report sections, in the order the text report shows them.
SECTIONS = ("corpus", "tokens", "entities", "parse", "tags", "categories")

#: ``batch``: runs on each batch of docs while the corpus streams by (a per-file check);
#: ``corpus``: runs once on the statistics of the whole corpus; ``reader``: fed by the reader
#: (a file that cannot be parsed, a bad tag sequence).
Scope = Literal["batch", "corpus", "reader"]

_PLURALS = {"entity": "entities", "cycle": "cycles", "doc": "docs"}


@dataclass(frozen=True, slots=True)
class Check:
    """One registered check. ``unit`` and ``what`` make its message: "3 sentences with a cycle"."""

    id: str
    severity: Severity
    section: str
    summary: str
    unit: str
    what: str
    scope: Scope
    func: Callable[..., Iterator[Any]] | None

    @property
    def per_file(self) -> bool:
        """Whether ``corpuskit check`` runs it (it needs no whole-corpus statistics)."""
        return self.scope != "corpus"

    def message(self, count: int, by_split: dict[str, int] | None = None) -> str:
        """``"3 sentences have ..."`` with a per-split breakdown when both splits have hits."""
        unit = self.unit if count == 1 else _PLURALS.get(self.unit, self.unit + "s")
        text = f"{count} {unit} {self.what}"
        splits = {k: v for k, v in (by_split or {}).items() if k and v}
        if len(splits) > 1:
            text += " (" + ", ".join(f"{k}: {v}" for k, v in splits.items()) + ")"
        return text


#: Every check, by id, in registration order (the order of CHECKS.md).
CHECKS: dict[str, Check] = {}


def register(
    check_id: str,
    *,
    severity: Severity,
    section: str,
    summary: str,
    unit: str = "doc",
    what: str = "",
    scope: Scope = "batch",
) -> Callable[[Callable[..., Iterator[Any]]], Callable[..., Iterator[Any]]]:
    """Register ``func`` as the check ``check_id`` (ids are stable: never rename one)."""

    def deco(func: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        _add(check_id, severity, section, summary, unit, what, scope, func)
        return func

    return deco


def _add(
    check_id: str,
    severity: Severity,
    section: str,
    summary: str,
    unit: str,
    what: str,
    scope: Scope,
    func: Callable[..., Iterator[Any]] | None,
) -> None:
    if check_id in CHECKS:
        raise ValueError(f"check {check_id!r} is registered twice")
    if section not in SECTIONS:
        raise ValueError(f"check {check_id!r} has unknown section {section!r}; expected one of {SECTIONS}")
    CHECKS[check_id] = Check(check_id, severity, section, summary, unit, what, scope, func)


def register_reader_check(
    check_id: str, *, severity: Severity, section: str, summary: str, unit: str, what: str
) -> None:
    """Register a check whose hits come from the reader (it has no function of its own)."""
    _add(check_id, severity, section, summary, unit, what, "reader", None)


def get_check(check_id: str) -> Check:
    """The check registered as ``check_id`` (a ``KeyError`` naming the known ids otherwise)."""
    try:
        return CHECKS[check_id]
    except KeyError:
        raise KeyError(f"unknown check id {check_id!r}; known: {', '.join(CHECKS)}") from None


# The leakage checks live in a module of their own; importing it here registers them with the
# registry, whoever imports it first.
from . import leakage as _leakage  # noqa: E402, F401
