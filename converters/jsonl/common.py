"""What the JSONL readers and writer share: flavours, user_data keys, offset units, the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from corpuskit.alignment import (
    OFFSET_UNITS,
    OffsetUnit,
)
from corpuskit.errors import UsageError
from corpuskit.registry import OFFSET_UNITS_KEY

Flavour = Literal["jsonl", "doccano", "labelstudio", "prodigy"]
FLAVOURS: tuple[Flavour, ...] = ("jsonl", "doccano", "labelstudio", "prodigy")

#: ``Doc.user_data`` key of the spans of a record that could not be placed: a list of dicts with
#: :class:`~corpuskit.alignment.SpanProblem`'s fields (code-point offsets) plus ``line`` (the
#: record's physical line), ``given`` (the offsets as written in the file), ``reason`` (the
#: reasons, comma-separated), ``fix`` (nearest ``[start, end]`` on token boundaries, or None)
#: and ``message`` (one line).
PROBLEMS_KEY = "jsonl.problems"
#: ``Doc.user_data`` key, set on records whose offsets were converted from another unit
#: (``{"unit": "utf-16", "file_unit": "utf-16", "auto": bool, "converted": True}``), and on
#: records whose spans do not fit in the file's unit but all fit in ``unit`` (``"converted": False``).
UNITS_KEY = OFFSET_UNITS_KEY
#: ``Doc.user_data`` key holding a record's ``meta`` object (written back by :func:`write_jsonl`).
META_KEY = "jsonl.meta"

_UNIT_NAMES: dict[str, OffsetUnit] = {
    "chars": "codepoints",
    "codepoints": "codepoints",
    "utf16": "utf-16",
    "utf-16": "utf-16",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "bytes": "utf-8",
    "crlf": "crlf",
}
_ANSWERS = ("accept", "reject", "ignore")


def resolve_units(name: str) -> OffsetUnit | None:
    """The offset unit named ``name`` (``chars``, ``utf16``, ``utf8``, ``crlf``), None for ``auto``."""
    if name == "auto":
        return None
    unit = _UNIT_NAMES.get(name)
    if unit is None:
        raise UsageError(f"offset units {name!r} are not one of: auto, chars, utf16, utf8, crlf")
    return unit


@dataclass
class JsonlReport:
    """What reading one file found: the offset unit used and why, what was skipped or not placed.

    ``unit`` is the unit the offsets were read in; ``auto`` whether it was detected;
    ``fits[unit]`` how many of the ``total`` spans fit the tokens in each unit, counting only
    the spans of texts that tell the units apart (a character beyond ASCII, a line end).
    ``skipped`` counts records left out by their answer (``{"reject": 3, "ignore": 1}``).
    """

    source: str | None
    flavour: Flavour
    unit: OffsetUnit
    auto: bool
    fits: dict[str, int] = field(default_factory=dict)
    total: int = 0
    records: int = 0
    docs: int = 0
    spans: int = 0
    placed: int = 0
    problems: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """One line for a CLI to print."""
        how = "detected" if self.auto else "as set"
        msg = f"offsets counted in {_UNIT_LABELS[self.unit]} ({how}"
        if self.auto and self.total:
            others = ", ".join(
                f"{_UNIT_LABELS[u]}: {self.fits.get(u, 0)}" for u in OFFSET_UNITS if u != self.unit
            )
            msg += f": {self.fits.get(self.unit, 0)} of the {self.total} spans in texts that tell the units"
            msg += f" apart fit; {others}"
        elif self.auto:
            msg += ": no span in a text that tells the units apart"
        msg += f"); {self.docs} docs, {self.placed} of {self.spans} spans placed"
        if self.problems:
            msg += f", {self.problems} not placed (listed in user_data[{PROBLEMS_KEY!r}])"
        if self.skipped:
            msg += "; skipped " + ", ".join(f"{n} {a}" for a, n in sorted(self.skipped.items()))
        return msg


_UNIT_LABELS: dict[OffsetUnit, str] = {
    "codepoints": "code points",
    "utf-16": "UTF-16 code units",
    "utf-8": "UTF-8 bytes",
    "crlf": "CRLF line ends",
}
