"""BILUO entity tags as the trainer uses them: thin views over :mod:`corpuskit.tags`.

``B``egin, ``I``nside, ``L``ast, ``U``nit, ``O``utside; ``"-"`` (or ``None``) marks a token whose
entity annotation is missing. The scheme logic itself lives in :mod:`corpuskit.tags` only.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..doc import Doc, Span
from ..tags import MISSING, detect_scheme, doc_to_tags, spans_to_biluo, tags_to_ents

__all__ = ["MISSING", "biluo_to_ents", "doc_to_biluo", "is_valid_biluo", "spans_to_biluo"]


def doc_to_biluo(doc: Doc) -> list[str]:
    """The BILUO tags of a doc's entities (all ``"-"`` when it has no entity annotation)."""
    return doc_to_tags(doc, "BILUO")


def biluo_to_ents(tags: Sequence[str | None]) -> tuple[list[Span], list[bool]]:
    """Entity spans and per-token missing flags of a BILUO (or BIO) sequence (as
    :func:`corpuskit.tags.tags_to_ents`; :func:`corpuskit.tags.biluo_to_spans` gives the spans alone).

    Raises a ``ValueError`` (:class:`corpuskit.tags.TagError`) naming the tag and position on an
    ill-formed sequence. BIO (IOB2) tags are accepted: ``B-X I-X`` is one entity; an ``I-`` that
    opens an entity (IOB1) is not.
    """
    if detect_scheme(tags) == "IOB1":
        i = next(
            k
            for k, t in enumerate(tags)
            if t and t.startswith("I-") and (k == 0 or tags[k - 1] not in (f"B-{t[2:]}", t))
        )
        raise ValueError(f"entity tag {tags[i]!r} at token {i} does not continue an entity begun with B-")
    spans, missing = tags_to_ents(tags, "auto")
    return spans, missing if missing is not None else [False] * len(tags)


def is_valid_biluo(tags: Sequence[str | None]) -> bool:
    """Whether ``tags`` is a well-formed BILUO (or BIO) sequence."""
    try:
        biluo_to_ents(tags)
    except ValueError:
        return False
    return True
