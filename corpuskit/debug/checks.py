"""The checks of CHECKS.md: registered functions that yield hits or findings, never print.

A ``batch`` check takes a :class:`~corpuskit.debug.batch.Batch` and the options and yields
:class:`Hit`s (one per occurrence); a ``corpus`` check takes the
:class:`~corpuskit.debug.stats.CorpusStats` and yields hits or whole :class:`Finding`s. The
runner (:func:`corpuskit.debug.debug_corpus`) counts the hits, keeps a few examples of each
and builds the messages from each check's ``unit`` and ``what``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import morph as _morph
from ..doc import Doc
from ..strings import UD_UPOS
from .batch import Batch, Item, is_punct
from .findings import Example, Finding, Hit
from .options import Options
from .registry import register, register_reader_check
from .stats import CorpusStats, SplitStats, normalised_entropy

__all__ = ["UPOS", "feats_problem"]

#: The 17 universal POS tags of UD v2 (one table, in corpuskit.strings).
UPOS = UD_UPOS
_UPOS_HINT = {"CONJ": "CCONJ (UD v1's CONJ)"}


def _examples(n: int) -> str:
    return f"{n} example{'s' if n != 1 else ''}"


# =========================================================================================
# Corpus
# =========================================================================================

register_reader_check(
    "corpus-unreadable",
    severity="error",
    section="corpus",
    summary="a file cannot be read or parsed (the FormatError, with file:line)",
    unit="problem",
    what="made a file unreadable (the docs around each were skipped)",
)


@register(
    "few-docs",
    severity="error",
    section="corpus",
    summary="too few training docs: an error below 100, a warning below 2000",
    scope="corpus",
)
def few_docs(stats: CorpusStats, opts: Options) -> Iterator[Finding]:
    n = stats.train.n_docs
    if n >= opts.warn_docs:
        return
    sev: Any = "error" if n < opts.min_docs else "warning"
    limit = opts.min_docs if n < opts.min_docs else opts.warn_docs
    yield Finding(
        "few-docs",
        sev,
        f"only {n} training doc{'s' if n != 1 else ''} (fewer than {limit}): too little data to "
        "train a new pipeline",
        n,
        section="corpus",
    )


@register(
    "empty-doc",
    severity="warning",
    section="corpus",
    summary="docs with no tokens",
    unit="doc",
    what="with no tokens",
)
def empty_doc(batch: Batch, opts: Options) -> Iterator[Hit]:
    for item in batch.items:
        if not item.doc.words:
            yield item.hit(None, message="the doc has no tokens")


def _place(ex: Example) -> str:
    """Where an earlier copy is: ``file:line``, or a .spacy file with its doc's source line."""
    if ex.line is not None:
        return f"{ex.file}:{ex.line}"
    if ex.source_location is not None:
        return f"{ex.file}, from {ex.source_location}"
    return str(ex.file)


def _duplicates(split: SplitStats, opts: Options) -> Iterator[Hit]:
    import numpy as np

    hashes, locs = split.fingerprints()
    if len(hashes) < 2:
        return
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    dup = np.flatnonzero(first[inverse] != np.arange(len(hashes)))
    keep = len(dup) if opts.max_examples is None else opts.max_examples
    for j, pos in enumerate(dup.tolist()):
        if j < keep:
            orig = split.location(locs[first[inverse[pos]]])
            ex = split.location(locs[pos])
            yield Hit(ex.saying(f"same text as doc {orig.doc} ({_place(orig)})"), split.name)
        else:
            yield Hit(Example(None), split.name)


@register(
    "duplicate-docs",
    severity="warning",
    section="corpus",
    summary="identical texts inside one split",
    scope="corpus",
    unit="doc",
    what="repeat the text of an earlier doc of the same split",
)
def duplicate_docs(stats: CorpusStats, opts: Options) -> Iterator[Hit]:
    for split in stats.splits():
        yield from _duplicates(split, opts)


