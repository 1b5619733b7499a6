"""The check for labels that no text format can hold: line breaks, tabs, control characters."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..doc import Doc
from .batch import Batch
from .findings import Hit
from .options import Options
from .registry import register

__all__ = ["control_char_label"]

# line breaks (also the Unicode ones), tabs, C0/C1 control characters and DEL: a CoNLL-U, CoNLL
# or IOB writer cannot write such a label, and a terminal acts on the escape sequences
_BAD = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_COLUMNS = (("tag", "tags"), ("POS", "pos"), ("morph", "morphs"), ("dependency label", "deps"))


def _what(char: str) -> str:
    names = {"\n": "a line break", "\r": "a carriage return", "\t": "a tab"}
    return names.get(char, f"the control character {char!r}")


def _bad_tokens(doc: Doc) -> Iterator[tuple[int, int | None, str, str]]:
    """(token, end, kind, label) of each label in ``doc`` that holds a bad character."""
    for kind, attr in _COLUMNS:
        values = getattr(doc, attr)
        if values is None:
            continue
        joined = "".join(v for v in values if v)
        if not _BAD.search(joined):  # one search per column of a clean doc
            continue
        for i, v in enumerate(values):
            if v and _BAD.search(v):
                yield i, None, kind, v
    for span in doc.ents or ():
        if _BAD.search(span.label):
            yield span.start, span.end, "entity label", span.label
    for key, spans in doc.spans.items():
        for span in spans:
            if _BAD.search(span.label):
                yield span.start, span.end, f"span label (group {key!r})", span.label
    for cat in doc.cats:
        if _BAD.search(cat):
            yield -1, None, "text category", cat


@register(
    "control-char-label",
    severity="error",
    section="corpus",
    summary="labels holding a line break, a tab or a control character",
    unit="label",
    what="holding a line break, a tab or a control character (no text format can hold them)",
)
def control_char_label(batch: Batch, opts: Options) -> Iterator[Hit]:
    for item in batch.items:
        for token, end, kind, label in _bad_tokens(item.doc):
            char = _BAD.search(label)
            assert char is not None
            yield item.hit(
                None if token < 0 else token,
                end,
                message=f"{kind} {label!r} holds {_what(char.group())}",
            )
