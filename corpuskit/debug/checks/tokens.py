"""The checks of docs/checks.md's section "Tokens and text"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...doc import Doc, surface_text
from ..batch import Batch
from ..facts import stated_texts
from ..findings import Hit
from ..options import Options
from ..registry import register
from .common import _blank


def _rebuilt_text(doc: Doc, start: int, end: int, mwts: list[tuple[int, int, str]]) -> str:
    """Tokens ``start``-``end`` of ``doc`` as text (multiword tokens' forms in place of their words)."""
    spaces = doc.spaces or [True] * len(doc.words)
    local = sorted((a - start, min(b, end) - start, form) for a, b, form in mwts if start <= a < end)
    return surface_text(doc.words[start:end], spaces[start:end], local)


@register(
    "text-form-mismatch",
    severity="error",
    section="tokens",
    summary="the document text (CoNLL-U # text, JSON raw, JSONL text) does not match the tokens and spacing",
    unit="sentence",
    what="whose stated text does not match its tokens and spacing",
)
def text_form_mismatch(batch: Batch, opts: Options) -> Iterator[Hit]:
    for item in batch.items:
        doc = item.doc
        if not doc.user_data:
            continue
        stated = list(stated_texts(doc))
        if len(stated) == 1 and stated[0][:2] == (0, len(doc.words)):
            # One sentence (the usual case): compare with the doc's text, built once.
            fast = item.text[:-1] if doc.words and (doc.spaces or [True])[-1] else item.text
            if fast == stated[0][2].strip():
                continue
        for start, end, text, mwts in stated:
            built = _rebuilt_text(doc, start, end, mwts)
            if doc.has_unknown_spaces:
                same = _squash(built) == _squash(text)
            else:  # a run of whitespace in the text stands for one space, as the UD validator allows
                same = built == text.strip() or built == _fold(text)
            if same:
                continue
            text = _fold(text)
            pos = next((i for i, (a, b) in enumerate(zip(built, text, strict=False)) if a != b), None)
            if pos is None:
                pos = min(len(built), len(text))
            token = _token_at(doc, start, end, mwts, pos)
            msg = (
                f"text differs at character {pos + 1}: tokens give {built[max(0, pos - 15) : pos + 15]!r}, "
                f"the text says {text[max(0, pos - 15) : pos + 15]!r}"
            )
            yield item.hit(token, message=msg)


def _squash(text: str) -> str:
    return "".join(text.split())


def _fold(text: str) -> str:
    """The text with each run of whitespace as one space, and none at its ends."""
    return " ".join(text.split())


def _token_at(doc: Doc, start: int, end: int, mwts: list[tuple[int, int, str]], pos: int) -> int:
    spaces = doc.spaces or [True] * len(doc.words)
    by_start = {a: (b, form) for a, b, form in mwts}
    at = 0
    i = start
    while i < end:
        b, form = by_start.get(i, (i + 1, doc.words[i]))
        at += len(form) + (1 if b < end and spaces[b - 1] else 0)
        if at > pos:
            return i
        i = b
    return max(start, end - 1)


def _tokenizer(lang: str) -> Any:
    from ...tokenizer import shared_tokenizer

    return shared_tokenizer(lang)


@register(
    "misaligned-tokens",
    severity="warning",
    section="tokens",
    summary="gold tokens that the reference tokenizer (--lang) does not reproduce one-to-one",
    unit="token",
    what="that the reference tokenizer does not reproduce one-to-one (what 'Token %' will cost)",
)
def misaligned_tokens(batch: Batch, opts: Options) -> Iterator[Hit]:
    if opts.lang is None:
        return
    from ...alignment import Alignment, AlignmentError

    tokenizer = _tokenizer(opts.lang)
    for item in batch.items:
        doc = item.doc
        if not doc.words:
            continue
        predicted = tokenizer.tokenize(item.text)[0]
        if predicted == doc.words:
            continue
        try:
            align = Alignment.from_words(doc.words, predicted)
        except AlignmentError as e:  # the tokenizer changed the text: every token is lost
            yield item.hit(0, message=f"the tokenizer changed the text: {e}", n=len(doc.words))
            continue
        ok, _ = align.one_to_one()
        bad = [i for i, good in enumerate(ok.tolist()) if not good and not doc.words[i].isspace()]
        if not bad:
            continue
        i = bad[0]
        got = [predicted[j] for j in align.x2y[i].tolist()]
        yield item.hit(
            i,
            message=f"{len(bad)} gold token(s) not reproduced; e.g. {doc.words[i]!r} -> {got!r}",
            n=len(bad),
        )


@register(
    "whitespace-token",
    severity="warning",
    section="tokens",
    summary="tokens that are only whitespace",
    unit="token",
    what="that are only whitespace",
)
def whitespace_token(batch: Batch, opts: Options) -> Iterator[Hit]:
    for item in batch.items:
        words = item.doc.words
        if "" not in words and not any(map(str.isspace, words)):
            continue
        for i, w in enumerate(words):
            if _blank(w):
                yield item.hit(i, message=f"token {i} is {w!r}")


@register(
    "unknown-spaces",
    severity="info",
    section="tokens",
    summary="docs whose spacing is unknown (raw text cannot be rebuilt)",
    unit="doc",
    what="with unknown spacing (the raw text cannot be rebuilt)",
)
def unknown_spaces(batch: Batch, opts: Options) -> Iterator[Hit]:
    for item in batch.items:
        if item.doc.has_unknown_spaces and item.doc.words:
            yield item.hit(None, message="the source has no spacing information")


# =========================================================================================
