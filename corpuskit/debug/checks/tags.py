"""The checks of docs/checks.md's section "Tags and morphology"."""

from __future__ import annotations

import re
from collections.abc import Iterator

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
_FEAT_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*(\[[a-z0-9]+\])?$")
_FEAT_VALUE = re.compile(r"^[A-Z0-9][A-Za-z0-9]*$")
_FEATS_CACHE: dict[str, str | None] = {}
_VALID_FEATS: set[str | None] = {None, "", "_"}


def feats_problem(feats: str) -> str | None:
    """What is wrong with a FEATS string (``Name=Value`` pairs, sorted, no repeats), or None.

    Names are sorted case-insensitively (as UD sorts them) or by code point (as spaCy writes
    them); values of one feature are sorted and distinct.
    """
    got = _FEATS_CACHE.get(feats, "")
    if got != "":
        return got
    problem = _feats_problem(feats)
    if len(_FEATS_CACHE) < 100_000:
        _FEATS_CACHE[feats] = problem
    return problem


def _feats_problem(feats: str) -> str | None:
    if feats in ("", "_"):
        return None
    names: list[str] = []
    for pair in feats.split("|"):
        name, eq, value = pair.partition("=")
        if not eq:
            return f"feature {pair!r} is not Name=Value"
        if not _FEAT_NAME.match(name):
            return f"feature name {name!r} is not a UD name (a capital letter, then letters and digits)"
        values = value.split(",")
        for v in values:
            if not _FEAT_VALUE.match(v):
                return (
                    f"value {v!r} of {name} is not a UD value (a capital or digit, then letters and digits)"
                )
        if len(set(values)) != len(values):
            return f"{name} repeats a value in {value!r}"
        if values != sorted(values, key=str.lower) and values != sorted(values):
            return f"values of {name} are not sorted: {value!r}"
        if name in names:
            return f"feature {name} is repeated"
        names.append(name)
    if names != sorted(names, key=str.lower) and names != sorted(names):
        return f"features are not sorted by name: {feats!r}"
    return None


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
