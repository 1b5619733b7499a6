"""A suspect annotation: one row of the find-errors review queue (the shared record format).

``corpuskit find-errors`` writes these (``--format json|jsonl``), the HTML review page shows them,
``--export`` turns them into an annotation tool's tasks and ``corpuskit apply-fixes`` reads the
reviewed decisions back. Every field is plain JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["LAYERS", "Suspect"]

#: The annotation layers a suspect can sit in (the Doc columns they name).
LAYERS = ("ents", "tags", "pos", "morphs", "lemmas", "heads", "deps")


@dataclass(slots=True)
class Suspect:
    """One suspect annotation, most suspect first when ranked by ``score``.

    ``file`` and ``line`` locate the first token of the span in the source file (as every finding
    does); ``doc`` is the index of the doc in that file as ``corpus.read_corpus`` yields it, and
    ``start``/``end`` are token offsets in that doc (end exclusive). ``current`` and
    ``suggested`` are the label now and the label proposed: for ``ents`` an entity label or
    ``None`` (no entity over exactly this span: a missed or a spurious mention); for ``heads`` the
    head's token index in the doc as a string. ``score`` is in 0-1, higher is more likely wrong.
    """

    file: str
    line: int | None
    doc: int
    start: int
    end: int
    text: str
    layer: str
    current: str | None
    suggested: str | None
    score: float
    method: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.layer not in LAYERS:
            raise ValueError(f"unknown layer {self.layer!r}; expected one of {', '.join(LAYERS)}")
        if not 0 <= self.start < self.end:
            raise ValueError(f"bad token span {self.start}:{self.end}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Suspect:
        names = cls.__dataclass_fields__
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ValueError(f"unknown suspect field(s): {', '.join(unknown)}")
        return cls(**data)