@register(
    "train-dev-overlap",
    severity="warning",
    section="corpus",
    summary="identical texts in train and dev (leakage)",
    scope="corpus",
    unit="dev doc",
    what="also in train (identical text)",
)
def train_dev_overlap(stats: CorpusStats, opts: Options) -> Iterator[Hit]:
    if stats.dev is None:
        return
    import numpy as np

    th, tlocs = stats.train.fingerprints()
    dh, dlocs = stats.dev.fingerprints()
    if not len(th) or not len(dh):
        return
    uniq, first = np.unique(th, return_index=True)
    idx = np.searchsorted(uniq, dh)
    idx = np.minimum(idx, len(uniq) - 1)
    hit = uniq[idx] == dh
    keep = int(hit.sum()) if opts.max_examples is None else opts.max_examples
    for j, pos in enumerate(np.flatnonzero(hit).tolist()):
        if j < keep:
            orig = stats.train.location(tlocs[first[idx[pos]]])
            ex = stats.dev.location(dlocs[pos])
            yield Hit(ex.saying(f"same text as train doc {orig.doc} ({_place(orig)})"), "dev")
        else:
            yield Hit(Example(None), "dev")


@register(
    "sents-per-doc",
    severity="warning",
    section="corpus",
    summary="fewer than 1.1 sentences per doc on average (group sentences: convert -n 10)",
    scope="corpus",
)
def sents_per_doc(stats: CorpusStats, opts: Options) -> Iterator[Finding]:
    low = []
    docs_total = 0
    for split in stats.splits():
        docs = split.n_docs - split.n_empty
        if docs and split.n_sents / docs < opts.min_sents_per_doc:
            low.append(f"{split.name} has {split.n_sents / docs:.2f}")
            docs_total += docs
    if low:
        yield Finding(
            "sents-per-doc",
            "warning",
            f"{' and '.join(low)} sentences per doc on average (fewer than {opts.min_sents_per_doc:g}): "
            "group sentences into docs, e.g. `corpuskit convert -n 10`",
            docs_total,
            section="corpus",
        )


_KIND_NAMES = {
    "ent": "entity label",
    "tag": "tag",
    "pos": "POS",
    "dep": "dependency label",
    "cat": "category",
}


@register(
    "label-only-in-dev",
    severity="warning",
    section="corpus",
    summary="labels (entity, tag, dep) seen in dev but never in train",
    scope="corpus",
    unit="label",
    what="seen in dev but never in train",
)
def label_only_in_dev(stats: CorpusStats, opts: Options) -> Iterator[Hit]:
    dev = stats.dev
    if dev is None:
        return
    for kind in ("ent", "tag", "dep", "cat"):
        train_labels = stats.train.label_counts(kind)
        if not train_labels:
            continue  # train has no such annotation: nothing to compare with
        for label, count in sorted(dev.label_counts(kind).items()):
            if label not in train_labels:
                ex = dev.first[kind].get(label) or Example(None)
                msg = f"{_KIND_NAMES[kind]} {label!r} ({count} in dev, 0 in train)"
                yield Hit(ex.saying(msg), "dev")


@register(
    "label-case-variants",
    severity="warning",
    section="corpus",
    summary="labels that differ only in case (PER and per): one thing under two names",
    scope="corpus",
    unit="label",
    what="that differs from another only in case",
)
def label_case_variants(stats: CorpusStats, opts: Options) -> Iterator[Hit]:
    for kind in ("ent", "tag", "dep", "cat"):
        counts: dict[str, int] = {}
        for split in stats.splits():
            for label, n in split.label_counts(kind).items():
                counts[label] = counts.get(label, 0) + n
        groups: dict[str, list[str]] = {}
        for label in counts:
            groups.setdefault(label.lower(), []).append(label)
        for variants in groups.values():
            if len(variants) < 2 or (kind == "dep" and {v.lower() for v in variants} == {"root"}):
                continue  # ROOT/root is multiple-root-labels' finding
            variants.sort(key=lambda v: -counts[v])
            for label in variants[1:]:
                ex = next((s.first[kind][label] for s in stats.splits() if label in s.first[kind]), None)
                ex = ex or Example(None)
                top = variants[0]
                msg = f"{_KIND_NAMES[kind]} {label!r} ({counts[label]}) vs {top!r} ({counts[top]})"
                yield Hit(ex.saying(msg), "")


