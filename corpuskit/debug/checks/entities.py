"""The checks of docs/checks.md's section "Named entities"."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import Any

from ..batch import Batch, Item, is_punct
from ..facts import offset_unit, span_problems, stated_texts
from ..findings import Example, Hit
from ..options import Options
from ..registry import register, register_reader_check
from ..stats import CorpusStats
from .common import _blank, _examples


def _batch_problems(batch: Batch) -> list[tuple[Item, list[Any]]]:
    out = []
    for item in batch.items:
        problems = span_problems(item.doc)
        if problems:
            out.append((item, problems))
    return out


def _problem_field(problem: Any, name: str, default: Any = None) -> Any:
    if isinstance(problem, dict):
        return problem.get(name, default)
    return getattr(problem, name, default)


def _problem_message(problem: Any) -> str | None:
    """The alignment engine's one-line message for a SpanProblem stored as a dict."""
    if not isinstance(problem, dict):
        return None
    from dataclasses import fields

    from ...alignment import SpanProblem

    names = {f.name for f in fields(SpanProblem)}
    values = {k: v for k, v in problem.items() if k in names}
    for key in ("reasons", "tokens", "token_texts", "fix"):
        if isinstance(values.get(key), list):
            values[key] = tuple(values[key])
    try:
        return str(SpanProblem(**values).message)
    except (TypeError, ValueError):
        return None


def _problem_hits(batch: Batch, reasons: set[str]) -> Iterator[Hit]:
    for item, _problems in batch.memo("span-problems", _batch_problems):
        yield from _problems_with(item, reasons)


#: Each unplaced span counts once, under the first of these its reasons name.
_REASON_ORDER = (
    ("overlap",),
    ("empty-label",),
    ("start-inside-token", "end-inside-token", "out-of-range", "empty-span"),
    ("whitespace-edge",),
)


def _primary(reasons: set[str]) -> set[str]:
    for group in _REASON_ORDER:
        if reasons.intersection(group):
            return set(group)
    return set()


def _problems_with(item: Item, reasons: set[str]) -> Iterator[Hit]:
    for problem in span_problems(item.doc):
        got = set(_problem_field(problem, "reasons", ()) or ())
        if _primary(got) & reasons:
            tokens = _problem_field(problem, "tokens")
            start, end = (tokens[0], tokens[1]) if tokens else (None, None)
            message = _problem_field(problem, "message")
            if not isinstance(message, str):
                message = _problem_message(
                    problem
                ) or f"span {_problem_field(problem, 'text')!r}: " + ", ".join(sorted(got))
            yield item.hit(start, end, message=message)


@register(
    "misaligned-entity",
    severity="error",
    section="entities",
    summary="an offset span whose start or end is not on a token boundary",
    unit="span",
    what="whose start or end is not on a token boundary (cannot be trained on)",
)
def misaligned_entity(batch: Batch, opts: Options) -> Iterator[Hit]:
    yield from _problem_hits(batch, {"start-inside-token", "end-inside-token", "out-of-range", "empty-span"})


@register(
    "offset-units",
    severity="error",
    section="entities",
    summary="span offsets that only fit the text counted in UTF-16 units, bytes, or with CRLF line ends",
    unit="record",
    what="whose span offsets fit the text only in another unit",
)
def offset_units(batch: Batch, opts: Options) -> Iterator[Hit]:
    for item in batch.items:
        if not item.doc.user_data:
            continue
        unit = None
        guess = offset_unit(item.doc)
        if guess is not None:
            unit = _problem_field(guess, "unit", guess if isinstance(guess, str) else None)
        if unit is None:
            unit = _unit_of_unplaced(item)  # the converter kept code points, but they do not fit
        if unit and unit != "codepoints":
            yield item.hit(None, message=f"the offsets fit the text counted in {unit}, not code points")


def _unit_of_unplaced(item: Item) -> str | None:
    """The unit in which every span of a record fits, when its unplaced spans kept their offsets
    as given (``given``) and the record's text is known."""
    problems = span_problems(item.doc)
    if not problems:
        return None
    text = next((t for a, b, t, _ in stated_texts(item.doc) if (a, b) == (0, len(item.doc.words))), None)
    if text is None:
        return None
    given = [_problem_field(p, "given") for p in problems]
    if any(not isinstance(g, (list, tuple)) or len(g) != 2 for g in given):
        return None
    from ...alignment import detect_offset_units, token_offsets

    starts, ends = token_offsets(item.doc)
    guess = detect_offset_units(
        text, [(int(a), int(b), "") for a, b in given], list(zip(starts, ends, strict=True))
    )
    return guess.unit if guess.exact else None


@register(
    "overlapping-entities",
    severity="error",
    section="entities",
    summary="spans that overlap (not representable as BILUO; use span groups)",
    unit="entity",
    what="overlapping another entity (not representable as BILUO tags; use span groups)",
)
def overlapping_entities(batch: Batch, opts: Options) -> Iterator[Hit]:
    yield from _problem_hits(batch, {"overlap"})
    for item in batch.items:
        doc = item.doc
        ents = doc.ents
        if not ents or len(ents) < 2:
            continue
        ordered = sorted(ents, key=lambda s: (s.start, s.end))
        reach = ordered[0]
        for span in ordered[1:]:
            if span.start < reach.end and span.end > span.start and reach.end > reach.start:
                yield item.hit(
                    span.start,
                    span.end,
                    message=f"entity {span.label!r} {span.start}:{span.end} overlaps "
                    f"{reach.label!r} {reach.start}:{reach.end}",
                )
            if span.end > reach.end:
                reach = span


