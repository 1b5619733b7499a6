"""The checks of docs/checks.md's section "Tags and morphology"."""

from __future__ import annotations

from collections.abc import Iterator

from ... import morph as _morph
from ..batch import Batch
from ..facts import raw_feats
from ..findings import Finding, Hit
from ..options import Options
from ..registry import register
from ..stats import CorpusStats, normalised_entropy
from .common import _UPOS_HINT, UPOS


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
        feats = raw_feats(item.doc)
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