@register(
    "long-sentence",
    severity="warning",
    section="corpus",
    summary="sentences longer than 300 tokens (usually missing sentence boundaries)",
    unit="sentence",
    what="longer than the sentence length limit (missing sentence boundaries?)",
)
def long_sentence(batch: Batch, opts: Options) -> Iterator[Hit]:
    import numpy as np

    cols = batch.columns
    starts = np.flatnonzero(cols.flags)
    if not len(starts):
        return
    ends = np.append(starts[1:], len(cols.flags))
    for s in np.flatnonzero(ends - starts > opts.max_sentence_tokens).tolist():
        g = int(starts[s])
        k = int(np.searchsorted(cols.offsets, g, side="right")) - 1
        t = g - int(cols.offsets[k])
        n = int(ends[s] - starts[s])
        yield batch.items[k].hit(t, message=f"a sentence of {n} tokens (tokens {t}-{t + n - 1})")


# =========================================================================================
# Tokens and text
# =========================================================================================

_CONLLU_KEY = "conllu.sents"


def _stated_texts(doc: Doc) -> Iterator[tuple[int, int, str, list[tuple[int, int, str]]]]:
    """``(first token, end token, stated text, multiword tokens)`` for each sentence of ``doc``
    whose source stated its text (CoNLL-U ``# text``, JSON ``raw``, JSONL ``text``)."""
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
                mwts = []
                for extra in entry.get("extra", ()):
                    # A multiword token's line keeps its surface form in the second column.
                    if isinstance(extra, (list, tuple)) and len(extra) == 2 and isinstance(extra[1], str):
                        cols = extra[1].split("\t")
                        if len(cols) > 1 and "-" in cols[0]:
                            a, _, b = cols[0].partition("-")
                            if a.isdigit() and b.isdigit():
                                mwts.append((start + int(a) - 1, start + int(b), cols[1]))
                yield start, start + n, text, mwts
            start += n
        return
    for key in ("raw", "text", "corpuskit.text"):
        value = ud.get(key)
        if isinstance(value, str):
            yield 0, len(doc.words), value, []
            return