register_reader_check(
    "invalid-tag-sequence",
    severity="error",
    section="entities",
    summary="I-/L- without a B-, an unknown prefix, a prefix without a label, mixed tag schemes in one file",
    unit="tag sequence",
    what="with an invalid entity tag (its sentence was skipped)",
)


@register(
    "whitespace-entity",
    severity="error",
    section="entities",
    summary="an entity that starts or ends on whitespace",
    unit="entity",
    what="starting or ending on whitespace",
)
def whitespace_entity(batch: Batch, opts: Options) -> Iterator[Hit]:
    yield from _problem_hits(batch, {"whitespace-edge"})
    for item in batch.items:
        doc = item.doc
        for span in doc.ents or ():
            if span.end <= span.start:
                continue
            first, last = doc.words[span.start], doc.words[span.end - 1]
            if _blank(first) or _blank(last) or first[:1].isspace() or last[-1:].isspace():
                edge = "starts" if _blank(first) or first[:1].isspace() else "ends"
                yield item.hit(span.start, span.end, message=f"entity {span.label!r} {edge} on whitespace")


@register(
    "punct-entity-boundary",
    severity="warning",
    section="entities",
    summary="an entity that starts or ends with punctuation",
    unit="entity",
    what="starting or ending with punctuation",
)
def punct_entity_boundary(batch: Batch, opts: Options) -> Iterator[Hit]:
    for item in batch.items:
        doc = item.doc
        for span in doc.ents or ():
            if span.end <= span.start:
                continue
            first, last = doc.words[span.start], doc.words[span.end - 1]
            if is_punct(first) or is_punct(last):
                word = first if is_punct(first) else last
                edge = "starts" if is_punct(first) else "ends"
                yield item.hit(
                    span.start, span.end, message=f"entity {span.label!r} {edge} with punctuation {word!r}"
                )


@register(
    "cross-sentence-entity",
    severity="warning",
    section="entities",
    summary="an entity that crosses a sentence boundary",
    unit="entity",
    what="crossing a sentence boundary",
)
def cross_sentence_entity(batch: Batch, opts: Options) -> Iterator[Hit]:
    for k, item in enumerate(batch.items):
        doc = item.doc
        if not doc.ents:
            continue
        bounds = batch.sents(k)
        if len(bounds) < 2:
            continue
        starts = [s for s, _ in bounds[1:]]
        for span in doc.ents:
            j = bisect.bisect_right(starts, span.start)
            if j < len(starts) and starts[j] < span.end:
                yield item.hit(
                    span.start,
                    span.end,
                    message=f"entity {span.label!r} {span.start}:{span.end} crosses the sentence "
                    f"boundary before token {starts[j]}",
                )


@register(
    "empty-label",
    severity="error",
    section="entities",
    summary="an entity with an empty label",
    unit="entity",
    what="with an empty label",
)
def empty_label(batch: Batch, opts: Options) -> Iterator[Hit]:
    yield from _problem_hits(batch, {"empty-label"})
    for item in batch.items:
        doc = item.doc
        for span in doc.ents or ():
            if not span.label.strip():
                yield item.hit(
                    span.start, span.end, message=f"entity {span.start}:{span.end} has label {span.label!r}"
                )


@register(
    "low-count-label",
    severity="warning",
    section="entities",
    summary="an entity label with 50 examples or fewer",
    scope="corpus",
    unit="entity label",
    what="with few training examples",
)
def low_count_label(stats: CorpusStats, opts: Options) -> Iterator[Hit]:
    train = stats.train
    for label, count in sorted(train.label_counts("ent").items()):
        if count <= opts.low_count_label and label.strip():
            ex = train.first["ent"].get(label) or Example(None)
            msg = f"entity label {label!r} has {_examples(count)} (<= {opts.low_count_label})"
            yield Hit(ex.saying(msg), "train")


@register(
    "no-negative-examples",
    severity="warning",
    section="entities",
    summary="a label that appears in every doc",
    scope="corpus",
    unit="label",
    what="appearing in every doc (no negative examples)",
)
def no_negative_examples(stats: CorpusStats, opts: Options) -> Iterator[Hit]:
    train = stats.train
    n = train.n_ner_docs
    if n > 1:
        for label, docs in sorted(train.ent_label_docs.items()):
            if docs == n:
                ex = train.first["ent"].get(label) or Example(None)
                msg = f"entity label {label!r} is in all {n} docs"
                yield Hit(ex.saying(msg), "train")
    cats = train.cats
    if cats.docs > 1:
        for label, pos in sorted(cats.positives.items()):
            if pos == cats.docs:
                ex = train.first["cat"].get(label) or Example(None)
                msg = f"category {label!r} is positive in all {cats.docs} docs"
                yield Hit(Example(ex.file, ex.line, ex.doc, None, ex.text, msg), "train")


@register(
    "missing-ner",
    severity="info",
    section="entities",
    summary="tokens whose entity annotation is missing (neither entity nor O)",
    unit="token",
    what="whose entity annotation is missing (neither entity nor O)",
)
def missing_ner(batch: Batch, opts: Options) -> Iterator[Hit]:
    for item in batch.items:
        missing = item.doc.ents_missing
        if item.doc.ents is None or not missing or not any(missing):
            continue
        first = missing.index(True)
        n = sum(missing)
        yield item.hit(first, message=f"{n} token(s) of this doc have no entity annotation", n=n)


# =========================================================================================
