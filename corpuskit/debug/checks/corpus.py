"""The checks of docs/checks.md's section "Corpus"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..batch import Batch
from ..findings import Example, Finding, Hit
from ..options import Options
from ..registry import register, register_reader_check
from ..stats import CorpusStats, SplitStats

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