def _rebuilt_text(doc: Doc, start: int, end: int, mwts: list[tuple[int, int, str]]) -> str:
    spaces = doc.spaces or [True] * len(doc.words)
    out: list[str] = []
    by_start = {a: (b, form) for a, b, form in mwts}
    i = start
    while i < end:
        if i in by_start:
            b, form = by_start[i]
            b = min(b, end)
            out.append(form)
            if b < end and spaces[b - 1]:
                out.append(" ")
            i = b
            continue
        out.append(doc.words[i])
        if i + 1 < end and spaces[i]:
            out.append(" ")
        i += 1
    return "".join(out)


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
        stated_texts = list(_stated_texts(doc))
        if len(stated_texts) == 1 and stated_texts[0][:2] == (0, len(doc.words)):
            # One sentence (the usual case): compare with the doc's text, built once.
            fast = item.text[:-1] if doc.words and (doc.spaces or [True])[-1] else item.text
            if fast == stated_texts[0][2].strip():
                continue
        for start, end, stated, mwts in stated_texts:
            built = _rebuilt_text(doc, start, end, mwts)
            if doc.has_unknown_spaces:
                same = _squash(built) == _squash(stated)
            else:  # a run of whitespace in the text stands for one space, as the UD validator allows
                same = built == stated.strip() or built == _fold(stated)
            if same:
                continue
            stated = _fold(stated)
            pos = next((i for i, (a, b) in enumerate(zip(built, stated, strict=False)) if a != b), None)
            if pos is None:
                pos = min(len(built), len(stated))
            token = _token_at(doc, start, end, mwts, pos)
            msg = (
                f"text differs at character {pos + 1}: tokens give {built[max(0, pos - 15) : pos + 15]!r}, "
                f"the text says {stated[max(0, pos - 15) : pos + 15]!r}"
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


_TOKENIZERS: dict[str, Any] = {}


def _tokenizer(lang: str) -> Any:
    tok = _TOKENIZERS.get(lang)
    if tok is None:
        from ..tokenizer import Tokenizer

        tok = _TOKENIZERS[lang] = Tokenizer(lang)
    return tok


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
    from ..alignment import Alignment, AlignmentError

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


def _blank(word: str) -> bool:
    return not word or word.isspace()


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
# Named entities
# =========================================================================================

_PROBLEMS_KEYS = ("corpuskit.span_problems", "span_problems", "jsonl.problems")


def _span_problems(doc: Doc) -> list[Any]:
    ud = doc.user_data
    if not ud:
        return []
    for key in _PROBLEMS_KEYS:
        value = ud.get(key)
        if isinstance(value, (list, tuple)):
            return list(value)
    return []


def _batch_problems(batch: Batch) -> list[tuple[Item, list[Any]]]:
    out = []
    for item in batch.items:
        problems = _span_problems(item.doc)
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

    from ..alignment import SpanProblem

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
    for problem in _span_problems(item.doc):
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


_UNITS_KEYS = ("corpuskit.offset_units", "offset_units")


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
        ud = item.doc.user_data
        if not ud:
            continue
        unit = None
        for key in _UNITS_KEYS:
            guess = ud.get(key)
            if guess is not None:
                unit = _problem_field(guess, "unit", guess if isinstance(guess, str) else None)
                break
        if unit is None:
            unit = _unit_of_unplaced(item)  # the converter kept code points, but they do not fit
        if unit and unit != "codepoints":
            yield item.hit(None, message=f"the offsets fit the text counted in {unit}, not code points")


def _unit_of_unplaced(item: Item) -> str | None:
    """The unit in which every span of a record fits, when its unplaced spans kept their offsets
    as given (``given``) and the record's text is known."""
    problems = _span_problems(item.doc)
    text = item.doc.user_data.get("text")
    if not problems or not isinstance(text, str):
        return None
    given = [_problem_field(p, "given") for p in problems]
    if any(not isinstance(g, (list, tuple)) or len(g) != 2 for g in given):
        return None
    from ..alignment import detect_offset_units, token_offsets

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
        import bisect

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
# Dependency trees
# =========================================================================================


def _w(doc: Doc, i: int) -> str:
    return f"{i} {doc.words[i]!r}" if 0 <= i < len(doc.words) else str(i)


@register(
    "dep-cycle",
    severity="error",
    section="parse",
    summary="heads that form a cycle (the tokens of the cycle are listed)",
    unit="cycle",
    what="in the heads (tokens that never reach a root)",
)
def dep_cycle(batch: Batch, opts: Options) -> Iterator[Hit]:
    for k, cycle in batch.parse.cycles:
        item = batch.items[k]
        path = " -> ".join(_w(item.doc, i) for i in [*cycle, cycle[0]])
        yield item.hit(cycle[0], message=f"cycle: {path}")


@register(
    "no-root",
    severity="error",
    section="parse",
    summary="a sentence with no root",
    unit="sentence",
    what="with no root",
)
def no_root(batch: Batch, opts: Options) -> Iterator[Hit]:
    for k, start, end in batch.parse.no_root:
        yield batch.items[k].hit(
            start, message=f"no token of the sentence (tokens {start}-{end - 1}) is a root"
        )


@register(
    "multiple-roots",
    severity="error",
    section="parse",
    summary="a sentence with more than one root",
    unit="sentence",
    what="with more than one root",
)
def multiple_roots(batch: Batch, opts: Options) -> Iterator[Hit]:
    for k, roots in batch.parse.multiple_roots:
        item = batch.items[k]
        names = ", ".join(_w(item.doc, r) for r in roots)
        yield item.hit(roots[1], message=f"{len(roots)} roots: {names}")


@register(
    "head-out-of-range",
    severity="error",
    section="parse",
    summary="a head outside its sentence",
    unit="token",
    what="whose head is outside its sentence",
)
def head_out_of_range(batch: Batch, opts: Options) -> Iterator[Hit]:
    for k, token, head, start, end in batch.parse.out_of_range:
        yield batch.items[k].hit(
            token, message=f"head {head} is outside the sentence (tokens {start}-{end - 1})"
        )


@register(
    "non-projective",
    severity="info",
    section="parse",
    summary="non-projective sentences (counted; projectivity is allowed)",
    unit="sentence",
    what="with crossing arcs (non-projective; allowed, but a projective parser cannot learn them)",
)
def non_projective(batch: Batch, opts: Options) -> Iterator[Hit]:
    for k, dep, head, n_arcs in batch.parse.nonproj:
        item = batch.items[k]
        yield item.hit(
            dep,
            message=f"{n_arcs} non-projective arc(s); e.g. {_w(item.doc, head)} -> {_w(item.doc, dep)}",
        )


@register(
    "punct-non-projective",
    severity="warning",
    section="parse",
    summary="punctuation attached non-projectively",
    unit="punctuation token",
    what="attached non-projectively (its arc crosses another, or one crosses over it)",
)
def punct_non_projective(batch: Batch, opts: Options) -> Iterator[Hit]:
    for k, p, head in batch.parse.punct_nonproj:
        item = batch.items[k]
        yield item.hit(p, message=f"{_w(item.doc, p)} attached to {_w(item.doc, head)} non-projectively")


@register(
    "multiple-root-labels",
    severity="warning",
    section="parse",
    summary="more than one label used for roots (root and ROOT)",
    scope="corpus",
)
def multiple_root_labels(stats: CorpusStats, opts: Options) -> Iterator[Finding]:
    labels: dict[str, int] = {}
    for split in stats.splits():
        for label, n in split.root_labels.items():
            labels[label] = labels.get(label, 0) + n
    if len(labels) > 1:
        shown = ", ".join(f"{k!r} ({v})" for k, v in sorted(labels.items(), key=lambda kv: -kv[1]))
        examples = []
        for label in sorted(labels, key=lambda x: labels[x])[:-1]:
            for split in stats.splits():
                ex = split.first["dep"].get(label)
                if ex is not None:
                    examples.append(ex.saying(f"root label {label!r}"))
                    break
        yield Finding(
            "multiple-root-labels",
            "warning",
            f"{len(labels)} labels are used for roots: {shown}; use one",
            len(labels),
            examples,
            section="parse",
        )


@register(
    "low-count-dep-label",
    severity="warning",
    section="parse",
    summary="a dependency label with 20 examples or fewer",
    scope="corpus",
    unit="dependency label",
    what="with few training examples",
)
def low_count_dep_label(stats: CorpusStats, opts: Options) -> Iterator[Hit]:
    train = stats.train
    for label, count in sorted(train.label_counts("dep").items()):
        if count <= opts.low_count_dep_label:
            ex = train.first["dep"].get(label) or Example(None)
            msg = f"dependency label {label!r} has {_examples(count)} (<= {opts.low_count_dep_label})"
            yield Hit(ex.saying(msg), "train")


@register(
    "partial-parse",
    severity="warning",
    section="parse",
    summary="sentences where some tokens have heads and others do not",
    unit="sentence",
    what="where some tokens have heads and others do not",
)
def partial_parse(batch: Batch, opts: Options) -> Iterator[Hit]:
    for k, start, end, n_missing in batch.parse.partial:
        item = batch.items[k]
        heads = item.doc.heads or []
        first = next((i for i in range(start, end) if heads[i] is None), start)
        yield item.hit(first, message=f"{n_missing} of {end - start} tokens have no head")


# =========================================================================================
# Tags and morphology
# =========================================================================================


@register(
    "unknown-upos",
    severity="error",
    section="tags",
    summary="a POS value outside the 17 UD tags",
    unit="token",
    what="with a POS outside the 17 UD tags",
)
def unknown_upos(batch: Batch, opts: Options) -> Iterator[Hit]:
    allowed = _ALLOWED_POS
    for item in batch.items:
        pos = item.doc.pos
        if pos is None or allowed.issuperset(pos):
            continue
        for i, p in enumerate(pos):
            if p not in allowed:
                hint = f"; did you mean {_UPOS_HINT[p]}?" if p in _UPOS_HINT else ""
                yield item.hit(i, message=f"POS {p!r} is not a UD tag{hint}")


_ALLOWED_POS = frozenset([*UPOS, None, ""])
_VALID_FEATS: set[str | None] = {None, "", "_"}


def feats_problem(feats: str) -> str | None:
    """What is wrong with a FEATS string (``Name=Value`` pairs, sorted, no repeats), or None
    (:func:`corpuskit.morph.feats_problem`)."""
    return _morph.feats_problem(feats)


def _raw_feats(doc: Doc) -> list[str | None] | None:
    """The FEATS as written in the source where the converter kept them (CoNLL-U), else morphs."""
    sents = doc.user_data.get(_CONLLU_KEY) if doc.user_data else None
    if isinstance(sents, (list, tuple)) and any(isinstance(e, dict) and "feats" in e for e in sents):
        out: list[str | None] = []
        for entry in sents:
            n = int(entry.get("n", 0))
            raw = entry.get("feats")
            if isinstance(raw, (list, tuple)) and len(raw) == n:
                out.extend(raw)
            else:
                out.extend([None] * n)
        if len(out) == len(doc.words):
            morphs = doc.morphs or [None] * len(out)
            return [r if r is not None else m for r, m in zip(out, morphs, strict=True)]
    return doc.morphs


@register(
    "invalid-feature",
    severity="error",
    section="tags",
    summary="malformed FEATS (Name=Value pairs, sorted, no repeats)",
    unit="token",
    what="with malformed morphological features",
)
def invalid_feature(batch: Batch, opts: Options) -> Iterator[Hit]:
    valid = _VALID_FEATS
    for item in batch.items:
        feats = _raw_feats(item.doc)
        if feats is None or valid.issuperset(feats):
            continue
        for f in set(feats) - valid:
            if f is not None and feats_problem(f) is None and len(valid) < 200_000:
                valid.add(f)
        for i, f in enumerate(feats):
            if f is not None and feats_problem(f) is not None:
                yield item.hit(i, message=f"FEATS {f!r}: {feats_problem(f)}")


@register(
    "tag-stats",
    severity="info",
    section="tags",
    summary="tag counts and normalised entropy",
    scope="corpus",
)
def tag_stats(stats: CorpusStats, opts: Options) -> Iterator[Finding]:
    train = stats.train
    parts = []
    for kind, name in (("pos", "POS"), ("tag", "fine-grained tags")):
        counts = train.label_counts(kind)
        if counts:
            parts.append(f"{len(counts)} {name} (normalised entropy {normalised_entropy(counts):.2f})")
    if parts:
        total = sum(train.label_counts("tag").values()) or sum(train.label_counts("pos").values())
        yield Finding("tag-stats", "info", "train has " + " and ".join(parts), total, section="tags")


# =========================================================================================
# Text categories
# =========================================================================================


@register(
    "textcat-bad-values",
    severity="error",
    section="categories",
    summary="category values other than 0 and 1",
    unit="value",
    what="of a category other than 0 or 1",
)
def textcat_bad_values(batch: Batch, opts: Options) -> Iterator[Hit]:
    for item in batch.items:
        cats = item.doc.cats
        if not cats:
            continue
        for label, value in cats.items():
            if value not in (0.0, 1.0):
                yield item.hit(None, message=f"category {label!r} has value {value!r}; expected 0 or 1")


@register(
    "textcat-too-few-labels",
    severity="error",
    section="categories",
    summary="fewer than two labels",
    scope="corpus",
)
def textcat_too_few_labels(stats: CorpusStats, opts: Options) -> Iterator[Finding]:
    train = stats.train
    if train.cats.docs and len(train.cats.labels) < 2:
        labels = ", ".join(repr(k) for k in train.cats.labels) or "none"
        yield Finding(
            "textcat-too-few-labels",
            "error",
            f"the text categories of train have {len(train.cats.labels)} label ({labels}); "
            "a classifier needs at least two",
            len(train.cats.labels),
            section="categories",
        )


@register(
    "textcat-not-exclusive",
    severity="error",
    section="categories",
    summary="exclusive categories where a doc has zero or several positives",
    scope="corpus",
    unit="doc",
    what="with zero or several positive categories, though the categories are exclusive",
)
def textcat_not_exclusive(stats: CorpusStats, opts: Options) -> Iterator[Hit]:
    for split in stats.splits():
        cats = split.cats
        if not cats.docs:
            continue
        exclusive = opts.exclusive_cats
        if exclusive is None:
            exclusive = len(cats.labels) > 1 and cats.n_positive.get(1, 0) >= opts.exclusive_share * cats.docs
        if not exclusive:
            continue
        n_bad = cats.docs - cats.n_positive.get(1, 0)
        for ex in cats.not_one[:n_bad]:
            yield Hit(ex, split.name)
        for _ in range(n_bad - len(cats.not_one)):
            yield Hit(Example(None), split.name)
