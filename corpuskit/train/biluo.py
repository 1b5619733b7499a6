"""BILUO entity tags: to and from token spans and character offsets.

``B``egin, ``I``nside, ``L``ast, ``U``nit, ``O``utside; ``"-"`` (or ``None``) marks a token whose
entity annotation is missing. A valid sequence: ``B-X`` is followed by ``I-X``* then ``L-X``;
``I-X``/``L-X`` only follow ``B-X``/``I-X``; a sequence never ends inside an entity.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..doc import Doc, Span

__all__ = [
    "MISSING",
    "biluo_to_spans",
    "doc_to_biluo",
    "is_valid_biluo",
    "offsets_to_spans",
    "spans_to_biluo",
]

#: The tag of a token whose entity annotation is missing.
MISSING = "-"


def spans_to_biluo(n: int, spans: Sequence[Span], missing: Sequence[bool] | None = None) -> list[str]:
    """BILUO tags of ``n`` tokens holding ``spans``; ``missing[i]`` tokens get ``"-"``."""
    tags = ["O"] * n if missing is None else [MISSING if m else "O" for m in missing]
    for span in spans:
        if span.end - span.start == 1:
            tags[span.start] = f"U-{span.label}"
        elif span.end > span.start:
            tags[span.start] = f"B-{span.label}"
            for i in range(span.start + 1, span.end - 1):
                tags[i] = f"I-{span.label}"
            tags[span.end - 1] = f"L-{span.label}"
    return tags


def doc_to_biluo(doc: Doc) -> list[str]:
    """The BILUO tags of a doc's entities (all ``"-"`` when it has no entity annotation)."""
    if doc.ents is None:
        return [MISSING] * len(doc)
    return spans_to_biluo(len(doc), doc.ents, doc.ents_missing)


def is_valid_biluo(tags: Sequence[str | None]) -> bool:
    """Whether ``tags`` is a well-formed BILUO sequence (``"-"``/None allowed outside entities)."""
    try:
        biluo_to_spans(tags)
    except ValueError:
        return False
    return True


def biluo_to_spans(tags: Sequence[str | None]) -> tuple[list[Span], list[bool]]:
    """Entity spans and the per-token missing flags of a BILUO sequence.

    Raises ``ValueError`` naming the position on an ill-formed sequence (``I-`` without ``B-``, a
    label change inside an entity, an unfinished entity, an unknown prefix). BIO (IOB2) tags are
    accepted too: ``B-X I-X`` is read as ``B-X L-X``.
    """
    spans: list[Span] = []
    missing = [False] * len(tags)
    start: int | None = None
    label = ""
    for i, tag in enumerate(tags):
        if tag is None or tag == MISSING or tag == "" or tag == "O":
            if start is not None:
                # BIO: an entity ending without an L- tag.
                spans.append(Span(start, i, label))
                start = None
            if tag != "O":
                missing[i] = True
            continue
        prefix, sep, lab = tag.partition("-")
        if not sep or prefix not in ("B", "I", "L", "U") or not lab:
            raise ValueError(f"entity tag {i} {tag!r} is not O, '-' or B-/I-/L-/U- followed by a label")
        if prefix in ("I", "L"):
            if start is None or lab != label:
                raise ValueError(f"entity tag {i} {tag!r} does not continue an entity begun with B-{lab}")
            if prefix == "L":
                spans.append(Span(start, i + 1, label))
                start = None
            continue
        if start is not None:
            spans.append(Span(start, i, label))
            start = None
        if prefix == "U":
            spans.append(Span(i, i + 1, lab))
        else:
            start, label = i, lab
    if start is not None:
        spans.append(Span(start, len(tags), label))
    return spans, missing


def offsets_to_spans(
    doc: Doc, offsets: Sequence[tuple[int, int, str]]
) -> tuple[list[Span], list[bool], list[tuple[int, int, str]]]:
    """Token spans of character-offset entities ``(start, end, label)`` in ``doc.text``.

    Returns ``(spans, missing, misaligned)``: an offset whose start or end is not on a token
    boundary cannot be trained on, so its tokens are marked missing (as spaCy does) and it is
    listed in ``misaligned``.
    """
    starts: dict[int, int] = {}
    ends: dict[int, int] = {}
    token_offsets = doc.token_offsets()
    for i, (s, e) in enumerate(token_offsets):
        starts[s] = i
        ends[e] = i
    spans: list[Span] = []
    missing = [False] * len(doc)
    misaligned: list[tuple[int, int, str]] = []
    for start_char, end_char, label in offsets:
        first = starts.get(start_char)
        last = ends.get(end_char)
        if first is not None and last is not None and last >= first:
            spans.append(Span(first, last + 1, label))
            continue
        misaligned.append((start_char, end_char, label))
        for i, (s, e) in enumerate(token_offsets):
            if s < end_char and e > start_char:
                missing[i] = True
    return spans, missing, misaligned
