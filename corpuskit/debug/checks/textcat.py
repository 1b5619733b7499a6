"""The checks of docs/checks.md's section "Text categories"."""

from __future__ import annotations

from collections.abc import Iterator

from ..batch import Batch
from ..findings import Example, Finding, Hit
from ..options import Options
from ..registry import register
from ..stats import CorpusStats


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
