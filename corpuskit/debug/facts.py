"""The format-neutral facts the checks read from a Doc: one accessor each, whatever the format.

A converter states them in ``Doc.user_data`` under the keys of :mod:`corpuskit.registry`
(:data:`~corpuskit.registry.TEXT_KEY`, :data:`~corpuskit.registry.FEATS_KEY`,
:data:`~corpuskit.registry.SPAN_PROBLEMS_KEY`, :data:`~corpuskit.registry.OFFSET_UNITS_KEY`).
Older spellings (the JSONL reader's ``jsonl.problems``, a ``raw`` or ``text`` string) and the
CoNLL-U reader's own round-trip layout are read here too, in :func:`_legacy_text`,
:func:`_legacy_feats` and ``_LEGACY_*``: no check knows any converter's layout.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..doc import Doc
from ..registry import FEATS_KEY, OFFSET_UNITS_KEY, SPAN_PROBLEMS_KEY, TEXT_KEY

__all__ = ["Mwt", "StatedText", "offset_unit", "raw_feats", "span_problems", "stated_texts"]

#: A multiword token: ``(first token, end token, surface form)``.
Mwt = tuple[int, int, str]
#: ``(first token, end token, stated text, multiword tokens)`` of one sentence (or the doc).
StatedText = tuple[int, int, str, list[Mwt]]

# -- until CoNLL-U's package writes TEXT_KEY and FEATS_KEY (issue 14, part A), its round-trip
# -- layout is read here, and only here
_CONLLU_KEY = "conllu.sents"
_LEGACY_TEXT_KEYS = ("raw", "text")
_LEGACY_PROBLEMS_KEYS = ("span_problems", "jsonl.problems")
_LEGACY_UNITS_KEYS = ("offset_units",)


def stated_texts(doc: Doc) -> Iterator[StatedText]:
    """The text the source stated for each sentence of ``doc`` that has one (CoNLL-U
    ``# text``, JSON ``raw``, JSONL ``text``), with the multiword tokens' surface forms."""
    ud = doc.user_data
    if not ud:
        return
    stated = ud.get(TEXT_KEY)
    if isinstance(stated, str):
        yield 0, len(doc.words), stated, []
    elif isinstance(stated, (list, tuple)):
        for entry in stated:
            if isinstance(entry, (list, tuple)) and len(entry) == 4 and isinstance(entry[2], str):
                mwts = [(int(a), int(b), str(form)) for a, b, form in entry[3]]
                yield int(entry[0]), int(entry[1]), entry[2], mwts
    else:
        yield from _legacy_text(doc)


def raw_feats(doc: Doc) -> list[str | None] | None:
    """The features as written in the source where the converter kept them, else the morphs."""
    ud = doc.user_data
    raw = ud.get(FEATS_KEY) if ud else None
    if raw is None and ud:
        raw = _legacy_feats(doc)
    if isinstance(raw, (list, tuple)) and len(raw) == len(doc.words):
        morphs = doc.morphs or [None] * len(raw)
        return [r if r is not None else m for r, m in zip(raw, morphs, strict=True)]
    return doc.morphs


def span_problems(doc: Doc) -> list[Any]:
    """The spans the converter could not place (dicts, or SpanProblems), [] when none."""
    ud = doc.user_data
    if not ud:
        return []
    for key in (SPAN_PROBLEMS_KEY, *_LEGACY_PROBLEMS_KEYS):
        value = ud.get(key)
        if isinstance(value, (list, tuple)):
            return list(value)
    return []


def offset_unit(doc: Doc) -> Any:
    """What the converter said about the unit of the doc's offsets (a dict, a name), or None."""
    ud = doc.user_data
    if not ud:
        return None
    for key in (OFFSET_UNITS_KEY, *_LEGACY_UNITS_KEYS):
        guess = ud.get(key)
        if guess is not None:
            return guess
    return None


def _legacy_text(doc: Doc) -> Iterator[StatedText]:
    ud = doc.user_data
    sents = ud.get(_CONLLU_KEY)
    if isinstance(sents, (list, tuple)):
        start = 0
        for entry in sents:
            if not isinstance(entry, dict):
                return
            n = int(entry.get("n", 0))
            text = None
            for comment in entry.get("comments", ()):
                if comment is None:  # the sentence's own text, which its words spell out
                    text = None
                elif isinstance(comment, str) and comment.startswith("# text ="):
                    text = comment[len("# text =") :].strip()
            if text is not None:
                yield start, start + n, text, _conllu_mwts(entry, start)
            start += n
        return
    for key in _LEGACY_TEXT_KEYS:
        value = ud.get(key)
        if isinstance(value, str):
            yield 0, len(doc.words), value, []
            return


def _conllu_mwts(entry: dict[str, Any], start: int) -> list[Mwt]:
    mwts = []
    for extra in entry.get("extra", ()):
        # A multiword token's line keeps its surface form in the second column.
        if isinstance(extra, (list, tuple)) and len(extra) == 2 and isinstance(extra[1], str):
            cols = extra[1].split("\t")
            if len(cols) > 1 and "-" in cols[0]:
                a, _, b = cols[0].partition("-")
                if a.isdigit() and b.isdigit():
                    mwts.append((start + int(a) - 1, start + int(b), cols[1]))
    return mwts


def _legacy_feats(doc: Doc) -> list[str | None] | None:
    sents = doc.user_data.get(_CONLLU_KEY)
    if not isinstance(sents, (list, tuple)) or not any(isinstance(e, dict) and "feats" in e for e in sents):
        return None
    out: list[str | None] = []
    for entry in sents:
        n = int(entry.get("n", 0))
        raw = entry.get("feats")
        if isinstance(raw, (list, tuple)) and len(raw) == n:
            out.extend(raw)
        else:
            out.extend([None] * n)
    return out
